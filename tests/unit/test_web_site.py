"""badgekiln.web.site: own URLs from the store, everything else strictly, and a record of what was read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from badgekiln.errors import FetchFailed, FetchRefused
from badgekiln.fetch import MockTransport, TransportRequest, TransportResponse
from badgekiln.hosting.media import CACHE_PUBLIC, TYPE_JSONLD
from badgekiln.store import LocalStore
from badgekiln.web.site import MAX_RECORDED, RecordingFetcher, site_fetcher

LOCAL = "http://127.0.0.1:8080"
PROFILE = {"id": f"{LOCAL}/issuers/acme/profile.json", "type": ["Profile"], "name": "Acme"}


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(str(tmp_path))
    body = json.dumps(PROFILE).encode()
    store.put("public/issuers/acme/profile.json", body, content_type=TYPE_JSONLD, cache_control=CACHE_PUBLIC)
    store.put("private/keys/acme.pem", b"secret", content_type="application/x-pem-file")
    return store


def network(seen: list[TransportRequest]) -> MockTransport:
    def answer(request: TransportRequest) -> TransportResponse:
        seen.append(request)
        return TransportResponse.of_json({"id": request.url, "name": "Remote"})

    return MockTransport(answer)


def test_own_urls_are_answered_from_the_store(store: LocalStore) -> None:
    seen: list[TransportRequest] = []
    fetcher = site_fetcher(store, LOCAL, network=network(seen))
    assert fetcher.get_json(PROFILE["id"]) == PROFILE
    assert seen == []  # no network
    assert fetcher.document(PROFILE["id"] + "#key-1") == PROFILE


@pytest.mark.parametrize(
    "path",
    ["/issuers/acme/missing.json", "/private/keys/acme.pem", "/issuers/acme/../../private/keys/acme.pem"],
)
def test_own_urls_outside_the_layout_or_missing_are_404(store: LocalStore, path: str) -> None:
    with pytest.raises((FetchFailed, FetchRefused)) as caught:
        site_fetcher(store, LOCAL, network=network([])).get(LOCAL + path)
    assert caught.value.details.get("status") in (404, None)


def test_foreign_urls_keep_the_strict_rules_on_a_local_site(store: LocalStore) -> None:
    seen: list[TransportRequest] = []
    fetcher = site_fetcher(store, LOCAL, network=network(seen))
    for url, reason in (
        ("http://127.0.0.1:22/", "scheme"),
        ("https://127.0.0.1:8443/x", "address"),
        ("https://localhost/x", "address"),
        ("http://issuer.example/x", "scheme"),
    ):
        with pytest.raises(FetchRefused) as caught:
            fetcher.get(url)
        assert caught.value.reason == reason, url
    assert seen == []
    assert fetcher.get_json("https://issuer.example/profile")["name"] == "Remote"
    assert [(r.url, r.allow_loopback) for r in seen] == [("https://issuer.example/profile", False)]


def test_without_a_store_it_is_the_strict_fetcher() -> None:
    fetcher = site_fetcher(None, None)
    with pytest.raises(FetchRefused) as caught:
        fetcher.get(PROFILE["id"])
    assert caught.value.reason == "address"


def test_the_record_is_bounded_and_tolerates_non_objects() -> None:
    def answer(request: TransportRequest) -> TransportResponse:
        if request.url.endswith("/list"):
            return TransportResponse.of_json([1, 2])
        return TransportResponse.of_json({"n": request.url})

    fetcher = RecordingFetcher(transport=MockTransport(answer))
    fetcher.get("https://issuer.example/list")
    assert fetcher.document("https://issuer.example/list") is None
    for n in range(MAX_RECORDED + 5):
        fetcher.get(f"https://issuer.example/{n}")
    assert fetcher.document("https://issuer.example/0") == {"n": "https://issuer.example/0"}
    assert fetcher.document(f"https://issuer.example/{MAX_RECORDED + 4}") is None
    assert fetcher.document("https://never.example/") is None
