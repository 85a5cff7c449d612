"""badgekiln.hosting.site: this deployment's URLs from the store, and nothing else local."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from badgekiln.errors import FetchFailed, FetchRefused
from badgekiln.fetch import MockTransport, TransportRequest, TransportResponse
from badgekiln.hosting.media import CACHE_PUBLIC, TYPE_JSONLD, TYPE_JWK_SET
from badgekiln.hosting.site import site_fetcher
from badgekiln.store import LocalStore, Store

LOCAL = "http://127.0.0.1:8080"
PROFILE = {"id": f"{LOCAL}/issuers/acme/profile.json", "type": ["Profile"], "name": "Acme"}


@pytest.fixture(name="store")
def store_fixture(tmp_path: Path) -> LocalStore:
    store = LocalStore(str(tmp_path))
    body = json.dumps(PROFILE).encode()
    store.put("public/issuers/acme/profile.json", body, content_type=TYPE_JSONLD, cache_control=CACHE_PUBLIC)
    store.put("public/.well-known/jwks.json", b'{"keys":[]}', content_type=TYPE_JWK_SET)
    store.put("private/keys/acme.pem", b"secret", content_type="application/x-pem-file")
    return store


def network(seen: list[TransportRequest], answer: TransportResponse | None = None) -> MockTransport:
    def handle(request: TransportRequest) -> TransportResponse:
        seen.append(request)
        return answer or TransportResponse.of_json({"id": request.url, "name": "Remote"})

    return MockTransport(handle)


def test_own_urls_are_answered_from_the_store(store: LocalStore) -> None:
    seen: list[TransportRequest] = []
    fetcher = site_fetcher(store, LOCAL, transport=network(seen))
    assert fetcher.get_json(PROFILE["id"]) == PROFILE
    # any spelling of the same address is the same URL once canonical
    assert fetcher.get_json("http://127.1:8080/issuers/acme/profile.json") == PROFILE
    assert seen == []  # no network


def test_json_ld_is_negotiated_as_the_public_function_would(store: LocalStore) -> None:
    fetcher = site_fetcher(store, LOCAL, transport=network([]))
    assert fetcher.get(PROFILE["id"], accept=("application/json",)).content_type == "application/json"
    assert fetcher.get(PROFILE["id"]).content_type == TYPE_JSONLD


@pytest.mark.parametrize(
    "path",
    [
        "/issuers/acme/missing.json",
        "/private/keys/acme.pem",
        "/issuers/acme/../../private/keys/acme.pem",
        "/issuers/acme/profile.json?x=1",
    ],
)
def test_own_urls_outside_the_layout_or_missing_are_404(store: LocalStore, path: str) -> None:
    seen: list[TransportRequest] = []
    with pytest.raises(FetchFailed) as caught:
        site_fetcher(store, LOCAL, transport=network(seen)).get(LOCAL + path)
    assert (caught.value.reason, caught.value.details["status"]) == ("status", 404)
    assert seen == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:22/", "address"),  # this machine, another port
        ("http://127.0.0.1/issuers/acme/profile.json", "address"),
        ("http://127.0.0.2:8080/issuers/acme/profile.json", "address"),
        ("http://[::1]:8080/issuers/acme/profile.json", "address"),
        ("http://localhost:8080/issuers/acme/profile.json", "address"),
        ("https://127.0.0.1:8080/issuers/acme/profile.json", "address"),
        ("https://127.0.0.1:8443/x", "address"),
        ("https://localhost/x", "address"),
        ("http://issuer.example/x", "scheme"),
    ],
)
def test_foreign_urls_keep_the_strict_rules_on_a_local_site(store: LocalStore, url: str, reason: str) -> None:
    seen: list[TransportRequest] = []
    with pytest.raises(FetchRefused) as caught:
        site_fetcher(store, LOCAL, transport=network(seen)).get(url)
    assert caught.value.reason == reason
    assert seen == []


def test_foreign_urls_go_to_the_network_with_the_production_policy(store: LocalStore) -> None:
    seen: list[TransportRequest] = []
    fetcher = site_fetcher(store, LOCAL, transport=network(seen))
    assert fetcher.get_json("https://issuer.example/profile")["name"] == "Remote"
    assert [(r.url, r.allow_loopback) for r in seen] == [("https://issuer.example/profile", False)]


def test_redirects_are_checked_against_the_exception_too(store: LocalStore) -> None:
    # a foreign server redirecting to another local listener: refused
    to_other = TransportResponse.redirect("http://127.0.0.1:443/admin")
    with pytest.raises(FetchRefused) as caught:
        site_fetcher(store, LOCAL, transport=network([], to_other)).get("https://evil.example/x")
    assert (caught.value.reason, caught.value.details["cause"]) == ("redirect", "address")
    # ... and to this site's own document: read from the store, like any link to it
    to_own = TransportResponse.redirect(PROFILE["id"])
    assert site_fetcher(store, LOCAL, transport=network([], to_own)).get_json("https://a.example/") == PROFILE


def test_a_prefixed_site_keeps_its_jwks_at_the_origin_and_leaves_the_rest_of_it(store: LocalStore) -> None:
    seen: list[TransportRequest] = []
    fetcher = site_fetcher(store, "https://example.org/badges", transport=network(seen))
    assert fetcher.get_json("https://example.org/.well-known/jwks.json") == {"keys": []}
    assert fetcher.get_json("https://example.org/badges/issuers/acme/profile.json") == PROFILE
    assert seen == []
    # the same origin outside the prefix is someone else's: the network
    assert fetcher.get_json("https://example.org/issuers/acme/profile.json")["name"] == "Remote"
    assert fetcher.get_json("https://example.org/.well-known/did.json")["name"] == "Remote"
    assert len(seen) == 2


def test_the_store_is_opened_only_when_an_own_document_is_read(store: LocalStore) -> None:
    opened: list[Store] = []

    def open_store() -> Store:
        opened.append(store)
        return store

    fetcher = site_fetcher(open_store, LOCAL, transport=network([]))
    fetcher.get("https://issuer.example/profile")
    assert opened == []
    fetcher.get(PROFILE["id"])
    fetcher.get(LOCAL + "/.well-known/jwks.json")
    assert len(opened) == 1
