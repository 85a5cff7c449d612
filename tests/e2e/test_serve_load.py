"""`badgekiln serve` holds concurrent clients: a burst of connections is queued, not reset; every
client on its kept-alive connection gets every answer; answers leave without waiting for Nagle;
and overlapping requests to different functions never see each other's events.

Bounded: 50 clients, a few requests each. Throughput and latency are `make load`'s job.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badgekiln.issue import seed_demo
from badgekiln.store import open_store
from badgekiln_server import serve
from badgekiln_server.serve import LocalServer, make_server
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

CLIENTS = 50
PUBLIC_URL = "https://badges.example"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A store with the demo under an https public URL (a did:web issuer) and its credential."""
    store = tmp_path_factory.mktemp("store")
    credential = seed_demo(open_store(str(store)), PUBLIC_URL).credential.credential
    return store, json.dumps(credential).encode()


@pytest.fixture
def server(seeded: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    local = make_server(REPO / "template.yaml", port=0, store=str(seeded[0]), public_url=PUBLIC_URL)
    yield local
    if getattr(local, "running", False):  # shutdown() waits for serve_forever, if it ever ran
        local.shutdown()
    local.server_close()


def run(local: LocalServer) -> None:
    local.running = True  # type: ignore[attr-defined]
    threading.Thread(target=local.serve_forever, daemon=True).start()


def in_threads(count: int, work: Any) -> list[Any]:
    """``work(n)`` in ``count`` threads started together; their results (or exceptions)."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def one(n: int) -> None:
        start.wait()
        try:
            results[n] = work(n)
        except Exception as exc:  # reported by the assertion, with its kind
            results[n] = exc

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_a_burst_of_connections_waits_in_the_backlog(server: LocalServer) -> None:
    # GIVEN a server that is not accepting yet  WHEN 50 clients connect at once
    host, port = server.server_address[:2]
    sockets = []
    try:
        for _ in range(CLIENTS):
            # the kernel completes each handshake from the backlog; past a full backlog it would
            # drop the SYN and connect() would wait for the retransmission, a second later
            sock = socket.create_connection((str(host), port), timeout=0.9)
            sockets.append(sock)
        # THEN all are connected, and once the server runs each is answered
        run(server)
        for sock in sockets:
            sock.sendall(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for sock in sockets:
            sock.settimeout(60)
            assert sock.makefile("rb").readline().startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in sockets:
            sock.close()


def test_fifty_concurrent_keep_alive_clients_all_get_every_answer(
    server: LocalServer, seeded: tuple[Path, bytes]
) -> None:
    run(server)
    host, port = server.server_address[:2]
    credential = seeded[1]

    def client(n: int) -> list[tuple[int, Any]]:
        connection = http.client.HTTPConnection(str(host), port, timeout=120)
        answers = []
        try:
            for path in ("/.well-known/jwks.json", "/issuers/demo/profile.json"):
                connection.request("GET", path, headers={"Accept": "application/json"})
                response = connection.getresponse()
                answers.append((response.status, json.loads(response.read())))
            if n % 5 == 0:  # every fifth one also verifies: the functions' events interleave
                connection.request("POST", "/verify", credential, {"Content-Type": "application/json"})
                response = connection.getresponse()
                answers.append((response.status, json.loads(response.read())["valid"]))
        finally:
            connection.close()
        return answers

    results = in_threads(CLIENTS, client)
    failures = [r for r in results if not isinstance(r, list)]
    assert failures == []
    for n, answers in enumerate(results):
        assert [status for status, _ in answers] == [200] * len(answers)
        assert "keys" in answers[0][1]
        assert answers[1][1]["id"] == "did:web:badges.example:issuers:demo"
        if n % 5 == 0:
            assert answers[2][1] is True


def test_answers_are_not_held_back_by_nagle(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    options: list[int] = []
    setup = serve._Handler.setup

    def recording(handler: Any) -> None:
        setup(handler)
        options.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(serve._Handler, "setup", recording)
    run(server)
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), port, timeout=60)
    connection.request("GET", "/.well-known/jwks.json")
    assert connection.getresponse().status == 200
    connection.close()
    assert options
    assert all(options)
