"""Handler tests: real API Gateway v2 events from events/, handlers called in-process."""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
EVENTS = REPO / "events"


class Context:
    """The Lambda context fields Powertools reads."""

    function_name = "test-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@pytest.fixture(autouse=True)
def _quiet_powertools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")


@pytest.fixture
def context() -> Context:
    return Context()


@pytest.fixture(scope="session")
def translated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """template.yaml as CloudFormation will see it (the SAM translator's output); read it only."""
    out = tmp_path_factory.mktemp("sam") / "translated.json"
    subprocess.run(
        [sys.executable, "scripts/translate_template.py", "template.yaml", str(out)],
        cwd=REPO,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        check=True,
        capture_output=True,
        timeout=120,
    )
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of events/<name>."""
    return copy.deepcopy(json.loads((EVENTS / name).read_text(encoding="utf-8")))


def body_bytes(response: dict[str, Any]) -> bytes:
    body = response.get("body") or ""
    return base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()


def problem(response: dict[str, Any]) -> dict[str, Any]:
    """The problem document of ``response``, checking its media type."""
    assert response["headers"]["Content-Type"] == "application/problem+json", response
    document: dict[str, Any] = json.loads(body_bytes(response))
    assert document["status"] == response["statusCode"]
    assert document["type"] == f"urn:badgekiln:problem:{document['code']}"
    return document
