"""The fuzzing machinery itself: the oracle's verdicts, bundles, the events the handler harnesses
build (what API Gateway would send for a raw request), and that a harness still reaches what its
seeds aim at (a harness can go on passing while it no longer gets anywhere)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from badgekiln.errors import MalformedImage
from fuzz.harnesses import bundle
from fuzz.harnesses.handlers import Request, Site, http_event, parse_request
from fuzz.oracle import NetworkReached, OracleViolation, judge

REPO = Path(__file__).resolve().parent.parent.parent


def _typed(data: bytes) -> None:
    raise MalformedImage("broken", reason="crc")


def _foreign(data: bytes) -> None:
    {}["missing"]  # a KeyError escaping the library


def _violated(data: bytes) -> None:
    raise OracleViolation("the round trip does not hold")


def test_the_oracle_passes_typed_errors_and_returns() -> None:
    assert (judge(_typed, b"").kind, judge(_typed, b"").error) == ("passed", "MalformedImage:crc")
    assert judge(lambda data: None, b"x").kind == "passed"


@pytest.mark.parametrize("target", [_foreign, _violated])
def test_the_oracle_calls_anything_else_a_crash_and_names_where(target: object) -> None:
    outcome = judge(target, b"")  # type: ignore[arg-type]
    assert outcome.kind == "crash"
    assert outcome.signature is not None
    assert outcome.signature.split("@")[0] in ("KeyError", "OracleViolation")
    assert outcome.trace is not None
    assert "Traceback" in outcome.trace


def test_network_reached_is_a_violation() -> None:
    assert issubclass(NetworkReached, OracleViolation)


def test_a_bundle_is_split_as_joined_and_any_bytes_are_a_bundle() -> None:
    sections = [("https://issuer.example/", b'{"id": 1}\n'), ("option:recipient", b"ann@example.org")]
    assert bundle.split(bundle.join(b"badge", sections)) == (b"badge", sections)
    assert bundle.split(b"\xff\x00 no markers") == (b"\xff\x00 no markers", [])


def _site() -> Site:
    return Site(template=None, working=None, names={"issuer": "demo"})  # type: ignore[arg-type]


def test_a_raw_request_becomes_the_http_api_event() -> None:
    raw = (
        b"POST /issuers/{issuer}/batches?achievement=a%20b&x=1&x=2\n"
        b"Content-Type: text/csv\nX-Tag: one\nx-tag: two\ncookie: a=1; b=2\n"
        b"x-fuzz-authorizer: issuer k1 {issuer}\n\nrecipient\nann@example.org\n"
    )
    event = http_event(parse_request(raw, _site()))
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/issuers/demo/batches"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["queryStringParameters"] == {"achievement": "a b", "x": "1,2"}
    assert event["headers"]["x-tag"] == "one,two"
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["requestContext"]["authorizer"] == {
        "lambda": {"role": "issuer", "keyId": "k1", "issuer": "demo"}
    }
    assert (event["body"], event["isBase64Encoded"]) == ("recipient\nann@example.org\n", False)


def test_a_binary_body_is_base64_and_any_bytes_are_a_request() -> None:
    event = http_event(Request("POST", "/extract", {"content-type": "image/png"}, None, b"\x89PNG"))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x89PNG"
    garbage = http_event(parse_request(b"\xff\xfe", _site()))
    assert (garbage["rawPath"], "authorizer" in garbage["requestContext"]) == ("/", False)


REACH_SCRIPT = """
import json, os
from fuzz.run import QUIET_ENV
os.environ.update(QUIET_ENV)
from fuzz.harnesses import harness, handlers
from badgekiln.issue.uploads import get_upload
from badgekiln.store import open_store

chosen = harness("handler-worker")
chosen.load().setup("worker")
seed = next(data for name, data in chosen.seeds() if name == "events/worker-sqs.json")
chosen.target()(seed)
site = handlers._SITE[0]
job = get_upload(open_store(str(site.working)), site.names["issuer"], site.names["upload-id"])
print(json.dumps(job))
"""


def test_the_worker_harness_reaches_the_upload_it_names() -> None:
    # GIVEN the worker harness's seed: an S3 notification of the site's upload, and a batch file
    # WHEN the harness runs it (in a process of its own: the harness sets up AWS mocks and env)
    done = subprocess.run(
        [sys.executable, "-c", REACH_SCRIPT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # THEN the worker took the notification as its bucket's and issued the file's rows
    assert done.returncode == 0, done.stderr[-3000:]
    job = json.loads(done.stdout.strip().splitlines()[-1])
    assert job["state"] == "done"
    assert job["summary"] == {"rows": 2, "issued": 1, "replayed": 0, "failed": 1}
