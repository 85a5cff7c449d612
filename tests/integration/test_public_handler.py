"""The public function: hosted documents with content types, ETags, caching, 410 and 404s."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from public import public_handler

from badgekiln.hosting.layout import Layout, classify
from badgekiln.issue import issue_credential, revoke
from badgekiln.store import PUBLIC, Store
from tests.integration.conftest import Context, body_bytes, load_event, problem
from tests.integration.issuing import PUBLIC_URL, acme_fixture, store_fixture  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("acme")


def served(store: Store) -> dict[str, bytes]:
    """Every public document of ``store`` by its URL: what the public function serves."""
    where = Layout.parse(PUBLIC_URL)
    documents = {}
    for key in store.list(PUBLIC):
        hosted = classify(key.removeprefix(PUBLIC))
        if hosted is not None:
            documents[where.url(hosted)] = store.get(key).body
    return documents


def get(context: Context, path: str, **headers: str) -> dict[str, Any]:
    event = load_event("public-profile.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["headers"].update(headers)
    result: dict[str, Any] = public_handler.handler(event, context)
    return result


def test_profile_is_json_ld_with_etag_and_cache_control(context: Context, store: Store) -> None:
    response = get(context, "/issuers/acme/profile.json")
    assert response["statusCode"] == 200
    headers = response["headers"]
    assert headers["Content-Type"] == "application/ld+json"
    assert headers["Cache-Control"] == "public, max-age=300"
    assert headers["ETag"] == store.head("public/issuers/acme/profile.json").etag
    assert headers["Vary"] == "Accept"
    assert json.loads(body_bytes(response))["id"] == "did:web:badges.example.org:issuers:acme"
    # text documents go out as text, not base64
    assert response["isBase64Encoded"] is False


def test_if_none_match_is_304_without_a_body(context: Context) -> None:
    etag = get(context, "/issuers/acme/profile.json")["headers"]["ETag"]
    response = get(context, "/issuers/acme/profile.json", **{"if-none-match": f'W/"x", {etag}'})
    assert (response["statusCode"], body_bytes(response)) == (304, b"")
    assert response["headers"]["ETag"] == etag
    assert get(context, "/issuers/acme/profile.json", **{"if-none-match": '"other"'})["statusCode"] == 200


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/json", "application/json"),
        ("application/ld+json, application/json;q=0.9", "application/ld+json"),
        ("*/*", "application/ld+json"),
    ],
)
def test_plain_json_only_when_that_is_all_that_is_accepted(
    context: Context, accept: str, content_type: str
) -> None:
    assert (
        get(context, "/issuers/acme/profile.json", accept=accept)["headers"]["Content-Type"] == content_type
    )


def test_other_documents_and_their_types(context: Context) -> None:
    cases = {
        "/issuers/acme/did.json": "application/did+json",
        "/issuers/acme/keys/rsa-1.pem": "application/x-pem-file",
        "/issuers/acme/ob2/issuer.json": "application/ld+json",
        "/issuers/acme/ob2/revocations.json": "application/ld+json",
        "/issuers/acme/status/0/revocation.json": "application/ld+json",
        "/issuers/acme/achievements/teamwork/achievement.json": "application/ld+json",
        "/issuers/acme/achievements/teamwork/image.svg": "image/svg+xml",
        "/.well-known/jwks.json": "application/jwk-set+json",
    }
    for path, content_type in cases.items():
        response = get(context, path)
        assert (response["statusCode"], response["headers"]["Content-Type"]) == (200, content_type), path


def test_credential_and_baked_png(context: Context, store: Store) -> None:
    issued = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "image": "png"}
    )
    path = issued.public_url.removeprefix(PUBLIC_URL)
    response = get(context, path)
    assert response["headers"]["Cache-Control"] == "public, max-age=31536000, immutable"
    assert json.loads(body_bytes(response))["id"] == issued.credential["id"]  # type: ignore[index]
    image = get(context, issued.image_url.removeprefix(PUBLIC_URL))  # type: ignore[union-attr]
    assert (image["headers"]["Content-Type"], image["isBase64Encoded"]) == ("image/png", True)
    assert base64.b64decode(image["body"]) == issued.image


def test_revoked_hosted_assertion_is_410_gone(context: Context, store: Store) -> None:
    issued = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "spec": "ob2"}
    )
    path = issued.public_url.removeprefix(PUBLIC_URL)
    assert get(context, path)["statusCode"] == 200
    revoke(store, "acme", issued.name, reason="issued in error")
    response = get(context, path)
    assert response["statusCode"] == 410
    assert json.loads(body_bytes(response))["revoked"] is True


@pytest.mark.parametrize(
    "path",
    [
        "/issuers/acme/nope.json",
        "/issuers/nobody/profile.json",
        "/issuers/acme/keys/../../../private/api-keys/x.json",
        "/issuers/acme/%2e%2e/private.json",
        "/issuers/ACME/profile.json",
        "/issuers/acme/credentials/00000000-0000-0000-0000-000000000000.json",
        "/issuers/acme/profile.json/",
        "/issuers/acme/" + "a" * 600,
    ],
)
def test_anything_else_is_a_404_problem(context: Context, path: str) -> None:
    document = problem(get(context, path))
    assert (document["status"], document["code"]) == (404, "not-found")


def test_browsers_get_the_verify_page_of_a_credential(context: Context, store: Store) -> None:
    issued = issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})
    path = issued.public_url.removeprefix(PUBLIC_URL)
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    # WHEN a browser asks the credential's URL for HTML  THEN it gets the verify page
    response = get(context, path, accept=browser)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert response["headers"]["Vary"] == "Accept"
    # verified in-process, this deployment's own documents read from the store
    assert '<p class="verdict-word" id="verdict-word">Valid</p>' in body_bytes(response).decode()
    # a client that wants data still gets data, and profiles are never pages
    assert (
        get(context, path, accept="application/ld+json")["headers"]["Content-Type"] == "application/ld+json"
    )
    assert (
        get(context, "/issuers/acme/profile.json", accept=browser)["headers"]["Content-Type"]
        == "application/ld+json"
    )
