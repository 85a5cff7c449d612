"""The transport seam: one HTTP GET exchange, no redirects followed, body capped.

The :class:`~badgekiln.fetch.Fetcher` does every policy check, follows redirects and enforces
content types, so a transport only moves bytes. Tests of other modules inject
:class:`MockTransport` or :class:`StaticTransport` and never open a socket.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from badgekiln.errors import FetchRefused
from badgekiln.fetch._url import parse_url

__all__ = ["MockTransport", "StaticTransport", "Transport", "TransportRequest", "TransportResponse"]


@dataclass(frozen=True, slots=True)
class TransportRequest:
    """One GET to send: ``url`` is canonical and already passed the policy's checks.

    ``deadline`` is a :func:`time.monotonic` instant the exchange must not outlive; a transport
    that resolves names must apply the address rules again to what it resolved (see
    :func:`badgekiln.fetch.address_refusal`), honouring ``allow_loopback``.
    """

    url: str
    headers: Mapping[str, str]
    max_bytes: int
    connect_timeout: float
    read_timeout: float
    deadline: float
    allow_loopback: bool = False


@dataclass(frozen=True, slots=True)
class TransportResponse:
    """Status, headers (any case; the fetcher lower-cases names) and body of one exchange.

    Transports may leave ``body`` empty for non-2xx answers: the fetcher never reads it.
    """

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def of_json(
        cls,
        data: Any,
        *,
        status: int = 200,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> TransportResponse:
        """A response carrying ``data`` serialised as UTF-8 JSON (for tests)."""
        body = json.dumps(data).encode("utf-8")
        return cls(status, {"content-type": content_type, **(headers or {})}, body)

    @classmethod
    def redirect(cls, location: str, *, status: int = 302) -> TransportResponse:
        """A redirect to ``location`` (for tests)."""
        return cls(status, {"location": location})


@runtime_checkable
class Transport(Protocol):
    """Sends one request. Implementations raise :class:`~badgekiln.errors.FetchFailed` or
    :class:`~badgekiln.errors.FetchRefused` (never a foreign exception) and must stop reading a
    body past ``request.max_bytes`` and past ``request.deadline``."""

    def handle(self, request: TransportRequest) -> TransportResponse:
        """Perform the exchange described by ``request``."""
        ...


class MockTransport:
    """A transport that calls ``handler`` for each request and records the requests it saw."""

    def __init__(self, handler: Callable[[TransportRequest], TransportResponse]) -> None:
        self._handler = handler
        self._lock = threading.Lock()
        self._requests: list[TransportRequest] = []

    @property
    def requests(self) -> tuple[TransportRequest, ...]:
        """Every request handled so far, oldest first."""
        with self._lock:
            return tuple(self._requests)

    def handle(self, request: TransportRequest) -> TransportResponse:
        """Record ``request`` and return what the handler makes of it."""
        with self._lock:
            self._requests.append(request)
        return self._handler(request)


class StaticTransport(MockTransport):
    """A transport answering from a map of URL → response; other URLs get a 404.

    Keys are canonicalised like requested URLs (``https://Issuer.example`` matches
    ``https://issuer.example/``); a key that is not a fetchable URL raises ``ValueError``.

    Example::

        transport = StaticTransport({"https://issuer.example/": TransportResponse.of_json({...})})
        fetcher = Fetcher(transport=transport)
    """

    def __init__(self, responses: Mapping[str, TransportResponse]) -> None:
        table: dict[str, TransportResponse] = {}
        for url, response in responses.items():
            try:
                table[parse_url(url).url] = response
            except FetchRefused as exc:
                raise ValueError(f"StaticTransport key {url!r}: {exc.message}") from exc
        self.responses: Mapping[str, TransportResponse] = MappingProxyType(table)
        super().__init__(self._answer)

    def _answer(self, request: TransportRequest) -> TransportResponse:
        return self.responses.get(request.url, TransportResponse(404, {"content-type": "text/plain"}))
