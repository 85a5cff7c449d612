"""The bounded, hardened XML pass every SVG goes through before cairosvg sees it.

It refuses what cairosvg must never be handed: DTD entities (XXE, billion laughs), documents
over the size, element, depth and text caps, references to anything outside the document, and
reference graphs that would make cairosvg draw without end (cycles, "use bombs"), the last two
through :mod:`badgekiln.render._refs`, which also estimates the drawing work.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from badgekiln.errors import InputTooLarge, MalformedImage, NotABadgeImage, RenderError, UnsupportedEncoding
from badgekiln.render._refs import RefGraph
from badgekiln.render._xml import TEXT_ELEMENTS, is_svg, local_name
from badgekiln.render.limits import RenderLimits

__all__ = ["Budget", "Scan", "scan_svg"]

#: Bytes handed to expat at a time, so a flood of elements stops at the cap, not at the end.
_FEED_CHUNK = 64 * 1024

# possessive and atomic: a long run of digits or spaces that does not end well must fail in one
# pass (backtracking made a 1 MB width attribute take hours)
_LENGTH = re.compile(r"^\s*+((?>[0-9]*\.)?[0-9]++(?:[eE][-+]?[0-9]++)?+)\s*+(px|pt|pc|mm|cm|in)?+\s*+$")
_PX_PER_UNIT = {None: 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}


#: cairosvg tests ``<style>`` selectors against every element: 2,000 rules over 2,000 elements
#: took 1.3 s here (≈0.33 µs a match; class selectors that match nothing are cheaper), so that
#: many matches cost one element-equivalent of :attr:`RenderLimits.max_render_cost` (25,000 ≈ 1 s).
STYLE_MATCHES_PER_COST: Final = 128


class Budget:
    """What is left of one render's allowances, shared by the document and every SVG it embeds."""

    __slots__ = ("elements", "embedded_bytes", "render_cost", "text_chars")

    def __init__(self, limits: RenderLimits) -> None:
        self.elements = limits.max_elements
        self.render_cost = limits.max_render_cost
        self.text_chars = limits.max_text_chars
        self.embedded_bytes = limits.max_embedded_bytes


@dataclass(frozen=True, slots=True)
class Scan:
    """A document that passed the pass: its tree and its shape."""

    root: Element
    #: intrinsic width / height when the root's width and height (or viewBox) say it
    aspect: float | None


def scan_svg(
    data: bytes, limits: RenderLimits, budget: Budget | None = None, *, references: bool = True
) -> Scan:
    """Parse ``data`` once, safely and within ``limits``, and vet what it references.

    Pass the same ``budget`` for every document of one render (the top-level SVG and the SVGs it
    embeds as ``data:`` URIs), so the caps hold for the whole render. ``references=False`` stops
    after parsing (no reference or drawing-cost checks): for a template, whose references are
    checked once it is filled.

    Raises:
        InputTooLarge: over ``max_input_bytes``, ``max_elements``, ``max_depth``,
            ``max_text_chars`` or ``max_render_cost`` (``reason`` says which).
        MalformedImage: not well-formed XML (``xml``), entity declarations (``entities``).
        NotABadgeImage: the root element is not ``<svg>``.
        UnsupportedEncoding: an XML encoding the parser does not know (``xml-encoding``).
        RenderError: gzip-compressed (``compressed``), a reference to anything outside the
            document (``external-reference``), a reference cycle (``reference-cycle``), CSS that
            cannot be parsed (``css``).
    """
    if budget is None:
        budget = Budget(limits)
    if len(data) > limits.max_input_bytes:
        raise InputTooLarge(
            f"the SVG is {len(data)} bytes; the limit is {limits.max_input_bytes}",
            reason="bytes",
            limit=limits.max_input_bytes,
        )
    if data[:2] == b"\x1f\x8b":
        # cairosvg would gunzip it with no size limit
        raise RenderError(
            "gzip-compressed SVG (.svgz) is not accepted; decompress it first", reason="compressed"
        )
    root = _parse(data, limits, budget)
    if not references:
        return Scan(root=root, aspect=_aspect(root))
    graph = RefGraph(root)
    styling = graph.style_matches // STYLE_MATCHES_PER_COST
    cost = styling + graph.cost(budget.render_cost)
    if cost > budget.render_cost:
        what = (
            f"its stylesheet ({graph.style_matches} selector × element matches)"
            if styling > budget.render_cost // 2
            else "its references (<use>, patterns, masks, markers)"
        )
        raise InputTooLarge(
            f"the SVG would take too much drawing: {what} expand it beyond "
            f"{limits.max_render_cost} element-equivalents",
            reason="render-cost",
            limit=limits.max_render_cost,
        )
    budget.render_cost -= cost
    return Scan(root=root, aspect=_aspect(root))


