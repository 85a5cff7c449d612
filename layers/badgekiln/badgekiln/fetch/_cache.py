"""The fetcher's HTTP cache: RFC 9111 freshness and validation, bounded in entries and bytes.

A :class:`FetchCache` may outlive any one fetch and serve many fetchers at once (the site fetcher
keeps one per process), so it behaves as a *shared* cache (RFC 9111 §3.5): ``private`` and
``no-store`` answers are never stored, ``s-maxage`` wins over ``max-age``. The rules, strict where
the RFC leaves a choice:

* Stored: 200, 203, 300, 301, 302, 303, 307 and 308 answers (never an error, a 206 or a 304),
  without ``no-store``, ``private`` or ``Vary: *``, whose ``Cache-Control`` parses, that either
  carry explicit freshness (``s-maxage``, ``max-age``, ``Expires``) or a validator (``ETag``,
  ``Last-Modified``) to revalidate with. No heuristic freshness: an answer that says nothing is
  revalidated (or refetched) every time.
* Age (§4.2.3): the larger of the apparent age (``Date`` against this machine's clock) and the
  ``Age`` header plus the round trip, then the time resident here on a monotonic clock; a
  malformed, repeated or conflicting directive makes the answer stale (§4.2.1).
* Reuse: while fresh and within the caller's cap (:attr:`FetchPolicy.cache_ttl`); ``no-cache``
  means revalidate every time. Stale answers are revalidated with ``If-None-Match`` and
  ``If-Modified-Since``; a 304 freshens the stored one, anything else replaces or drops it.
  Nothing stale is ever served.
* Keys (§4.1): the fetcher keys entries by who answered (the transport and the address rule it
  fetched under), the URL and every header it sends, so ``Vary`` can only name headers that are
  part of the key already (or that are never sent); ``Vary: *`` is not stored.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any, Final

__all__ = ["DEFAULT_CACHE_BYTES", "DEFAULT_CACHE_ENTRIES", "FetchCache", "Stored", "store"]

#: Entries a cache holds by default: a verification reads a dozen documents, a busy verify
#: function a few hundred issuers' worth.
DEFAULT_CACHE_ENTRIES: Final = 256
#: Bytes of bodies and headers a cache holds by default: a small share of a 512 MiB Lambda.
DEFAULT_CACHE_BYTES: Final = 32 << 20
#: Share of the byte budget one answer may take: one large status list cannot empty the cache.
_ENTRY_SHARE: Final = 8
#: Bytes counted per entry besides its body and headers (the key, the bookkeeping).
_ENTRY_OVERHEAD: Final = 512
#: Statuses stored (RFC 9110 §15: final, not partial, understood; errors are never stored).
_STORABLE: Final = frozenset({200, 203, 300, 301, 302, 303, 307, 308})
#: Headers a 304 does not replace in the stored answer (they describe the stored body).
_KEEP_ON_304: Final = frozenset(
    {"content-length", "content-type", "content-encoding", "content-range", "transfer-encoding"}
)
#: Cache-Control sizes past which the header is treated as malformed (every loop is bounded).
_MAX_DIRECTIVES: Final = 64
_MAX_HEADER: Final = 4096
#: The largest delta-seconds honoured (RFC 9111 §1.2.2: 2^31 at least).
_MAX_DELTA: Final = 2**31

_DIRECTIVE = re.compile(
    r"""\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,"\s]*))?\s*(?:,|$)"""
)
_DIGITS = re.compile(r"[0-9]+")


def parse_cache_control(value: str | None) -> dict[str, str | None] | None:
    """Directives of a ``Cache-Control`` value (names lower-cased, quotes removed), or ``None``
    when it is malformed or repeats a directive with another value (the answer is then stale)."""
    directives: dict[str, str | None] = {}
    if value is None or not value.strip():
        return directives
    if len(value) > _MAX_HEADER:
        return None
    position = 0
    for _ in range(_MAX_DIRECTIVES):
        match = _DIRECTIVE.match(value, position)
        if match is None or match.end() == position:
            return None
        name, argument = match.group(1).lower(), match.group(2)
        if argument is not None and argument.startswith('"'):
            argument = re.sub(r"\\(.)", r"\1", argument[1:-1])
        if name in directives and directives[name] != argument:
            return None
        directives[name] = argument
        position = match.end()
        if position >= len(value):
            return directives
    return None


def _delta(argument: str | None) -> int | None:
    if argument is None or not _DIGITS.fullmatch(argument):
        return None
    return min(int(argument), _MAX_DELTA)


