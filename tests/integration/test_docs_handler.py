"""GET /docs and /docs/openapi.json, the unexpected-error path, and the OpenAPI staleness check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bake import bake_handler

from docs import docs_handler
from tests.integration.conftest import Context, body_bytes, load_event, problem

REPO = Path(__file__).resolve().parent.parent.parent


def test_swagger_ui_is_self_contained(context: Context) -> None:
    response = docs_handler.handler(load_event("docs.json"), context)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    page = body_bytes(response).decode()
    assert "SwaggerUIBundle" in page
    assert '"/bake"' in page
    assert '"/extract"' in page
    # no CDN: every script and stylesheet is inline
    assert "<script src" not in page
    assert "<link rel='stylesheet'" not in page
    assert "script-src 'unsafe-inline'" in response["headers"]["Content-Security-Policy"]


def test_openapi_json(context: Context) -> None:
    event = load_event("docs.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/docs/openapi.json"
    response = docs_handler.handler(event, context)
    assert response["statusCode"] == 200
    document = json.loads(body_bytes(response))
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) >= {"/bake", "/extract"}


def test_checked_in_openapi_is_current() -> None:
    # the merged document must be regenerated whenever a route changes
    result = subprocess.run(
        [sys.executable, "scripts/generate_openapi.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_unexpected_exception_is_500_problem_without_internals(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("secret internal detail /var/task/x.py")

    monkeypatch.setattr(bake_handler.badgekiln, "bake", explode)
    response = bake_handler.handler(load_event("bake-multipart-png.json"), context)
    document = problem(response)
    assert (document["status"], document["code"]) == (500, "internal-error")
    assert document["requestId"] == "Jx4ZqhTmoAMEVNw="
    assert "secret" not in body_bytes(response).decode()
