"""Vetting what an SVG references, and estimating what the references make cairosvg draw.

Only references inside the document (``#id``) and ``data:`` URIs are allowed; anything else is
refused by name. References are the edges of a graph over the elements: a cycle is refused (cairosvg
would recurse until Python's limit), and the drawing work is estimated through them so a document
that multiplies itself (``<use>`` of ``<use>`` …, inherited pattern fills, markers on long paths,
text drawn a thousand times) is refused before it is drawn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from xml.etree.ElementTree import Element

from badgekiln.errors import RenderError
from badgekiln.render._xml import TEXT_ELEMENTS, XLINK_HREF, is_svg, local_name

__all__ = ["RefGraph", "stylesheet_rules"]

#: Paint servers only set a colour per pixel; referencing one costs no extra drawing.
_PAINT_SERVERS = frozenset({"linearGradient", "radialGradient"})
#: Properties cairosvg passes on to descendants: a reference here is drawn once per descendant.
_INHERITED = frozenset({"fill", "stroke", "marker", "marker-start", "marker-mid", "marker-end"})
#: Elements whose href is a link or is never fetched by cairosvg; any other href must be "#id".
_HREF_IGNORED = frozenset({"a", "script"})
#: Every this many path points or text characters cost as much drawing as one element
#: (measured: ~50 µs per element, ~20 µs per point or glyph in cairosvg 2.9).
_UNITS_PER_ELEMENT = 4

_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


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
    """Every url(...) in a tinycss2 token tree, escapes already decoded (iterative walk).

    Raises:
        RenderError: a malformed ``url(`` (``css``), which cairosvg's own url() pattern would
            backtrack over for as long as the value is.
    """
    stack = list(tokens)
    while stack:
        token = stack.pop()
        kind = getattr(token, "type", None)
        if kind == "url":
            yield str(token.value)
        elif kind == "error" and token.kind == "bad-url":
            raise RenderError("a url() has a space, quote or '(' inside its unquoted URL", reason="css")
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


class RefGraph:
    """Elements as nodes, children and local references as edges, for cycle and cost checks."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self.ids: dict[str, Element] = {}
        #: selectors × elements: cairosvg matches every stylesheet selector against every element
        self.style_matches = 0
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
        if is_svg(element.tag) and local not in _HREF_IGNORED:
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
                # tokenised like CSS (linear; a regex here backtracked cubically on "url(   …")
                import tinycss2

                for url in _css_urls(tinycss2.parse_component_value_list(value, skip_comments=True)):
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
        selectors = 0
        for rule in stylesheet_rules(self.root):
            if rule.type != "qualified-rule":
                continue
            # a selector list "a, b, c" is three selectors (top-level commas only)
            selectors += 1 + sum(1 for t in rule.prelude if t.type == "literal" and t.value == ",")
            refs = [
                (prop, target)
                for prop, target in _declaration_refs(rule.content)
                if target in self.ids and local_name(self.ids[target].tag) not in _PAINT_SERVERS
            ]
            if refs:
                pending.append((rule, refs))
        if selectors:
            self.style_matches = selectors * sum(1 for _ in self.root.iter())
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
