"""SSRF: the production policy refuses every local, private and special target before connecting.

Every case runs under a ConnectGuard (which records each connect() and refuses non-loopback
destinations before any packet is sent) and, where the target is loopback, against a live
loopback server whose accept counter must stay at zero. Names resolve through FakeResolver, so
no test queries real DNS.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from badgekiln.errors import FetchFailed, FetchRefused
from badgekiln.fetch import Fetcher, FetchPolicy
from tests.loopback import ConnectGuard, FakeResolver, LoopbackServer, Route

PRODUCTION = FetchPolicy()
PRODUCTION_HTTP = FetchPolicy(allow_http=True)  # still production address rules, plain http allowed

# Loopback in its many spellings; {port} is the live server's, so a slip would be counted.
LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.0.0.1.",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0x7f.1",
    "0177.0.0.1",
    "017700000001",
    "127.254.0.9",
    "localhost",
    "LOCALHOST",
    "localhost.",
    "api.localhost",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "0.0.0.0",
    "0",
]

# Special-purpose IPv4 and IPv6 targets (never contacted: refusal happens before connect()).
FORBIDDEN_ADDRESSES = [
    "169.254.169.254",  # cloud metadata
    "[fd00:ec2::254]",  # AWS metadata over IPv6
    "[::ffff:169.254.169.254]",
    "[::ffff:a9fe:a9fe]",
    "10.0.0.1",
    "10.255.255.255",
    "012.0.0.1",  # octal 10.0.0.1
    "167772161",  # decimal 10.0.0.1
    "172.16.0.1",
    "172.31.255.254",
    "192.168.0.1",
    "192.168.255.255",
    "100.64.0.1",  # carrier-grade NAT
    "100.127.255.254",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "255.255.255.255",
    "240.0.0.1",
    "198.18.0.1",
    "192.0.0.8",
    "192.88.99.1",  # 6to4 relay
    "[fd00::1]",
    "[fc00::1]",
    "[fe80::1]",
    "[fec0::1]",
    "[ff02::1]",
    "[::]",
    "[2002:a9fe:a9fe::]",  # 6to4 wrapping 169.254.169.254
    "[64:ff9b::a9fe:a9fe]",  # NAT64 wrapping 169.254.169.254
    "[2001::1]",  # Teredo
    "[2001:db8::1]",
    "[100::1]",
]

# Names that resolve (through FakeResolver) to forbidden addresses.
RESOLVED = {
    "metadata.test": "169.254.169.254",
    "internal.test": "10.0.0.1",
    "cgnat.test": "100.64.0.7",
    "loop.test": "127.0.0.1",
    "six.test": "fd00::1",
    "linklocal6.test": "fe80::1",
    "mapped.test": "::ffff:10.0.0.1",
    "nat64.test": "64:ff9b::a00:1",
    "multicast.test": "224.0.0.251",
    "zero.test": "0.0.0.0",
    # requests-hardened lets these two through; badgekiln's re-check of the pinned IP must not.
    "sitelocal.test": "fec0::1",
    "compat.test": "::7f00:1",
}


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer({"/doc": Route.json({"ok": True})}) as running:
        yield running


@pytest.fixture
def guard() -> Iterator[ConnectGuard]:
    with ConnectGuard() as recording:
        yield recording


@pytest.fixture
def resolver() -> Iterator[FakeResolver]:
    with FakeResolver(RESOLVED) as fake:
        yield fake


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
@pytest.mark.parametrize("policy", [PRODUCTION, PRODUCTION_HTTP], ids=["https-only", "http-allowed"])
def test_production_refuses_loopback_spellings(
    host: str, policy: FetchPolicy, server: LoopbackServer, guard: ConnectGuard, resolver: FakeResolver
) -> None:
    # GIVEN a live loopback server  WHEN production fetches it under any spelling
    scheme = "http" if policy.allow_http else "https"
    with pytest.raises(FetchRefused) as caught:
        Fetcher(policy).get(f"{scheme}://{host}:{server.port}/doc")
    # THEN it is refused for its address, before DNS or connect
    assert caught.value.reason == "address"
    assert guard.attempts == []
    assert resolver.lookups == []
    assert server.connections == 0


@pytest.mark.parametrize("host", FORBIDDEN_ADDRESSES)
@pytest.mark.parametrize("scheme", ["https", "http"])
def test_production_refuses_special_addresses(
    host: str, scheme: str, guard: ConnectGuard, resolver: FakeResolver
) -> None:
    with pytest.raises(FetchRefused) as caught:
        Fetcher(PRODUCTION_HTTP).get(f"{scheme}://{host}/latest/meta-data/")
    assert caught.value.reason == "address"
    assert caught.value.details["url"].startswith(scheme)
    assert guard.attempts == []
    assert resolver.lookups == []


@pytest.mark.parametrize("name", sorted(RESOLVED))
def test_production_refuses_names_resolving_to_forbidden_addresses(
    name: str, guard: ConnectGuard, resolver: FakeResolver
) -> None:
    # GIVEN a public-looking name whose DNS answer is local  WHEN fetched over the real transport
    with pytest.raises(FetchRefused) as caught:
        Fetcher(PRODUCTION).get(f"https://{name}/profile.json")
    # THEN the resolved address is refused: one lookup, no connection
    assert caught.value.reason == "address"
    assert resolver.lookups == [name]
    assert guard.attempts == []


def test_production_refuses_name_resolving_to_the_live_loopback_server(
    server: LoopbackServer, guard: ConnectGuard, resolver: FakeResolver
) -> None:
    with pytest.raises(FetchRefused) as caught:
        Fetcher(PRODUCTION_HTTP).get(f"http://loop.test:{server.port}/doc")
    assert caught.value.reason == "address"
    assert caught.value.details["address"] == "127.0.0.1"
    assert server.connections == 0
    assert guard.attempts == []


def test_public_address_passes_the_filter(guard: ConnectGuard) -> None:
    # Positive control: a public address is let through to connect() (which the guard then
    # refuses before any packet leaves), so the refusals above are not a filter that refuses all.
    with FakeResolver({"issuer.test": "93.184.215.14"}), pytest.raises(FetchFailed) as caught:
        Fetcher(PRODUCTION).get("https://issuer.test/profile")
    assert caught.value.reason == "connect"
    assert guard.blocked == [("93.184.215.14", 443)]


@pytest.mark.parametrize(
    "url",
    [
        "http://issuer.test/profile",  # plain http refused by default
        "HTTP://issuer.test/profile",
    ],
)
def test_production_refuses_plain_http(url: str, guard: ConnectGuard, resolver: FakeResolver) -> None:
    with pytest.raises(FetchRefused) as caught:
        Fetcher(PRODUCTION).get(url)
    assert caught.value.reason == "scheme"
    assert resolver.lookups == []
    assert guard.attempts == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme"),
        ("gopher://127.0.0.1:70/_stats", "scheme"),
        ("ftp://issuer.test/x", "scheme"),
        ("dict://issuer.test:11211/stat", "scheme"),
        ("https://user:secret@issuer.test/", "userinfo"),
        ("https://issuer.test@169.254.169.254/", "userinfo"),
        ("https://issuer.test\\@127.0.0.1/", "url"),
        ("https://issuer.test%2f@127.0.0.1/", "userinfo"),
        ("https://%31%32%37.0.0.1/", "url"),
        ("https://127.0.0.1%00.issuer.test/", "url"),
        ("https://issuer.test:0/", "url"),
        ("https://[fe80::1%25eth0]/", "url"),
        ("https:/issuer.test/", "url"),
    ],
)
def test_production_refuses_malformed_and_smuggling_urls(
    url: str, reason: str, guard: ConnectGuard, resolver: FakeResolver
) -> None:
    with pytest.raises(FetchRefused) as caught:
        Fetcher(PRODUCTION).get(url)
    assert caught.value.reason == reason
    assert guard.attempts == []
    assert resolver.lookups == []


def test_test_mode_still_refuses_private_and_link_local(guard: ConnectGuard, resolver: FakeResolver) -> None:
    loopback_ok = Fetcher(FetchPolicy(allow_loopback=True, allow_http=True))
    for url in (
        "http://169.254.169.254/",
        "http://10.0.0.1/",
        "https://internal.test/",
        "http://[::ffff:127.0.0.1]/",
    ):
        with pytest.raises(FetchRefused) as caught:
            loopback_ok.get(url)
        assert caught.value.reason == "address", url
    assert guard.attempts == []


def test_test_mode_allows_the_loopback_server(server: LoopbackServer, guard: ConnectGuard) -> None:
    # The same target that production refuses above is served once allow_loopback is set.
    assert Fetcher(FetchPolicy(allow_loopback=True)).get_json(server.url("/doc")) == {"ok": True}
    assert server.connections == 1
    assert guard.blocked == []


def test_ipv6_loopback_refused_in_production_and_allowed_in_test_mode(guard: ConnectGuard) -> None:
    try:
        v6 = LoopbackServer({"/doc": Route.json({"v6": True})}, host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with v6:
        with pytest.raises(FetchRefused):
            Fetcher(PRODUCTION_HTTP).get(v6.url("/doc"))
        assert v6.connections == 0
        assert Fetcher(FetchPolicy(allow_loopback=True)).get_json(v6.url("/doc")) == {"v6": True}
        assert v6.connections == 1
    assert guard.blocked == []


def test_port_allow_list(guard: ConnectGuard, resolver: FakeResolver) -> None:
    policy = FetchPolicy(ports=frozenset({443}))
    with pytest.raises(FetchRefused) as caught:
        Fetcher(policy).get("https://issuer.test:8443/")
    assert caught.value.reason == "port"
    assert guard.attempts == []


def test_guard_really_blocks() -> None:
    # The guard itself must refuse non-loopback destinations, or every test above proves nothing.
    with ConnectGuard() as guard, socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("10.0.0.1", 80))
    assert guard.blocked == [("10.0.0.1", 80)]
