"""The Lambda REQUEST authorizer with real payload-2.0 authorizer events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from authorizer import authorizer_handler

from badgekiln.errors import StoreError
from badgekiln.issue import create_api_key
from badgekiln.issue.apikeys import delete_api_key
from badgekiln.store import LocalStore, Store, StoredObject
from tests.integration.conftest import Context, load_event
from tests.integration.issuing import acme_fixture, store_fixture  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("acme")  # keys are made for an issuer that exists


def authorize(context: Context, header: str | None) -> dict[str, Any]:
    event = load_event("authorizer-request.json")
    if header is None:
        event["headers"].pop("authorization")
    else:
        event["headers"]["authorization"] = header
    result: dict[str, Any] = authorizer_handler.handler(event, context)
    return result


def test_issuer_key_is_allowed_with_its_issuer_in_the_context(store: Store, context: Context) -> None:
    # GIVEN a key scoped to issuer acme
    token, key = create_api_key(store, issuer="acme", label="CI")
    # WHEN the gateway asks about it
    result = authorize(context, f"Bearer {token}")
    # THEN it is allowed, and the context says which key and issuer (the functions check the route)
    assert result == {"isAuthorized": True, "context": {"keyId": key.id, "role": "issuer", "issuer": "acme"}}


def test_admin_key_has_the_admin_role(store: Store, context: Context) -> None:
    token, key = create_api_key(store, admin=True)
    assert authorize(context, f"bearer {token}") == {
        "isAuthorized": True,
        "context": {"keyId": key.id, "role": "admin", "issuer": ""},
    }


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "bk_0123456789abcdef_" + "A" * 43,  # no scheme
        "Bearer bk_0123456789abcdef_" + "A" * 43,  # well formed, unknown id
        "Bearer bk_zz23456789abcdef_" + "A" * 43,  # malformed id
        "Bearer bk_0123456789abcdef_short",
        "Bearer " + "x" * 10_000,
    ],
    ids=[
        "absent",
        "empty",
        "scheme-only",
        "scheme-space",
        "basic",
        "no-scheme",
        "unknown",
        "bad-id",
        "short",
        "huge",
    ],
)
def test_anything_but_a_genuine_key_is_a_deny(store: Store, context: Context, header: str | None) -> None:
    assert authorize(context, header) == {"isAuthorized": False}


def test_wrong_secret_and_withdrawn_keys_are_denied(store: Store, context: Context) -> None:
    token, key = create_api_key(store, issuer="acme")
    # one character of the secret changed
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert authorize(context, f"Bearer {forged}") == {"isAuthorized": False}
    delete_api_key(store, key.id)
    assert authorize(context, f"Bearer {token}") == {"isAuthorized": False}


def test_store_failure_is_an_error_not_a_cached_deny(
    tmp_path: Path, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a store that cannot be read
    class Unreachable(LocalStore):
        def _get(self, key: str) -> StoredObject:
            raise StoreError("S3 is unreachable", reason="connection")

    unreachable = Unreachable(str(tmp_path))
    monkeypatch.setattr(authorizer_handler, "store", lambda: unreachable)
    # THEN the authorizer fails (the gateway answers 500 and caches nothing), it does not deny
    with pytest.raises(StoreError):
        authorize(context, "Bearer bk_0123456789abcdef_" + "A" * 43)
