"""badgekiln.web.site: the site fetcher with a record of what the verifier read."""

from __future__ import annotations

import pytest

from badgekiln.errors import FetchRefused
from badgekiln.fetch import MockTransport, TransportRequest, TransportResponse
from badgekiln.store import LocalStore
from badgekiln.web.site import MAX_RECORDED, RecordingFetcher, page_fetcher
from tests.unit.test_hosting_site import LOCAL, PROFILE, network, store_fixture  # noqa: F401  (fixture)


def test_the_page_fetcher_reads_own_urls_from_the_store_and_records_them(store: LocalStore) -> None:
    seen: list[TransportRequest] = []
    fetcher = page_fetcher(store, LOCAL, transport=network(seen))
    assert fetcher.get_json(PROFILE["id"]) == PROFILE
    assert seen == []  # no network
    assert fetcher.document(PROFILE["id"] + "#key-1") == PROFILE


def test_without_a_store_it_is_the_strict_fetcher() -> None:
    fetcher = page_fetcher(None, None)
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
