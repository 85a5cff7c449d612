"""Load on ``badgekiln serve``: many keep-alive clients verifying a hosted badge and reading documents.

Run with ``make load`` or ``.venv/bin/python bench/load.py [--clients 100] [--seconds 20]``.

It seeds a store in a temporary folder with the demo (a did:web issuer under the public URL
``https://badges.example``, its achievement and a credential with a status entry), starts
``badgekiln serve`` on a free loopback port over that store, and then measures, all over real
HTTP/1.1 on loopback:

1. **verify, one client**: ``POST /verify`` of the credential JSON: the first one after the
   server started (cold: handler import and empty caches; the median of ``--cold-starts``
   fresh servers), then ``--warm`` more in a row (warm p50 and p99);
2. **load**: ``--clients`` concurrent clients, each on its own kept-alive connection (reopened
   after an error), alternating ``POST /verify`` of that credential and ``GET`` of one of its
   documents (the credential, the DID document, the issuer profile, the status list, the JWK
   Set, in turn) for ``--seconds`` after ``--warmup`` seconds, and counts every error: refused
   or reset connections, timeouts (``--timeout``), and any answer but 200.

The client is asyncio in this one process, the server another process: both share this
machine's cores (the line before the table says how many, and its load average before the run).
Figures are printed as a Markdown table ready to quote. ``--badgekiln`` runs another installation's
``badgekiln`` (e.g. an older checkout's ``.venv/bin/badgekiln``) against the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PUBLIC_URL = "https://badges.example"
HEAD_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Call:
    """One request the clients send: its label in the table, and its bytes on the wire."""

    label: str
    wire: bytes


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)


def request_bytes(method: str, path: str, host: str, body: bytes = b"", content_type: str = "") -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json"]
    if body or method == "POST":
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(store_dir: Path) -> tuple[bytes, list[str]]:
    """The demo credential's JSON and the paths of the documents it names."""
    from badgekiln.issue import seed_demo
    from badgekiln.store import open_store

    demo = seed_demo(open_store(str(store_dir)), PUBLIC_URL)
    credential = demo.credential.credential
    assert isinstance(credential, dict), "the demo credential is a JSON credential"
    issuer = credential["issuer"]["id"]  # did:web:badges.example:issuers:demo
    slug = issuer.rsplit(":", 1)[1]
    status = credential["credentialStatus"]
    status_url = (status[0] if isinstance(status, list) else status)["statusListCredential"]
    documents = [
        demo.credential.public_url,
        f"{PUBLIC_URL}/issuers/{slug}/did.json",
        f"{PUBLIC_URL}/issuers/{slug}/profile.json",
        status_url,
        f"{PUBLIC_URL}/.well-known/jwks.json",
    ]
    return json.dumps(credential).encode(), [urlsplit(url).path for url in documents]


@contextlib.contextmanager
def serving(badgekiln: str, store_dir: Path) -> Iterator[str]:
    """``badgekiln serve`` on a free port over ``store_dir``; yields its ``host:port``."""
    port = free_port()
    command = [badgekiln, "serve", "--port", str(port), "--store", str(store_dir)]
    command += ["--public-url", PUBLIC_URL, "--no-demo"]
    env = {**os.environ, "POWERTOOLS_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    host = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://{host}/.well-known/jwks.json", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"badgekiln serve did not start ({' '.join(command)})") from None
                time.sleep(0.1)
        yield host
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, wire: bytes, timeout: float
) -> tuple[int, bytes]:
    writer.write(wire)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await asyncio.wait_for(reader.readexactly(length), timeout)
    return status, body


def classify(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | asyncio.IncompleteReadError):
        return "reset"
    return f"other ({type(exc).__name__})"


@dataclass(frozen=True)
class Window:
    """When answers count (``start``..``stop``, monotonic seconds) and how long one may take."""

    start: float
    stop: float
    timeout: float


