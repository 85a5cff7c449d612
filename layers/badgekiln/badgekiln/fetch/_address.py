"""Which IP addresses the fetcher may connect to: public unicast only.

The rules are stricter than :attr:`ipaddress.IPv4Address.is_global`, which calls multicast, 6to4,
NAT64 and IPv4-compatible IPv6 "global" although each can reach a private or local host.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

__all__ = ["IPAddress", "refusal"]

IPAddress = IPv4Address | IPv6Address

#: Ranges that ``is_global`` accepts but that translate to, or relay towards, other hosts
#: (and so can reach private networks), plus ranges older CPython releases misclassify.
_TRANSLATING: tuple[IPv4Network | IPv6Network, ...] = (
    IPv4Network("192.0.0.0/24"),  # IETF protocol assignments (cpython#113171 on old releases)
    IPv4Network("192.88.99.0/24"),  # 6to4 relay anycast
    IPv6Network("64:ff9b::/96"),  # NAT64 well-known prefix
    IPv6Network("64:ff9b:1::/48"),  # NAT64 local-use prefix
    IPv6Network("2001::/32"),  # Teredo
    IPv6Network("2001:20::/28"),  # ORCHIDv2
    IPv6Network("2002::/16"),  # 6to4
    IPv6Network("3fff::/20"),  # documentation (RFC 9637)
    IPv6Network("5f00::/16"),  # segment routing
)
#: IPv6 global unicast; everything outside it is reserved, local or multicast.
_GLOBAL_UNICAST_V6 = IPv6Network("2000::/3")
_CGNAT = IPv4Network("100.64.0.0/10")


def refusal(ip: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why ``ip`` must not be contacted (a short phrase), or ``None`` when it is a public address.

    ``allow_loopback`` (test configurations only) admits 127.0.0.0/8 and ``::1`` and nothing else.
    """
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        # Refused whatever it embeds: the mapped form is how filters that compare strings are dodged.
        return "an IPv4-mapped IPv6 address"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata services live here)"
    if ip.is_multicast:
        return "a multicast address"
    if ip in _CGNAT:
        return "a shared (carrier-grade NAT) address"
    if any(ip in net for net in _TRANSLATING if net.version == ip.version):
        return "an address that relays to other networks (6to4, NAT64, Teredo …)"
    if isinstance(ip, IPv6Address) and (ip.is_site_local or ip not in _GLOBAL_UNICAST_V6):
        return "a reserved or local IPv6 address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global or ip.is_reserved:
        return "a reserved address"
    return None


def parse_ip(text: str) -> IPAddress:
    """Parse a plain IP address (no zone); ``ValueError`` if ``text`` is not one."""
    if "%" in text:
        raise ValueError(f"{text!r} has an IPv6 zone")
    return ipaddress.ip_address(text)
