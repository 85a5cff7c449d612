"""The Fetcher's own logic over injected transports: no sockets at all."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import badgekiln.fetch
from badgekiln.errors import FetchFailed, FetchRefused, InputError, InputTooLarge, MalformedPayload
from badgekiln.fetch import (
    HARD_MAX_BYTES,
    JSON_TYPES,
    Fetcher,
    FetchPolicy,
    FetchResponse,
    MockTransport,
    StaticTransport,
    Transport,
    TransportRequest,
    TransportResponse,
)

PROFILE_URL = "https://issuer.example/profile"
PROFILE = {"id": PROFILE_URL, "type": "Issuer", "name": "Example"}


def static(**routes: TransportResponse) -> StaticTransport:
    """StaticTransport keyed by path on https://issuer.example."""
    return StaticTransport({f"https://issuer.example/{path}": r for path, r in routes.items()})


def test_public_surface() -> None:
    assert set(badgekiln.fetch.__all__) == {
        "DEFAULT_MAX_BYTES",
        "HARD_MAX_BYTES",
        "IMAGE_TYPES",
        "JSON_TYPES",
        "JWT_TYPES",
        "MAX_URL_LENGTH",
        "USER_AGENT",
        "FetchCache",
        "FetchPolicy",
        "FetchResponse",
        "Fetcher",
        "MockTransport",
        "StaticTransport",
        "Transport",
        "TransportRequest",
        "TransportResponse",
        "address_refusal",
    }
    assert isinstance(StaticTransport({}), Transport)


