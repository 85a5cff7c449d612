"""Recipients never reach logs (issue #14 item 3): every door, driven with an event whose query
and body name a recipient, logs neither the address nor the query that carries it.

Each function runs in a fresh interpreter with ``POWERTOOLS_LOGGER_LOG_EVENT=true`` (which
Powertools reads when the handler module is imported) and every logger at DEBUG, so whatever the
function, Powertools or the library would write is on its standard output or error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import EVENTS, REPO, load_event

RECIPIENT = "ann.recipient@example.org"
ENCODED = RECIPIENT.replace("@", "%40")

#: function → the event it is driven with (one per door, each from events/)
DOORS = {
    "authorizer": "authorizer-request.json",
    "bake": "bake-json-svg.json",
    "extract": "extract-png.json",
    "render": "render-json-template.json",
    "verify": "verify-url.json",
    "issue": "issue-credential.json",
    "admin": "admin-create-api-key.json",
    "public": "public-profile.json",
    "pages": "pages-verify.json",
    "docs": "docs.json",
    "worker": "worker-sqs.json",
    "publisher": "publisher-sqs.json",
}

# A verify URL on another loopback address makes the fetcher refuse it and log why; its query
# names the recipient too.
_REFUSED_URL = f"http://127.0.0.2:9/badge.json?recipient={ENCODED}"

_DRIVER = """
import importlib, json, logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
name, event_path = sys.argv[1], sys.argv[2]
module = importlib.import_module(f"{name}.{name}_handler")
class Context:
    function_name = name
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + name
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    def get_remaining_time_in_millis(self):
        return 29_000
try:
    answer = module.handler(json.load(open(event_path)), Context())
    print("handled", (answer or {}).get("statusCode") if isinstance(answer, dict) else "")
except Exception as exc:
    print("raised", type(exc).__name__)
"""


def _with_recipient(event: dict[str, object]) -> dict[str, object]:
    """``event`` whose query, body and (for SQS) messages all name :data:`RECIPIENT`."""
    if "Records" in event:
        for record in event["Records"]:  # type: ignore[attr-defined]
            record["body"] = json.dumps({"recipient": RECIPIENT, "url": f"https://a.example/?r={ENCODED}"})
        return event
    query = {"url": _REFUSED_URL, "recipient": RECIPIENT}
    event["queryStringParameters"] = {**(event.get("queryStringParameters") or {}), **query}  # type: ignore[dict-item]
    encoded_url = _REFUSED_URL.replace("?", "%3F").replace("=", "%3D")
    event["rawQueryString"] = f"url={encoded_url}&recipient={ENCODED}"
    body = event.get("body")
    if isinstance(body, str) and not event.get("isBase64Encoded"):
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if isinstance(document, dict):
            document["recipient"] = RECIPIENT
            event["body"] = json.dumps(document)
    return event


@pytest.mark.parametrize("function", sorted(DOORS))
def test_no_door_logs_a_recipient(function: str, tmp_path: Path) -> None:
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(_with_recipient(load_event(DOORS[function]))))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS", "BADGEKILN", "AWS_"))},
        "PYTHONPATH": os.pathsep.join([str(REPO / "functions"), str(REPO / "layers" / "badgekiln")]),
        "POWERTOOLS_LOGGER_LOG_EVENT": "true",
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "BADGEKILN_STORE": str(tmp_path / "store"),
        "BADGEKILN_PUBLIC_URL": "https://badges.example.org",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    run = subprocess.run(
        [sys.executable, "-c", _DRIVER, function, str(event_path)],
        cwd=tmp_path,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    logs = run.stdout + run.stderr
    assert run.returncode == 0, logs
    assert "handled" in run.stdout or "raised" in run.stdout, logs
    if function == "verify":  # the refused URL is logged, its query not
        assert "http://127.0.0.2:9/badge.json?…" in logs, logs
    for secret in (RECIPIENT, ENCODED, RECIPIENT.replace("@", "\\u0040")):
        assert secret.lower() not in logs.lower(), logs


def test_the_events_are_the_doors_events() -> None:
    assert {f.name for f in (REPO / "functions").iterdir() if f.is_dir()} >= set(DOORS)
    assert all((EVENTS / name).is_file() for name in DOORS.values())


def test_redact_for_log_masks_addresses_and_drops_queries() -> None:
    from badgekiln.masking import redact_for_log

    line = f'127.0.0.1 "GET /verify?url=https%3A%2F%2Fb.example%2F1&recipient={ENCODED} HTTP/1.1" 200 -'
    assert redact_for_log(line) == '127.0.0.1 "GET /verify?… HTTP/1.1" 200 -'
    assert (
        redact_for_log(f"from {RECIPIENT} at http://x.example/a")
        == "from a•••@e•••.org at http://x.example/a"
    )
