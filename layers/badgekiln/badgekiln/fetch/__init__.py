"""The one door to the network: an SSRF-hardened fetcher for badge, profile, key and status URLs.

Everything badgekiln dereferences goes through :class:`Fetcher`. By default it fetches only
``https`` URLs whose host resolves to a public address (the address is resolved once, checked,
and pinned for the connection), follows at most 3 redirects re-checking each hop, caps bodies
at 1 MiB while streaming, enforces connect/read timeouts and an overall deadline, accepts only
the media types the caller names, and sends no cookies, credentials or environment proxies.
Answers are cached as HTTP says (:class:`FetchCache`) and connections are pooled per host *and*
pinned address, so a cache hit or a kept-alive connection never skips a check a new fetch makes.

Example::

    from badgekiln.fetch import Fetcher, FetchPolicy

    fetcher = Fetcher(FetchPolicy(offline=True), documents={"https://issuer.example/": profile})
    issuer = fetcher.get_json("https://issuer.example/")   # served from the pin, no network

Importing this package does not import requests; the network transport loads on first use.
"""

from __future__ import annotations

from badgekiln.fetch._address import refusal as address_refusal
from badgekiln.fetch._cache import FetchCache
from badgekiln.fetch._fetcher import Fetcher
from badgekiln.fetch._media import IMAGE_TYPES, JSON_TYPES, JWT_TYPES
from badgekiln.fetch._policy import DEFAULT_MAX_BYTES, HARD_MAX_BYTES, USER_AGENT, FetchPolicy
from badgekiln.fetch._response import FetchResponse
from badgekiln.fetch._transport import (
    MockTransport,
    StaticTransport,
    Transport,
    TransportRequest,
    TransportResponse,
)
from badgekiln.fetch._url import MAX_URL_LENGTH

__all__ = [
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
]
