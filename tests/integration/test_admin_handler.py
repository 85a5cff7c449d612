"""The admin function: issuers, achievements, key rotation and API keys, with real v2 events."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from admin import admin_handler

from badgekiln.errors import AuthError
from badgekiln.issue import verify_api_key
from badgekiln.store import Store
from tests.integration.conftest import Context, load_event, problem
from tests.integration.issuing import (
    ADMIN_KEY,
    BADGE_SVG,
    ISSUER_KEY,
    OTHER_KEY,
    PUBLIC_URL,
    acme_fixture,  # noqa: F401  (fixture)
    answer,
    request,
    store_fixture,  # noqa: F401  (fixture)
)


def call(context: Context, event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = admin_handler.handler(event, context)
    return result


def route(
    method: str, path: str, route_path: str, params: dict[str, str] | None = None, **changes: Any
) -> dict[str, Any]:
    event = request("admin-create-issuer.json", path=path, params=params, **changes)
    event["requestContext"]["http"]["method"] = method
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {route_path}"
    if method in ("GET", "DELETE") and "body" not in changes:
        event.pop("body", None)
    return event


def test_admin_creates_an_issuer(context: Context, store: Store) -> None:
    response = call(context, request("admin-create-issuer.json", key=ADMIN_KEY))
    body = answer(response, 201)
    assert (body["slug"], body["id"]) == ("acme", "did:web:badges.example.org:issuers:acme")
    assert response["headers"]["Location"] == "/issuers/acme"
    assert store.head("public/issuers/acme/profile.json").size > 0
    # the same request again is the same issuer; another issuer under the slug is a conflict
    assert answer(call(context, request("admin-create-issuer.json", key=ADMIN_KEY)), 201)["id"] == body["id"]
    clash = problem(
        call(
            context,
            request(
                "admin-create-issuer.json",
                key=ADMIN_KEY,
                body={"name": "Other", "url": "https://o.example", "slug": "acme"},
            ),
        )
    )
    assert (clash["status"], clash["code"]) == (409, "conflict")


def test_public_url_defaults_to_the_api_domain(
    context: Context, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BADGEKILN_PUBLIC_URL", "")
    body = answer(call(context, request("admin-create-issuer.json", key=ADMIN_KEY)), 201)
    assert body["id"] == "did:web:abc123defg.execute-api.us-east-1.amazonaws.com:issuers:acme"


@pytest.mark.parametrize(("key", "status"), [(None, 401), (ISSUER_KEY, 403)], ids=["no-key", "issuer-key"])
def test_only_admins_create_issuers_and_api_keys(
    context: Context, key: dict[str, str] | None, status: int
) -> None:
    for name in ("admin-create-issuer.json", "admin-create-api-key.json"):
        assert problem(call(context, request(name, key=key)))["status"] == status


@pytest.mark.usefixtures("acme")
def test_issuer_key_reads_and_manages_its_own_issuer_only(context: Context) -> None:
    own = answer(
        call(context, route("GET", "/issuers/acme", "/issuers/{issuer}", {"issuer": "acme"}, key=ISSUER_KEY)),
        200,
    )
    assert own["slug"] == "acme"
    denied = problem(
        call(context, route("GET", "/issuers/acme", "/issuers/{issuer}", {"issuer": "acme"}, key=OTHER_KEY))
    )
    assert (denied["status"], denied["reason"]) == (403, "scope")
    listed = problem(call(context, route("GET", "/issuers", "/issuers", key=ISSUER_KEY)))
    assert listed["status"] == 403
    everyone = answer(call(context, route("GET", "/issuers", "/issuers", key=ADMIN_KEY)), 200)
    assert ([i["slug"] for i in everyone["issuers"]], everyone["truncated"]) == (["acme"], False)


@pytest.mark.usefixtures("acme")
def test_achievements_are_created_and_listed(context: Context, store: Store) -> None:
    response = call(
        context,
        request(
            "admin-create-achievement.json",
            key=ISSUER_KEY,
            body={
                "name": "Mentoring",
                "slug": "mentoring",
                "description": "Mentored a newcomer.",
                "criteria": "Three sessions.",
                "tags": ["people"],
                "image": base64.b64encode(BADGE_SVG).decode(),
            },
        ),
    )
    body = answer(response, 201)
    assert body["slug"] == "mentoring"
    assert store.head("public/issuers/acme/achievements/mentoring/achievement.json").size > 0
    listed = answer(
        call(
            context,
            route(
                "GET",
                "/issuers/acme/achievements",
                "/issuers/{issuer}/achievements",
                {"issuer": "acme"},
                key=ISSUER_KEY,
            ),
        ),
        200,
    )
    assert [a["slug"] for a in listed["achievements"]] == ["mentoring", "teamwork"]


@pytest.mark.usefixtures("acme")
def test_rotation_adds_keys_and_retires_the_old_ones(context: Context) -> None:
    event = route(
        "POST",
        "/issuers/acme/keys",
        "/issuers/{issuer}/keys",
        {"issuer": "acme"},
        key=ISSUER_KEY,
        body={"families": ["rsa"]},
    )
    body = answer(call(context, event), 200)
    # rsa-1 signed nothing: withdrawn; ed25519-1 signed the status list
    assert [(k["name"], k["state"]) for k in body["keys"]] == [("ed25519-1", "active"), ("rsa-2", "active")]
    # no body: both families; ed25519-1 retires and stays published
    event = route(
        "POST", "/issuers/acme/keys", "/issuers/{issuer}/keys", {"issuer": "acme"}, key=ADMIN_KEY, body=""
    )
    keys = answer(call(context, event), 200)["keys"]
    assert [(k["name"], k["state"]) for k in keys] == [
        ("ed25519-1", "retired"),
        ("ed25519-2", "active"),
        ("rsa-3", "active"),
    ]
    assert keys[0]["retired"] is not None
    assert keys[0]["used"]


@pytest.mark.usefixtures("acme")
def test_api_keys_are_shown_once_work_and_can_be_withdrawn(context: Context, store: Store) -> None:
    response = call(context, request("admin-create-api-key.json", key=ADMIN_KEY))
    body = answer(response, 201)
    assert response["headers"]["Cache-Control"] == "no-store"
    assert (body["scope"], body["issuer"], body["label"]) == ("issuer", "acme", "CI pipeline")
    key = verify_api_key(store, body["token"])
    assert key.id == body["id"]
    # only the hash is stored
    assert body["token"].split("_", 2)[2].encode() not in store.get(f"private/api-keys/{key.id}.json").body
    deleted = call(
        context,
        route("DELETE", f"/api-keys/{key.id}", "/api-keys/{key_id}", {"key_id": key.id}, key=ADMIN_KEY),
    )
    assert deleted["statusCode"] == 204
    with pytest.raises(AuthError):
        verify_api_key(store, body["token"])


@pytest.mark.usefixtures("acme")
def test_an_api_key_may_be_given_an_expiry(context: Context, store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    event = request("admin-create-api-key.json", key=ADMIN_KEY)
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    event["body"] = json.dumps({**json.loads(event["body"]), "expires": expires.isoformat()})
    body = answer(call(context, event), 201)
    assert body["expires"] == expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert verify_api_key(store, body["token"]).expires == body["expires"]
    with pytest.raises(AuthError):
        verify_api_key(store, body["token"], now=expires)
    event["body"] = json.dumps({**json.loads(event["body"]), "expires": "2020-01-01T00:00:00Z"})
    document = problem(call(context, event))
    assert (document["status"], document["field"]) == (422, "expires")


MALFORMED = [
    (
        "issuer: wrong content type",
        request("admin-create-issuer.json", key=ADMIN_KEY, headers={"content-type": "text/plain"}),
        415,
        None,
    ),
    ("issuer: bad JSON", request("admin-create-issuer.json", key=ADMIN_KEY, body="{"), 400, "json"),
    (
        "issuer: no name",
        request("admin-create-issuer.json", key=ADMIN_KEY, body={"url": "https://a.example"}),
        422,
        "name",
    ),
    (
        "issuer: bad slug",
        request(
            "admin-create-issuer.json",
            key=ADMIN_KEY,
            body={"name": "A", "url": "https://a.example", "slug": "A B"},
        ),
        422,
        "slug",
    ),
    (
        "issuer: javascript url",
        request("admin-create-issuer.json", key=ADMIN_KEY, body={"name": "A", "url": "javascript:alert(1)"}),
        422,
        "url",
    ),
    (
        "issuer: unknown field",
        request(
            "admin-create-issuer.json",
            key=ADMIN_KEY,
            body={"name": "A", "url": "https://a.example", "admin": True},
        ),
        422,
        "admin",
    ),
    (
        "achievement: not base64",
        request(
            "admin-create-achievement.json",
            key=ADMIN_KEY,
            body={"name": "A", "description": "d", "criteria": "c", "image": "%%%"},
        ),
        422,
        "image",
    ),
    (
        "achievement: not an image",
        request(
            "admin-create-achievement.json",
            key=ADMIN_KEY,
            body={
                "name": "A",
                "description": "d",
                "criteria": "c",
                "image": base64.b64encode(b"hello").decode(),
            },
        ),
        422,
        None,
    ),
    (
        "achievement: unknown issuer",
        request(
            "admin-create-achievement.json",
            key=ADMIN_KEY,
            path="/issuers/nobody/achievements",
            params={"issuer": "nobody"},
        ),
        404,
        None,
    ),
    (
        "api key: both admin and issuer",
        request("admin-create-api-key.json", key=ADMIN_KEY, body={"issuer": "acme", "admin": True}),
        422,
        "issuer",
    ),
    ("api key: neither", request("admin-create-api-key.json", key=ADMIN_KEY, body={}), 422, "issuer"),
    (
        "api key: unknown issuer",
        request("admin-create-api-key.json", key=ADMIN_KEY, body={"issuer": "nobody"}),
        404,
        None,
    ),
    (
        "api key: bad id",
        route("DELETE", "/api-keys/xyz", "/api-keys/{key_id}", {"key_id": "xyz"}, key=ADMIN_KEY),
        422,
        "key_id",
    ),
    (
        "rotate: unknown family",
        route(
            "POST",
            "/issuers/acme/keys",
            "/issuers/{issuer}/keys",
            {"issuer": "acme"},
            key=ADMIN_KEY,
            body={"families": ["dsa"]},
        ),
        422,
        None,
    ),
    (
        "huge body",
        request("admin-create-issuer.json", key=ADMIN_KEY, body="x" * (4 * 1024 * 1024 + 1)),
        413,
        None,
    ),
]


@pytest.mark.usefixtures("acme")
@pytest.mark.parametrize(
    ("event", "status", "detail"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_requests_are_4xx_problems(
    context: Context, event: dict[str, Any], status: int, detail: str | None
) -> None:
    document = problem(call(context, event))
    assert document["status"] == status, document
    if detail is not None:
        assert detail in (document.get("field"), document.get("reason")), document


def test_fixture_is_an_admin_request() -> None:
    assert load_event("admin-create-issuer.json")["requestContext"]["authorizer"]["lambda"] == {
        "keyId": "fedcba9876543210",
        "role": "admin",
        "issuer": "",
    }
    assert PUBLIC_URL.startswith("https://")
