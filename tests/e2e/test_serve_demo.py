"""``make run`` (= ``badgekiln serve``) as a person meets it: the demo it seeds and prints.

First run: URLs, a verify command and the admin API key with a curl line; the printed things
work. Later runs on the same store: the same demo, no key (only its hash is stored) unless
``--new-api-key`` asks for a new one.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

KEY = re.compile(r"bk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")


def free_port() -> int:
    # the demo belongs to the URL it was made for, so every run of a test uses the same port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(store: Path, port: int, *extra: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Run the CLI; yield its URL and the demo lines (label → rest of the line)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "badgekiln", "serve", "--port", str(port), "--store", str(store), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[2]
        lines: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("  ") and "->" not in line:
                label, _, rest = line.strip().partition("  ")
                lines[label.strip()] = rest.strip() or label
            if line.startswith(("  issue one", "  admin API key:", "Demo not seeded")):
                break
        yield url, lines
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_first_run_prints_a_working_demo_and_later_runs_keep_the_key_secret(tmp_path: Path) -> None:
    store, port = tmp_path / "store", free_port()
    with serve(store, port) as (url, lines):
        # the key is printed once, with a curl line that uses it
        key_line = next(v for k, v in lines.items() if k.startswith("admin API key"))
        token = KEY.search(key_line)
        assert token is not None, lines
        assert token.group(0) in lines["issue one"]
        # the printed credential and its baked image are served, and the image verifies
        image = requests.get(lines["baked badge"], timeout=30)
        assert (image.status_code, image.headers["content-type"]) == (200, "image/png")
        report = requests.post(
            url + "/verify", data=image.content, headers={"Content-Type": "image/png"}, timeout=60
        )
        assert report.json()["valid"] is True, report.text
        assert requests.get(lines["issuer"], timeout=30).status_code == 200
        # the printed key issues
        issued = requests.post(
            f"{url}/issuers/demo/credentials",
            json={"achievement": "kiln-starter", "recipient": "you@example.org"},
            headers={"Authorization": f"Bearer {token.group(0)}"},
            timeout=60,
        )
        assert issued.status_code == 201, issued.text
    first_credential = lines["credential"]

    with serve(store, port) as (_, again):
        assert again["credential"] == first_credential
        assert KEY.search(" ".join(again.values())) is None
        assert "first run only" in next(v for k, v in again.items() if k.startswith("admin API key"))

    with serve(store, port, "--new-api-key") as (url, fresh):
        token = KEY.search(" ".join(fresh.values()))
        assert token is not None
        listed = requests.get(
            f"{url}/issuers", headers={"Authorization": f"Bearer {token.group(0)}"}, timeout=30
        )
        assert [i["slug"] for i in listed.json()["issuers"]] == ["demo"]
