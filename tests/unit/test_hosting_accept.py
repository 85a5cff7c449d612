"""The one Accept reader: weights, specificity, negotiation, and the page-or-document choice."""

from __future__ import annotations

import pytest

from badgekiln.hosting.accept import MAX_ACCEPT_RANGES, MediaRange, negotiate, parse_accept, quality
from badgekiln.hosting.responses import wants_page

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CREDENTIAL = "/issuers/acme/credentials/c-1.json"


def test_ranges_and_weights_are_read_in_order() -> None:
    assert parse_accept("Text/HTML;level=1, application/*;q=0.5, */*;Q=0.1") == (
        MediaRange("text/html", 1.0),
        MediaRange("application/*", 0.5),
        MediaRange("*/*", 0.1),
    )


@pytest.mark.parametrize(
    "header",
    [None, "", ",,,", "html", "*/html", "text/", "/json", "te xt/html", "text/html/x", "\x00/\x00"],
)
def test_what_is_not_a_media_range_is_skipped(header: str | None) -> None:
    assert parse_accept(header) == ()


@pytest.mark.parametrize("q", ["abc", "1.5", "-1", "2", "0.1234", "nan", "inf", "", "1e0"])
def test_a_malformed_weight_means_not_acceptable(q: str) -> None:
    assert parse_accept(f"text/html;q={q}") == (MediaRange("text/html", 0.0),)


def test_at_most_max_ranges_are_read() -> None:
    ranges = parse_accept(", ".join(f"a/b{n}" for n in range(1000)))
    assert len(ranges) == MAX_ACCEPT_RANGES
    assert parse_accept("a/b, " * MAX_ACCEPT_RANGES + "text/html") == (MediaRange("a/b", 1.0),) * 32


@pytest.mark.parametrize(
    ("header", "media_type", "q"),
    [
        ("text/html;q=0.2, text/*;q=0.5, */*;q=0.9", "text/html", 0.2),  # the most specific wins
        ("text/html;q=0.2, text/*;q=0.5, */*;q=0.9", "text/plain", 0.5),
        ("text/html;q=0.2, text/*;q=0.5, */*;q=0.9", "image/png", 0.9),
        ("text/html;q=0, */*", "text/html", 0.0),  # refused by name, whatever */* says
        ("text/html;q=0.3, text/html;q=0.7", "text/html", 0.7),
        ("application/json", "application/ld+json", 0.0),
        ("", "text/html", 0.0),
    ],
)
def test_quality(header: str, media_type: str, q: float) -> None:
    assert quality(parse_accept(header), media_type) == q


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/ld+json"),
        ("application/json", "application/json"),
        ("application/json;charset=utf-8", "application/json"),
        ("application/ld+json, application/json;q=0.9", "application/ld+json"),
        ("application/json, application/ld+json", "application/ld+json"),  # a tie: our order
        ("*/*", "application/ld+json"),
        ("application/*", "application/ld+json"),
        ("text/html", "application/ld+json"),  # nothing acceptable: still the document
        ("application/json;q=0.5, */*;q=0.1", "application/json"),
    ],
)
def test_negotiate_json_ld_or_json(accept: str | None, chosen: str) -> None:
    assert negotiate(accept, ("application/ld+json", "application/json")) == chosen


def test_negotiate_needs_an_offer() -> None:
    with pytest.raises(ValueError):
        negotiate("*/*", ())


@pytest.mark.parametrize(
    ("accept", "page"),
    [
        (None, False),
        ("*/*", False),
        ("text/html", True),
        (BROWSER, True),
        ("text/html;q=0.5, application/json", False),
        ("application/xhtml+xml", True),
        ("text/*", True),
        ("text/html;q=0", False),
        ("text/html;q=abc, */*;q=0.1", False),
        ("text/html, " * 100, True),
        ("text/html, application/ld+json", False),  # a tie goes to the document
    ],
)
def test_a_browser_gets_the_page_of_a_credential(accept: str | None, page: bool) -> None:
    assert wants_page(CREDENTIAL, accept) is page


@pytest.mark.parametrize(
    "path",
    [
        "/issuers/acme/credentials/c-1.jwt",
        "/issuers/acme/assertions/c-1.json",
        "/issuers/acme/assertions/c-1.jws",
    ],
)
def test_every_credential_form_has_a_page(path: str) -> None:
    assert wants_page(path, BROWSER)
    assert not wants_page(path, "application/jwt, application/json, text/html;q=0.5")


@pytest.mark.parametrize(
    "path",
    ["/issuers/acme/profile.json", "/issuers/acme/credentials/c-1.png", "/nowhere", "/.well-known/jwks.json"],
)
def test_other_documents_are_never_pages(path: str) -> None:
    assert not wants_page(path, BROWSER)
