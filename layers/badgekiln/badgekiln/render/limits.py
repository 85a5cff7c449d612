"""The caps that keep rendering an untrusted SVG bounded in memory and time."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "RenderLimits"]


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """Caps applied before and while an SVG is rendered. Derive variants with ``dataclasses.replace``.

    Every default is chosen for badge artwork (a few KB to a few hundred KB, a few hundred
    elements, rendered at 128–2048 px) with a wide margin; each one bounds a resource an attacker
    could otherwise make unbounded:

    ``max_input_bytes``
        SVG source size (2 MiB). A badge design is rarely over 200 KB; embedded rasters make the
        rest. Also bounds path data, text and ``data:`` URIs, which all live in the source.
    ``max_elements``
        Elements parsed, counted while parsing so a flood stops early (10,000).
    ``max_render_cost``
        Estimated drawing work in element-equivalents (25,000, about 1–2 s here): each element
        counts 1 and every 4 path points or text characters 1 more, and ``<use>``, patterns,
        masks, clip paths and markers count what they draw again, and ``<style>`` sheets count
        one per 128 selector × element matches (cairosvg matches every selector against every
        element). Stops "use bombs" (ten ``<use>`` of ten ``<use>`` … of a shape), which
        otherwise run for minutes before cairosvg's own 100,000-reference guard fires, text drawn
        a thousand times over, and stylesheets of thousands of rules over thousands of elements.
    ``max_depth``
        Element nesting (128). cairosvg draws recursively in Python.
    ``max_text_chars``
        Characters inside text elements (10,000). cairosvg lays text out glyph by glyph in Python.
    ``max_side`` / ``max_pixels``
        Output canvas (4096 px a side, 16.7 Mpx = 64 MiB of ARGB). Checked before cairo allocates
        the surface, including for an SVG's own ``width``/``height`` when no size is asked for.
    ``max_embedded_bytes``
        Total decoded bytes of ``data:`` URIs fetched while rendering (8 MiB), counting repeats:
        one embedded image drawn many times through ``<use>`` is decoded each time.
    """

    max_input_bytes: int = 2 * 1024 * 1024
    max_elements: int = 10_000
    max_render_cost: int = 25_000
    max_depth: int = 128
    max_text_chars: int = 10_000
    max_side: int = 4096
    max_pixels: int = 4096 * 4096
    max_embedded_bytes: int = 8 * 1024 * 1024

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"RenderLimits.{field.name} must be a positive int, not {value!r}")


#: The limits used when a caller passes none.
DEFAULT_LIMITS = RenderLimits()
