"""``make run`` as an issuer meets it: an issuer made through the admin API under the server's own
plain-http URL (not did:key) issues badges that this deployment calls Valid everywhere — the
verify page and ``badgekiln verify --store`` — while a verifier without the store refuses the
loopback documents, saying so once per document as ``warning:`` lines.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from scripts.make_events import png
from tests.e2e.test_serve_demo import KEY, free_port, serve

pytestmark = pytest.mark.e2e


def _badgekiln(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "badgekiln", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_url_issuer_on_the_local_server_issues_badges_the_page_and_the_cli_call_valid(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    with serve(store, free_port()) as (url, lines):
        token = KEY.search(" ".join(lines.values()))
        assert token is not None, lines
        auth = {"Authorization": f"Bearer {token.group(0)}"}
        assert lines["verify CLI"] == f"badgekiln verify --store {store} {lines['baked badge']}"

        created = requests.post(
            f"{url}/issuers",
            json={"name": "Acme Academy", "url": "https://acme.example"},
            headers=auth,
            timeout=60,
        )
        assert created.status_code == 201, created.text
        issuer = created.json()
        assert issuer["kind"] == "url"
        assert issuer["id"].startswith(f"{url}/issuers/")
        assert "plain http" in issuer["note"]
        assert "badgekiln verify --store" in issuer["note"]
        slug = issuer["slug"]

        achievement = requests.post(
            f"{url}/issuers/{slug}/achievements",
            json={
                "name": "Kiln Basics",
                "description": "Fired a pot.",
                "criteria": "Fire one pot.",
                "image": base64.b64encode(png()).decode(),
            },
            headers=auth,
            timeout=60,
        )
        assert achievement.status_code == 201, achievement.text
        issued = requests.post(
            f"{url}/issuers/{slug}/credentials",
            json={"achievement": achievement.json()["slug"], "recipient": "ada@example.org"},
            headers=auth,
            timeout=60,
        )
        assert issued.status_code == 201, issued.text
        credential = issued.json()
        assert credential["credential"]["proof"][0]["verificationMethod"].startswith(f"{url}/issuers/{slug}/")

        page = requests.get(f"{url}/v/{slug}/{credential['name']}", timeout=60)
        assert page.status_code == 200
        word = re.search(r'id="verdict-word">([^<]+)<', page.text)
        assert word is not None
        assert word.group(1) == "Valid", page.text[:2000]

        image = tmp_path / "badge.png"
        image.write_bytes(requests.get(credential["image_url"], timeout=30).content)
        for source in (str(image), credential["image_url"]):
            here = _badgekiln("verify", "--store", str(store), source)
            assert (here.returncode, here.stderr) == (0, ""), here.stdout + here.stderr
            assert here.stdout.startswith("VALID: Open Badges 3.0 badge (png, eddsa-rdfc-2022)")
            method = re.escape(f"{url}/issuers/{slug}/profile.json#ed25519-1")
            assert re.search(r"✓ signature .*" + method, here.stdout)
            assert "✓ status     not revoked" in here.stdout

        # the same badge elsewhere: no store, so the loopback key and status list are refused,
        # each refusal printed once as a warning line
        elsewhere = _badgekiln("verify", str(image))
        assert elsewhere.returncode == 1
        assert elsewhere.stdout.startswith("NOT VALID")
        assert "✗ signature  verification method on plain http" in elsewhere.stdout
        refused, hint = elsewhere.stderr.splitlines()  # the refusal once, then what to do
        assert refused.startswith("warning: refused to fetch 'http://127.0.0.1:")
        assert refused.endswith("127.0.0.1 is a loopback address; only public addresses are fetched")
        assert hint.startswith("warning: the badge's documents are on this machine")
        assert hint.endswith("badgekiln verify --store DIR_OR_S3_URL")


def test_verify_store_without_issuers_or_public_url_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    badge = tmp_path / "badge.json"
    badge.write_text("{}")
    empty = _badgekiln("verify", "--store", str(tmp_path / "store"), str(badge))
    assert empty.returncode == 2
    assert empty.stderr.startswith("error: the store ")
    assert "--public-url" in empty.stderr
    alone = _badgekiln("verify", "--public-url", "http://127.0.0.1:9", str(badge))
    assert alone.returncode == 2
    assert alone.stderr == "error: --public-url names the public URL of a --store\n"
