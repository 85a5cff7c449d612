"""Shared set-up for the issuing handlers' tests: a store holding issuer ``acme`` and achievement
``teamwork``, named by ``BADGEKILN_STORE`` as on Lambda, and events with authorizer contexts.
Import the ``*_fixture`` names to use the fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from badgekiln.store import Store, open_store
from tests.integration.conftest import body_bytes, load_event
from tests.issue_support import seed_acme

PUBLIC_URL = "https://badges.example.org"
ISSUER_KEY = {"keyId": "0123456789abcdef", "role": "issuer", "issuer": "acme"}
OTHER_KEY = {"keyId": "1111111111111111", "role": "issuer", "issuer": "other"}
ADMIN_KEY = {"keyId": "fedcba9876543210", "role": "admin", "issuer": ""}
BADGE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<circle cx="32" cy="32" r="30" fill="#1f6f8b"/></svg>'
)


@pytest.fixture(name="store")
def store_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """An empty local store the handlers open through BADGEKILN_STORE."""
    location = str(tmp_path / "store")
    monkeypatch.setenv("BADGEKILN_STORE", location)
    monkeypatch.setenv("BADGEKILN_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("BADGEKILN_SIGNING_KEYS", "local")
    return open_store(location)


@pytest.fixture(name="acme")
def acme_fixture(store: Store) -> Store:
    """``store`` with issuer ``acme`` (did:web, suspension on) and its achievement ``teamwork``."""
    seed_acme(store, BADGE_SVG, suspension=True)
    return store


def request(
    name: str,
    *,
    key: dict[str, str] | None = ISSUER_KEY,
    body: Any = None,
    path: str | None = None,
    params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """events/<name> with another authorizer context (``None``: none), body, path or query."""
    event = load_event(name)
    if key is None:
        event["requestContext"].pop("authorizer", None)
    else:
        event["requestContext"]["authorizer"] = {"lambda": dict(key)}
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        event["isBase64Encoded"] = False
    if path is not None:
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
    if params is not None:
        event["pathParameters"] = params
    if query is not None:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    if headers is not None:
        event["headers"].update(headers)
    return event


def answer(response: dict[str, Any], status: int) -> Any:
    """The JSON body of ``response``, checking its status and media type."""
    assert response["statusCode"] == status, response
    assert response["headers"]["Content-Type"] == "application/json", response
    return json.loads(body_bytes(response))