def test_importing_fetch_and_serving_pins_does_not_import_requests() -> None:
    code = textwrap.dedent(
        """
        import sys
        from badgekiln.fetch import Fetcher, FetchPolicy
        fetcher = Fetcher(FetchPolicy(offline=True), documents={"https://a.example/": b"{}"})
        assert fetcher.get_json("https://a.example/") == {}
        heavy = sorted(m for m in ("requests", "urllib3", "requests_hardened") if m in sys.modules)
        print(",".join(heavy))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


# --- the request the transport sees -----------------------------------------------------------------


def test_transport_gets_the_canonical_url_fixed_headers_and_limits() -> None:
    transport = StaticTransport({"https://issuer.example/profile": TransportResponse.of_json(PROFILE)})
    policy = FetchPolicy(connect_timeout=1.5, read_timeout=2.5, total_timeout=4.0)
    assert (
        Fetcher(policy, transport=transport).get_json("HTTPS://ISSUER.example:443/profile#key-1") == PROFILE
    )
    (request,) = transport.requests
    assert request.url == PROFILE_URL
    assert dict(request.headers) == {
        "user-agent": policy.user_agent,
        "accept": "application/ld+json, application/json",
        "accept-encoding": "identity",
    }
    assert (request.max_bytes, request.connect_timeout, request.read_timeout) == (1 << 20, 1.5, 2.5)
    assert request.allow_loopback is False


def test_accept_is_the_header_and_the_allow_list() -> None:
    transport = static(key=TransportResponse(200, {"Content-Type": "application/jwk+json"}, b"{}"))
    fetcher = Fetcher(transport=transport)
    assert fetcher.get("https://issuer.example/key", accept=["application/jwk+json"]).content_type == (
        "application/jwk+json"
    )
    assert transport.requests[0].headers["accept"] == "application/jwk+json"
    with pytest.raises(FetchFailed) as caught:
        fetcher.get("https://issuer.example/key", accept=["application/did+json"])
    assert caught.value.reason == "content-type"
    assert caught.value.details["content_type"] == "application/jwk+json"


@pytest.mark.parametrize(
    ("accept", "error"),
    [
        ("application/json", TypeError),
        ([], ValueError),
        (["application/JSON"], ValueError),
        (["json"], ValueError),
        (["application/json; q=1"], ValueError),
        ([b"application/json"], TypeError),
    ],
)
def test_bad_accept_is_a_bad_call(accept: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        Fetcher(transport=static()).get(PROFILE_URL, accept=accept)  # type: ignore[arg-type]


@pytest.mark.parametrize("max_bytes", [0, -1, HARD_MAX_BYTES + 1, 1.5, True])
def test_bad_max_bytes_is_a_bad_call(max_bytes: object) -> None:
    with pytest.raises(ValueError):
        Fetcher(transport=static()).get(PROFILE_URL, max_bytes=max_bytes)  # type: ignore[arg-type]


def test_fetcher_rechecks_transport_bodies_against_the_cap() -> None:
    # A transport that ignores max_bytes is caught by the fetcher.
    transport = static(big=TransportResponse(200, {"content-type": "application/json"}, b" " * 101))
    with pytest.raises(FetchFailed) as caught:
        Fetcher(transport=transport).get("https://issuer.example/big", max_bytes=100)
    assert (caught.value.reason, caught.value.details["limit"]) == ("too-large", 100)


# --- redirects through the seam ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "cause"),
    [
        ("http://169.254.169.254/latest/meta-data/", "address"),
        ("https://10.0.0.1/", "address"),
        ("https://localhost/", "address"),
        ("http://issuer.example/downgraded", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https://u:p@issuer.example/", "userinfo"),
        ("https://[::1", "url"),
    ],
)
def test_redirect_targets_are_checked_before_the_transport_sees_them(location: str, cause: str) -> None:
    transport = static(r=TransportResponse.redirect(location))
    with pytest.raises(FetchRefused) as caught:
        Fetcher(transport=transport).get("https://issuer.example/r")
    assert (caught.value.reason, caught.value.details["cause"]) == ("redirect", cause)
    assert [r.url for r in transport.requests] == ["https://issuer.example/r"]


def test_downgrade_is_followed_when_http_is_allowed() -> None:
    transport = StaticTransport(
        {
            "https://issuer.example/r": TransportResponse.redirect("http://issuer.example/doc"),
            "http://issuer.example/doc": TransportResponse.of_json(PROFILE),
        }
    )
    response = Fetcher(FetchPolicy(allow_http=True), transport=transport).get("https://issuer.example/r")
    assert response.url == "http://issuer.example/doc"


def test_transport_refusal_on_a_later_hop_is_reported_as_a_redirect() -> None:
    def handler(request: TransportRequest) -> TransportResponse:
        if request.url.endswith("/r"):
            return TransportResponse.redirect("https://rebound.example/")
        raise FetchRefused("resolves to 10.0.0.1", url=request.url, reason="address")

    with pytest.raises(FetchRefused) as caught:
        Fetcher(transport=MockTransport(handler)).get("https://issuer.example/r")
    assert caught.value.details == {
        "url": "https://issuer.example/r",
        "reason": "redirect",
        "cause": "address",
        "location": "https://rebound.example/",
    }


def test_redirect_to_a_pinned_document_is_served_from_the_pin() -> None:
    transport = static(r=TransportResponse.redirect("https://other.example/doc"))
    fetcher = Fetcher(transport=transport, documents={"https://other.example/doc": b'{"pinned": true}'})
    assert fetcher.get_json("https://issuer.example/r") == {"pinned": True}
    assert len(transport.requests) == 1


def test_redirect_budget_comes_from_the_policy() -> None:
    chain = {f"r{i}": TransportResponse.redirect(f"/r{i + 1}") for i in range(5)}
    transport = static(**chain, r5=TransportResponse.of_json({}))
    assert (
        Fetcher(FetchPolicy(max_redirects=5), transport=transport).get_json("https://issuer.example/r0") == {}
    )
    with pytest.raises(FetchFailed) as caught:
        Fetcher(FetchPolicy(max_redirects=4), transport=transport).get("https://issuer.example/r0")
    assert caught.value.reason == "too-many-redirects"


def test_deadline_is_passed_to_the_transport_and_enforced_between_hops() -> None:
    seen: list[TransportRequest] = []

    # A transport that burns the whole budget on the first hop: the second hop is never sent.
    def slow(request: TransportRequest) -> TransportResponse:
        seen.append(request)
        time.sleep(max(0.0, request.deadline - time.monotonic()))
        return TransportResponse.redirect("/again")

    with pytest.raises(FetchFailed) as caught:
        Fetcher(FetchPolicy(total_timeout=0.05), transport=MockTransport(slow)).get("https://issuer.example/")
    assert caught.value.reason == "timeout"
    assert len(seen) == 1


# --- pinned documents and offline mode --------------------------------------------------------------


def test_pinned_documents_are_served_offline_without_a_transport() -> None:
    transport = MockTransport(lambda request: pytest.fail("the network was used"))
    fetcher = Fetcher(
        FetchPolicy(offline=True),
        documents={"https://Issuer.example/profile#frag": b'{"name": "pinned"}'},
        transport=transport,
    )
    response = fetcher.get(PROFILE_URL + "#key-1")
    assert (response.url, response.status, response.content_type) == (PROFILE_URL, 200, "application/ld+json")
    assert response.json() == {"name": "pinned"}
    assert fetcher.get(PROFILE_URL, accept=["application/did+json"]).content_type == "application/did+json"
    assert fetcher.documents == {PROFILE_URL: b'{"name": "pinned"}'}


def test_a_pinned_document_is_parsed_once_and_still_checked_each_time() -> None:
    # a verification reads its pinned issuer documents again and again: one response, one parse
    fetcher = Fetcher(FetchPolicy(offline=True), documents={PROFILE_URL: b'{"name": "pinned"}'})
    first, second = fetcher.get(PROFILE_URL), fetcher.get(PROFILE_URL + "#key-1")
    assert first is second
    assert first.json() is second.json() is fetcher.get_json(PROFILE_URL)
    # the accept list and the cap are still applied to every call
    assert fetcher.get(PROFILE_URL, accept=["application/did+json"]).content_type == "application/did+json"
    with pytest.raises(FetchFailed) as caught:
        fetcher.get(PROFILE_URL, max_bytes=4)
    assert caught.value.reason == "too-large"


def test_a_pinned_document_read_under_a_larger_cap_is_still_refused_under_the_policy_s() -> None:
    # GIVEN a pinned body over the policy's cap, first read with a larger cap for that call
    fetcher = Fetcher(FetchPolicy(offline=True, max_bytes=8), documents={PROFILE_URL: b'{"name": "pinned"}'})
    assert fetcher.get(PROFILE_URL, max_bytes=64).json() == {"name": "pinned"}
    # THEN a read under the policy's cap is refused all the same, asked for as before or not
    for accept in (JSON_TYPES, tuple(JSON_TYPES), ["application/json"]):
        with pytest.raises(FetchFailed) as caught:
            fetcher.get(PROFILE_URL, accept=accept)
        assert caught.value.reason == "too-large"


def test_a_cached_network_response_is_parsed_once() -> None:
    # cacheable for a minute: read from the cache, and every read shares one parse
    headers = {"content-type": "application/json", "cache-control": "max-age=60"}
    transport = static(profile=TransportResponse(200, headers, b"{}"))
    fetcher = Fetcher(transport=transport)
    assert fetcher.get_json(PROFILE_URL) is fetcher.get_json(PROFILE_URL)
    assert len(transport.requests) == 1


def test_a_revalidated_response_keeps_its_parse_and_a_changed_one_is_parsed_anew() -> None:
    # GIVEN a document to revalidate at every use (no-cache, an ETag), unchanged, then changed
    bodies = [b'{"v": 1}', None, b'{"v": 2}']

    def answer(request: TransportRequest) -> TransportResponse:
        body = bodies.pop(0)
        if body is None:
            assert request.headers["if-none-match"] == '"1"'
            return TransportResponse(304, {"etag": '"1"'})
        tag = '"1"' if body.endswith(b"1}") else '"2"'
        return TransportResponse(
            200, {"content-type": "application/json", "cache-control": "no-cache", "etag": tag}, body
        )

    transport = MockTransport(answer)
    fetcher = Fetcher(transport=transport)
    first = fetcher.get_json(PROFILE_URL)
    # THEN a 304 hands back the same parse, and a new body a new one
    assert fetcher.get_json(PROFILE_URL) is first
    assert fetcher.get_json(PROFILE_URL) == {"v": 2}
    assert len(transport.requests) == 3


def test_what_is_derived_from_a_document_is_made_once_like_its_parse() -> None:
    # GIVEN a cached document, read twice, and readers of its JSON
    headers = {"content-type": "application/json", "cache-control": "max-age=60"}
    transport = static(profile=TransportResponse(200, headers, b'{"name": "cached"}'))
    fetcher = Fetcher(transport=transport)
    calls: list[Any] = []

    def name_of(document: Any) -> list[str]:
        calls.append(document)
        return [document["name"]]

    def keys_of(document: Any) -> list[str]:
        return sorted(document)

    first, second = fetcher.get(PROFILE_URL), fetcher.get(PROFILE_URL)
    # THEN each reader runs once for every response made from the entry, and readers differ
    assert first.derived(name_of) is second.derived(name_of) == ["cached"]
    assert first.derived(keys_of) == ["name"]
    assert calls == [first.json()]
    # and a body that is no JSON raises from derived() as from json(), every time
    broken = Fetcher(documents={PROFILE_URL: b"{"}, transport=static())
    for _ in range(2):
        with pytest.raises(MalformedPayload):
            broken.get(PROFILE_URL).derived(name_of)


def test_derived_values_are_kept_for_a_few_readers_only() -> None:
    # a response keeps one value per reader, for a bounded number of readers
    fetcher = Fetcher(FetchPolicy(offline=True), documents={PROFILE_URL: b"{}"})
    response = fetcher.get(PROFILE_URL)
    readers = [(lambda document, n=n: [n]) for n in range(20)]
    made = [response.derived(reader) for reader in readers]
    again = [response.derived(reader) for reader in readers]
    kept = sum(first is second for first, second in zip(made, again, strict=True))
    assert 0 < kept < len(readers)
    assert again == made


def test_derived_values_survive_a_parse_raced_by_another_thread() -> None:
    # GIVEN a shared cache slot that two threads both filled (json() checks and extends without a
    # lock: the slower one adds its own [parse, derived] pair after the first)
    fetcher = Fetcher(FetchPolicy(offline=True), documents={PROFILE_URL: b"[1, 2]"})
    response = fetcher.get(PROFILE_URL)
    first = response.json()
    response._parsed.extend((first.copy(), {}))
    # THEN every reader gets the first parse, a value made once, and no parse is indexed by a reader
    assert response.json() is first
    assert response.derived(len) == response.derived(len) == 2
    assert response.derived(sum) == 3
    assert first == [1, 2]
    assert response._parsed[1] == {len: 2, sum: 3}


def test_pinned_plain_http_is_served_though_the_policy_forbids_http() -> None:
    # A pin is the user's own answer; nothing goes to the network, so the scheme rule does not apply.
    fetcher = Fetcher(documents={"http://legacy.example/a": b"{}"}, transport=static())
    assert fetcher.get_json("http://legacy.example/a") == {}


def test_pinned_documents_still_obey_accept_and_the_cap() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    fetcher = Fetcher(FetchPolicy(offline=True), documents={"https://a.example/i.png": png})
    with pytest.raises(FetchFailed) as caught:
        fetcher.get("https://a.example/i.png")
    assert caught.value.reason == "content-type"
    assert fetcher.get("https://a.example/i.png", accept=["image/png"]).body == png
    with pytest.raises(FetchFailed) as caught:
        fetcher.get("https://a.example/i.png", accept=["image/png"], max_bytes=8)
    assert caught.value.reason == "too-large"


def test_offline_refuses_everything_not_pinned() -> None:
    transport = MockTransport(lambda request: pytest.fail("the network was used"))
    fetcher = Fetcher(FetchPolicy(offline=True), documents={PROFILE_URL: b"{}"}, transport=transport)
    with pytest.raises(FetchRefused) as caught:
        fetcher.get("https://issuer.example/other")
    assert caught.value.reason == "offline"
    assert "--document" in caught.value.message


@pytest.mark.parametrize(
    ("documents", "error"),
    [
        ({"file:///etc/passwd": b"{}"}, ValueError),
        ({"https://a.example/": "{}"}, TypeError),
        ({"https://a.example": b"{}", "https://A.example/#x": b"[]"}, ValueError),
    ],
)
def test_bad_pins_are_bad_calls(documents: dict[str, bytes], error: type[Exception]) -> None:
    with pytest.raises(error):
        Fetcher(documents=documents)


def test_from_document_files(tmp_path: Path) -> None:
    (tmp_path / "profile.json").write_bytes(b'{"name": "Example"}')
    (tmp_path / "list.json").write_bytes(b'{"revokedAssertions": []}')
    fetcher = Fetcher.from_document_files(
        [
            f"https://issuer.example/profile={tmp_path / 'profile.json'}",
            f"https://issuer.example/revocations?page=1={tmp_path / 'list.json'}",
        ],
        FetchPolicy(offline=True),
    )
    assert fetcher.get_json(PROFILE_URL) == {"name": "Example"}
    assert fetcher.get_json("https://issuer.example/revocations?page=1") == {"revokedAssertions": []}
    assert fetcher.policy.offline


@pytest.mark.parametrize(
    "pair",
    [
        "https://issuer.example/profile",
        "=profile.json",
        "https://issuer.example/profile=",
        "ftp://issuer.example/profile={dir}/a.json",
        "https://u:p@issuer.example/={dir}/a.json",
        "https://issuer.example/={dir}/missing.json",
        "https://issuer.example/={dir}",
    ],
)
def test_from_document_files_rejects_bad_pairs(pair: str, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"{}")
    with pytest.raises(InputError) as caught:
        Fetcher.from_document_files([pair.format(dir=tmp_path)])
    assert type(caught.value) is InputError
    assert caught.value.message


def test_from_document_files_rejects_duplicates_and_oversized_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"{}")
    (tmp_path / "big.json").write_bytes(b" " * 101)
    with pytest.raises(InputError, match="pinned twice"):
        Fetcher.from_document_files(
            [f"https://a.example/={tmp_path / 'a.json'}", f"https://A.example/#x={tmp_path / 'a.json'}"]
        )
    with pytest.raises(InputTooLarge):
        Fetcher.from_document_files(
            [f"https://a.example/={tmp_path / 'big.json'}"], FetchPolicy(max_bytes=100)
        )
    with pytest.raises(TypeError):
        Fetcher.from_document_files(f"https://a.example/={tmp_path / 'a.json'}")


# --- policy and helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"max_bytes": 0},
        {"max_bytes": HARD_MAX_BYTES + 1},
        {"connect_timeout": 0},
        {"read_timeout": -1},
        {"total_timeout": float("inf")},
        {"total_timeout": float("nan")},
        {"max_redirects": -1},
        {"max_redirects": 11},
        {"cache_ttl": -1},
        {"cache_entries": -1},
        {"user_agent": ""},
        {"user_agent": "bad\nheader"},
        {"ports": frozenset({0})},
    ],
)
def test_policy_refuses_impossible_limits(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        replace(FetchPolicy(), **change)


def test_policy_defaults_are_strict() -> None:
    policy = FetchPolicy()
    assert (policy.allow_http, policy.allow_loopback, policy.offline) == (False, False, False)
    assert (policy.max_bytes, policy.max_redirects) == (1 << 20, 3)
    assert policy.user_agent.startswith("badgekiln/")


def test_fetcher_requires_a_policy() -> None:
    with pytest.raises(TypeError):
        Fetcher({"allow_http": True})  # type: ignore[arg-type]


def test_static_transport_canonicalises_keys_and_answers_404() -> None:
    transport = StaticTransport({"https://Issuer.example": TransportResponse.of_json({})})
    assert "https://issuer.example/" in transport.responses
    with pytest.raises(FetchFailed) as caught:
        Fetcher(transport=transport).get("https://issuer.example/missing")
    assert (caught.value.reason, caught.value.details["status"]) == ("status", 404)
    with pytest.raises(ValueError):
        StaticTransport({"not a url": TransportResponse(200)})


# --- JSON bodies (badgekiln.strictjson; tests/unit/test_strictjson.py) -----------------------------


def test_response_json_names_the_url() -> None:
    response = FetchResponse("https://issuer.example/x", 200, "application/json", {}, b"nope")
    with pytest.raises(MalformedPayload, match=r"https://issuer\.example/x is not valid JSON"):
        response.json()


# --- the default transport's error mapping (no sockets: exceptions built directly) ---------------


def test_every_requests_error_maps_to_a_fetch_error() -> None:
    import http.client

    import requests
    import urllib3.exceptions
    from requests_hardened.ip_filter import InvalidIPAddress

    from badgekiln.fetch._requests import _translate, _Watchdog

    dns = requests.ConnectionError("Failed to resolve domain")
    dns.__cause__ = socket.gaierror(socket.EAI_NONAME, "unknown")
    cases: list[tuple[BaseException, str]] = [
        (requests.ConnectTimeout(), "timeout"),
        (requests.ReadTimeout(), "timeout"),
        (urllib3.exceptions.ReadTimeoutError(None, "/", "slow"), "timeout"),  # type: ignore[arg-type]
        (TimeoutError(), "timeout"),
        (InvalidIPAddress("10.0.0.1"), "address"),
        (requests.exceptions.SSLError(), "tls"),
        (urllib3.exceptions.SSLError(), "tls"),
        (dns, "dns"),
        (requests.ConnectionError(ConnectionRefusedError()), "connect"),
        (requests.exceptions.ChunkedEncodingError(), "protocol"),
        (requests.exceptions.ContentDecodingError(), "protocol"),
        (requests.exceptions.InvalidHeader(), "protocol"),
        (urllib3.exceptions.ProtocolError("broken"), "protocol"),
        (urllib3.exceptions.DecodeError(), "protocol"),
        (http.client.IncompleteRead(b""), "protocol"),
        (OSError(), "protocol"),
    ]
    watchdog = _Watchdog(deadline=time.monotonic() + 3600)
    try:
        for exc, reason in cases:
            mapped = _translate(exc, "https://issuer.example/", watchdog)
            assert (type(exc).__name__, mapped.reason) == (type(exc).__name__, reason)
            assert mapped.details["url"] == "https://issuer.example/"
    finally:
        watchdog.cancel()


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("application/json", True),
        ("application/ld+json; profile=x", True),
        ("application/did+json", True),
        ("application/did+ld+json", True),
        ("application/vc+ld+json", True),
        ("application/jwk-set+json", True),
        ("APPLICATION/JSON", True),
        ("application/jsonx", False),
        ("application/json+zip", False),
        ("text/json", False),
        ("text/html", False),
        ("application/", False),
        ("json", False),
        ("", False),
    ],
)
def test_json_types_allow_list(content_type: str, accepted: bool) -> None:
    transport = static(doc=TransportResponse(200, {"content-type": content_type}, b"{}"))
    fetcher = Fetcher(transport=transport)
    if accepted:
        assert fetcher.get("https://issuer.example/doc", accept=JSON_TYPES).body == b"{}"
    else:
        with pytest.raises(FetchFailed) as caught:
            fetcher.get("https://issuer.example/doc", accept=JSON_TYPES)
        assert caught.value.reason == "content-type"
