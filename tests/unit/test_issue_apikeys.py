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


def test_a_key_with_an_expiry_works_until_then_and_stays_listed(store: LocalStore) -> None:
    # issue #14 item 3: keys had no expiry; a leaked one worked until someone deleted it
    from datetime import UTC, datetime, timedelta

    from badgekiln.issue.apikeys import list_api_keys

    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    token, key = create_api_key(store, issuer="acme", label="CI", expires=now + timedelta(days=30), now=now)
    assert key.expires == "2027-01-06T09:00:00Z"
    assert json.loads(store.get(api_key_path(key.id)).body)["expires"] == key.expires
    assert verify_api_key(store, token, now=now + timedelta(days=29)) == key
    for later in (now + timedelta(days=30), now + timedelta(days=400)):
        with pytest.raises(AuthError) as caught:
            verify_api_key(store, token, now=later)
        assert caught.value.reason == "api-key"  # the same refusal as an unknown key
    assert [k.to_dict() for k in list_api_keys(store)] == [key.to_dict()]
    assert key.to_dict()["expires"] == "2027-01-06T09:00:00Z"
    # a key without an expiry keeps working, and lists as before
    forever, plain = create_api_key(store, admin=True, now=now)
    assert verify_api_key(store, forever, now=now + timedelta(days=10_000)) == plain
    assert "expires" not in plain.to_dict()


@pytest.mark.parametrize(
    "expires",
    [
        "2027-01-01T00:00:00Z",  # not a datetime
        "naive",
        "past",
        "now",
        "too far",
    ],
)
def test_bad_expiries_are_invalid_fields(store: LocalStore, expires: str) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    value = {
        "naive": datetime(2027, 1, 1),
        "past": now - timedelta(seconds=1),
        "now": now,
        "too far": now + timedelta(days=3661),
    }.get(expires, expires)
    with pytest.raises(InvalidField) as caught:
        create_api_key(store, admin=True, expires=value, now=now)  # type: ignore[arg-type]
    assert caught.value.details["field"] == "expires"


def test_a_record_with_a_broken_expiry_is_refused(store: LocalStore) -> None:
    token, key = create_api_key(store, admin=True)
    record = json.loads(store.get(api_key_path(key.id)).body)
    for broken in ("soon", 17):
        store.put(
            api_key_path(key.id),
            json.dumps({**record, "expires": broken}).encode(),
            content_type="application/json",
        )
        with pytest.raises(AuthError):
            verify_api_key(store, token)


@pytest.mark.parametrize("stored", ["2027-01-06T09:00:00", "not a time", "2027-02-30T09:00:00Z"])
def test_an_unreadable_stored_expiry_refuses_the_key(store: LocalStore, stored: str) -> None:
    # a record edited by hand (an expiry without its zone once raised TypeError: a 500)
    token, key = create_api_key(store, admin=True)
    record = json.loads(store.get(api_key_path(key.id)).body)
    store.put(
        api_key_path(key.id),
        json.dumps({**record, "expires": stored}).encode(),
        content_type="application/json",
    )
    with pytest.raises(AuthError) as caught:
        verify_api_key(store, token)
    assert caught.value.reason == "api-key"
