"""What a successful fetch returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from badgekiln.strictjson import loads_strict

__all__ = ["FetchResponse"]


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
    # the parsed body, once parsed: a cached or pinned response is read by many verifications
    # (the fetcher passes a cache entry's slot, so every response made from it shares one parse)
    _parsed: list[Any] = field(default_factory=list, repr=False, compare=False)

    def json(self) -> Any:
        """The body as strict JSON (UTF-8, no duplicate keys, bounded depth). It is parsed once
        per response and the same value returned to every caller: treat it as read-only.

        Raises:
            MalformedPayload: the body is not strict UTF-8 JSON (``reason`` says how).
            InputTooLarge: it nests deeper than :data:`~badgekiln.strictjson.MAX_JSON_DEPTH`.
        """
        if not self._parsed:
            self._parsed.append(loads_strict(self.body, source=self.url))
        return self._parsed[0]
