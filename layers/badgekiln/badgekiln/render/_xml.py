"""Names shared by the render modules: the SVG namespace and how cairosvg sees element names."""

from __future__ import annotations

__all__ = ["SVG_NS", "TEXT_ELEMENTS", "XLINK_HREF", "is_svg", "local_name"]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
#: Elements whose character data cairosvg lays out as glyphs.
TEXT_ELEMENTS = frozenset({"text", "tspan", "textPath", "tref", "a"})


def local_name(tag: str) -> str:
    """``{namespace}name`` → ``name``."""
    return tag.rpartition("}")[2]


def is_svg(tag: str) -> bool:
    """Whether cairosvg draws an element with this tag: SVG namespace or none; others are inert."""
    return not tag.startswith("{") or tag.startswith("{" + SVG_NS + "}")
