"""API keys: random tokens, only hashes stored, constant-time check, scopes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from badgekiln.errors import AuthError, InvalidField, NotFound
from badgekiln.issue import get_issuer
from badgekiln.issue.apikeys import api_key_path, create_api_key, delete_api_key, verify_api_key
from badgekiln.store import LocalStore
from tests.issue_support import seed_acme


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    target = LocalStore(str(tmp_path))
    seed_acme(target)
    return target


def test_a_key_verifies_and_only_its_hash_is_stored(store: LocalStore) -> None:
    token, key = create_api_key(store, issuer="acme", label="CI")
    assert token.startswith(f"bk_{key.id}_")
    assert len(token) == 3 + 16 + 1 + 43
    record = json.loads(store.get(api_key_path(key.id)).body)
    assert token.split("_", 2)[2] not in json.dumps(record)
    assert record["hash"].startswith("sha256:")
    assert verify_api_key(store, token) == key
    assert store.get(api_key_path(key.id)).cache_control == "no-store"


def test_scopes(store: LocalStore) -> None:
    _, scoped = create_api_key(store, issuer="acme")
    _, admin = create_api_key(store, admin=True)
    scoped.require("acme")
    admin.require("acme")
    admin.require(None)
    for issuer in ("other", None):
        with pytest.raises(AuthError) as caught:
            scoped.require(issuer)
        assert caught.value.details["forbidden"] is True


@pytest.mark.parametrize(
    "token",
    [
        "",
        "bk_",
        "Bearer bk_0123456789abcdef_" + "A" * 43,
        "bk_0123456789ABCDEF_" + "A" * 43,
        "bk_0123456789abcdef_" + "A" * 42,
        "bk_0123456789abcdef_" + "A" * 43 + "\n",
        "bk_0123456789abcdef_" + "A" * 43,  # well formed, unknown id
        "bk_../../issuers/x_" + "A" * 43,
    ],
)
def test_bad_tokens_are_all_the_same_refusal(store: LocalStore, token: str) -> None:
    with pytest.raises(AuthError) as caught:
        verify_api_key(store, token)
    assert caught.value.message == "invalid API key"
    assert "forbidden" not in caught.value.details


def test_a_wrong_secret_or_a_withdrawn_key_is_refused(store: LocalStore) -> None:
    token, key = create_api_key(store, admin=True)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(AuthError):
        verify_api_key(store, forged)
    delete_api_key(store, key.id)
    with pytest.raises(AuthError):
        verify_api_key(store, token)
    with pytest.raises(InvalidField):
        delete_api_key(store, "../x")


def test_bad_calls(store: LocalStore) -> None:
    for scope in ({}, {"admin": True, "issuer": "acme"}):
        with pytest.raises(InvalidField) as caught:  # either admin or one issuer
            create_api_key(store, **scope)  # type: ignore[arg-type]
        assert caught.value.details["field"] == "issuer"
    for nobody in ("nobody", "Not A Slug", "https://nobody.example/"):
        with pytest.raises(NotFound):  # no key for an issuer that does not exist
            create_api_key(store, issuer=nobody)
    with pytest.raises(InvalidField):
        create_api_key(store, admin=True, label=" ")
    for label in ("x" * 201, "bad bytes \udcff from argv", "two\nlines", "nul\x00"):
        with pytest.raises(InvalidField):
            create_api_key(store, admin=True, label=label)
    assert list(store.list("private/api-keys/")) == []


def test_the_issuer_is_named_by_its_slug_or_its_id(store: LocalStore) -> None:
    acme = get_issuer(store, "acme")
    assert create_api_key(store, issuer=acme.id)[1].issuer == "acme"  # scoped to the slug
