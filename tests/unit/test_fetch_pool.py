"""Pooled connections stay pinned: reuse happens only to the address a new resolution just checked.

Loopback servers that keep connections alive, a fake resolver that changes its answers (DNS
rebinding), and a ConnectGuard proving nothing but loopback was ever contacted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from badgekiln.errors import FetchFailed, FetchRefused
from badgekiln.fetch import Fetcher, FetchPolicy
from tests.loopback import ConnectGuard, FakeResolver, LoopbackServer, Route

# no caching here: every fetch must reach the transport
TEST_MODE = FetchPolicy(
    allow_loopback=True,
    allow_http=True,
    connect_timeout=1.0,
    read_timeout=1.0,
    total_timeout=2.0,
    cache_ttl=0,
)
DOC = Route.json({"id": "urn:example:doc"})
OTHER = Route.json({"id": "urn:example:other"})


@pytest.fixture
def guard() -> Iterator[ConnectGuard]:
    with ConnectGuard() as recording:
        yield recording
    assert recording.blocked == [], "a test reached for a non-loopback address"


def kept_alive(routes: dict[str, Route], **kwargs: object) -> LoopbackServer:
    return LoopbackServer({"/doc": DOC, **routes}, keep_alive=True, **kwargs)  # type: ignore[arg-type]


def test_connections_are_kept_alive_and_reused(guard: ConnectGuard) -> None:
    fetcher = Fetcher(TEST_MODE)
    with kept_alive({"/moved": Route.redirect("/doc", status=301)}) as server:
        for _ in range(3):
            fetcher.get(server.url("/doc"))
        fetcher.get(server.url("/moved"))  # a redirect's (empty) body is read: the connection stays
        assert (len(server.requests), server.connections) == (5, 1)


def test_fetchers_share_the_process_pool(guard: ConnectGuard) -> None:
    with kept_alive({}) as server:
        Fetcher(TEST_MODE).get(server.url("/doc"))
        Fetcher(TEST_MODE).get(server.url("/doc"))
        assert server.connections == 1


@pytest.mark.parametrize(
    "route",
    [
        Route(200, {"Content-Type": "application/json"}, b"[" + b" " * 2000 + b"]"),  # over the cap
        Route(404, {"Content-Type": "text/plain"}, b"x" * 40_000),  # an error body too big to drain
        Route(200, {"Content-Type": "text/html"}, b"<p>"),  # refused by type after the exchange
    ],
)
def test_a_connection_left_unread_or_refused_is_not_reused(guard: ConnectGuard, route: Route) -> None:
    fetcher = Fetcher(replace(TEST_MODE, max_bytes=1000))
    with kept_alive({"/bad": route}) as server:
        with pytest.raises(FetchFailed):
            fetcher.get(server.url("/bad"))
        fetcher.get(server.url("/doc"))
        assert server.connections == (1 if route.status == 200 and len(route.body) < 1000 else 2)


def test_a_name_that_moves_gets_a_new_connection_to_the_new_address(guard: ConnectGuard) -> None:
    # GIVEN pool.test first at 127.0.0.1, then at 127.0.0.2, a server on each, same port
    with kept_alive({}) as first, kept_alive({"/doc": OTHER}, host="127.0.0.2", port=first.port) as second:
        url = f"http://pool.test:{first.port}/doc"
        with FakeResolver({"pool.test": ["127.0.0.1", "127.0.0.2"]}):
            fetcher = Fetcher(TEST_MODE)
            # WHEN fetched twice  THEN the second goes to the new address, not the pooled connection
            assert fetcher.get_json(url) == {"id": "urn:example:doc"}
            assert fetcher.get_json(url) == {"id": "urn:example:other"}
        assert (len(first.requests), len(second.requests)) == (1, 1)
        assert guard.attempts == [("127.0.0.1", first.port), ("127.0.0.2", first.port)]


@pytest.mark.parametrize("rebound", ["10.0.0.1", "169.254.169.254", "192.168.1.1", "0.0.0.0"])
def test_a_name_rebound_to_a_forbidden_address_is_refused_despite_a_pooled_connection(
    guard: ConnectGuard, rebound: str
) -> None:
    with kept_alive({}) as server:
        url = f"http://pool.test:{server.port}/doc"
        with FakeResolver({"pool.test": ["127.0.0.1", rebound]}):
            fetcher = Fetcher(TEST_MODE)
            fetcher.get(url)  # a connection to 127.0.0.1 is now pooled, kept alive
            with pytest.raises(FetchRefused) as caught:
                fetcher.get(url)
        assert caught.value.reason == "address"
        assert len(server.requests) == 1  # the pooled connection was not used
    assert guard.attempts == [("127.0.0.1", server.port)]  # nor was the new address contacted


def test_a_stricter_fetcher_never_borrows_a_loopback_connection(guard: ConnectGuard) -> None:
    with kept_alive({}) as server:
        url = f"http://pool.test:{server.port}/doc"
        with FakeResolver({"pool.test": "127.0.0.1"}):
            Fetcher(TEST_MODE).get(url)
            strict = Fetcher(replace(TEST_MODE, allow_loopback=False))
            with pytest.raises(FetchRefused) as caught:
                strict.get(url)
        assert caught.value.reason == "address"
        assert len(server.requests) == 1


def test_the_deadline_covers_a_reused_connection(guard: ConnectGuard) -> None:
    # each body byte arrives within the read timeout; only the watchdog can stop the whole
    slow = Route(200, {"Content-Type": "application/json"}, b"[" + b" " * 100 + b"]", drip=0.1)
    fetcher = Fetcher(TEST_MODE)
    with kept_alive({"/slow": slow}) as server:
        fetcher.get(server.url("/doc"))
        started = time.monotonic()
        with pytest.raises(FetchFailed) as caught:
            fetcher.get(server.url("/slow"))
        assert caught.value.reason == "timeout"
        assert time.monotonic() - started < 2.0 + 1.5  # the deadline, plus scheduling slack
        assert server.connections == 1  # it was the pooled connection that was cut
        fetcher.get(server.url("/doc"))  # and a cut connection is not handed out again
        assert server.connections == 2
