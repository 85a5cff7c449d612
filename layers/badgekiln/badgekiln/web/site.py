"""The pages' fetcher: the site fetcher (:mod:`badgekiln.hosting.site`: this deployment's own
documents from the store, the rest of the web strictly) that also records every JSON document the
verifier read, so a page can show what was checked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from badgekiln.errors import BadgeKilnError
from badgekiln.fetch import JSON_TYPES, Fetcher, FetchPolicy, FetchResponse, Transport
from badgekiln.hosting.site import site_fetcher
from badgekiln.store.base import Store
from badgekiln.strictjson import loads_strict

__all__ = ["MAX_RECORDED", "RecordingFetcher", "page_fetcher"]

#: Documents remembered per verification for display (assertion, BadgeClass, profile, keys,
#: status lists, endorsements …): a verification reads a dozen or so.
MAX_RECORDED: Final = 64


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


def page_fetcher(
    store: Store | Callable[[], Store] | None, public_url: str | None, *, transport: Transport | None = None
) -> RecordingFetcher:
    """The fetcher one page verification uses (a fresh one per request: its record is per badge,
    its cache and mounts the process's, :func:`~badgekiln.hosting.site.site_fetcher`). Without a
    store or public URL it is the ordinary strict fetcher. ``transport`` replaces the network
    (tests).

    Raises:
        InvalidField: ``public_url`` is not a usable public URL.
    """
    if store is None or not public_url:
        return RecordingFetcher(FetchPolicy(), transport=transport)
    return site_fetcher(store, public_url, transport=transport, kind=RecordingFetcher)
