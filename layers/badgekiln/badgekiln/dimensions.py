"""How many pixels an image would take to show, read from its header before anything is decoded.

A PNG of a few hundred KiB can declare 50000×50000 pixels (10 GB as RGBA) in IHDR; an SVG can say
``width="1e9"``. Baking never decodes pixels, but what badgekiln hosts and bakes is shown by
browsers, link-preview crawlers and renderers that do, so images it stores or returns are capped
by their declared size: PNG from IHDR, SVG from the root's ``width``/``height`` (absolute units
converted at CSS's 96 px per inch), or its ``viewBox`` where either is missing or relative.
"""

from __future__ import annotations

import math
import re
import struct
from typing import Final

from badgekiln import svg
from badgekiln.errors import InputTooLarge
from badgekiln.sniff import sniff_image

__all__ = ["MAX_IMAGE_PIXELS", "MAX_IMAGE_SIDE", "check_dimensions", "declared_size"]

#: Largest width or height accepted (px).
MAX_IMAGE_SIDE: Final = 8192
#: Largest width × height accepted: 4096×4096, 64 MiB decoded as RGBA.
MAX_IMAGE_PIXELS: Final = 4096 * 4096

_IHDR: Final = struct.Struct(">4s4sII")  # length, type, width, height after the signature
#: CSS absolute units in px; relative ones (%, em, ex …) say nothing about the size.
_UNITS: Final = {
    "": 1.0,
    "px": 1.0,
    "in": 96.0,
    "cm": 96 / 2.54,
    "mm": 96 / 25.4,
    "q": 96 / 101.6,
    "pt": 96 / 72,
    "pc": 16.0,
}
_LENGTH: Final = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z%]*)\s*")
_SEPARATORS: Final = re.compile(r"[\s,]+")


def _length(value: str | None) -> float | None:
    match = _LENGTH.fullmatch(value or "")
    if match is None:
        return None
    scale = _UNITS.get(match.group(2).lower())
    return None if scale is None else float(match.group(1)) * scale


def _view_box(value: str | None) -> tuple[float, float] | None:
    parts = _SEPARATORS.split((value or "").strip())
    if len(parts) != 4:
        return None
    try:
        width, height = float(parts[2]), float(parts[3])
    except ValueError:
        return None
    return width, height


def declared_size(image: bytes) -> tuple[float, float] | None:
    """``(width, height)`` in px as the image declares them, or ``None`` when it declares none
    (an SVG with relative or no sizes and no viewBox; a PNG whose first chunk is not IHDR, which
    baking refuses anyway).

    Raises:
        NotABadgeImage, MalformedImage, UnsupportedEncoding: not a PNG or SVG (see :func:`sniff_image`).
    """
    if sniff_image(image) == "png":
        if len(image) < 8 + _IHDR.size:
            return None
        _, kind, width, height = _IHDR.unpack_from(image, 8)
        return (float(width), float(height)) if kind == b"IHDR" else None
    _namespace, _local, attributes = svg.root_element(bytes(image))
    width, height = _length(attributes.get("width")), _length(attributes.get("height"))
    if width is None or height is None:
        box = _view_box(attributes.get("viewBox"))
        if box is None:
            return None
        width = box[0] if width is None else width
        height = box[1] if height is None else height
    return width, height


def check_dimensions(image: bytes, *, field: str | None = None) -> None:
    """Refuse ``image`` if it declares more than :data:`MAX_IMAGE_SIDE` px a side or
    :data:`MAX_IMAGE_PIXELS` in all (nothing is decoded).

    Raises:
        InputTooLarge: ``reason="dimensions"`` (and ``field``) over either cap, or a size that is
            not a finite number.
        NotABadgeImage, MalformedImage, UnsupportedEncoding: not a PNG or SVG.
    """
    size = declared_size(image)
    if size is None:
        return
    width, height = size
    if (
        not (math.isfinite(width) and math.isfinite(height))
        or max(width, height) > MAX_IMAGE_SIDE
        or width * height > MAX_IMAGE_PIXELS
    ):
        shown = f"{width:g}×{height:g}" if math.isfinite(width * height) else "an unbounded size"
        raise InputTooLarge(
            f"the image declares {shown} pixels; the limit is {MAX_IMAGE_SIDE} a side and "
            f"{MAX_IMAGE_PIXELS:,} in all",
            reason="dimensions",
            limit=MAX_IMAGE_PIXELS,
            field=field,
        )