# --- parsing ------------------------------------------------------------------------------------


class _CountingTarget:
    """A TreeBuilder front that enforces the element, depth and text caps as expat reports them."""

    def __init__(self, limits: RenderLimits, budget: Budget) -> None:
        self._builder = TreeBuilder()
        self._limits = limits
        self._budget = budget
        self._open: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        if not self._open and (local_name(tag) != "svg" or not is_svg(tag)):
            raise NotABadgeImage(f"the root element is <{local_name(tag)}>, not <svg>", reason="root")
        self._budget.elements -= 1
        if self._budget.elements < 0:
            raise InputTooLarge(
                f"the SVG has more than {self._limits.max_elements} elements",
                reason="elements",
                limit=self._limits.max_elements,
            )
        if len(self._open) >= self._limits.max_depth:
            raise InputTooLarge(
                f"the SVG nests elements more than {self._limits.max_depth} deep",
                reason="depth",
                limit=self._limits.max_depth,
            )
        self._open.append(local_name(tag))
        return self._builder.start(tag, attrs)

    def end(self, tag: str) -> Element:
        self._open.pop()
        return self._builder.end(tag)

    def data(self, data: str) -> None:
        if self._open and self._open[-1] in TEXT_ELEMENTS:
            self._budget.text_chars -= len(data)
            if self._budget.text_chars < 0:
                raise InputTooLarge(
                    f"the SVG has more than {self._limits.max_text_chars} characters of text",
                    reason="text",
                    limit=self._limits.max_text_chars,
                )
        self._builder.data(data)

    def close(self) -> Element:
        return self._builder.close()


def _parse(data: bytes, limits: RenderLimits, budget: Budget) -> Element:
    target = _CountingTarget(limits, budget)
    # A DOCTYPE is allowed (design tools write one); entity declarations and external
    # entities are not, so neither XXE nor entity expansion ("billion laughs") can happen.
    parser = DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    try:
        for start in range(0, len(data), _FEED_CHUNK):
            parser.feed(data[start : start + _FEED_CHUNK])
        root: Element = parser.close()
    except (EntitiesForbidden, ExternalReferenceForbidden) as exc:
        raise MalformedImage(
            "the SVG declares XML entities, which are refused (XXE / entity expansion)",
            reason="entities",
        ) from exc
    except DefusedXmlException as exc:
        raise MalformedImage(f"the SVG's DTD is refused: {exc}", reason="dtd") from exc
    except (LookupError, ValueError) as exc:
        # expat asks Python's codecs for encodings it lacks: an unknown name raises LookupError,
        # a multi-byte codec ValueError
        raise UnsupportedEncoding(
            f"the SVG's XML encoding is not supported: {exc}", reason="xml-encoding"
        ) from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise MalformedImage(
            f"the SVG is not well-formed XML: {exc}", reason="xml", line=line, column=column
        ) from exc
    return root


def _length_px(value: str | None) -> float | None:
    match = _LENGTH.match(value or "")
    if match is None:
        return None
    return float(match.group(1)) * _PX_PER_UNIT[match.group(2)]


def _aspect(root: Element) -> float | None:
    width, height = _length_px(root.get("width")), _length_px(root.get("height"))
    if width and height:
        return width / height
    parts = re.split(r"[\s,]+", (root.get("viewBox") or "").strip())
    try:
        box_w, box_h = float(parts[2]), float(parts[3])
    except (IndexError, ValueError):
        return None
    if not (math.isfinite(box_w) and math.isfinite(box_h)) or box_w <= 0 or box_h <= 0:
        return None
    return box_w / box_h
