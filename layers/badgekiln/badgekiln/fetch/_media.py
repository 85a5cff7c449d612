"""Media types: what callers ask for (``accept``) and what a response says it is."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["IMAGE_TYPES", "JSON_TYPES", "JWT_TYPES", "accept_header", "check_accept", "matches", "media_type"]

#: JSON documents of every kind badgekiln reads: plain JSON, JSON-LD, and any ``+json`` subtype
#: (``did+json``, ``jwk-set+json``, ``vc+ld+json`` …). ``type/*+suffix`` patterns match by suffix
#: and are left out of the Accept header, where they are not valid media ranges.
JSON_TYPES: tuple[str, ...] = ("application/ld+json", "application/json", "application/*+json")
#: Compact JWS/JWT documents (OB 3.0 VC-JWT, OB 2.0 signed assertions served as text).
JWT_TYPES: tuple[str, ...] = ("application/vc+jwt", "application/jwt", "text/plain")
#: Badge images (OB 2.0 ``image`` URLs).
IMAGE_TYPES: tuple[str, ...] = ("image/png", "image/svg+xml")

_NAME_CHARS = r"[a-z0-9!#$&^_.+-]+"
_ACCEPT_ENTRY = re.compile(rf"{_NAME_CHARS}/(?:{_NAME_CHARS}|\*|\*\+{_NAME_CHARS})")
_MEDIA_TYPE = re.compile(rf"{_NAME_CHARS}/{_NAME_CHARS}")
#: Accept tuples already validated (callers pass a few constants, so the set stays small).
_CHECKED: set[tuple[str, ...]] = set()
_MAX_CHECKED = 64


def check_accept(accept: Sequence[str]) -> tuple[str, ...]:
    """Validate an ``accept`` argument and return it as a tuple.

    Raises:
        TypeError: ``accept`` is a bare string or holds non-strings.
        ValueError: it is empty or an entry is not ``type/subtype``, ``type/*`` or ``type/*+suffix``
            in lower case.
    """
    if type(accept) is tuple and accept in _CHECKED:
        return accept
    if isinstance(accept, str | bytes):
        raise TypeError("accept must be a sequence of media types, not a single string")
    entries = tuple(accept)
    if not entries:
        raise ValueError("accept must name at least one media type")
    for entry in entries:
        if not isinstance(entry, str):
            raise TypeError(f"accept entries must be str, not {type(entry).__name__}")
        if not _ACCEPT_ENTRY.fullmatch(entry):
            raise ValueError(f"{entry!r} is not a lower-case media type or pattern")
    if len(_CHECKED) < _MAX_CHECKED:
        _CHECKED.add(entries)
    return entries


def accept_header(accept: Sequence[str]) -> str:
    """The Accept header for an allow-list (patterns with ``*+`` omitted; ``*/*`` if none is left)."""
    exact = [entry for entry in accept if "*+" not in entry]
    return ", ".join(exact) or "*/*"


def media_type(content_type: str | None) -> str:
    """The lower-case ``type/subtype`` of a Content-Type header, or ``""`` if absent or malformed."""
    if not content_type:
        return ""
    value = content_type.split(";", 1)[0].strip().lower()
    return value if _MEDIA_TYPE.fullmatch(value) else ""


def matches(media: str, accept: Sequence[str]) -> bool:
    """Whether ``media`` (from :func:`media_type`) is in the allow-list ``accept``."""
    if not media:
        return False
    kind, _, subtype = media.partition("/")
    for entry in accept:
        entry_kind, _, entry_sub = entry.partition("/")
        if entry_kind != kind:
            continue
        if entry_sub in ("*", subtype):
            return True
        if entry_sub.startswith("*+") and subtype.endswith(entry_sub[1:]):
            return True
    return False
