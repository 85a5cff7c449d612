"""Template checks: constructs cairosvg renders wrongly, found before a badge is issued with them.

Each rule below was confirmed against cairosvg 2.9's source and by rendering (see
docs/rendering.md, "What cairosvg gets wrong"). A browser shows these templates correctly, so
without the check the first wrong badge is the one a recipient posts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from badgekiln.extras import requires
from badgekiln.render._fonts import BUNDLED_FAMILY
from badgekiln.render._refs import stylesheet_rules
from badgekiln.render._xml import local_name
from badgekiln.render.convert import svg_to_png
from badgekiln.render.limits import DEFAULT_LIMITS, RenderLimits
from badgekiln.render.templates import PLACEHOLDERS, personalised

__all__ = ["MAX_ISSUES", "TemplateIssue", "validate_template"]

#: Findings reported per template; past this the author has enough to fix first.
MAX_ISSUES = 100
#: Side of the trial render that proves the template renders at all (small: it only has to run).
_TRIAL_SIZE = 64

_COLOR_PROPERTIES = frozenset({"fill", "stroke", "stop-color", "flood-color", "lighting-color", "color"})
_OPACITY_PROPERTIES = frozenset(
    {"opacity", "fill-opacity", "stroke-opacity", "stop-opacity", "flood-opacity"}
)
#: Properties cairosvg reads nowhere: a browser honours them, the PNG will not.
_IGNORED_PROPERTIES = frozenset(
    {
        "mix-blend-mode",
        "isolation",
        "paint-order",
        "vector-effect",
        "text-decoration",
        "text-decoration-line",
        "writing-mode",
        "word-spacing",
        "textLength",
        "lengthAdjust",
        "font-variant",
        "font-stretch",
    }
)
_FILTER_PRIMITIVES_DRAWN = frozenset({"feOffset", "feBlend", "feFlood"})
_ANIMATION = frozenset({"animate", "animateMotion", "animateTransform", "animateColor", "set"})
_CONDITIONAL = ("systemLanguage", "requiredExtensions", "requiredFeatures")
_GENERIC_OK = frozenset({BUNDLED_FAMILY.lower(), "sans-serif"})

# possessive: a long run of digits or spaces that does not end well fails in one pass, where
# backtracking took hours on a megabyte of them
_DECIMAL = r"[-+]?+(?:\d++(?:\.\d*+)?+|\.\d++)(?:[eE][-+]?+\d++)?+"
_NUMBER = rf"\s*+{_DECIMAL}\s*+%?+\s*+"
_RGB = re.compile(rf"^rgb\({_NUMBER},{_NUMBER},{_NUMBER}\)$", re.IGNORECASE)
_RGBA = re.compile(rf"^rgba\({_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}\)$", re.IGNORECASE)
_HEX = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$", re.IGNORECASE)
_HEX_ALPHA = re.compile(r"^#(?:[0-9a-f]{4}|[0-9a-f]{8})$", re.IGNORECASE)
_PLAIN_NUMBER = re.compile(rf"^\s*+{_DECIMAL}\s*+$")
_CSS_FUNCTIONS = re.compile(r"\b(calc|min|max|clamp|env|attr)\(", re.IGNORECASE)

_SAMPLES = {
    "recipient_name": "Ada Lovelace",
    "achievement_name": "Analytical Engine Programming",
    "issuer_name": "Example Academy",
    "issued_on": "10 December 2026",
    "expires_on": "10 December 2029",
    "credential_id": "A1B2-C3D4",
    "verify_url": "https://badges.example.org/v/a1b2c3d4",
}


@dataclass(frozen=True, slots=True)
class TemplateIssue:
    """One construct that cairosvg will not render as a browser does.

    ``code`` is stable (``hsl-color``, ``hex-alpha``, ``unsupported-color``, ``color-syntax``,
    ``current-color-case``, ``percent-opacity``, ``css-variable``, ``css-function``,
    ``css-at-rule``, ``css-nesting``, ``css-selector``, ``ignored-property``, ``foreign-object``,
    ``filter-primitive``, ``animation``, ``conditional``, ``font-fallback``, ``font-weight``,
    ``no-size``); ``where`` names the element (``rect#bg``) or ``<style>``.
    """

    code: str
    message: str
    where: str
    property: str | None = None
    value: str | None = None


@requires("render", "checking an SVG badge template")
def validate_template(template: bytes, *, limits: RenderLimits = DEFAULT_LIMITS) -> list[TemplateIssue]:
    """Check a badge template before it is stored; return what would render wrongly.

    A template that cannot be used at all raises. One that can be used but would not look as it
    does in a browser returns its findings (at most :data:`MAX_ISSUES`); issuing refuses a
    template unless the list is empty. An empty list also means a trial render succeeded.

    Raises:
        InvalidField: unknown, malformed or misplaced placeholders (see
            :func:`~badgekiln.render.personalise_svg`).
        MalformedImage, NotABadgeImage, InputTooLarge: not a sound SVG within ``limits``.
        RenderError: external references, reference cycles, or the trial render failed.

    Example::

        issues = validate_template(Path("badge-template.svg").read_bytes())
        for issue in issues:
            print(issue.where, issue.message)
    """
    filled, scan = personalised(template, {name: _SAMPLES[name] for name in PLACEHOLDERS}, limits)
    issues: list[TemplateIssue] = []
    for issue in _find(scan.root):
        issues.append(issue)
        if len(issues) >= MAX_ISSUES:
            break
    if not issues:
        svg_to_png(filled, size=_TRIAL_SIZE, limits=limits)
    return issues


def _where(element: Element) -> str:
    ident = element.get("id")
    return f"{local_name(element.tag)}#{ident}" if ident else local_name(element.tag)


def _find(root: Element) -> Iterator[TemplateIssue]:
    import tinycss2

    if not ((root.get("width") and root.get("height")) or root.get("viewBox")):
        yield TemplateIssue(
            "no-size",
            "the root <svg> has neither width and height nor a viewBox, so it has no size to render at",
            "svg",
        )
    for element in root.iter():
        where, local = _where(element), local_name(element.tag)
        yield from _element_issues(element, local, where)
        for name, value in element.attrib.items():
            if name != "style" and not name.startswith("{"):
                yield from _declaration_issues(name, value, where)
        style = element.get("style")
        if style:
            for decl in tinycss2.parse_declaration_list(style, skip_comments=True, skip_whitespace=True):
                if decl.type == "declaration":
                    yield from _declaration_issues(decl.lower_name, tinycss2.serialize(decl.value), where)
    yield from _stylesheet_issues(root)


def _element_issues(element: Element, local: str, where: str) -> Iterator[TemplateIssue]:
    if local == "foreignObject":
        yield TemplateIssue("foreign-object", "<foreignObject> content (HTML) is not rendered", where)
    elif local in _ANIMATION:
        yield TemplateIssue("animation", f"<{local}> is ignored: the PNG shows the un-animated state", where)
    elif local.startswith("fe") and local not in _FILTER_PRIMITIVES_DRAWN:
        yield TemplateIssue(
            "filter-primitive",
            f"the filter primitive <{local}> is ignored (only feOffset, feBlend and feFlood are drawn)",
            where,
        )
    for name in _CONDITIONAL:
        if element.get(name) is not None:
            yield TemplateIssue(
                "conditional",
                f"{name} makes rendering depend on the server's locale and features; remove it",
                where,
                property=name,
                value=element.get(name),
            )


def _declaration_issues(prop: str, value: str, where: str) -> Iterator[TemplateIssue]:
    value = value.strip()
    lowered = value.lower()
    if "var(" in lowered:
        why = "CSS variables (var()) are not resolved; they render black"
        yield TemplateIssue("css-variable", why, where, prop, value)
        return
    if _CSS_FUNCTIONS.search(value):
        yield TemplateIssue(
            "css-function", "calc(), min(), max() and clamp() are not evaluated", where, prop, value
        )
        return
    if prop in _IGNORED_PROPERTIES:
        yield TemplateIssue("ignored-property", f"{prop} is ignored by the renderer", where, prop, value)
    elif prop in _COLOR_PROPERTIES:
        yield from _color_issues(prop, value, where)
    elif prop in _OPACITY_PROPERTIES and lowered != "inherit" and not _PLAIN_NUMBER.match(value):
        yield TemplateIssue(
            "percent-opacity" if value.endswith("%") else "unsupported-value",
            f"{prop} must be a plain number such as 0.5 (percentages make rendering fail)",
            where,
            prop,
            value,
        )
    elif prop == "font-family":
        first = value.split(",")[0].strip().strip("\"'").strip()
        if first.lower() not in _GENERIC_OK:
            yield TemplateIssue(
                "font-fallback",
                f"the font {first!r} is not bundled: text renders in {BUNDLED_FAMILY} (only the first "
                "family listed is tried); use it, or convert the text to paths",
                where,
                prop,
                value,
            )
    elif prop == "font-weight" and lowered in ("bolder", "lighter"):
        yield TemplateIssue(
            "font-weight", f"font-weight {value} renders as normal; use bold or a number", where, prop, value
        )


def _color_issues(prop: str, value: str, where: str) -> Iterator[TemplateIssue]:
    from cairosvg.colors import COLORS

    lowered = value.lower()
    if lowered.startswith("url("):
        return  # a paint server; the scan vetted the reference
    if value == "currentColor" or lowered == "inherit" or lowered in COLORS:
        return
    if _HEX.match(value) or _RGB.match(value) or _RGBA.match(value):
        return
    if lowered == "currentcolor":
        code = "current-color-case"
        why = "write currentColor with that exact case; other spellings render black"
    elif lowered.startswith(("hsl(", "hsla(")):
        code, why = "hsl-color", "hsl() colours render black; use #rrggbb or rgb()"
    elif _HEX_ALPHA.match(value):
        code = "hex-alpha"
        why = "the alpha digits of #rgba / #rrggbbaa are ignored; use rgba() or an opacity"
    elif lowered.startswith(("rgb(", "rgba(")):
        code = "color-syntax"
        why = "rgb() needs commas (rgb(255, 0, 0)); the space syntax makes rendering fail"
    else:
        code, why = "unsupported-color", "this colour is not understood and renders black; use #rrggbb"
    yield TemplateIssue(code, f"{prop}: {why}", where, prop, value)


def _stylesheet_issues(root: Element) -> Iterator[TemplateIssue]:
    import cssselect2
    import tinycss2

    for rule in stylesheet_rules(root):
        if rule.type == "at-rule":
            yield TemplateIssue(
                "css-at-rule",
                f"@{rule.at_keyword} rules are ignored (only plain rules in <style> apply)",
                "<style>",
                value=f"@{rule.at_keyword}",
            )
        elif rule.type == "qualified-rule":
            selector = tinycss2.serialize(rule.prelude).strip()
            try:
                cssselect2.compile_selector_list(rule.prelude)
            except cssselect2.SelectorError:
                why = "this selector is not supported and makes rendering fail"
                yield TemplateIssue("css-selector", why, "<style>", value=selector)
            if any(_is_block(token) for token in rule.content):
                yield TemplateIssue("css-nesting", "nested CSS rules are ignored", "<style>", value=selector)
            declarations = tinycss2.parse_declaration_list(
                rule.content, skip_comments=True, skip_whitespace=True
            )
            for decl in declarations:
                if decl.type == "declaration":
                    value = tinycss2.serialize(decl.value)
                    yield from _declaration_issues(decl.lower_name, value, "<style>")


def _is_block(token: Any) -> bool:
    return getattr(token, "type", None) == "{} block"
