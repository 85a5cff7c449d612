"""The fetcher's HTTP cache over injected transports (no sockets): what is stored, for how long,
how it is revalidated, what is never stored, and that a cached answer is checked like a new one.

Every count is of requests that reached the transport seam.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.utils import formatdate
from time import time

import pytest

from badgekiln.errors import FetchFailed, FetchRefused
from badgekiln.fetch import (
    FetchCache,
    Fetcher,
    FetchPolicy,
    MockTransport,
    TransportRequest,
    TransportResponse,
)

URL = "https://issuer.example/profile"
DOC = {"id": URL, "type": "Profile", "name": "Example"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def answering(*answers: TransportResponse) -> MockTransport:
    """Answers in turn (the last one repeats)."""

    def handle(request: TransportRequest) -> TransportResponse:
        return answers[min(len(transport.requests), len(answers)) - 1]

    transport = MockTransport(handle)
    return transport


def doc(headers: Mapping[str, str] | None = None, data: object = DOC, status: int = 200) -> TransportResponse:
    return TransportResponse.of_json(data, status=status, headers=headers)


def fetcher_with(transport: MockTransport, policy: FetchPolicy | None = None) -> tuple[Fetcher, Clock]:
    clock = Clock()
    return Fetcher(policy or FetchPolicy(), transport=transport, clock=clock), clock


def conditional(request: TransportRequest) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k.startswith("if-")}


# --- freshness ---------------------------------------------------------------------------------


def test_a_fresh_answer_is_reused_until_its_max_age() -> None:
    transport = answering(doc({"cache-control": "public, max-age=60"}))
    fetcher, clock = fetcher_with(transport)
    assert fetcher.get_json(URL) == DOC
    clock.now += 59.9
    assert fetcher.get_json(URL + "#again") == DOC
    assert len(transport.requests) == 1
    clock.now += 0.1
    fetcher.get(URL)
    assert len(transport.requests) == 2
    assert conditional(transport.requests[1]) == {}  # nothing to revalidate with: a plain GET


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no heuristic freshness
        {"cache-control": "no-store, max-age=60"},
        {"cache-control": "private, max-age=60"},  # the cache is shared between requests
        {"cache-control": "max-age=60", "vary": "Accept, *"},
        {"cache-control": "max-age=60, max-age=120"},  # conflicting: stale
        {"cache-control": "max-age=sixty"},
        {"cache-control": "max-age=60 junk"},
        {"cache-control": "s-maxage=0, max-age=60"},  # a shared cache obeys s-maxage
        {"expires": "0"},
        {"expires": "not a date", "cache-control": ""},
        {"cache-control": "max-age=60", "age": "60"},  # already as old as it may be
        {"cache-control": "max-age=60", "date": formatdate(time() - 120, usegmt=True)},
        {"cache-control": "no-cache, max-age=60"},  # and no validator to revalidate with
    ],
)
def test_answers_that_may_not_be_reused_are_fetched_again(headers: dict[str, str]) -> None:
    transport = answering(doc(headers))
    fetcher, _ = fetcher_with(transport)
    fetcher.get(URL)
    fetcher.get(URL)
    assert len(transport.requests) == 2
    assert len(fetcher.cache) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"cache-control": "s-maxage=60, max-age=0"},
        {"cache-control": 'public, max-age="60", community="x,y"'},
        {"expires": formatdate(time() + 600, usegmt=True), "date": formatdate(time(), usegmt=True)},
        {"cache-control": "max-age=120", "age": "30"},
    ],
)
def test_explicit_freshness_in_its_forms_is_honoured(headers: dict[str, str]) -> None:
    transport = answering(doc(headers))
    fetcher, clock = fetcher_with(transport)
    fetcher.get(URL)
    clock.now += 50
    fetcher.get(URL)
    assert len(transport.requests) == 1


@pytest.mark.parametrize(
    ("headers", "policy", "trusted_for"),
    [
        # the age the answer arrived with counts
        ({"cache-control": "max-age=60", "age": "50"}, FetchPolicy(), 10),
        # the policy caps how long an answer is trusted, whatever it says
        ({"cache-control": "public, max-age=31536000, immutable"}, FetchPolicy(cache_ttl=60), 60),
    ],
)
def test_an_answer_is_trusted_for_what_is_left_of_its_lifetime(
    headers: dict[str, str], policy: FetchPolicy, trusted_for: int
) -> None:
    transport = answering(doc(headers))
    fetcher, clock = fetcher_with(transport, policy)
    fetcher.get(URL)
    clock.now += trusted_for - 1
    fetcher.get(URL)
    assert len(transport.requests) == 1
    clock.now += 1
    fetcher.get(URL)
    assert len(transport.requests) == 2


@pytest.mark.parametrize("policy", [FetchPolicy(cache_ttl=0), FetchPolicy(cache_entries=0)])
def test_the_cache_can_be_turned_off(policy: FetchPolicy) -> None:
    transport = answering(doc({"cache-control": "max-age=60", "etag": '"v1"'}))
    fetcher, _ = fetcher_with(transport, policy)
    fetcher.get(URL)
    fetcher.get(URL)
    assert [conditional(r) for r in transport.requests] == [{}, {}]


def test_clear_cache_forgets_everything() -> None:
    transport = answering(doc({"cache-control": "max-age=60"}))
    fetcher, _ = fetcher_with(transport)
    fetcher.get(URL)
    fetcher.clear_cache()
    fetcher.get(URL)
    assert len(transport.requests) == 2


# --- revalidation ------------------------------------------------------------------------------


def test_a_stale_answer_is_revalidated_with_its_etag_and_a_304_freshens_it() -> None:
    transport = answering(
        doc({"cache-control": "max-age=10", "etag": '"v1"'}),
        TransportResponse(304, {"cache-control": "max-age=60", "etag": '"v1"'}),
    )
    fetcher, clock = fetcher_with(transport)
    fetcher.get(URL)
    clock.now += 10
    response = fetcher.get(URL)
    assert response.json() == DOC
    assert response.status == 200
    assert response.headers["cache-control"] == "max-age=60"  # the 304's headers win
    assert conditional(transport.requests[1]) == {"if-none-match": '"v1"'}
    clock.now += 59  # fresh again, for the 304's max-age
    fetcher.get(URL)
    assert len(transport.requests) == 2


def test_no_cache_means_revalidate_every_time() -> None:
    modified = formatdate(time() - 3600, usegmt=True)
    transport = answering(
        doc({"cache-control": "no-cache", "last-modified": modified}),
        TransportResponse(304, {}),
    )
    fetcher, _ = fetcher_with(transport)
    for _ in range(3):
        assert fetcher.get_json(URL) == DOC
    assert [conditional(r) for r in transport.requests] == [
        {},
        {"if-modified-since": modified},
        {"if-modified-since": modified},
    ]


def test_a_changed_document_replaces_the_stored_one() -> None:
    transport = answering(
        doc({"cache-control": "max-age=1", "etag": '"v1"'}),
        doc({"cache-control": "max-age=60", "etag": '"v2"'}, data={"v": 2}),
        TransportResponse(304, {}),
    )
    fetcher, clock = fetcher_with(transport)
    fetcher.get(URL)
    clock.now += 1
    assert fetcher.get_json(URL) == {"v": 2}
    clock.now += 60
    assert fetcher.get_json(URL) == {"v": 2}
    assert conditional(transport.requests[2]) == {"if-none-match": '"v2"'}


def test_a_304_for_another_representation_is_not_trusted() -> None:
    transport = answering(
        doc({"cache-control": "max-age=1", "etag": '"v1"'}),
        TransportResponse(304, {"etag": '"v9"'}),
        doc({"cache-control": "max-age=60", "etag": '"v9"'}, data={"v": 9}),
    )
    fetcher, clock = fetcher_with(transport)
    fetcher.get(URL)
    clock.now += 1
    assert fetcher.get_json(URL) == {"v": 9}
    assert [conditional(r) for r in transport.requests] == [{}, {"if-none-match": '"v1"'}, {}]


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_a_failed_revalidation_fails_and_drops_the_stored_answer(status: int) -> None:
    transport = answering(
        doc({"cache-control": "max-age=1", "etag": '"v1"'}),
        TransportResponse(status, {"cache-control": "max-age=600"}),
    )
    fetcher, clock = fetcher_with(transport)
    fetcher.get(URL)
    clock.now += 1
    for _ in range(2):  # never served stale, and the stored answer is gone: no more validators
        with pytest.raises(FetchFailed) as caught:
            fetcher.get(URL)
        assert caught.value.details["status"] == status
    assert [conditional(r) for r in transport.requests] == [{}, {"if-none-match": '"v1"'}, {}]
    assert len(fetcher.cache) == 0


def test_a_refused_revalidation_leaves_nothing_behind() -> None:
    # the host now resolves to a forbidden address (DNS rebinding): the transport refuses
    refusal = FetchRefused("refused", url=URL, reason="address", address="10.0.0.1")
    calls: list[TransportRequest] = []

    def handle(request: TransportRequest) -> TransportResponse:
        calls.append(request)
        if len(calls) > 1:
            raise refusal
        return doc({"cache-control": "max-age=1", "etag": '"v1"'})

    fetcher, clock = fetcher_with(MockTransport(handle))
    fetcher.get(URL)
    clock.now += 1
    for _ in range(2):
        with pytest.raises(FetchRefused) as caught:
            fetcher.get(URL)
        assert caught.value.reason == "address"
    assert len(fetcher.cache) == 0
    assert len(calls) == 3


# --- what is never stored, and what is checked on every use ------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        TransportResponse(410, {"cache-control": "max-age=600"}),
        TransportResponse(500, {"cache-control": "max-age=600"}),
        TransportResponse(206, {"cache-control": "max-age=600", "content-type": "application/json"}, b"{}"),
        doc({"cache-control": "max-age=600"}, status=202),
        TransportResponse(200, {"cache-control": "max-age=600", "content-type": "text/html"}, b"<p>"),
    ],
)
def test_failures_are_never_stored(answer: TransportResponse) -> None:
    transport = answering(answer)
    fetcher, _ = fetcher_with(transport)
    outcomes = []
    for _ in range(2):
        try:
            fetcher.get(URL)
            outcomes.append("ok")
        except FetchFailed as exc:
            outcomes.append(exc.reason)
    assert len(transport.requests) == 2
    if outcomes[0] != "ok":
        assert len(fetcher.cache) == 0


def test_a_cached_answer_obeys_this_calls_size_cap_and_accept() -> None:
    transport = answering(doc({"cache-control": "max-age=60"}))
    fetcher, _ = fetcher_with(transport)
    size = len(fetcher.get(URL).body)
    with pytest.raises(FetchFailed) as caught:
        fetcher.get(URL, max_bytes=size - 1)
    assert caught.value.reason == "too-large"
    fetcher.get(URL, accept=["application/ld+json", "application/json"])  # the same Accept: stored
    fetcher.get(URL, accept=["application/json"])  # another Accept is another entry
    assert len(transport.requests) == 2


def test_shared_between_fetchers_but_never_across_transports_or_address_rules() -> None:
    cache = FetchCache()
    first = answering(doc({"cache-control": "max-age=60"}))
    second = answering(doc({"cache-control": "max-age=60"}, data={"other": True}))
    Fetcher(transport=first, cache=cache).get(URL)
    assert Fetcher(transport=first, cache=cache).get_json(URL) == DOC
    assert len(first.requests) == 1
    assert Fetcher(transport=second, cache=cache).get_json(URL) == {"other": True}
    Fetcher(FetchPolicy(allow_loopback=True), transport=first, cache=cache).get(URL)
    assert (len(first.requests), len(second.requests)) == (2, 1)


def route(table: Mapping[str, TransportResponse]) -> MockTransport:
    return MockTransport(lambda request: table.get(request.url, TransportResponse(404)))


REDIRECTED = "https://issuer.example:8443/profile"


def test_a_cached_redirect_is_rechecked_on_every_use() -> None:
    transport = route(
        {
            URL: TransportResponse(301, {"location": REDIRECTED, "cache-control": "max-age=3600"}),
            REDIRECTED: doc({"cache-control": "max-age=3600"}),
        }
    )
    cache = FetchCache()
    assert Fetcher(transport=transport, cache=cache).get(URL).url == REDIRECTED
    assert len(cache) == 2
    strict = Fetcher(FetchPolicy(ports=frozenset({443})), transport=transport, cache=cache)
    with pytest.raises(FetchRefused) as refused:
        strict.get(URL)
    assert (refused.value.reason, refused.value.details["cause"]) == ("redirect", "port")
    no_hops = Fetcher(FetchPolicy(max_redirects=0), transport=transport, cache=cache)
    with pytest.raises(FetchFailed) as failed:
        no_hops.get(URL)
    assert failed.value.reason == "too-many-redirects"
    assert len(transport.requests) == 2  # both refusals came from the cache's redirect, re-checked


@pytest.mark.parametrize(
    "location", ["http://issuer.example/x", "https://10.0.0.1/x", "https://169.254.169.254/latest"]
)
def test_a_redirect_to_a_refused_target_is_not_stored(location: str) -> None:
    transport = route({URL: TransportResponse(301, {"location": location, "cache-control": "max-age=3600"})})
    fetcher, _ = fetcher_with(transport)
    for _ in range(2):
        with pytest.raises(FetchRefused) as caught:
            fetcher.get(URL)
        assert caught.value.reason == "redirect"
    assert len(fetcher.cache) == 0
    assert len(transport.requests) == 2


def test_pinned_documents_are_never_cached_or_overridden() -> None:
    transport = answering(doc({"cache-control": "max-age=60"}, data={"from": "network"}))
    fetcher = Fetcher(transport=transport, documents={URL: b'{"from": "pin"}'})
    assert fetcher.get_json(URL) == {"from": "pin"}
    assert len(fetcher.cache) == 0
    assert transport.requests == ()


# --- bounds ------------------------------------------------------------------------------------


def many(count: int, size: int = 10) -> Callable[[TransportRequest], TransportResponse]:
    def handle(request: TransportRequest) -> TransportResponse:
        return doc({"cache-control": "max-age=60"}, data="x" * size)

    return handle


def test_entries_are_bounded_least_recently_used_first() -> None:
    transport = MockTransport(many(4))
    fetcher = Fetcher(transport=transport, cache=FetchCache(entries=2))
    for i in (0, 1, 0, 2):  # d1 is the least recently used when d2 arrives
        fetcher.get(f"https://issuer.example/d{i}")
    assert len(transport.requests) == 3
    fetcher.get("https://issuer.example/d0")
    assert len(transport.requests) == 3
    fetcher.get("https://issuer.example/d1")
    assert len(transport.requests) == 4


def test_bytes_are_bounded_and_an_oversized_answer_is_not_stored() -> None:
    cache = FetchCache(max_bytes=64 * 1024)
    small = Fetcher(transport=MockTransport(many(0, size=2000)), cache=cache)
    for i in range(40):
        small.get(f"https://issuer.example/s{i}")
    assert cache.size <= 64 * 1024
    assert 0 < len(cache) < 40
    transport = MockTransport(many(0, size=9000))
    big = Fetcher(transport=transport, cache=cache)
    for _ in range(2):
        big.get("https://issuer.example/big")  # more than an eighth of the budget
    assert cache.size <= 64 * 1024
    assert len(transport.requests) == 2


@pytest.mark.parametrize("bad", [{"entries": -1}, {"max_bytes": -1}, {"entries": 1.5}, {"entries": True}])
def test_impossible_bounds_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FetchCache(**bad)  # type: ignore[arg-type]


def test_a_shared_cache_keeps_its_own_clock() -> None:
    with pytest.raises(ValueError, match="clock"):
        Fetcher(cache=FetchCache(), clock=lambda: 0.0)
    with pytest.raises(TypeError):
        Fetcher(cache={})  # type: ignore[arg-type]
