"""URL canonicalisation and the address rules, without any socket."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from badgekiln.errors import FetchRefused
from badgekiln.fetch import MAX_URL_LENGTH, address_refusal
from badgekiln.fetch._url import parse_url


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://issuer.example/profile", "https://issuer.example/profile"),
        ("HTTPS://Issuer.Example:443", "https://issuer.example/"),
        ("http://issuer.example:80/a?b=c#frag", "http://issuer.example/a?b=c"),
        ("https://issuer.example:8443/x", "https://issuer.example:8443/x"),
        ("https://issuer.example./x", "https://issuer.example./x"),
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ("http://127.1/", "http://127.0.0.1/"),
        ("http://2130706433/", "http://127.0.0.1/"),
        ("http://0x7f000001/", "http://127.0.0.1/"),
        ("http://0X7F.0.0.1/", "http://127.0.0.1/"),
        ("http://0177.0.0.01/", "http://127.0.0.1/"),
        ("http://10.1.65535/", "http://10.1.255.255/"),
        ("http://93.184.215.14./", "http://93.184.215.14/"),
        ("http://[0:0:0:0:0:0:0:1]:8080/", "http://[::1]:8080/"),
        ("http://[::FFFF:127.0.0.1]/", "http://[::ffff:7f00:1]/"),
        ("https://issuer.example?q", "https://issuer.example/?q"),
    ],
)
def test_canonical_form(url: str, canonical: str) -> None:
    assert parse_url(url).url == canonical


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "url"),
        ("/relative/path", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("data:application/json,{}", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https://a:b@issuer.example/", "userinfo"),
        ("https://@issuer.example/", "userinfo"),
        ("https:///path", "url"),
        ("https://:443/", "url"),
        ("https://issuer.example:/x", None),  # empty port means the default: accepted
        ("https://issuer.example:65536/", "url"),
        ("https://issuer.example:+443/", "url"),
        ("https://issuer.example:44 3/", "url"),
        ("https://issuer.example:0x1bb/", "url"),
        ("https://[::1/", "url"),
        ("https://[::1]x/", "url"),
        ("https://[127.0.0.1]/", "url"),
        ("https://[fe80::1%25eth0]/", "url"),
        ("https://1.2.3.4.5/", "url"),
        ("https://256.0.0.1/", "url"),
        ("https://1.2.3.0x/", "url"),
        ("https://08.0.0.1/", "url"),
        ("https://4294967296/", "url"),
        ("https://issuer.example.1/", "url"),  # ends in a number, so an (invalid) address
        ("https://-issuer.example/", "url"),
        ("https://issuer-.example/", "url"),
        ("https://iss uer.example/", "url"),
        ("https://issuer.example/\x00", "url"),
        ("https://issuer.example/\t", "url"),
        ("https://bücher.example/", "url"),  # IDNs must come in their xn-- form
        ("https://issuer.example\\.evil.example/", "url"),
        ("https://" + "a" * 64 + ".example/", "url"),
        ("https://" + "a." * 127 + "example/", "url"),
        ("https://issuer.example/" + "a" * MAX_URL_LENGTH, "url"),
    ],
)
def test_refused_urls(url: str, reason: str | None) -> None:
    if reason is None:
        parse_url(url)
        return
    with pytest.raises(FetchRefused) as caught:
        parse_url(url)
    assert caught.value.reason == reason
    assert len(caught.value.message) < 400  # hostile URLs are not echoed in full


def test_url_must_be_a_string() -> None:
    with pytest.raises(TypeError):
        parse_url(b"https://issuer.example/")  # type: ignore[arg-type]


def test_longest_url_is_accepted() -> None:
    base = "https://issuer.example/"
    assert parse_url(base + "a" * (MAX_URL_LENGTH - len(base))).url.endswith("a")


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.215.14",
        "100.63.255.255",  # just below CGNAT
        "100.128.0.0",  # just above CGNAT
        "172.15.255.255",
        "172.32.0.0",
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ip_address(address)) is None


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("100.64.0.0", "carrier-grade"),
        ("100.127.255.255", "carrier-grade"),
        ("10.0.0.0", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "reserved or local"),
        ("fd00:ec2::254", "reserved or local"),
        ("fec0::1", "reserved or local"),
        ("::7f00:1", "reserved or local"),  # IPv4-compatible
        ("100::1", "reserved or local"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("::ffff:8.8.8.8", "IPv4-mapped"),
        ("2002:a9fe:a9fe::", "relays"),
        ("64:ff9b::a9fe:a9fe", "relays"),
        ("2001::1", "relays"),  # Teredo
        ("192.88.99.1", "relays"),
        ("192.0.0.9", "relays"),
        ("240.0.0.1", "private"),
        ("255.255.255.255", "private"),
        ("198.18.0.1", "private"),
    ],
)
def test_special_addresses_are_refused(address: str, kind: str) -> None:
    why = address_refusal(ip_address(address))
    assert why is not None
    assert kind in why


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.9.9.9", True),
        ("::1", True),
        ("::ffff:127.0.0.1", False),
        ("169.254.169.254", False),
        ("10.0.0.1", False),
        ("0.0.0.0", False),
        ("fe80::1", False),
    ],
)
def test_allow_loopback_admits_loopback_only(address: str, allowed: bool) -> None:
    assert (address_refusal(ip_address(address), allow_loopback=True) is None) is allowed
