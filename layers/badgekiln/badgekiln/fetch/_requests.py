"""The default transport: requests + requests-hardened, each name resolved once and pinned,
connections pooled per pinned address.

Imported only when a fetch really goes to the network (requests and urllib3 are heavy).

requests-hardened resolves the host once, refuses non-public addresses and connects to that
pinned IP while keeping the ``Host`` header, SNI and certificate checks on the name. On top of
it this module re-checks the pinned IP with badgekiln's stricter rules, streams the body under a
byte cap, and runs a watchdog that shuts the socket down at the deadline, so neither a slow
drip of headers nor of body bytes can hold a fetch past ``total_timeout``. (Name resolution
uses the system resolver, and the TCP connect and TLS handshake happen before the socket is
watched; those phases are bounded by the resolver's own timeouts and by ``connect_timeout``.)

Connections are kept alive and reused, and stay pinned: every exchange resolves the name again
and checks the address *before* a pool is chosen, and the pools are keyed by that address (and,
for TLS, by the name the certificate must carry). A name that now resolves elsewhere therefore
gets a new connection to the new, checked address, never the old connection; a name that now
resolves to a forbidden address is refused before any pool is consulted. A connection whose
answer was not read to its end (a failure, a cap, a deadline) is closed, not pooled.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from contextlib import suppress
from contextvars import ContextVar
from functools import cache
from typing import Any, Final

import requests
from requests_hardened.ip_filter import InvalidIPAddress
from requests_hardened.ip_filter_adapter import IPFilterAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError
from urllib3.exceptions import SSLError as Urllib3SSLError

from badgekiln.errors import FetchError, FetchFailed, FetchRefused
from badgekiln.fetch._address import parse_ip, refusal
from badgekiln.fetch._transport import TransportRequest, TransportResponse

__all__ = ["RequestsTransport"]

#: Bytes asked of the socket per read: small enough that the cap is overrun by at most this much.
_CHUNK = 64 * 1024
#: How many links of an exception's cause chain are searched for the root error.
_CAUSE_DEPTH = 8
#: Pools kept (one per scheme, pinned address, port and TLS name); the least recently used is
#: closed beyond this. A verify function talks to a handful of issuers at a time.
POOLS: Final = 32
#: Idle connections kept per pool (the most threads of one process that fetch from one host at once).
POOL_SIZE: Final = 8
#: Bytes of a non-2xx body read to keep its connection (a redirect's note); more closes it.
_DRAIN_LIMIT: Final = 16 * 1024

#: The watchdog of the exchange running in this thread: a pooled connection outlives the
#: exchange that opened it, so the socket is handed to the current watchdog at each use.
_current_watchdog: ContextVar[_Watchdog | None] = ContextVar("badgekiln_fetch_watchdog", default=None)


class _Watchdog:
    """Shuts down every socket it watches once the deadline passes, waking any blocked read."""

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                self._shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        # The plain-socket method even for TLS sockets: it acts on the descriptor and leaves the
        # SSL object to fail the pending read cleanly. OSError: the socket is already closed.
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(sock: socket.socket | None) -> None:
    watchdog = _current_watchdog.get()
    if sock is not None and watchdog is not None:
        watchdog.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    """A connection whose socket the running exchange's watchdog watches, new or reused."""

    def connect(self) -> None:
        super().connect()
        _watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a kept-alive connection: connect() is not called again
        super().request(*args, **kwargs)


# the same watch over TLS: the MRO puts HTTPSConnection.connect under the watched one
class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    pass


class _PinnedAdapter(IPFilterAdapter):  # type: ignore[misc]  # requests-hardened ships no types
    """requests-hardened's adapter, plus badgekiln's address rules and the deadline watchdog,
    with a pool manager of :data:`POOLS` pools of :data:`POOL_SIZE` connections."""

    def __init__(self, *, https: bool, allow_loopback: bool) -> None:
        super().__init__(is_https_proto=https, allow_loopback=allow_loopback)
        self.init_poolmanager(POOLS, POOL_SIZE)
        self._https = https
        self._loopback = allow_loopback

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        # The parent resolved the name once and put the IP the connection will use here.
        pinned = parse_ip(str(host_params["host"]).strip("[]"))
        why = refusal(pinned, allow_loopback=self._loopback)
        if why is not None:
            raise _address_refused(str(request.url), str(pinned), why)
        return host_params, pool_kwargs

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Any = None,
        cert: Any = None,
    ) -> Any:
        # Only reached after build_connection_pool_key_attributes resolved and checked the
        # address: the pool it returns is the one for exactly that address.
        pool = super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
        pool.ConnectionCls = _WatchedHTTPSConnection if self._https else _WatchedHTTPConnection
        return pool


