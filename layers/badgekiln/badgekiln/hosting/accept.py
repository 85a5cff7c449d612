"""The one reader of ``Accept`` headers: which of the types we can send a client prefers.

RFC 9110 §12.5.1: a media range (``type/subtype``, ``type/*`` or ``*/*``) carries a weight ``q``
from 0 to 1; the most specific range that matches a type gives that type its weight. Strict
where the RFC leaves room: a malformed ``q`` counts as 0 (not acceptable) rather than as 1, media
range parameters other than ``q`` are not compared, and at most :data:`MAX_ACCEPT_RANGES` ranges
are read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_ACCEPT_RANGES", "MediaRange", "negotiate", "parse_accept", "quality"]

#: Media ranges read from one header: browsers send fewer than ten; the rest is ignored.
MAX_ACCEPT_RANGES: Final = 32
#: Longest header read (characters): 32 ranges with parameters fit easily.
MAX_ACCEPT_CHARS: Final = 4096
_QVALUE: Final = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
_RANGE: Final = re.compile(r"(?:\*|[!#$%&'*+.^_`|~0-9a-z-]+)/(?:\*|[!#$%&'*+.^_`|~0-9a-z-]+)")


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One ``type/subtype`` (lower-case, ``*`` wildcards allowed) and its weight ``q``."""

    range: str
    q: float

    def specificity(self, media_type: str) -> int:
        """2 for an exact match of ``media_type``, 1 for ``type/*``, 0 for ``*/*``, -1 for none."""
        if self.range == media_type:
            return 2
        if self.range == "*/*":
            return 0
        kind, _, sub = self.range.partition("/")
        return 1 if sub == "*" and media_type.partition("/")[0] == kind else -1


def parse_accept(header: str | None) -> tuple[MediaRange, ...]:
    """The media ranges of an ``Accept`` header, in order (``()`` when absent or empty).

    Items that are not a media range are skipped; never raises.
    """
    if not header:
        return ()
    found: list[MediaRange] = []
    for item in header[:MAX_ACCEPT_CHARS].split(",", MAX_ACCEPT_RANGES)[:MAX_ACCEPT_RANGES]:
        kind, *params = (part.strip() for part in item.split(";"))
        kind = kind.lower()
        if not _RANGE.fullmatch(kind) or (kind.startswith("*/") and kind != "*/*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                q = float(value) if _QVALUE.fullmatch(value) else 0.0
        found.append(MediaRange(kind, q))
    return tuple(found)


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The weight ``ranges`` give ``media_type``: that of the most specific matching range (the
    highest among equally specific ones), 0 when none matches."""
    best, weight = -1, 0.0
    wanted = media_type.lower()
    for item in ranges:
        level = item.specificity(wanted)
        if level > best or (level == best and item.q > weight):
            best, weight = level, item.q
    return weight if best >= 0 else 0.0


def negotiate(accept: str | None, offered: Sequence[str]) -> str:
    """Which of ``offered`` (our types, in our order of preference) to send a client whose
    ``Accept`` header is ``accept``: the first of the highest weight. With no header, or when
    the client accepts none of them, the first (a document is still better than a 406)."""
    if not offered:
        raise ValueError("offered must name at least one media type")
    ranges = parse_accept(accept)
    chosen, weight = offered[0], 0.0
    for media_type in offered:
        q = quality(ranges, media_type)
        if q > weight:
            chosen, weight = media_type, q
    return chosen
