"""The real transport against loopback servers, in the test-only configuration (allow_loopback).

Redirect targets, size caps, slow servers, content types, TLS and DNS pinning. A ConnectGuard
proves that nothing but loopback was ever contacted.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from badgekiln.errors import FetchFailed, FetchRefused, InputTooLarge, MalformedPayload
from badgekiln.fetch import IMAGE_TYPES, Fetcher, FetchPolicy
from tests.loopback import ConnectGuard, FakeResolver, LoopbackServer, Route, tls_context

TEST_MODE = FetchPolicy(allow_loopback=True, connect_timeout=1.0, read_timeout=1.0, total_timeout=2.0)
# Names that resolve to loopback are only known to be loopback after resolution, so plain http
# to them needs allow_http as well.
TEST_MODE_HTTP = replace(TEST_MODE, allow_http=True)
MIB = 1 << 20
JSON = {"Content-Type": "application/json"}
DOC = Route.json({"id": "urn:example:doc"})


@pytest.fixture
def guard() -> Iterator[ConnectGuard]:
    with ConnectGuard() as recording:
        yield recording
    assert recording.blocked == [], "a test reached for a non-loopback address"


def serve(routes: dict[str, Route]) -> LoopbackServer:
    return LoopbackServer({"/doc": DOC, **routes})


# --- success and what is sent ------------------------------------------------------------------


def test_fetches_json_and_sends_only_fixed_headers(guard: ConnectGuard) -> None:
    with serve({}) as server:
        response = Fetcher(TEST_MODE).get(server.url("/doc#fragment"))
    assert response.json() == {"id": "urn:example:doc"}
    assert (response.status, response.content_type, response.url) == (
        200,
        "application/json",
        server.url("/doc"),
    )
    (request,) = server.requests
    assert request.target == "/doc"  # the fragment never leaves
    assert request.headers == {
        "host": f"127.0.0.1:{server.port}",
        "user-agent": TEST_MODE.user_agent,
        "accept": "application/ld+json, application/json",
        "accept-encoding": "identity",
    }


def test_environment_proxies_and_netrc_are_ignored(
    guard: ConnectGuard, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://10.0.0.1:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login user password secret\n")
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    with serve({}) as server:
        Fetcher(TEST_MODE).get(server.url("/doc"))
    assert "authorization" not in server.requests[0].headers
    assert guard.attempts == [("127.0.0.1", server.port)]


def test_cookies_set_by_a_redirect_are_not_sent_on(guard: ConnectGuard) -> None:
    routes = {"/login": Route.redirect("/doc", **{"Set-Cookie": "session=abc; Path=/"})}
    with serve(routes) as server:
        Fetcher(TEST_MODE).get(server.url("/login"))
    assert [r.target for r in server.requests] == ["/login", "/doc"]
    assert "cookie" not in server.requests[1].headers


def test_json_subtypes_and_parameters_are_accepted(guard: ConnectGuard) -> None:
    routes = {
        "/did": Route.json({"id": "did:web:x"}, content_type="application/did+json"),
        "/ld": Route.json({}, content_type="Application/LD+JSON; charset=utf-8"),
        "/jwks": Route.json({"keys": []}, content_type="application/jwk-set+json"),
    }
    fetcher = Fetcher(TEST_MODE)
    with serve(routes) as server:
        assert [fetcher.get(server.url(p)).content_type for p in routes] == [
            "application/did+json",
            "application/ld+json",
            "application/jwk-set+json",
        ]


# --- redirects ------------------------------------------------------------------------------------


def test_three_redirects_are_followed_and_a_fourth_is_not(guard: ConnectGuard) -> None:
    routes = {
        "/a3": Route.redirect("/a2", status=301),
        "/a2": Route.redirect("a1", status=307),  # relative to /a2
        "/a1": Route.redirect("/doc", status=308),
        "/b4": Route.redirect("/b3", status=303),
        "/b3": Route.redirect("/b2"),
        "/b2": Route.redirect("/b1"),
        "/b1": Route.redirect("/doc"),
    }
    fetcher = Fetcher(TEST_MODE)
    with serve(routes) as server:
        assert fetcher.get(server.url("/a3")).url == server.url("/doc")
        assert server.connections == 4
        with pytest.raises(FetchFailed) as caught:
            fetcher.get(server.url("/b4"))
        assert server.connections == 8  # /b4 /b3 /b2 /b1; /doc is never asked for
    assert caught.value.reason == "too-many-redirects"
    assert caught.value.details == {"url": server.url("/b4"), "reason": "too-many-redirects", "limit": 3}


def test_redirect_loop_stops(guard: ConnectGuard) -> None:
    with serve({"/loop": Route.redirect("/loop")}) as server, pytest.raises(FetchFailed) as caught:
        Fetcher(TEST_MODE).get(server.url("/loop"))
    assert caught.value.reason == "too-many-redirects"
    assert server.connections == 4


def test_redirects_can_be_switched_off(guard: ConnectGuard) -> None:
    with serve({"/r": Route.redirect("/doc")}) as server, pytest.raises(FetchFailed) as caught:
        Fetcher(FetchPolicy(allow_loopback=True, max_redirects=0)).get(server.url("/r"))
    assert caught.value.reason == "too-many-redirects"


@pytest.mark.parametrize(
    ("location", "cause"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/", "address"),
        ("http://[fd00:ec2::254]/latest/", "address"),
        ("http://10.0.0.1/admin", "address"),
        ("//10.0.0.1/admin", "address"),
        ("http://0x0a000001/", "address"),
        ("http://[::ffff:169.254.169.254]/", "address"),
        ("https://internal.test/", "address"),  # refused after resolution, inside the transport
        ("file:///etc/passwd", "scheme"),
        ("gopher://127.0.0.1:11211/_stats", "scheme"),
        ("http://user:pw@127.0.0.1/doc", "userinfo"),
        ("http://[::1", "url"),
        ("https://exa mple.test/", "url"),
    ],
)
def test_redirects_to_forbidden_targets_are_refused(location: str, cause: str, guard: ConnectGuard) -> None:
    with FakeResolver({"internal.test": "10.0.0.1"}), serve({"/r": Route.redirect(location)}) as server:
        with pytest.raises(FetchRefused) as caught:
            Fetcher(TEST_MODE).get(server.url("/r"))
        assert server.connections == 1
    assert caught.value.reason == "redirect"
    assert caught.value.details["cause"] == cause
    assert caught.value.details["url"] == server.url("/r")
    assert {host for host, _ in guard.attempts} == {"127.0.0.1"}


def test_https_to_http_downgrade_is_refused_unless_http_is_allowed(guard: ConnectGuard) -> None:
    # Plain http to loopback is what test mode permits; a redirect to plain http elsewhere is not.
    with (
        FakeResolver({"public.test": "93.184.215.14"}),
        serve({"/r": Route.redirect("http://public.test/doc")}) as server,
        pytest.raises(FetchRefused) as caught,
    ):
        Fetcher(TEST_MODE).get(server.url("/r"))
    assert caught.value.details["cause"] == "scheme"


# --- size caps ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    [
        Route(200, JSON, b" " * (2 * MIB)),  # honest Content-Length
        Route(200, JSON, b"{}", content_length=2 * MIB),  # announced too large: refused unread
        Route(200, JSON, b" " * (2 * MIB), content_length=None),  # no length: ends at close
        Route(200, JSON, b" " * (2 * MIB), chunked=True),
        Route(200, JSON, b"{" + b" " * (MIB) + b"}"),  # one byte over the cap
        Route(200, JSON, b"9" * (4 * MIB), content_length="99999999999999999999999999999999"),
    ],
    ids=["content-length", "announced", "close-delimited", "chunked", "cap-plus-one", "absurd-length"],
)
def test_bodies_over_the_cap_fail(route: Route, guard: ConnectGuard) -> None:
    with serve({"/big": route}) as server, pytest.raises(FetchFailed) as caught:
        Fetcher(TEST_MODE).get(server.url("/big"))
    assert caught.value.reason == "too-large"
    assert caught.value.details["limit"] == MIB


def test_body_exactly_at_the_cap_is_accepted(guard: ConnectGuard) -> None:
    body = b"[" + b" " * (MIB - 2) + b"]"
    with serve({"/full": Route(200, JSON, body, chunked=True)}) as server:
        assert Fetcher(TEST_MODE).get(server.url("/full")).body == body


def test_understated_content_length_reads_no_further(guard: ConnectGuard) -> None:
    # A server that lies low gets exactly what it announced; the rest is never read.
    with serve({"/lie": Route(200, JSON, b"{}" + b" " * (4 * MIB), content_length=2)}) as server:
        assert Fetcher(TEST_MODE).get(server.url("/lie")).body == b"{}"


def test_per_call_cap(guard: ConnectGuard) -> None:
    fetcher = Fetcher(TEST_MODE)
    with serve({"/ten": Route(200, JSON, b"[1,2,3,45]")}) as server:
        assert fetcher.get(server.url("/ten"), max_bytes=10).body == b"[1,2,3,45]"
        fetcher.clear_cache()
        with pytest.raises(FetchFailed) as caught:
            fetcher.get(server.url("/ten"), max_bytes=9)
    assert (caught.value.reason, caught.value.details["limit"]) == ("too-large", 9)


def test_compression_bomb_is_capped(guard: ConnectGuard) -> None:
    # Asked for identity, the server gzips anyway: 64 MiB of zeros in ~64 KiB on the wire.
    bomb = gzip.compress(b"0" * (64 * MIB), compresslevel=9)
    route = Route(200, {**JSON, "Content-Encoding": "gzip"}, bomb)
    with serve({"/bomb": route}) as server, pytest.raises(FetchFailed) as caught:
        Fetcher(TEST_MODE).get(server.url("/bomb"))
    assert caught.value.reason == "too-large"


def test_gzip_within_the_cap_is_decoded(guard: ConnectGuard) -> None:
    route = Route(200, {**JSON, "Content-Encoding": "gzip"}, gzip.compress(b'{"z": 1}'))
    with serve({"/gz": route}) as server:
        assert Fetcher(TEST_MODE).get_json(server.url("/gz")) == {"z": 1}


# --- slow servers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    [
        Route(200, JSON, b"{}", delay=3.0),  # silent past the read timeout
        Route(200, JSON, b" " * 400, drip=0.05),  # body trickles: each read is fast, the whole is not
        Route(200, {**JSON, "X-Pad": "x" * 400}, b"{}", drip=0.05, drip_head=True),  # headers trickle
    ],
    ids=["silent", "slow-body", "slow-headers"],
)
def test_slow_servers_hit_the_deadline(route: Route, guard: ConnectGuard) -> None:
    # Each case would take 3 s (silent) or 20 s (drips); the deadline is 2 s.
    started = time.monotonic()
    with serve({"/slow": route}) as server, pytest.raises(FetchFailed) as caught:
        Fetcher(TEST_MODE).get(server.url("/slow"))
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 2.0 + 1.5  # the deadline, plus scheduling slack


def test_a_slow_tls_server_hits_the_deadline_too(
    guard: ConnectGuard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a trusted TLS server whose headers trickle (each read fast, the whole 20 s)
    context = tls_context(tmp_path, hostname="tls.test")
    monkeypatch.setattr("requests.adapters.DEFAULT_CA_BUNDLE_PATH", str(tmp_path / "cert.pem"))
    slow = Route(200, {**JSON, "X-Pad": "x" * 400}, b"{}", drip=0.05, drip_head=True)
    started = time.monotonic()
    with (
        FakeResolver({"tls.test": "127.0.0.1"}),
        LoopbackServer({"/slow": slow}, tls=context) as server,
        pytest.raises(FetchFailed) as caught,
    ):
        # WHEN fetched  THEN the watched TLS connection is cut at the deadline
        Fetcher(TEST_MODE).get(f"https://tls.test:{server.port}/slow")
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 2.0 + 1.5


def test_deadline_spans_redirects(guard: ConnectGuard) -> None:
    # Each hop answers within the read timeout, but the chain as a whole is over the deadline.
    routes = {
        "/h1": Route(302, {"Location": "/h2"}, delay=0.8),
        "/h2": Route(302, {"Location": "/h3"}, delay=0.8),
        "/h3": Route(302, {"Location": "/doc"}, delay=0.8),
    }
    with serve(routes) as server, pytest.raises(FetchFailed) as caught:
        Fetcher(TEST_MODE).get(server.url("/h1"))
    assert caught.value.reason == "timeout"


# --- answers that are not what was asked for ------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "reason", "status"),
    [
        (Route(404, {"Content-Type": "text/html"}, b"<h1>gone</h1>"), "status", 404),
        (Route(410, {"Content-Type": "application/json"}, b'{"revoked": true}'), "status", 410),
        (Route(500, {}, b""), "status", 500),
        (Route(304, {}, b""), "status", 304),
        (Route(302, {}, b""), "status", 302),  # a redirect without a Location
        (Route(200, {"Content-Type": "text/html"}, b"<html>"), "content-type", None),
        (Route(200, {}, b"{}"), "content-type", None),
        (Route(200, {"Content-Type": "application/jsonx"}, b"{}"), "content-type", None),
        (Route(200, {"Content-Type": "image/png"}, b"\x89PNG"), "content-type", None),
    ],
)
def test_unwanted_answers_fail(route: Route, reason: str, status: int | None, guard: ConnectGuard) -> None:
    with serve({"/x": route}) as server, pytest.raises(FetchFailed) as caught:
        Fetcher(TEST_MODE).get(server.url("/x"))
    assert caught.value.reason == reason
    assert caught.value.details.get("status") == status
    assert caught.value.details["url"] == server.url("/x")


def test_status_after_redirect_names_both_urls(guard: ConnectGuard) -> None:
    routes = {"/old": Route.redirect("/gone"), "/gone": Route(410, {}, b"")}
    with serve(routes) as server, pytest.raises(FetchFailed) as caught:
        Fetcher(TEST_MODE).get(server.url("/old"))
    assert caught.value.details == {
        "url": server.url("/old"),
        "reason": "status",
        "status": 410,
        "final_url": server.url("/gone"),
    }


def test_images_are_fetched_when_asked_for(guard: ConnectGuard) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    with serve({"/badge.png": Route(200, {"Content-Type": "image/png"}, png)}) as server:
        response = Fetcher(TEST_MODE).get(server.url("/badge.png"), accept=IMAGE_TYPES)
    assert (response.content_type, response.body) == ("image/png", png)


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        (b"<html>not json</html>", MalformedPayload, "json"),
        (b'{"a": 1, "a": 2}', MalformedPayload, "duplicate-key"),
        (b"\xff\xfe{}", MalformedPayload, "utf-8"),
        (b"[" * 5000 + b"]" * 5000, InputTooLarge, "depth"),
    ],
)
def test_get_json_rejects_bad_json(
    body: bytes, error: type[Exception], reason: str, guard: ConnectGuard
) -> None:
    with serve({"/bad": Route(200, JSON, body)}) as server, pytest.raises(error) as caught:
        Fetcher(TEST_MODE).get_json(server.url("/bad"))
    assert getattr(caught.value, "reason", None) == reason
    assert caught.value.details["url"] == server.url("/bad")  # type: ignore[attr-defined]


# --- broken servers and the wire ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{}",  # cut short
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1\r\nContent-Length: 5\r\n\r\n{}",
        b"",
        b"{}",
        b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 200 + b"\r\n{}",
        b"HTTP/1.1 200 OK\r\nX-A: " + b"b" * 70_000 + b"\r\n\r\n{}",
    ],
    ids=[
        "status-line",
        "chunk-size",
        "truncated",
        "two-lengths",
        "empty",
        "http-0.9",
        "headers",
        "header-line",
    ],
)
def test_malformed_http_fails_cleanly(raw: bytes, guard: ConnectGuard) -> None:
    with serve({"/raw": Route(raw=raw)}) as server, pytest.raises(FetchFailed) as caught:
        Fetcher(TEST_MODE).get(server.url("/raw"))
    assert caught.value.reason == "protocol"


def test_closed_port_fails_to_connect(guard: ConnectGuard) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchFailed) as caught:
        Fetcher(TEST_MODE).get(f"http://127.0.0.1:{port}/doc")
    assert caught.value.reason == "connect"


def test_untrusted_certificate_fails_tls(guard: ConnectGuard, tmp_path: Path) -> None:
    with (
        LoopbackServer({"/doc": DOC}, tls=tls_context(tmp_path)) as server,
        pytest.raises(FetchFailed) as caught,
    ):
        Fetcher(TEST_MODE).get(server.url("/doc"))
    assert server.base.startswith("https://")
    assert caught.value.reason == "tls"


def test_tls_verifies_the_name_while_connecting_to_the_pinned_address(
    guard: ConnectGuard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a TLS server for tls.test, whose certificate the client is made to trust
    context = tls_context(tmp_path, hostname="tls.test")
    monkeypatch.setattr("requests.adapters.DEFAULT_CA_BUNDLE_PATH", str(tmp_path / "cert.pem"))
    names = {"tls.test": "127.0.0.1", "impostor.test": "127.0.0.1"}
    with FakeResolver(names), LoopbackServer({"/doc": DOC}, tls=context) as server:
        # WHEN fetched by its name  THEN TLS succeeds with SNI and Host naming it
        document = Fetcher(TEST_MODE).get_json(f"https://tls.test:{server.port}/doc")
        # WHEN another name leads to the same address  THEN the certificate does not match it
        with pytest.raises(FetchFailed) as caught:
            Fetcher(TEST_MODE).get(f"https://impostor.test:{server.port}/doc")
    assert document == {"id": "urn:example:doc"}
    assert server.server_names == ["tls.test", "impostor.test"]
    assert server.requests[0].headers["host"] == f"tls.test:{server.port}"
    assert caught.value.reason == "tls"
    assert {host for host, _ in guard.attempts} == {"127.0.0.1"}


def test_unknown_name_fails_dns() -> None:
    with FakeResolver({}) as resolver, pytest.raises(FetchFailed) as caught:
        Fetcher().get("https://nowhere.test/doc")
    assert caught.value.reason == "dns"
    assert resolver.lookups == ["nowhere.test"]


def test_name_is_resolved_once_and_the_address_pinned(guard: ConnectGuard) -> None:
    # GIVEN a rebinding name: loopback on the first answer, the metadata service afterwards
    with FakeResolver({"rebind.test": ["127.0.0.1", "169.254.169.254"]}) as resolver, serve({}) as server:
        # WHEN it is fetched in test mode
        document = Fetcher(TEST_MODE_HTTP).get_json(f"http://rebind.test:{server.port}/doc")
    # THEN one lookup, one connection to the pinned address, and the name kept in Host
    assert document == {"id": "urn:example:doc"}
    assert resolver.lookups == ["rebind.test"]
    assert guard.attempts == [("127.0.0.1", server.port)]
    assert server.requests[0].headers["host"] == f"rebind.test:{server.port}"


def test_each_redirect_hop_is_resolved_and_checked_again(guard: ConnectGuard) -> None:
    names = {"one.test": "127.0.0.1", "two.test": ["127.0.0.1", "10.0.0.1"]}
    with FakeResolver(names) as resolver, serve({}) as server:
        server.routes["/r"] = Route.redirect(f"http://two.test:{server.port}/r2")
        server.routes["/r2"] = Route.redirect(f"http://two.test:{server.port}/doc")
        with pytest.raises(FetchRefused) as caught:
            Fetcher(TEST_MODE_HTTP).get(f"http://one.test:{server.port}/r")
    # the second lookup of two.test (hop 3) answers 10.0.0.1 and is refused before connecting
    assert resolver.lookups == ["one.test", "two.test", "two.test"]
    assert (caught.value.reason, caught.value.details["cause"]) == ("redirect", "address")
    assert server.connections == 2


def test_concurrent_fetches_share_one_fetcher(guard: ConnectGuard) -> None:
    fetcher = Fetcher(FetchPolicy(allow_loopback=True, cache_ttl=0))
    results: list[object] = []
    with serve({f"/d{i}": Route.json({"i": i}) for i in range(8)}) as server:
        threads = [
            threading.Thread(target=lambda i=i: results.append(fetcher.get_json(server.url(f"/d{i}"))))
            for i in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert sorted(json.dumps(r) for r in results) == [json.dumps({"i": i}) for i in range(8)]
