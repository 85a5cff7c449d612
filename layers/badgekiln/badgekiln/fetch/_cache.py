"""A small thread-safe LRU cache with a time-to-live, for successful fetches."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["TTLCache"]

V = TypeVar("V")


class TTLCache(Generic[V]):
    """At most ``entries`` values, each forgotten ``ttl`` seconds after it was stored.

    ``clock`` must be monotonic; ``ttl == 0`` or ``entries == 0`` disables the cache.
    """

    def __init__(self, *, ttl: float, entries: int, clock: Callable[[], float]) -> None:
        self._ttl = ttl
        self._entries = entries
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether anything is ever stored."""
        return self._ttl > 0 and self._entries > 0

    def get(self, key: Hashable) -> V | None:
        """The live value under ``key`` (and mark it recently used), or ``None``."""
        if not self.enabled:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value``, evicting the least recently used entry when full."""
        if not self.enabled:
            return
        with self._lock:
            self._items[key] = (self._clock() + self._ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self._entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
