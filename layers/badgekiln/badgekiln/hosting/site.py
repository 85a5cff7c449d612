"""The site fetcher: this deployment's own documents read from the store, the rest of the web
through the strict network transport.

A badge this deployment issued names its key, profile and status list under the public URL; the
public function serves exactly those store objects (:func:`~badgekiln.hosting.responses.public_response`,
which :class:`SiteTransport` calls too), so reading them straight from the store gives the same
answers, 304s and 410s aside, without a round trip through the API. It is also what lets
``badgekiln serve`` verify its own badges: its public URL is on loopback, which the fetcher
(rightly) refuses.

The exception is exactly the public URL: :class:`SiteTransport` is mounted on it (see
:class:`~badgekiln.fetch.Fetcher` ``mounts``) and never opens a socket. Every other URL, another
port or loopback name of the same machine included, goes through the network with the default
policy: public https addresses only. The verify function and the pages both build their fetchers
here.

What a site fetcher learns lasts the life of the process: the fetchers of one store and public
URL share one :class:`~badgekiln.fetch.FetchCache` and one mount (and every fetcher shares the
network connection pool). Documents from elsewhere are reused while their ``Cache-Control``
allows; this site's own are answered with ``Cache-Control: no-cache``, so the cache keeps them
but revalidates them with ``If-None-Match`` at every use (a 304 without a body from the store):
the store is the truth, and a revocation shows in this deployment's own verifications at once,
not a max-age later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Final, TypeVar

from badgekiln.fetch import FetchCache, Fetcher, FetchPolicy, Transport, TransportRequest, TransportResponse
from badgekiln.hosting.layout import Layout, jwks
from badgekiln.hosting.responses import public_response
from badgekiln.store.base import Store

__all__ = ["SiteTransport", "site_fetcher", "site_mounts"]

_NOT_HOSTED = TransportResponse(404, {"content-type": "text/plain; charset=utf-8"})
#: Sites whose mounts and cache a process keeps: a deployment has one store and public URL
#: (tests and ``badgekiln serve`` a few); the least recently used is dropped beyond this.
MAX_SITES: Final = 8

F = TypeVar("F", bound=Fetcher)


class SiteTransport:
    """A :class:`~badgekiln.fetch.Transport` answering GETs under ``layout``'s public URL from the
    store, as the public function would; anything outside the layout is a 404.

    ``store`` may be a callable that opens it: it is then opened on the first request, so a
    verification that never reads this site's documents never opens the store.
    """

    def __init__(self, store: Store | Callable[[], Store], layout: Layout) -> None:
        self._store: Store | None = None
        self._open: Callable[[], Store]
        if isinstance(store, Store):
            self._store = store
        else:
            self._open = store
        self._layout = layout
        self._lock = threading.Lock()

    def _opened(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = self._open()
            return self._store

    def handle(self, request: TransportRequest) -> TransportResponse:
        """Answer ``request`` from the store.

        Raises:
            StoreError: the store failed (the verifier reports it as that document's failure).
        """
        path = self._layout.path_of(request.url)
        if path is None:
            return _NOT_HOSTED
        answer = public_response(
            self._opened(),
            path,
            accept=request.headers.get("accept"),
            if_none_match=request.headers.get("if-none-match"),
        )
        # kept, but asked again at every use (module doc): the store's answer is the truth
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("cache-control", "expires")}
        return TransportResponse(answer.status, {**headers, "cache-control": "no-cache"}, answer.body)


def site_mounts(store: Store | Callable[[], Store], public_url: str) -> dict[str, Transport]:
    """The fetcher ``mounts`` that answer ``public_url``'s documents from ``store``: everything
    below the public URL, and the JWK Set at its origin.

    Raises:
        InvalidField: ``public_url`` is not a usable public URL.
    """
    layout = Layout.parse(public_url)
    site = SiteTransport(store, layout)
    return {layout.base + "/": site, layout.url(jwks()): site}


@lru_cache(maxsize=MAX_SITES)
def _site(store: Store | Callable[[], Store], public_url: str) -> tuple[Mapping[str, Transport], FetchCache]:
    return site_mounts(store, public_url), FetchCache()


def site_fetcher(
    store: Store | Callable[[], Store],
    public_url: str,
    *,
    transport: Transport | None = None,
    kind: type[F] = Fetcher,  # type: ignore[assignment]  # the default is the bound itself
) -> F:
    """A fetcher of kind ``kind`` for a verification by this deployment: the production policy,
    with :func:`site_mounts` for this site's own documents, and the cache this process keeps for
    ``(store, public_url)`` (the same ``store`` object or opener shares it). ``transport``
    replaces the network (tests).

    Raises:
        InvalidField: ``public_url`` is not a usable public URL.
    """
    mounts, cache = _site(store, public_url)
    return kind(FetchPolicy(), transport=transport, mounts=mounts, cache=cache)
