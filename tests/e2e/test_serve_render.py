"""POST /render over real HTTP against `badgekiln serve` (the template's FONTCONFIG_PATH=/opt/fonts
does not exist here, so the library falls back to its bundled fonts)."""

from __future__ import annotations

import json
from pathlib import Path

import png as pypng
import pytest
import requests

from badgekiln.issue import create_api_key
from badgekiln.store import LocalStore
from tests.issue_support import seed_acme

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def auth(api_store: Path) -> dict[str, str]:
    """An issuer's API key: rendering is open to any valid key, and to nobody else."""
    store = LocalStore(str(api_store))
    seed_acme(store)
    token, _ = create_api_key(store, issuer="acme", label="render")
    return {"Authorization": f"Bearer {token}"}


BADGE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100">'
    '<rect width="300" height="100" fill="#fff"/>'
    '<text x="10" y="70" font-size="48" fill="#000">{{recipient_name}}</text></svg>'
)


def ink(png: bytes) -> int:
    _, _, rows, _ = pypng.Reader(bytes=png).asRGBA8()
    return sum(1 for row in rows for value in row[0::4] if value < 128)


def test_render_needs_an_api_key(api: str) -> None:
    response = requests.post(
        f"{api}/render", data=BADGE, headers={"Content-Type": "image/svg+xml"}, timeout=60
    )
    assert response.status_code == 401
    response = requests.post(
        f"{api}/render",
        data=BADGE,
        headers={"Content-Type": "image/svg+xml", "Authorization": "Bearer bk_0123456789abcdef_" + "A" * 43},
        timeout=60,
    )
    assert response.status_code == 403


def test_render_svg_body(api: str, auth: dict[str, str]) -> None:
    svg = BADGE.replace("{{recipient_name}}", "Ada").encode()
    response = requests.post(
        f"{api}/render?size=150", data=svg, headers={"Content-Type": "image/svg+xml", **auth}, timeout=60
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/png"
    width, height, _, _ = pypng.Reader(bytes=response.content).read()
    assert (width, height) == (150, 50)
    assert ink(response.content) > 50  # the text is drawn


def test_render_json_template(api: str, auth: dict[str, str]) -> None:
    body = {"svg": BADGE, "values": {"recipient_name": "</text><b>x</b>"}}
    response = requests.post(
        f"{api}/render",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", **auth},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert ink(response.content) > 50


def test_render_refuses_external_references(api: str, auth: dict[str, str]) -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><image href="file:///etc/passwd"/></svg>'
    response = requests.post(
        f"{api}/render", data=svg, headers={"Content-Type": "image/svg+xml", **auth}, timeout=60
    )
    assert response.status_code == 422
    problem = response.json()
    assert (problem["code"], problem["reason"]) == ("render-error", "external-reference")
