"""One fuzz input carrying several byte strings: a main part and named sections.

::

    <main part>
    --badgekiln-fuzz <name>
    <section body>
    --badgekiln-fuzz <name>
    <section body>

Lines are split at ``\\n``; a section's body is everything up to the next marker line (its last
newline is not part of it). Mutations reach every part, and a mutated marker merely makes a section
part of the one before it, so any input is a valid bundle.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = ["MARKER", "join", "split"]

MARKER: Final = b"\n--badgekiln-fuzz "


def split(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """``(main part, [(section name, body), …])`` of ``data``."""
    main, *rest = data.split(MARKER)
    sections: list[tuple[str, bytes]] = []
    for piece in rest:
        name, _, body = piece.partition(b"\n")
        sections.append((name.decode("utf-8", "replace").strip(), body))
    return main, sections


def join(main: bytes, sections: Iterable[tuple[str, bytes]]) -> bytes:
    """The bundle of ``main`` and ``sections`` (inverse of :func:`split`)."""
    return main + b"".join(MARKER + name.encode("utf-8") + b"\n" + body for name, body in sections)
