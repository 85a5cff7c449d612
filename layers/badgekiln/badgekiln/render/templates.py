"""Personalised badge images: an SVG template with ``{{placeholder}}`` fields, filled per recipient.

A placeholder is ``{{name}}`` (spaces inside the braces allowed) with a name from
:data:`PLACEHOLDERS`. It may stand in character data (``<text>Awarded to {{recipient_name}}</text>``)
and in the value of a descriptive attribute (:data:`PLACEHOLDER_ATTRIBUTES`). Values are inserted
as text: ``<``, ``&`` and quotes are escaped, so a value with markup stays visible text and can
never add elements, attributes or references. Placeholders inside comments are left alone;
anywhere else (CDATA, ``<style>``, ``<script>``, ``href``, ``style``, ``fill`` …) they are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from badgekiln.errors import InputTooLarge, InvalidField, MalformedImage
from badgekiln.extras import requires
from badgekiln.render._scan import Scan, scan_svg
from badgekiln.render._xml import local_name
from badgekiln.render.limits import DEFAULT_LIMITS, RenderLimits

__all__ = ["MAX_VALUE_CHARS", "PLACEHOLDERS", "PLACEHOLDER_ATTRIBUTES", "is_template", "personalise_svg"]

#: The placeholders a template may use, and what issuing fills them with.
PLACEHOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "recipient_name": "the earner's name, as the issuer knows it",
        "achievement_name": "the achievement's name",
        "issuer_name": "the issuer's name",
        "issued_on": "the issuance date, already formatted for display (e.g. 12 March 2026)",
        "expires_on": "the expiry date, formatted like issued_on; empty when the badge does not expire",
        "credential_id": "a short identifier of the credential, for print",
        "verify_url": "the public URL where the badge can be verified, shown as text",
    }
)

#: Attributes whose values may hold placeholders: descriptive ones that cairosvg never draws,
#: fetches or parses as CSS. (``data-*`` attributes are allowed too.)
PLACEHOLDER_ATTRIBUTES = frozenset({"aria-label", "aria-description", "alt", "title"})

#: Longest value accepted for one placeholder (characters). Badge text is a line or two; the
#: cap keeps a filled template within the render limits however often a placeholder repeats.
MAX_VALUE_CHARS = 500

# Possessive, and attribute names only after whitespace: each run of input is scanned once (a
# megabyte of spaces after "{{", or an element name as long, backtracked for hours).
_PLACEHOLDER = re.compile(r"\{\{\s*+([A-Za-z0-9_.-]*+)\s*+\}\}")
#: Markup, lexed over a document that already parsed as well-formed XML.
_MARKUP = re.compile(
    r"""<!--.*?-->
      | <!\[CDATA\[.*?\]\]>
      | <\?.*?\?>
      | <!DOCTYPE(?:[^\[>"']|"[^"]*"|'[^']*'|\[.*?\])*>
      | </[^>]*>
      | <(?:[^>"']|"[^"]*"|'[^']*')*>""",
    re.DOTALL | re.VERBOSE | re.IGNORECASE,
)
_OPEN_BRACES = re.compile(r"\{\{")
_TAG_NAME = re.compile(r"<\s*([^\s/>]+)")
_ATTRIBUTE = re.compile(r"""(?<=\s)([^\s=/>]++)\s*+=\s*+("[^"]*"|'[^']*')""")
_XML_DECL_ENCODING = re.compile(r"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")
# what XML 1.0's Char production leaves out (a small class: the complement compiles 10× slower)
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ATTRIBUTE_ESCAPES = {
    **_TEXT_ESCAPES,
    '"': "&quot;",
    "'": "&apos;",
    # literal whitespace in an attribute would be normalised to spaces by the parser
    "\t": "&#9;",
    "\n": "&#10;",
    "\r": "&#13;",
}
_NO_TEXT_PLACEHOLDERS = frozenset({"style", "script"})


def is_template(svg: bytes) -> bool:
    """Whether ``svg`` is (meant as) a badge template: it holds a ``{{``. Such an image is never
    baked as it is: :func:`personalise_svg` fills it, or refuses it saying what is wrong."""
    return b"{{" in svg


@requires("render", "personalising an SVG badge template")
def personalise_svg(
    template: bytes, values: Mapping[str, str], *, limits: RenderLimits = DEFAULT_LIMITS
) -> bytes:
    """Fill a badge template's placeholders with ``values``, escaped for where each one stands.

    ``values`` may hold more names than the template uses (issuing passes them all); each name
    must be one of :data:`PLACEHOLDERS` and each value a string of at most
    :data:`MAX_VALUE_CHARS` XML characters. The template and the result both pass the same
    hardened scan as :func:`~badgekiln.render.svg_to_png`, so the result is safe to bake or render.

    Raises:
        InvalidField: ``field="template"`` for a placeholder that is unknown (``unknown-placeholder``),
            malformed (``malformed-placeholder``) or where values cannot go (``placeholder-position``);
            ``field="values.<name>"`` for an unknown name, a missing value, a value that is too long
            or holds characters XML cannot carry.
        MalformedImage: the template is not UTF-8 (``encoding``) or not well-formed XML.
        InputTooLarge, NotABadgeImage, RenderError: as for the scan (caps, root, references).
        TypeError: ``template`` is not bytes or ``values`` not a mapping of strings.

    Example::

        svg = personalise_svg(template, {"recipient_name": "Ada Lovelace", "issued_on": "1 May 2026"})
    """
    return personalised(template, values, limits)[0]


def personalised(template: bytes, values: Mapping[str, str], limits: RenderLimits) -> tuple[bytes, Scan]:
    """:func:`personalise_svg`, with the scan of the result (for callers that inspect its tree).

    Raises:
        see :func:`personalise_svg`.
    """
    if not isinstance(template, bytes | bytearray | memoryview):
        raise TypeError(f"template must be bytes, not {type(template).__name__}")
    if not isinstance(values, Mapping):
        raise TypeError(f"values must be a mapping, not {type(values).__name__}")
    _check_values(values)
    data = bytes(template)
    text = _decode(data)
    # well-formed and within the caps first (the lexer below relies on it); references are
    # vetted on the result, after a placeholder where a reference would go has been refused
    scan_svg(data, limits, references=False)
    filled = _fill(text, values)
    result = filled.encode("utf-8")
    if len(result) > limits.max_input_bytes:
        raise InputTooLarge(
            f"the personalised SVG is {len(result)} bytes; the limit is {limits.max_input_bytes}",
            reason="bytes",
            limit=limits.max_input_bytes,
        )
    # the filled document must still be sound and self-contained
    return result, scan_svg(result, limits)


def _check_values(values: Mapping[str, str]) -> None:
    for name, value in values.items():
        field = f"values.{name}"
        if name not in PLACEHOLDERS:
            raise InvalidField(
                f"unknown placeholder {name!r}; known: {', '.join(PLACEHOLDERS)}",
                field=field,
                reason="unknown-placeholder",
            )
        if not isinstance(value, str):
            raise InvalidField(f"the value for {name} must be a string", field=field, reason="type")
        if len(value) > MAX_VALUE_CHARS:
            raise InvalidField(
                f"the value for {name} is {len(value)} characters; the limit is {MAX_VALUE_CHARS}",
                field=field,
                reason="too-long",
            )
        bad = _NOT_XML_CHAR.search(value)
        if bad is not None:
            raise InvalidField(
                f"the value for {name} holds U+{ord(bad.group()):04X}, which XML cannot carry",
                field=field,
                reason="xml-char",
            )


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedImage(
            "an SVG template must be UTF-8 (re-save it as UTF-8)", reason="encoding", offset=exc.start
        ) from exc
    text = text.removeprefix("\ufeff")
    declared = _XML_DECL_ENCODING.match(text)
    if declared and declared.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise MalformedImage(
            f"the template declares encoding {declared.group(1)!r}; templates must be UTF-8",
            reason="encoding",
        )
    return text


def _fill(text: str, values: Mapping[str, str]) -> str:
    out: list[str] = []
    open_elements: list[str] = []
    position = 0
    for match in _MARKUP.finditer(text):
        chunk = text[position : match.start()]
        if "{{" in chunk:
            if open_elements and open_elements[-1] in _NO_TEXT_PLACEHOLDERS:
                raise _misplaced(chunk, f"inside <{open_elements[-1]}>", position)
            chunk = _substitute(chunk, values, _TEXT_ESCAPES, position)
        out.append(chunk)
        markup = match.group()
        if markup.startswith("</"):
            if open_elements:
                open_elements.pop()
        elif markup.startswith(("<![CDATA[", "<?")) or markup[:9].upper() == "<!DOCTYPE":
            if "{{" in markup:
                where = "inside CDATA, a processing instruction or the DOCTYPE"
                raise _misplaced(markup, where, match.start())
        elif not markup.startswith("<!--"):
            markup = _fill_tag(markup, values, match.start())
            if not markup.endswith("/>"):
                name = _TAG_NAME.match(markup)
                open_elements.append(local_name(name.group(1).rpartition(":")[2]) if name else "")
        out.append(markup)
        position = match.end()
    tail = text[position:]
    if "{{" in tail:
        tail = _substitute(tail, values, _TEXT_ESCAPES, position)
    out.append(tail)
    return "".join(out)


def _fill_tag(tag: str, values: Mapping[str, str], offset: int) -> str:
    if "{{" not in tag:
        return tag

    def attribute(match: re.Match[str]) -> str:
        name, quoted = match.group(1), match.group(2)
        if "{{" not in quoted:
            return match.group()
        local = name.rpartition(":")[2]
        if local not in PLACEHOLDER_ATTRIBUTES and not local.startswith("data-"):
            raise _misplaced(quoted, f"in the {name} attribute", offset + match.start())
        inner = _substitute(quoted[1:-1], values, _ATTRIBUTE_ESCAPES, offset + match.start())
        return f"{name}={quoted[0]}{inner}{quoted[0]}"

    return _ATTRIBUTE.sub(attribute, tag)


def _substitute(chunk: str, values: Mapping[str, str], escapes: Mapping[str, str], offset: int) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            raise InvalidField(
                f"the template uses an unknown placeholder {{{{{name}}}}}; known: {', '.join(PLACEHOLDERS)}",
                field="template",
                reason="unknown-placeholder",
                placeholder=name,
                offset=offset + match.start(),
            )
        if name not in values:
            raise InvalidField(
                f"no value given for the template's placeholder {{{{{name}}}}}",
                field=f"values.{name}",
                reason="missing-value",
            )
        return "".join(escapes.get(char, char) for char in values[name])

    filled = _PLACEHOLDER.sub(one, chunk)
    # every "{{" the template wrote must open a whole placeholder (a value's own "{{" is text)
    starts = {found.start() for found in _PLACEHOLDER.finditer(chunk)}
    for brace in _OPEN_BRACES.finditer(chunk):
        if brace.start() not in starts:
            raise InvalidField(
                "the template has a '{{' that does not open a {{placeholder}}",
                field="template",
                reason="malformed-placeholder",
                offset=offset + brace.start(),
            )
    return filled


def _misplaced(chunk: str, where: str, offset: int) -> InvalidField:
    found = _PLACEHOLDER.search(chunk)
    name = found.group(1) if found else None
    return InvalidField(
        f"the template has a placeholder {where}; placeholders go in text or in the "
        f"{', '.join(sorted(PLACEHOLDER_ATTRIBUTES))} or data-* attributes",
        field="template",
        reason="placeholder-position",
        placeholder=name,
        offset=offset,
    )
