"""badgekiln.web.safety: which badge-supplied values may become links, text and shown identities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from badgekiln.web.safety import (
    MAX_SHORT_TEXT,
    MAX_URL_CHARS,
    http_url,
    mask_email,
    mask_identifier,
    mask_telephone,
    short_date,
    text,
)


@pytest.mark.parametrize(
    "url",
    [
        "https://issuer.example/",
        "http://issuer.example/badges/1?x=1#top",
        "HTTPS://Issuer.Example:8443/path",
        "https://[2001:db8::1]/x",
    ],
)
def test_http_urls_are_kept(url: str) -> None:
    assert http_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
        "//issuer.example/x",
        "/relative/path",
        "https:/\\evil.example",
        "https://evil.example\\@good.example/",
        "https://",
        "https://host:99999/",
        "https://[::1/",
        "https://issuer.example/a b",
        "https://issuer.example/\x00",
        "",
        "https://issuer.example/" + "a" * MAX_URL_CHARS,
    ],
)
def test_anything_but_absolute_http_urls_is_refused(url: str) -> None:
    assert http_url(url) is None


@pytest.mark.parametrize("value", [None, 17, ["https://issuer.example/"], {"id": "https://issuer.example/"}])
def test_non_strings_are_no_urls(value: object) -> None:
    assert http_url(value) is None


def test_text_strips_clips_and_refuses_non_strings() -> None:
    assert text("  Teamwork \n") == "Teamwork"
    assert text("   ") is None
    assert text(42) is None
    assert text({"@value": "Teamwork"}) is None
    clipped = text("x" * (MAX_SHORT_TEXT + 50))
    assert clipped is not None
    assert len(clipped) == MAX_SHORT_TEXT
    assert clipped.endswith("…")
    assert text("abcdef", 4) == "abc…"


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("ada.lovelace@example.org", "a•••@e•••.org"),
        ("a@b.co.uk", "a•••@b•••.uk"),
        ("ada@localhost", "a•••@l•••"),
    ],
)
def test_emails_are_masked(address: str, shown: str) -> None:
    assert mask_email(address) == shown


def test_a_non_address_is_masked_as_an_identifier() -> None:
    assert mask_email("not-an-address") == "not-an…ress"


def test_telephone_numbers_show_two_digits() -> None:
    assert mask_telephone("+44 20 7946 0123") == "•••••••23"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "did:key:z6Mk…2doK"),
        ("https://people.example/ada-lovelace", "https:…lace"),
        ("short", "sh•••"),
    ],
)
def test_identifiers_are_masked(value: str, shown: str) -> None:
    assert mask_identifier(value) == shown


def test_short_dates_are_utc_day_month_year() -> None:
    late = datetime(2026, 5, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert short_date(late) == "2 May 2026"
    assert short_date(datetime(2026, 1, 9, tzinfo=UTC)) == "9 January 2026"
