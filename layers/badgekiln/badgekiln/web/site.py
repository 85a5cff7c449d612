"""The pages' fetcher: this site's own documents straight from the store, the rest of the web
through the strict network transport, and a record of every JSON document the verifier read.

Why answer our own URLs from the store: a badge this deployment issued names its key, profile and
status list under the public URL; the public function serves exactly those store objects (with
:func:`~badgekiln.hosting.responses.public_response`, which this transport calls too), so reading them
directly gives the same answers without a round trip through the API — and works under
``badgekiln serve``, whose loopback URL the strict fetcher would (rightly) refuse.

Nothing else is relaxed: URLs outside the public URL go to the network transport with the
default rules (public addresses only, https only unless the site itself is local).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final
from urllib.parse import urlsplit

from badgekiln.errors import BadgeKilnError, FetchRefused
from badgekiln.fetch import (
    JSON_TYPES,
    Fetcher,
    FetchPolicy,
    FetchResponse,
    Transport,
    TransportRequest,
    TransportResponse,
    names_this_machine,
)
from badgekiln.hosting.layout import Layout
from badgekiln.hosting.responses import public_response
from badgekiln.store.base import Store
from badgekiln.strictjson import loads_strict

__all__ = ["MAX_RECORDED", "RecordingFetcher", "SiteTransport", "site_fetcher"]

#: Documents remembered per verification for display (assertion, BadgeClass, profile, keys,
#: status lists, endorsements …): a verification reads a dozen or so.
MAX_RECORDED: Final = 64


class SiteTransport:
    """Answers URLs under ``layout``'s public URL from ``store``; sends the rest to ``network``.

    For URLs elsewhere the request goes out with ``allow_loopback`` off and plain http refused,
    whatever the fetch policy (which a local site relaxes only so its own loopback URLs pass).
    """

    def __init__(self, store: Store, layout: Layout, network: Transport | None = None) -> None:
        self._store = store
        self._layout = layout
        self._network = network
        self._lock = threading.Lock()

    def _remote(self) -> Transport:
        with self._lock:
            if self._network is None:
                from badgekiln.fetch._requests import RequestsTransport

                self._network = RequestsTransport()
            return self._network

    def handle(self, request: TransportRequest) -> TransportResponse:
        """Answer ``request`` from the store (own URLs) or the network (the rest).

        Raises:
            FetchRefused: a foreign URL over plain http or to a loopback or private address.
            FetchFailed: the network transport failed.
        """
        path = self._layout.path_of(request.url)
        if path is not None:
            answer = public_response(self._store, path, accept=request.headers.get("accept"))
            return TransportResponse(answer.status, answer.headers, answer.body)
        parts = urlsplit(request.url)
        if parts.scheme != "https":
            raise FetchRefused(
                f"refused to fetch {request.url}: plain http is not allowed; use an https URL",
                url=request.url,
                reason="scheme",
            )
        if names_this_machine(parts.hostname or ""):
            raise FetchRefused(
                f"refused to fetch {request.url}: it names this machine; only public hosts are fetched",
                url=request.url,
                reason="address",
            )
        return self._remote().handle(replace(request, allow_loopback=False))


class RecordingFetcher(Fetcher):
    """A :class:`~badgekiln.fetch.Fetcher` that remembers the JSON documents it returned, so a
    page can show the BadgeClass or issuer profile the verifier actually checked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen: dict[str, bytes] = {}
        self._seen_lock = threading.Lock()

    def get(
        self, url: str, *, accept: Sequence[str] = JSON_TYPES, max_bytes: int | None = None
    ) -> FetchResponse:
        """As :meth:`Fetcher.get`, remembering the body under the requested and final URLs."""
        response = super().get(url, accept=accept, max_bytes=max_bytes)
        with self._seen_lock:
            for where in (url, response.url):
                key = where.split("#", 1)[0]
                if len(self._seen) < MAX_RECORDED:
                    self._seen.setdefault(key, response.body)
        return response

    def document(self, url: str) -> Mapping[str, Any] | None:
        """The JSON object fetched from ``url`` (fragment ignored), or ``None``."""
        with self._seen_lock:
            body = self._seen.get(url.split("#", 1)[0])
        if body is None:
            return None
        try:
            value = loads_strict(body, source=url)
        except BadgeKilnError:
            return None
        return value if isinstance(value, Mapping) else None


def site_fetcher(
    store: Store | None, public_url: str | None, *, network: Transport | None = None
) -> RecordingFetcher:
    """The fetcher one page verification uses (a fresh one per request: its record is per badge).

    Without a store or public URL it is the ordinary strict fetcher (plus the record). A public
    URL on this machine (``badgekiln serve``) admits loopback *in the policy* so that its own
    URLs reach :class:`SiteTransport`, which still refuses every other local address.

    Raises:
        InvalidField: ``public_url`` is not a usable public URL.
    """
    if store is None or not public_url:
        return RecordingFetcher(FetchPolicy(), transport=network)
    layout = Layout.parse(public_url)
    local = names_this_machine(layout.host)
    policy = FetchPolicy(allow_loopback=local)
    return RecordingFetcher(policy, transport=SiteTransport(store, layout, network))
