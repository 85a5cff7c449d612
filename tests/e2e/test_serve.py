"""Real HTTP against `badgekiln serve` running the repository's template.yaml."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

import badgekiln
from badgekiln.errors import InputError
from badgekiln.http.openapi import GATEWAY_MESSAGES
from badgekiln_server.serve import default_template
from scripts.make_events import ASSERTION_URL, png, svg
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

BOUNDARY = "b0undary"


def form(*fields: tuple[str, str | None, bytes]) -> tuple[bytes, str]:
    body = b""
    for name, filename, data in fields:
        extra = f'; filename="{filename}"' if filename else ""
        body += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    return body + f"--{BOUNDARY}--\r\n".encode(), f"multipart/form-data; boundary={BOUNDARY}"


def post(api: str, path: str, body: bytes, content_type: str | None) -> requests.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return requests.post(api + path, data=body, headers=headers, timeout=30)


@pytest.mark.parametrize("image", [png(), svg()], ids=["png", "svg"])
def test_bake_then_extract_round_trip(api: str, image: bytes) -> None:
    body, kind = form(("image", "badge", image), ("payload", None, ASSERTION_URL.encode()))
    baked = post(api, "/bake", body, kind)
    assert baked.status_code == 200, baked.text
    assert baked.headers["Content-Type"] in {"image/png", "image/svg+xml"}
    found = post(api, "/extract", baked.content, baked.headers["Content-Type"])
    assert found.status_code == 200
    assert found.json()["payload"] == ASSERTION_URL
    assert found.headers["apigw-requestid"]


def test_bake_json_body(api: str) -> None:
    request = {"image": base64.b64encode(png()).decode(), "payload": ASSERTION_URL, "spec": "ob2"}
    baked = requests.post(api + "/bake", json=request, timeout=30)
    assert baked.status_code == 200
    assert baked.content.startswith(b"\x89PNG")


HOSTILE_PNG = b"\x89PNG\r\n\x1a\n" + b"\x7f\xff\xff\xff" + b"IHDR" + b"\0" * 20  # 2 GiB length field
XXE_SVG = b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'


@pytest.mark.parametrize(
    ("path", "body", "content_type", "expected"),
    [
        ("/extract", b"hello", "text/plain", (415, "unsupported-media-type")),
        ("/bake", b"{}", None, (415, "unsupported-media-type")),
        ("/bake", b'{"image": ', "application/json", (400, "invalid-input")),
        ("/bake", b"[" * 100_000 + b"]" * 100_000, "application/json", (413, "input-too-large")),
        ("/bake", b'{"payload": "x"}', "application/json", (422, "invalid-field")),
        (
            "/bake",
            form(("image", "a.png", png()))[0][:-30],
            f"multipart/form-data; boundary={BOUNDARY}",
            (400, "invalid-input"),
        ),
        ("/bake", b"--x\r\n", "multipart/form-data", (400, "invalid-input")),
        ("/extract", b"\0" * (4 * 1024 * 1024 + 1), "image/png", (413, "input-too-large")),
        ("/extract", HOSTILE_PNG, "image/png", (422, "malformed-image")),
        ("/extract", XXE_SVG, "image/svg+xml", (422, "malformed-image")),
        ("/extract", b"GIF89a", "image/png", (422, "not-a-badge-image")),
        ("/extract", png(), "image/png", (422, "no-badge-data")),
    ],
    ids=[
        "wrong-content-type",
        "no-content-type",
        "bad-json",
        "deep-json",
        "missing-field",
        "truncated-multipart",
        "multipart-without-boundary",
        "huge-body",
        "png-2gib-length",
        "svg-xxe",
        "not-an-image",
        "no-badge",
    ],
)
def test_malformed_requests_are_4xx_problems(
    api: str, path: str, body: bytes, content_type: str | None, expected: tuple[int, str]
) -> None:
    status, code = expected
    response = post(api, path, body, content_type)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    document = response.json()
    assert (document["status"], document["code"]) == (status, code)
    assert "Traceback" not in response.text
    if status == 413 and code == "input-too-large" and path == "/extract":
        assert "POST /issuers/{issuer}/uploads" in document["detail"]


def test_body_over_lambda_limit_is_gateway_413(api: str) -> None:
    # 5 MB of image is over 6 MB once base64-encoded into the event: Lambda never sees it
    response = post(api, "/extract", b"\0" * (5 * 1024 * 1024), "image/png")
    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}


def test_body_over_http_api_limit_is_refused_unread(api: str) -> None:
    host, port = urlsplit(api).hostname, urlsplit(api).port
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(b"POST /extract HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n")
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


def test_chunked_body(api: str) -> None:
    chunks = iter([png(ASSERTION_URL)[:20], png(ASSERTION_URL)[20:]])
    response = requests.post(api + "/extract", data=chunks, headers={"Content-Type": "image/png"}, timeout=30)
    assert response.status_code == 200
    assert response.json()["payload"] == ASSERTION_URL


def raw_request(api: str, head: bytes, body: bytes) -> bytes:
    """The start of the server's answer to ``head`` + ``body``, sent as they are (the stream is
    left open: the server must answer without waiting for its end)."""
    host, port = urlsplit(api).hostname, urlsplit(api).port
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(head + b"\r\n" + body)
        return conn.recv(4096)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        # read(-1) would read the rest of the stream, however long, as one chunk
        (b"Transfer-Encoding: chunked", b"-1\r\n" + png(ASSERTION_URL)),
        (b"Transfer-Encoding: chunked", b"0x10\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n"),
        (b"Transfer-Encoding: chunked", b"0\r\n" + b"X-Trailer: 1\r\n" * 100 + b"\r\n"),
        (b"Content-Length: \xb2", b"ab"),  # "²" in Latin-1, as headers are read
    ],
    ids=["negative-chunk", "0x-chunk", "endless-trailers", "superscript-length"],
)
def test_malformed_framing_is_400(api: str, headers: bytes, body: bytes) -> None:
    head = b"POST /extract HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n" + headers + b"\r\n"
    assert raw_request(api, head, body).startswith(b"HTTP/1.1 400")


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/nope"), ("GET", "/bake"), ("DELETE", "/extract"), ("POST", "/bake/")]
)
def test_unmatched_routes_are_gateway_404(api: str, method: str, path: str) -> None:
    # HTTP APIs route on method + path: a known path with another method is no route at all
    response = requests.request(method, api + path, timeout=30)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"} == {"message": GATEWAY_MESSAGES[404]}
    assert response.headers["Content-Type"] == "application/json"


def test_cors_preflight_is_answered_by_the_gateway(api: str) -> None:
    headers = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    response = requests.options(api + "/bake", headers=headers, timeout=30)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET,POST,DELETE,OPTIONS"
    assert response.headers["access-control-max-age"] == "600"


def test_cors_headers_on_responses(api: str) -> None:
    response = requests.post(
        api + "/extract",
        data=b"x",
        headers={"Origin": "https://app.example", "Content-Type": "text/plain"},
        timeout=30,
    )
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-expose-headers"] == "etag,location,x-request-id"


def test_docs_page(api: str) -> None:
    response = requests.get(api + "/docs", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "SwaggerUIBundle" in response.text
    spec = requests.get(api + "/docs/openapi.json", timeout=30).json()
    assert {"/bake", "/extract"} <= set(spec["paths"])


def test_head_is_its_own_method(api: str) -> None:
    # HTTP APIs do not answer HEAD from a GET route; and a HEAD answer never has a body
    response = requests.head(api + "/docs", timeout=30)
    assert response.status_code == 404
    assert response.content == b""


def test_cli_serves_and_stops(tmp_path: Path) -> None:
    # the README's command, as a subprocess on an ephemeral port, from a folder without a template:
    # the application is found from the installed package
    process = subprocess.Popen(
        [sys.executable, "-m", "badgekiln", "serve", "--port", "0", "--store", str(tmp_path / "store")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("badgekiln serve: http://127.0.0.1:"), line + (
            process.stderr.read() if process.stderr else ""
        )
        url = line.split()[2]
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.post(
                    url + "/extract",
                    data=png(ASSERTION_URL),
                    headers={"Content-Type": "image/png"},
                    timeout=30,
                )
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert json.loads(response.text)["payload"] == ASSERTION_URL
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_default_template_is_the_source_tree_s() -> None:
    assert default_template() == REPO / "template.yaml"


def test_without_a_source_tree_the_template_must_be_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # e.g. installed from a wheel into site-packages: nothing above the package is the application
    monkeypatch.setattr(badgekiln, "__file__", str(tmp_path / "site-packages/badgekiln/__init__.py"))
    with pytest.raises(InputError, match="pass --template PATH") as raised:
        default_template()
    assert raised.value.reason == "template"


def test_cli_names_a_missing_template(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "badgekiln", "serve", "--port", "0", "--template", str(tmp_path / "t.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {tmp_path / 't.yaml'}: No such file or directory\n"


def test_cli_rejects_a_bad_store(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "badgekiln", "serve", "--port", "0", "--store", "ftp://nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