def _address_refused(url: str, address: str, why: str) -> FetchRefused:
    return FetchRefused(
        f"refused to fetch {url}: its host resolves to {address}, {why}; only public addresses are fetched",
        url=url,
        reason="address",
        address=address,
    )


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(_CAUSE_DEPTH):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _translate(exc: BaseException, url: str, watchdog: _Watchdog) -> FetchError:
    """Map a requests/urllib3/socket error to badgekiln's fetch errors."""
    if watchdog.fired or isinstance(exc, requests.Timeout | ReadTimeoutError | TimeoutError):
        return FetchFailed(
            f"fetching {url} timed out; the server is too slow or unreachable", url=url, reason="timeout"
        )
    if isinstance(exc, InvalidIPAddress):
        address = str(exc)
        try:
            why = refusal(parse_ip(address)) or "not a public address"
        except ValueError:
            why = "not a public address"
        return _address_refused(url, address, why)
    if isinstance(exc, requests.exceptions.SSLError | Urllib3SSLError | ssl.SSLError):
        return FetchFailed(
            f"TLS with {url} failed (bad or untrusted certificate?): {exc}", url=url, reason="tls"
        )
    if _caused_by(exc, socket.gaierror):
        return FetchFailed(f"cannot resolve the host of {url}; check the URL", url=url, reason="dns")
    if isinstance(exc, requests.ConnectionError) and not _caused_by(exc, http.client.HTTPException):
        return FetchFailed(
            f"cannot connect to {url}: the connection failed or was reset", url=url, reason="connect"
        )
    return FetchFailed(f"{url} sent a malformed or truncated HTTP response", url=url, reason="protocol")


def _read_body(response: requests.Response, request: TransportRequest, *, limit: int | None = None) -> bytes:
    cap = request.max_bytes if limit is None else limit
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and (len(declared) > 18 or int(declared) > cap):
        raise _too_large(request)
    chunks: list[bytes] = []
    total = 0
    while True:
        if time.monotonic() >= request.deadline:
            raise FetchFailed(f"fetching {request.url} took too long", url=request.url, reason="timeout")
        # read1: at most one socket read per call, so a slow drip cannot hold us inside read().
        chunk: bytes = response.raw.read1(_CHUNK, decode_content=True)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            raise _too_large(request)
        chunks.append(chunk)


def _too_large(request: TransportRequest) -> FetchFailed:
    return FetchFailed(
        f"{request.url} is larger than {request.max_bytes} bytes",
        url=request.url,
        reason="too-large",
        limit=request.max_bytes,
    )


def _drain(response: requests.Response, request: TransportRequest) -> None:
    """Read a small non-2xx body to its end so the connection can be reused; leave a large or
    slow one unread (closing the response then closes the connection)."""
    declared = response.headers.get("content-length", "").strip()
    if not declared.isdigit() or len(declared) > 9 or int(declared) > _DRAIN_LIMIT:
        return
    with suppress(FetchError):
        _read_body(response, request, limit=_DRAIN_LIMIT)


class RequestsTransport:
    """The production transport (see the module docstring). Thread-safe: share one per process
    (:func:`network_transport`); :meth:`close` drops its pooled connections."""

    def __init__(self) -> None:
        self._adapters: dict[tuple[bool, bool], _PinnedAdapter] = {}
        self._lock = threading.Lock()

    def _adapter(self, *, https: bool, allow_loopback: bool) -> _PinnedAdapter:
        with self._lock:
            adapter = self._adapters.get((https, allow_loopback))
            if adapter is None:
                adapter = _PinnedAdapter(https=https, allow_loopback=allow_loopback)
                self._adapters[https, allow_loopback] = adapter
            return adapter

    def close(self) -> None:
        """Close every pooled connection (the transport stays usable)."""
        with self._lock:
            adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters:
            adapter.close()

    def handle(self, request: TransportRequest) -> TransportResponse:
        """Send one GET without following redirects; see :class:`~badgekiln.fetch.Transport`.

        Raises:
            FetchRefused: the host resolves to a forbidden address (``reason="address"``).
            FetchFailed: ``reason`` is ``dns``, ``connect``, ``tls``, ``timeout``, ``too-large``
                or ``protocol``.
        """
        remaining = request.deadline - time.monotonic()
        if remaining <= 0:
            raise FetchFailed(f"fetching {request.url} took too long", url=request.url, reason="timeout")
        watchdog = _Watchdog(request.deadline)
        watching = _current_watchdog.set(watchdog)
        # The adapter alone, without a Session: no cookies, auth, proxies, netrc or CA bundle from
        # the environment, no default headers, and no redirect machinery (a Session parses the
        # Location header even when told not to follow it, and raises on a malformed one).
        adapter = self._adapter(https=request.url.startswith("https:"), allow_loopback=request.allow_loopback)
        try:
            prepared = requests.Request("GET", request.url, headers=dict(request.headers)).prepare()
            response = adapter.send(
                prepared,
                stream=True,
                verify=True,
                timeout=(min(request.connect_timeout, remaining), min(request.read_timeout, remaining)),
            )
            with response:
                headers = {name.lower(): value for name, value in response.headers.items()}
                if not 200 <= response.status_code < 300:
                    _drain(response, request)
                    return TransportResponse(response.status_code, headers)
                return TransportResponse(response.status_code, headers, _read_body(response, request))
        except FetchError:
            raise
        except (requests.RequestException, Urllib3Error, http.client.HTTPException, OSError) as exc:
            raise _translate(exc, request.url, watchdog) from exc
        finally:
            watchdog.cancel()
            _current_watchdog.reset(watching)


@cache
def network_transport() -> RequestsTransport:
    """The process's one network transport, whose pools every fetcher without its own shares."""
    return RequestsTransport()
