"""What a successful fetch returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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

    def json(self) -> Any:
        """The body as strict JSON (UTF-8, no duplicate keys, bounded depth).

        Raises:
            MalformedPayload: the body is not strict UTF-8 JSON (``reason`` says how).
            InputTooLarge: it nests deeper than :data:`~badgekiln.strictjson.MAX_JSON_DEPTH`.
        """
        return loads_strict(self.body, source=self.url)
