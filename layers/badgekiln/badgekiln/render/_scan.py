"""The bounded, hardened XML pass every SVG goes through before cairosvg sees it.

It refuses what cairosvg must never be handed: DTD entities (XXE, billion laughs), documents
over the size, element, depth and text caps, references to anything outside the document, and
reference graphs that would make cairosvg draw without end (cycles, "use bombs"). It also
estimates the drawing work so an amplified document is refused before it is rendered.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from badgekiln.errors import InputTooLarge, MalformedImage, NotABadgeImage, RenderError
from badgekiln.render.limits import RenderLimits

__all__ = ["Budget", "Scan", "local_name", "scan_svg", "stylesheet_rules"]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

#: Bytes handed to expat at a time, so a flood of elements stops at the cap, not at the end.
_FEED_CHUNK = 64 * 1024
#: Elements whose character data cairosvg lays out as glyphs.
TEXT_ELEMENTS = frozenset({"text", "tspan", "textPath", "tref", "a"})
#: Paint servers only set a colour per pixel; referencing one costs no extra drawing.
_PAINT_SERVERS = frozenset({"linearGradient", "radialGradient"})
#: Properties cairosvg passes on to descendants: a reference here is drawn once per descendant.
_INHERITED = frozenset({"fill", "stroke", "marker", "marker-start", "marker-mid", "marker-end"})
_MARKERS = frozenset({"marker", "marker-start", "marker-mid", "marker-end"})
#: Elements whose href is a link or is never fetched by cairosvg; any other href must be "#id".
_HREF_IGNORED = frozenset({"a", "script"})
#: Every this many path points or text characters cost as much drawing as one element
#: (measured: ~50 µs per element, ~20 µs per point or glyph in cairosvg 2.9).
_UNITS_PER_ELEMENT = 4

_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ATTR_URL = re.compile(r"url\(\s*(?:\"([^\"]*)\"|'([^']*)'|([^)]*?))\s*\)", re.IGNORECASE)
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in)?\s*$")
_PX_PER_UNIT = {None: 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}


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
    """A document that passed the pass: its tree and what it will cost to draw."""

    root: Element
    elements: int
    render_cost: int
    #: intrinsic width / height when the root's width and height (or viewBox) say it
    aspect: float | None


def local_name(tag: str) -> str:
    """``{namespace}name`` → ``name``."""
    return tag.rpartition("}")[2]


def _is_svg(tag: str) -> bool:
    # cairosvg draws elements in the SVG namespace or in none; others are inert to it
    return not tag.startswith("{") or tag.startswith("{" + SVG_NS + "}")


def scan_svg(
    data: bytes, limits: RenderLimits, budget: Budget | None = None, *, references: bool = True
) -> Scan:
    """Parse ``data`` once, safely and within ``limits``, and vet what it references.

    Pass the same ``budget`` for every document of one render (the top-level SVG and the SVGs it
    embeds as ``data:`` URIs), so the caps hold for the whole render. ``references=False`` stops
    after parsing (no reference or drawing-cost checks; ``render_cost`` is then 0): for a
    template, whose references are checked once it is filled.

    Raises:
        InputTooLarge: over ``max_input_bytes``, ``max_elements``, ``max_depth``,
            ``max_text_chars`` or ``max_render_cost`` (``reason`` says which).
        MalformedImage: not well-formed XML (``xml``), entity declarations (``entities``).
        NotABadgeImage: the root element is not ``<svg>``.
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
    elements = sum(1 for _ in root.iter())
    if not references:
        return Scan(root=root, elements=elements, render_cost=0, aspect=_aspect(root))
    cost = _RefGraph(root).cost(budget.render_cost)
    if cost > budget.render_cost:
        raise InputTooLarge(
            "the SVG would take too much drawing: its references (<use>, patterns, masks, "
            f"markers) expand it beyond {limits.max_render_cost} element-equivalents",
            reason="render-cost",
            limit=limits.max_render_cost,
        )
    budget.render_cost -= cost
    return Scan(root=root, elements=elements, render_cost=cost, aspect=_aspect(root))


# --- parsing ------------------------------------------------------------------------------------


class _CountingTarget:
    """A TreeBuilder front that enforces the element, depth and text caps as expat reports them."""

    def __init__(self, limits: RenderLimits, budget: Budget) -> None:
        self._builder = TreeBuilder()
        self._limits = limits
        self._budget = budget
        self._open: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        if not self._open and (local_name(tag) != "svg" or not _is_svg(tag)):
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
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise MalformedImage(
            f"the SVG is not well-formed XML: {exc}", reason="xml", line=line, column=column
        ) from exc
    return root


# --- references -------------------------------------------------------------------------------


