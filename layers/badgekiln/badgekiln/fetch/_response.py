"""What a successful fetch returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from badgekiln.strictjson import loads_strict

__all__ = ["FetchResponse"]

_T = TypeVar("_T")
#: Values :meth:`FetchResponse.derived` keeps per document: one per reader (a view class or
#: two), so a handful; past this, made again on each call rather than kept.
_MAX_DERIVED: Final = 8


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """A 2xx response whose type was accepted and whose body fitted the cap.

    ``url`` is the final URL after redirects (canonical form), ``content_type`` the media type
    only (lower case, no parameters) and ``headers`` a read-only map with lower-case names.
    """

    url: str
    status: int
    content_type: str
    headers: Mapping[str, str]
    body: bytes
    # [the parsed body, what was derived from it] once parsed: a cached or pinned response
    # is read by many verifications (the fetcher passes a cache entry's slot, so every response
    # made from it shares one parse)
    _parsed: list[Any] = field(default_factory=list, repr=False, compare=False)

    def json(self) -> Any:
        """The body as strict JSON (UTF-8, no duplicate keys, bounded depth). It is parsed once
        per response and the same value returned to every caller: treat it as read-only.

        Raises:
            MalformedPayload: the body is not strict UTF-8 JSON (``reason`` says how).
            InputTooLarge: it nests deeper than :data:`~badgekiln.strictjson.MAX_JSON_DEPTH`.
        """
        slot = self._parsed
        if not slot:
            # the parse and the store of what is derived from it, in one extend: a thread racing
            # this one appends its pair after, and every reader uses the first (slot[0], slot[1])
            slot.extend((loads_strict(self.body, source=self.url), {}))
        return slot[0]

    def derived(self, make: Callable[[Any], _T]) -> _T:
        """``make(self.json())``, made once per response like the parse (and so once for every
        badge read against one pinned or cached issuer document). ``make`` must be a pure
        function of the JSON, and one that lives on (a view class's ``of``), not made per call.

        Raises:
            MalformedPayload, InputTooLarge: as :meth:`json`.
        """
        document = self.json()
        made: dict[Callable[[Any], Any], Any] = self._parsed[1]
        value: _T
        try:
            value = made[make]
        except KeyError:
            value = make(document)
            if len(made) < _MAX_DERIVED:
                made[make] = value
        return value
