"""badgekiln.http.auth (who calls, fail closed) and badgekiln.http.environment (handler settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from badgekiln.errors import AuthError, NotFound
from badgekiln.http import auth, environment
from badgekiln.issue.apikeys import ApiKey


def event(context: Any) -> dict[str, Any]:
    return {"requestContext": {"authorizer": {"lambda": context}, "domainName": "api.example.org"}}


def test_context_round_trip() -> None:
    for key in (
        ApiKey("0123456789abcdef", "issuer", "acme", "CI", "t"),
        ApiKey("fedcba9876543210", "admin", None, None, "t"),
    ):
        back = auth.caller(event(auth.authorizer_context(key)))
        assert (back.id, back.scope, back.issuer) == (key.id, key.scope, key.issuer)


@pytest.mark.parametrize(
    "context",
    [
        None,
        {},
        {"keyId": "k", "role": "root", "issuer": ""},
        {"keyId": "k", "role": "issuer", "issuer": ""},
        {"keyId": 5, "role": "admin", "issuer": ""},
        {"keyId": "k", "role": "admin"},
        "admin",
    ],
)
def test_missing_or_malformed_context_is_401(context: Any) -> None:
    with pytest.raises(AuthError) as caught:
        auth.caller(event(context))
    assert caught.value.details.get("forbidden") is None
    with pytest.raises(AuthError):
        auth.caller({})


def test_issuer_keys_act_on_their_issuer_and_admin_keys_on_all() -> None:
    acme = event({"keyId": "k", "role": "issuer", "issuer": "acme"})
    admin = event({"keyId": "k", "role": "admin", "issuer": ""})
    assert auth.require_issuer(acme, "acme").issuer == "acme"
    assert auth.require_issuer(admin, "other").scope == "admin"
    assert auth.require_admin(admin).scope == "admin"
    for call in (lambda: auth.require_issuer(acme, "other"), lambda: auth.require_admin(acme)):
        with pytest.raises(AuthError) as caught:
            call()
        assert caught.value.details["forbidden"] is True


def test_route_issuer_is_the_slug_once_the_caller_may_act_for_it() -> None:
    acme = event({"keyId": "k", "role": "issuer", "issuer": "acme"})
    admin = event({"keyId": "k", "role": "admin", "issuer": ""})
    assert auth.route_issuer(acme, "acme") == "acme"
    assert auth.route_issuer(admin, "other") == "other"
    with pytest.raises(AuthError) as forbidden:
        auth.route_issuer(acme, "other")
    assert forbidden.value.details["forbidden"] is True
    with pytest.raises(AuthError):
        auth.route_issuer({}, "acme")
    # not a slug: no such issuer can exist (an admin gets past the key check, then 404)
    with pytest.raises(NotFound) as missing:
        auth.route_issuer(admin, "Not A Slug" * 20)
    assert missing.value.details["issuer"] == ("Not A Slug" * 20)[:80]


def test_public_url_from_the_environment_or_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BADGEKILN_PUBLIC_URL", "https://badges.example.org/")
    assert environment.public_url(event({})) == "https://badges.example.org"
    monkeypatch.setenv("BADGEKILN_PUBLIC_URL", "")
    assert environment.public_url(event({})) == "https://api.example.org"
    with pytest.raises(RuntimeError):
        environment.public_url({})


def test_key_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BADGEKILN_SIGNING_KEYS", raising=False)
    assert environment.key_options().kms is False
    monkeypatch.setenv("BADGEKILN_SIGNING_KEYS", "KMS")
    assert environment.key_options().kms is True
    assert environment.key_options().kms_namespace == "badgekiln"
    monkeypatch.setenv("BADGEKILN_KMS_NAMESPACE", "prod-badges")
    assert environment.key_options().kms_namespace == "prod-badges"
    monkeypatch.setenv("BADGEKILN_KMS_NAMESPACE", "not/a stack")
    with pytest.raises(RuntimeError, match="BADGEKILN_KMS_NAMESPACE"):
        environment.key_options()
    monkeypatch.delenv("BADGEKILN_KMS_NAMESPACE")
    monkeypatch.setenv("BADGEKILN_SIGNING_KEYS", "hsm")
    with pytest.raises(RuntimeError):
        environment.key_options()


def test_store_is_opened_once_per_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BADGEKILN_STORE", str(tmp_path / "a"))
    first = environment.store()
    assert environment.store() is first
    monkeypatch.setenv("BADGEKILN_STORE", str(tmp_path / "b"))
    assert environment.store() is not first
    monkeypatch.setenv("BADGEKILN_STORE", "ftp://nope")
    with pytest.raises(RuntimeError):
        environment.store()


def test_priming_for_a_snapshot_happens_only_in_snapstart_init(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[bool] = []
    monkeypatch.setattr(environment, "store", lambda: opened.append(True))
    monkeypatch.setenv("BADGEKILN_STORE", "s3://bucket")
    monkeypatch.delenv(environment.INITIALIZATION_TYPE_ENV, raising=False)
    # on-demand init, serve and tests: nothing imported, nothing opened
    assert environment.prime_for_snapshot(["badgekiln.no_such_module"]) is False
    monkeypatch.setenv(environment.INITIALIZATION_TYPE_ENV, "on-demand")
    assert environment.prime_for_snapshot(["badgekiln.no_such_module"]) is False
    assert opened == []
    monkeypatch.setenv(environment.INITIALIZATION_TYPE_ENV, "snap-start")
    with pytest.raises(ImportError):
        environment.prime_for_snapshot(["badgekiln.no_such_module"])
    assert environment.prime_for_snapshot(["badgekiln.strictjson"]) is True
    assert opened == [True]
    monkeypatch.delenv("BADGEKILN_STORE")
    assert environment.prime_for_snapshot([]) is True
    assert opened == [True]  # no store configured: none opened