def _refused(what: str, value: str, *, hint: str = "embed it as a data: URI or remove it") -> RenderError:
    shown = value if len(value) <= 120 else value[:117] + "..."
    return RenderError(
        f"{what} {shown!r} is not a reference inside the document; {hint}",
        reason="external-reference",
        url=shown,
    )


def _fragment(value: str, what: str) -> str | None:
    """The id a ``url()`` names; None for a ``data:`` URI; refuses anything else."""
    value = value.strip()
    if value[:5].lower() == "data:":
        return None
    return _local_target(value, what)


def _local_target(value: str, what: str) -> str:
    """The id an ``href`` of ``<use>``, ``<tref>``, a gradient … names; it must be ``#id``."""
    value = value.strip()
    if value.startswith("#") and len(value) > 1:
        return value[1:]
    raise _refused(what, value)


def _css_urls(tokens: Iterable[Any]) -> Iterator[str]:
    """Every url(...) in a tinycss2 token tree, escapes already decoded (iterative walk)."""
    stack = list(tokens)
    while stack:
        token = stack.pop()
        kind = getattr(token, "type", None)
        if kind == "url":
            yield str(token.value)
        elif kind == "function":
            if token.lower_name == "url":
                yield "".join(
                    str(getattr(arg, "value", "")) for arg in token.arguments if arg.type == "string"
                )
            stack.extend(token.arguments)
        elif kind in ("() block", "[] block", "{} block"):
            stack.extend(token.content)


def _declaration_refs(tokens: Iterable[Any]) -> Iterator[tuple[str, str]]:
    """(property, id) for each url(#id) in a declaration list; refuses other URLs."""
    import tinycss2

    for decl in tinycss2.parse_declaration_list(tokens, skip_comments=True, skip_whitespace=True):
        if decl.type == "declaration":
            for url in _css_urls(decl.value):
                target = _fragment(url, f"the CSS url() in {decl.lower_name}")
                if target is not None:
                    yield decl.lower_name, target
        elif decl.type == "at-rule":
            for url in _css_urls([*decl.prelude, *(decl.content or [])]):
                _fragment(url, "the CSS url()")


def stylesheet_rules(root: Element) -> list[Any]:
    """The tinycss2 rules of every ``<style>`` element, vetted for external references.

    Raises:
        RenderError: an ``@import`` or a ``url()`` outside the document (``external-reference``).
    """
    import tinycss2

    rules: list[Any] = []
    for element in root.iter():
        if local_name(element.tag) != "style" or not element.text:
            continue
        for rule in tinycss2.parse_stylesheet(element.text, skip_comments=True, skip_whitespace=True):
            if rule.type == "at-rule" and rule.lower_at_keyword == "import":
                raise _refused("the stylesheet @import", tinycss2.serialize(rule.prelude).strip())
            if rule.type == "at-rule":
                for url in _css_urls([*rule.prelude, *(rule.content or [])]):
                    _fragment(url, "the CSS url()")
            rules.append(rule)
    return rules


def _points(value: bytes | str | None) -> int:
    if not value:
        return 0
    raw = value.encode() if isinstance(value, str) else value
    return sum(1 for _ in _NUMBER.finditer(raw)) // 2


