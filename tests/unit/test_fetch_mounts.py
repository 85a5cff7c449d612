"""Fetcher mounts: URLs handed to another transport (one that never touches the network)."""

from __future__ import annotations

import pytest

from badgekiln.errors import FetchRefused
from badgekiln.fetch import Fetcher, FetchPolicy, MockTransport, TransportRequest, TransportResponse


def answering(name: str, seen: list[str]) -> MockTransport:
    def handle(request: TransportRequest) -> TransportResponse:
        seen.append(f"{name} {request.url}")
        return TransportResponse.of_json({"from": name})

    return MockTransport(handle)


def test_a_folder_mount_takes_every_url_below_it_and_an_exact_one_that_url_only() -> None:
    seen: list[str] = []
    fetcher = Fetcher(
        transport=answering("net", seen),
        mounts={
            "https://Example.org/a/": answering("folder", seen),
            "https://example.org/jwks.json": answering("exact", seen),
            "https://example.org/a/b/": answering("deeper", seen),
        },
    )
    for url in (
        "https://example.org/a/x",
        "https://example.org:443/a/b/c",
        "https://example.org/jwks.json",
        "https://example.org/jwks.json.bak",
        "https://example.org/ax",
    ):
        fetcher.get(url)
    assert seen == [
        "folder https://example.org/a/x",
        "deeper https://example.org/a/b/c",  # the longest mount wins
        "exact https://example.org/jwks.json",
        "net https://example.org/jwks.json.bak",
        "net https://example.org/ax",
    ]


def test_mounted_urls_skip_the_network_rules_and_are_served_offline() -> None:
    seen: list[str] = []
    mounts = {"http://127.0.0.1:8080/": answering("site", seen)}
    fetcher = Fetcher(FetchPolicy(offline=True), mounts=mounts)
    assert fetcher.get_json("http://127.0.0.1:8080/x") == {"from": "site"}
    with pytest.raises(FetchRefused) as caught:
        fetcher.get("http://127.0.0.1:8081/x")
    assert caught.value.reason == "offline"


def test_a_mount_redirecting_to_the_network_is_held_to_the_policy() -> None:
    site = MockTransport(lambda request: TransportResponse.redirect("https://public.example/x"))
    offline = Fetcher(FetchPolicy(offline=True), mounts={"http://127.0.0.1:8080/": site})
    with pytest.raises(FetchRefused) as caught:
        offline.get("http://127.0.0.1:8080/x")
    assert (caught.value.reason, caught.value.details["cause"]) == ("redirect", "offline")
    to_loopback = MockTransport(lambda request: TransportResponse.redirect("http://127.0.0.1:9/"))
    online = Fetcher(mounts={"http://127.0.0.1:8080/": to_loopback})
    with pytest.raises(FetchRefused) as caught:
        online.get("http://127.0.0.1:8080/x")
    assert (caught.value.reason, caught.value.details["cause"]) == ("redirect", "address")


@pytest.mark.parametrize("bad", ["ftp://example.org/", "/relative/", "https://user@example.org/", "https://"])
def test_a_mount_must_be_an_absolute_http_url(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot mount"):
        Fetcher(mounts={bad: MockTransport(lambda request: TransportResponse(404))})


def test_serves_locally_names_exactly_the_mounted_urls() -> None:
    site = answering("site", [])
    fetcher = Fetcher(mounts={"http://127.0.0.1:8080/": site, "http://127.0.0.1:8080/jwks.json": site})
    assert fetcher.serves_locally("http://127.0.0.1:8080/issuers/a/profile.json#ed25519-1")
    assert fetcher.serves_locally("http://127.0.0.1:8080/jwks.json")
    others = ("http://127.0.0.1:8081/x", "http://localhost:8080/x", "https://127.0.0.1:8080/x", "a", "")
    for other in others:
        assert not fetcher.serves_locally(other)
    assert not Fetcher().serves_locally("https://example.org/x")