async def client(host: str, calls: list[Call], offset: int, window: Window, tally: Tally) -> None:
    """Send ``calls`` in turn from ``offset`` on one kept-alive connection until the window ends."""
    address, port = host.split(":")
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    turn = offset
    while time.monotonic() < window.stop:
        call = calls[turn % len(calls)]
        turn += 1
        started = time.monotonic()
        try:
            if connection is None:
                opening = asyncio.open_connection(address, int(port))
                connection = await asyncio.wait_for(opening, window.timeout)
            status, _ = await exchange(*connection, call.wire, window.timeout)
            outcome = "ok" if status == 200 else f"HTTP {status}"
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            outcome = classify(exc)
            if connection is not None:
                connection[1].close()
            connection = None
        finished = time.monotonic()
        if finished < window.start:  # counted by when it ended: one stuck since the warm-up counts
            continue
        if outcome != "ok":  # errors always, answers within the window
            tally.errors[outcome] += 1
        elif finished <= window.stop:
            tally.latencies.setdefault(call.label, []).append(finished - started)
    if connection is not None:
        connection[1].close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def verify_latencies(host: str, verify: bytes, count: int, timeout: float) -> list[float]:
    address, port = host.split(":")
    reader, writer = await asyncio.open_connection(address, int(port))
    seen = []
    for _ in range(count):
        started = time.monotonic()
        status, body = await exchange(reader, writer, verify, timeout)
        seen.append(time.monotonic() - started)
        if status != 200 or not json.loads(body)["valid"]:
            raise SystemExit(f"POST /verify answered {status}: {body[:300]!r}")
    writer.close()
    return seen


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--warm", type=int, default=200, help="sequential warm verifications")
    parser.add_argument("--cold-starts", type=int, default=3, help="fresh servers for the cold verify")
    parser.add_argument("--badgekiln", default=str(Path(sys.executable).with_name("badgekiln")))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="badgekiln-load-") as folder:
        store_dir = Path(folder) / "store"
        credential, paths = seed(store_dir)
        colds = []
        for _ in range(args.cold_starts):
            with serving(args.badgekiln, store_dir) as host:
                verify = request_bytes("POST", "/verify", host, credential, "application/json")
                colds += asyncio.run(verify_latencies(host, verify, 1, args.timeout))
        with serving(args.badgekiln, store_dir) as host:
            verify = request_bytes("POST", "/verify", host, credential, "application/json")
            warm = asyncio.run(verify_latencies(host, verify, 5 + args.warm, args.timeout))[5:]
            calls = []
            for path in paths:
                calls += [
                    Call("POST /verify", verify),
                    Call("GET documents", request_bytes("GET", path, host)),
                ]
            load_before = os.getloadavg()[0]
            tally = Tally()
            start = time.monotonic() + args.warmup
            window = Window(start, start + args.seconds, args.timeout)

            async def run_all() -> None:
                await asyncio.gather(
                    *(client(host, calls, 2 * n, window, tally) for n in range(args.clients))
                )

            asyncio.run(run_all())
            elapsed = args.seconds

    print(
        f"badgekiln serve under load: {args.clients} keep-alive clients for {args.seconds:g} s "
        f"(after {args.warmup:g} s warm-up), {os.cpu_count()} cores shared by server and client, "
        f"load average {load_before:.2f} before the run; badgekiln: {args.badgekiln}"
    )
    print()
    print("| requests | count | req/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    everything: list[float] = []
    for label in ("POST /verify", "GET documents"):
        seen = tally.latencies.get(label, [])
        everything += seen
        if seen:
            print(
                f"| {label} | {len(seen)} | {len(seen) / elapsed:.1f} | "
                f"{ms(statistics.median(seen))} | {ms(percentile(seen, 0.99))} |"
            )
    if everything:
        print(
            f"| all | {len(everything)} | {len(everything) / elapsed:.1f} | "
            f"{ms(statistics.median(everything))} | {ms(percentile(everything, 0.99))} |"
        )
    errors = sum(tally.errors.values())
    detail = ", ".join(f"{kind} {n}" for kind, n in sorted(tally.errors.items())) or "none"
    print()
    print(f"errors: {errors} ({detail})")
    print(
        f"verify, one client: cold (first after start) median {ms(statistics.median(colds))} ms "
        f"over {len(colds)} starts; warm p50 {ms(statistics.median(warm))} ms, "
        f"p99 {ms(percentile(warm, 0.99))} ms over {len(warm)}"
    )
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
