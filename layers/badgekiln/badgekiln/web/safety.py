"""What badge-supplied values may become on a page: http(s) links, clipped text, masked identities.

Badges are written by strangers. Jinja2 escapes every value, so text can never become markup;
this module adds what escaping cannot decide: a link is only ever an absolute ``http``/``https``
URL (``javascript:``, ``data:``, ``vbscript:``, ``file:`` and relative references are dropped),
text is clipped so a megabyte of "description" cannot bloat a page, and a recipient's identity
is never shown as written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from badgekiln.masking import mask_email, mask_identifier, mask_telephone

__all__ = [
    "MAX_LONG_TEXT",
    "MAX_SHORT_TEXT",
    "MAX_URL_CHARS",
    "http_url",
    "mask_email",
    "mask_identifier",
    "mask_telephone",
    "short_date",
    "text",
]

#: Longest link kept; longer "URLs" are not links anyone typed (and browsers cap near 2 KB too).
MAX_URL_CHARS: Final = 2048
#: Names, titles and other one-line values: longer ones are clipped with an ellipsis.
MAX_SHORT_TEXT: Final = 200
#: Descriptions and criteria narratives: a few paragraphs, not a novel.
MAX_LONG_TEXT: Final = 4000

_SCHEMES: Final = frozenset({"http", "https"})


def http_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL safe for ``href``/``src``, else ``None``.

    Refused: other schemes (``javascript:``, ``data:``, ``vbscript:`` …), relative references,
    URLs without a host, and anything with whitespace, control characters or backslashes (which
    browsers "repair" in ways a check cannot follow).
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL_CHARS:
        return None
    if any(ch <= " " or ch in "\x7f\\" for ch in value):
        return None
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:  # an invalid port or IPv6 literal
        return None
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname or not port_ok:
        return None
    return value


def text(value: Any, limit: int = MAX_SHORT_TEXT) -> str | None:
    """``value`` as display text: a non-empty string, stripped, clipped to ``limit`` characters.

    Non-strings (numbers, objects, lists) are not text a badge may show: ``None``.
    """
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    if not stripped:
        return None
    return stripped if len(stripped) <= limit else stripped[: limit - 1].rstrip() + "…"


def short_date(value: datetime) -> str:
    """``1 May 2026`` (UTC): unambiguous for every reader, unlike 05/01/2026."""
    moment = value.astimezone(UTC)
    return f"{moment.day} {moment:%B %Y}"