class _RefGraph:
    """Elements as nodes, children and local references as edges, for cycle and cost checks."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self.ids: dict[str, Element] = {}
        for element in root.iter():
            ident = element.get("id")
            if ident is not None and ident not in self.ids:
                self.ids[ident] = element
        # per element: drawn-once references, and references multiplied by its descendants
        self.refs: dict[int, list[Element]] = {}
        self.inherited: dict[int, list[Element]] = {}
        self.vertices: dict[int, int] = {}
        self.chars: dict[int, int] = {}
        self.vertices_below: dict[int, int] = {}
        for element in root.iter():
            self._collect(element)
        self._collect_stylesheets()

    def _add(self, element: Element, prop: str, target_id: str) -> None:
        target = self.ids.get(target_id)
        if target is None or local_name(target.tag) in _PAINT_SERVERS:
            return  # dangling references draw nothing; gradients cost nothing extra
        bucket = self.inherited if prop in _INHERITED else self.refs
        bucket.setdefault(id(element), []).append(target)

    def _collect(self, element: Element) -> None:
        local = local_name(element.tag)
        if _is_svg(element.tag) and local not in _HREF_IGNORED:
            for key in ("href", XLINK_HREF):
                value = element.get(key)
                if value is None:
                    continue
                if local == "image":
                    if value.strip()[:5].lower() != "data:":
                        raise _refused("the <image> href", value, hint="embed the image as a data: URI")
                else:
                    self._add(element, "href", _local_target(value, f"the <{local}> href"))
        for name, value in element.attrib.items():
            if name != "style" and "url(" in value.lower():
                for match in _ATTR_URL.finditer(value):
                    url = next(group for group in match.groups() if group is not None)
                    target = _fragment(url, f"the url() in {local_name(name)}")
                    if target is not None:
                        self._add(element, local_name(name), target)
        style = element.get("style")
        if style and ("url(" in style.lower() or "\\" in style):
            for prop, target in _declaration_refs(style):
                self._add(element, prop, target)
        if local in ("path", "polyline", "polygon", "line"):
            self.vertices[id(element)] = max(2, _points(element.get("d") or element.get("points")))
        elif local in TEXT_ELEMENTS:
            tails = sum(len(child.tail or "") for child in element)
            self.chars[id(element)] = len(element.text or "") + tails

    def _collect_stylesheets(self) -> None:
        pending: list[tuple[Any, list[tuple[str, str]]]] = []
        for rule in stylesheet_rules(self.root):
            if rule.type != "qualified-rule":
                continue
            refs = [
                (prop, target)
                for prop, target in _declaration_refs(rule.content)
                if target in self.ids and local_name(self.ids[target].tag) not in _PAINT_SERVERS
            ]
            if refs:
                pending.append((rule, refs))
        if not pending:
            return
        # Only now pay for selector matching: a rule that puts a pattern, mask, clip path or
        # marker on many elements multiplies the drawing work just like attributes do.
        import cssselect2

        matcher = cssselect2.Matcher()
        for rule, refs in pending:
            try:
                selectors = cssselect2.compile_selector_list(rule.prelude)
            except cssselect2.SelectorError as exc:
                raise RenderError(f"the stylesheet has an invalid selector: {exc}", reason="css") from exc
            for selector in selectors:
                if selector.pseudo_element is None and not selector.never_matches:
                    matcher.add_selector(selector, refs)
        for wrapper in cssselect2.ElementWrapper.from_xml_root(self.root).iter_subtree():
            for match in matcher.match(wrapper):
                for prop, target in match[-1]:
                    self._add(wrapper.etree_element, prop, target)

    def cost(self, cap: int) -> int:
        """Estimated drawing work of the whole document, saturating just above ``cap``.

        ``cost(e) = (1 + own points/chars ÷ 4 + Σ cost(child) + Σ cost(ref)) × (1 + Σ cost(inherited
        ref))``: a ``<use>`` draws its target again; a fill pattern or marker inherited by a group
        is drawn for each element in it (markers once per point).

        Raises:
            RenderError: a reference cycle (``reference-cycle``).
        """
        white, grey, black = 0, 1, 2
        state: dict[int, int] = {}
        done: dict[int, int] = {}
        stack: list[tuple[Element, bool]] = [(self.root, False)]
        while stack:
            element, leaving = stack.pop()
            key = id(element)
            if leaving:
                done[key] = self._cost_of(element, done, cap)
                state[key] = black
                continue
            seen = state.get(key, white)
            if seen == black:
                continue
            if seen == grey:
                raise self._cycle(element)
            state[key] = grey
            stack.append((element, True))
            for successor in self._successors(element):
                next_state = state.get(id(successor), white)
                if next_state == grey:
                    raise self._cycle(successor)
                if next_state == white:
                    stack.append((successor, False))
        return done[id(self.root)]

    def _successors(self, element: Element) -> Iterator[Element]:
        key = id(element)
        yield from element
        yield from self.refs.get(key, ())
        yield from self.inherited.get(key, ())

    def _cost_of(self, element: Element, done: dict[int, int], cap: int) -> int:
        key = id(element)
        children = list(element)
        self.vertices_below[key] = self.vertices.get(key, 0) + sum(
            self.vertices_below[id(child)] for child in children
        )
        own = self.vertices.get(key, 0) + self.chars.get(key, 0)
        total = 1 + own // _UNITS_PER_ELEMENT
        for successor in (*children, *self.refs.get(key, ())):
            total = min(total + done[id(successor)], cap + 1)
        factor = 1
        for target in self.inherited.get(key, ()):
            weight = done[id(target)]
            if local_name(target.tag) == "marker":
                weight *= max(1, self.vertices_below[key])
            factor = min(factor + weight, cap + 1)
        return min(total * factor, cap + 1)

    def _cycle(self, element: Element) -> RenderError:
        ident = element.get("id")
        where = f"#{ident}" if ident else f"<{local_name(element.tag)}>"
        return RenderError(
            f"the SVG's references loop back to {where} (a <use>, pattern, mask, clip path or marker "
            "that contains itself)",
            reason="reference-cycle",
            element=where,
        )


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
