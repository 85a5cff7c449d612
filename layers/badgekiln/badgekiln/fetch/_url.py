"""Parse, check and normalise the URLs handed to the fetcher, before anything touches a socket.

Hosts are canonicalised here (``0x7f000001``, ``127.1`` and ``0177.0.0.1`` all become
``127.0.0.1``) and the canonical URL is what the transport connects to, so the address that was
checked is the address that is used.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from urllib.parse import urlsplit

from badgekiln.errors import FetchRefused
from badgekiln.fetch._address import IPAddress, parse_ip, refusal

__all__ = ["MAX_URL_LENGTH", "Target", "check_target", "parse_url"]

#: Longest URL accepted (characters). Badge, profile and key URLs are short; 2 KiB is the common
#: browser/CDN floor and keeps hostile Location headers and pins from growing memory or logs.
MAX_URL_LENGTH = 2048

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Printable ASCII without space and backslash: WHATWG parsers read "\" as "/", a known parser
# differential used to smuggle hosts past checks.
_URL_CHARS = re.compile(r"[!-\[\]-~]+")
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_NUMBER = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")
_MAX_HOST_LENGTH = 253


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: ``url`` is canonical (lower-case host, no default port, no fragment)."""

    url: str
    scheme: str
    host: str
    port: int
    ip: IPAddress | None


def _refuse(url: str, reason: str, why: str) -> FetchRefused:
    # Both parts are cut short: a hostile URL must not flood logs or error pages.
    return FetchRefused(
        f"refused to fetch {url[:200]!r}: {why[:200]}", url=url[:MAX_URL_LENGTH], reason=reason
    )


def _legacy_ipv4(host: str) -> IPv4Address | None:
    """The IPv4 address a resolver's ``inet_aton`` would read in ``host``, as WHATWG URL does.

    Returns ``None`` when ``host`` does not end in a number (a DNS name). Raises ``ValueError``
    for a numeric host that is not a valid address (``1.2.3.4.5``, ``256.0.0.1``, ``0x``).
    """
    labels = host.removesuffix(".").split(".")
    if not _NUMBER.fullmatch(labels[-1]):
        return None
    if len(labels) > 4:
        raise ValueError("more than four numeric parts")
    numbers: list[int] = []
    for label in labels:
        if not _NUMBER.fullmatch(label) or label == "0x":
            raise ValueError(f"{label!r} is not a number")
        if label.startswith("0x"):
            numbers.append(int(label[2:], 16))
        elif len(label) > 1 and label.startswith("0"):
            numbers.append(int(label, 8))  # raises ValueError on 8 or 9, as inet_aton refuses them
        else:
            numbers.append(int(label))
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise ValueError("a part is out of range")
    value = last
    for index, n in enumerate(head):
        value += n << (8 * (3 - index))
    return IPv4Address(value)


def _split_netloc(netloc: str) -> tuple[str, str]:
    """``host`` and ``port`` text of an authority without userinfo (IPv6 brackets removed)."""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise ValueError("unclosed '['")
        host, rest = netloc[1:end], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError("text after ']'")
        return host, rest[1:]
    host, _, port = netloc.partition(":")
    return host, port


def parse_url(url: str) -> Target:
    """Check the syntax of an absolute ``http``/``https`` URL and canonicalise it.

    Raises:
        TypeError: ``url`` is not a string.
        FetchRefused: ``reason`` is ``url`` (malformed, too long, bad host or port), ``scheme``
            (not http or https) or ``userinfo`` (credentials in the URL).
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    return _parse(url)


@functools.lru_cache(maxsize=1024)  # a verification parses the same few URLs again and again
def _parse(url: str) -> Target:
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(url, "url", f"the URL is longer than {MAX_URL_LENGTH} characters")
    if not _URL_CHARS.fullmatch(url):
        raise _refuse(
            url, "url", "the URL must be printable ASCII without spaces or backslashes (percent-encode it)"
        )
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unbalanced "[" in the authority
        raise _refuse(url, "url", f"the URL is malformed ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _refuse(
            url,
            "scheme",
            f"only https (and http where allowed) URLs are fetched, not {scheme or 'relative'!r}",
        )
    if "@" in parts.netloc:
        raise _refuse(url, "userinfo", "URLs with a user name or password are never fetched")
    try:
        host_text, port_text = _split_netloc(parts.netloc)
        host_text = host_text.lower()
        if not host_text:
            raise ValueError("no host")
        ip: IPAddress | None
        if parts.netloc.startswith("["):
            ip = parse_ip(host_text)
            if not isinstance(ip, IPv6Address):
                raise ValueError("brackets around an IPv4 address")
        else:
            ip = _legacy_ipv4(host_text)
            if ip is None and (
                len(host_text) > _MAX_HOST_LENGTH
                or not all(_LABEL.fullmatch(label) for label in host_text.removesuffix(".").split("."))
            ):
                raise ValueError(f"{host_text[:80]!r} is not a valid host name")
        if port_text and not port_text.isdigit():
            raise ValueError(f"bad port {port_text!r}")
        port = int(port_text) if port_text else _DEFAULT_PORTS[scheme]
        if not 0 < port < 65536:
            raise ValueError(f"port {port} is out of range")
    except ValueError as exc:
        raise _refuse(url, "url", f"the host or port is malformed ({exc})") from exc

    if ip is None:
        host = host_text
    elif isinstance(ip, IPv6Address):
        host = f"[{ip.compressed}]"
    else:
        host = str(ip)
    authority = host if port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    canonical = f"{scheme}://{authority}{parts.path or '/'}{query}"
    return Target(url=canonical, scheme=scheme, host=host_text if ip is None else str(ip), port=port, ip=ip)


def _is_local_name(name: str) -> bool:
    name = name.lower().removesuffix(".")
    return name == "localhost" or name.endswith(".localhost")  # RFC 6761: always this machine


def check_target(
    target: Target,
    *,
    allow_http: bool,
    allow_loopback: bool,
    ports: frozenset[int] | None,
) -> None:
    """Apply a policy's address (for IP literals and localhost names), scheme and port rules to a parsed URL.

    Host names are checked again after resolution by the transport; literals are refused here so
    that no connection is ever attempted.

    Raises:
        FetchRefused: ``reason`` is ``address``, ``scheme`` or ``port``.
    """
    # Address first: "this is the metadata service" says more than "this is plain http".
    local_name = _is_local_name(target.host)
    if local_name and not allow_loopback:
        raise _refuse(
            target.url, "address", f"{target.host} names this machine; only public hosts are fetched"
        )
    if target.ip is not None and (why := refusal(target.ip, allow_loopback=allow_loopback)) is not None:
        raise _refuse(target.url, "address", f"{target.ip} is {why}; only public addresses are fetched")
    loopback_host = local_name or (target.ip is not None and target.ip.is_loopback)
    if target.scheme == "http" and not allow_http and not (allow_loopback and loopback_host):
        raise _refuse(target.url, "scheme", "plain http is not allowed; use an https URL")
    if ports is not None and target.port not in ports:
        allowed = ", ".join(str(p) for p in sorted(ports))
        raise _refuse(target.url, "port", f"port {target.port} is not allowed (allowed: {allowed})")
