"""Transport cost of the bake and extract handlers: a 1 MB PNG through the Lambda handler against
the library call alone, in one process.

Run with ``make bench`` or ``.venv/bin/python bench/bench_transport.py [--quick]``.

The events are API Gateway HTTP API (payload 2.0) events as Lambda hands them over: the image
base64-encoded in the body (``isBase64Encoded``), or base64 inside a JSON body for the JSON form
of ``POST /bake``. The handler's time includes reading the event, decoding the image, the library
call, the answer's base64 (bake returns the image) and the security headers; "overhead" is the
handler's median minus the library's median, the part this bench exists to keep small. The PNG is
random noise in 8 KiB IDAT chunks (bench_baking's image), so the walk and CRCs are realistic.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import badgekiln

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # bench_baking makes the image
from bench.bench_baking import PAYLOAD, noise_png  # noqa: E402

BOUNDARY = "----badgekilnBench"


class _Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def _handler(name: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    path = REPO / "functions" / name / f"{name}_handler.py"
    spec = importlib.util.spec_from_file_location(f"{name}_handler", path)
    assert spec is not None
    assert spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the route models' annotations through it
    spec.loader.exec_module(module)
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = module.handler
    return handler


def _event(route: str, content_type: str, body: bytes, *, binary: bool) -> dict[str, Any]:
    method, path = route.split(" ")
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": content_type, "host": "bench.example"},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
            "requestId": "bench",
            "routeKey": route,
            "stage": "$default",
        },
        "isBase64Encoded": binary,
        "body": base64.b64encode(body).decode() if binary else body.decode(),
    }


def _form(image: bytes) -> bytes:
    def part(name: str, data: bytes, extra: str = "") -> bytes:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n'
        return head.encode() + data + b"\r\n"

    return (
        part("image", image, '; filename="badge.png"\r\nContent-Type: image/png')
        + part("payload", PAYLOAD.encode())
        + f"--{BOUNDARY}--\r\n".encode()
    )


def _times(func: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, minimum) of ``repeat`` timed calls after one warm-up: the minimum is the steadier
    figure on a shared machine, the median the one to compare with peers."""
    func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def _checked(handler: Callable[[dict[str, Any], Any], dict[str, Any]], event: dict[str, Any]) -> None:
    response = handler(event, _Context())
    assert response["statusCode"] == 200, response.get("body", "")[:300]


def run(quick: bool) -> list[tuple[str, tuple[float, float], tuple[float, float]]]:
    repeat = 15 if quick else 101
    image = noise_png(1_000_000)
    baked = badgekiln.bake(image, PAYLOAD)
    bake, extract = _handler("bake"), _handler("extract")
    json_bake = json.dumps({"image": base64.b64encode(image).decode(), "payload": PAYLOAD}).encode()
    Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
    cases: list[tuple[str, dict[str, Any], Handler, Callable[[], object]]] = [
        (
            "bake 1 MB PNG, JSON body",
            _event("POST /bake", "application/json", json_bake, binary=False),
            bake,
            partial(badgekiln.bake, image, PAYLOAD),
        ),
        (
            "bake 1 MB PNG, multipart body",
            _event("POST /bake", f"multipart/form-data; boundary={BOUNDARY}", _form(image), binary=True),
            bake,
            partial(badgekiln.bake, image, PAYLOAD),
        ),
        (
            "extract 1 MB PNG, raw body",
            _event("POST /extract", "image/png", baked, binary=True),
            extract,
            partial(badgekiln.extract, baked),
        ),
    ]
    rows = []
    # the metrics each invocation writes (EMF lines on stdout) are part of its cost; keep them off the table
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        for name, event, handler, library in cases:
            rows.append((name, _times(partial(_checked, handler, event), repeat), _times(library, repeat)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from badgekiln.http import bodies

    print(f"python {sys.version.split()[0]}, base64 backend {bodies.BASE64_BACKEND}, {os.cpu_count()} CPUs")
    head = f"{'case':32} {'handler ms':>11} {'(min)':>7} {'library ms':>11} {'(min)':>7} {'overhead ms':>12}"
    print(head, "-" * len(head), sep="\n")
    for name, (handler, handler_min), (library, library_min) in run(args.quick):
        print(
            f"{name:32} {handler * 1000:11.3f} {handler_min * 1000:7.3f} {library * 1000:11.3f} "
            f"{library_min * 1000:7.3f} {(handler - library) * 1000:12.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