def _http_date(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return None if moment.tzinfo is None else moment.timestamp()


def _lifetime(headers: Mapping[str, str], directives: dict[str, str | None], received: float) -> float:
    """Freshness lifetime (RFC 9111 §4.2.1) for a shared cache; 0 when none or invalid."""
    for name in ("s-maxage", "max-age"):
        if name in directives:
            return float(_delta(directives[name]) or 0)
    if "expires" in headers:
        expires = _http_date(headers["expires"])
        date = _http_date(headers.get("date"))
        if expires is None:
            return 0.0  # "0" and other invalid dates are in the past (§5.3)
        return max(0.0, expires - (date if date is not None else received))
    return 0.0


@dataclass(frozen=True, slots=True)
class Stored:
    """One stored answer: status, headers (lower-case names), body and its age bookkeeping.

    ``stored_at`` is the cache clock's reading when the answer arrived (or was last validated),
    ``initial_age`` its age then, ``lifetime`` its freshness lifetime; ``revalidate`` says it
    must be revalidated before every use (``no-cache``). ``parsed`` is the body's parse, shared
    by every response made from this entry and the entries a 304 renews it into (the body and
    its type stay), so a cached document is parsed once however often it is read.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    stored_at: float
    initial_age: float
    lifetime: float
    revalidate: bool
    parsed: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def etag(self) -> str | None:
        """The entity tag, if any."""
        return self.headers.get("etag")

    @property
    def validators(self) -> dict[str, str]:
        """The conditional request headers that revalidate this answer (RFC 9110 §13.1)."""
        conditional: dict[str, str] = {}
        if self.etag:
            conditional["if-none-match"] = self.etag
        modified = self.headers.get("last-modified")
        if modified and _http_date(modified) is not None:
            conditional["if-modified-since"] = modified
        return conditional

    @property
    def size(self) -> int:
        """Bytes this entry counts against the cache's budget."""
        head = sum(len(name) + len(value) for name, value in self.headers.items())
        return len(self.body) + head + _ENTRY_OVERHEAD

    def fresh(self, now: float, *, cap: float) -> bool:
        """True when it may be used without asking: younger than its lifetime and ``cap``."""
        age = self.initial_age + max(0.0, now - self.stored_at)
        return not self.revalidate and age < min(self.lifetime, cap)

    def freshened(self, headers: Mapping[str, str], *, sent: float, now: float) -> Stored | None:
        """This answer after a 304 with ``headers`` (RFC 9111 §4.3.4), or ``None`` when the 304
        names another representation (its strong ETag differs) or forbids storing."""
        update = {name.lower(): value for name, value in headers.items()}
        tag = update.get("etag")
        if tag is not None and self.etag is not None and _opaque(tag) != _opaque(self.etag):
            return None
        merged = dict(self.headers)
        merged.update({name: value for name, value in update.items() if name not in _KEEP_ON_304})
        return store(self.status, merged, self.body, sent=sent, now=now, parsed=self.parsed)


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def store(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    sent: float,
    now: float,
    parsed: list[Any] | None = None,
) -> Stored | None:
    """The entry for an answer received at ``now`` to a request sent at ``sent`` (cache clock),
    or ``None`` when it must not be stored.

    ``headers`` may use any case; the entry keeps lower-case names. ``parsed`` is the parse slot
    of an entry this one renews (the same body).
    """
    fields = {name.lower(): value for name, value in headers.items()}
    if status not in _STORABLE:
        return None
    directives = parse_cache_control(fields.get("cache-control"))
    vary = {part.strip() for part in fields.get("vary", "").split(",")}
    if directives is None or "no-store" in directives or "private" in directives or "*" in vary:
        return None
    received = time.time()
    lifetime = _lifetime(fields, directives, received)
    revalidate = "no-cache" in directives
    has_validator = bool(fields.get("etag")) or _http_date(fields.get("last-modified")) is not None
    date = _http_date(fields.get("date"))
    apparent = max(0.0, received - date) if date is not None else 0.0
    age = max(apparent, (_delta(fields.get("age")) or 0) + max(0.0, now - sent))
    if (age >= lifetime or revalidate) and not has_validator:
        return None  # never reusable and nothing to revalidate with
    return Stored(
        status=status,
        headers=MappingProxyType(fields),
        body=body,
        stored_at=now,
        initial_age=age,
        lifetime=lifetime,
        revalidate=revalidate,
        parsed=[] if parsed is None else parsed,
    )


class FetchCache:
    """A thread-safe LRU store of answers, bounded by ``entries`` and ``max_bytes``.

    ``clock`` is monotonic seconds (tests pass a fake one). Share one cache between fetchers to
    share what they learn; each fetcher still applies its own policy to every answer it reads
    from the cache (redirect targets, content types, size caps, ``cache_ttl``). ``entries == 0``
    disables it.

    Example::

        cache = FetchCache(entries=512, max_bytes=64 << 20)
        fetcher = Fetcher(cache=cache)        # and any number of others with cache=cache

    Raises:
        ValueError: ``entries`` or ``max_bytes`` is negative or not an int.
    """

    def __init__(
        self,
        *,
        entries: int = DEFAULT_CACHE_ENTRIES,
        max_bytes: int = DEFAULT_CACHE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (("entries", entries), ("max_bytes", max_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, not {value!r}")
        self._entries = entries
        self._max_bytes = max_bytes
        self._clock = clock
        self._items: OrderedDict[Hashable, Stored] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether anything is ever stored."""
        return self._entries > 0 and self._max_bytes > 0

    def now(self) -> float:
        """The cache clock's reading (monotonic seconds)."""
        return self._clock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def size(self) -> int:
        """Bytes held now (bodies, headers and per-entry overhead)."""
        with self._lock:
            return self._bytes

    def get(self, key: Hashable) -> Stored | None:
        """The entry under ``key`` (fresh or not; marked recently used), or ``None``."""
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: Hashable, item: Stored) -> None:
        """Store ``item``, evicting least recently used entries to stay within both bounds; an
        entry larger than an eighth of the byte budget is not stored (and drops the old one)."""
        with self._lock:
            self._drop(key)
            if not self.enabled or item.size > self._max_bytes // _ENTRY_SHARE:
                return
            self._items[key] = item
            self._bytes += item.size
            while len(self._items) > self._entries or self._bytes > self._max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.size

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (nothing happens if it is not stored)."""
        with self._lock:
            self._drop(key)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def _drop(self, key: Hashable) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old.size
