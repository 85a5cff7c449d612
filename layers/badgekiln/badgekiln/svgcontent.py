"""What an SVG may hold to be hosted: nothing that runs, nothing that reaches out.

badgekiln serves hosted SVGs with a ``sandbox`` CSP, but a file saved from it, opened from disk or
served by another front end has no such policy. So achievement images and logos are read whole
before they are stored, and one holding active content is refused (strict: it is not rewritten,
so what is stored is exactly what the issuer sent, and its badge carrier stays byte-exact):

* ``script``, ``foreignObject``, ``handler``, ``listener`` and ``iframe``/``embed``/``object``
  elements in any namespace, and any element in the XHTML namespace;
* event-handler attributes (``on…``) on any element;
* references to anything outside the document: ``href``, ``xlink:href`` and ``src`` other than a
  fragment (``#id``) or a ``data:image/…`` URI, ``url(…)`` or ``@import`` in styles, and an
  ``xml-stylesheet`` processing instruction;
* a ``javascript:`` URL in any attribute (``<set to="javascript:…">`` included).

The Open Badges carrier elements are not inspected: their content is the badge payload.
"""

from __future__ import annotations

import re
from typing import Final
from xml.parsers import expat

from badgekiln.errors import MalformedImage
from badgekiln.svg import OB2_NAMESPACE, OB3_NAMESPACE, _encoding_error, _new_parser, _split

__all__ = ["check_inert"]

_ACTIVE_ELEMENTS: Final = frozenset(
    {"script", "foreignobject", "handler", "listener", "iframe", "embed", "object"}
)
_XHTML: Final = "http://www.w3.org/1999/xhtml"
_CARRIER_NAMESPACES: Final = frozenset({OB2_NAMESPACE, OB3_NAMESPACE})
_REFERENCES: Final = frozenset({"href", "src"})
_LOCAL_REFERENCE: Final = re.compile(r"\s*(#|data:image/)", re.IGNORECASE)
_STYLE_REFERENCE: Final = re.compile(r"@import|url\(\s*(?!['\"]?\s*(#|data:image/))", re.IGNORECASE)
_JAVASCRIPT: Final = re.compile(r"javascript:|vbscript:", re.IGNORECASE)
_IGNORED_IN_URLS: Final = re.compile(r"[\x00-\x20]")


class _Found(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _inspect_attributes(element: str, attributes: dict[str, str]) -> None:
    for name, value in attributes.items():
        _namespace, local = _split(name)
        if local.lower().startswith("on"):
            raise _Found(f"an event handler attribute {local!r} on <{element}>")
        if _JAVASCRIPT.search(_IGNORED_IN_URLS.sub("", value)):
            raise _Found(f"a script URL in {local!r} of <{element}>")
        if local.lower() in _REFERENCES and not _LOCAL_REFERENCE.match(value):
            raise _Found(f"an external reference in {local!r} of <{element}>")
        if local.lower() == "style" and _STYLE_REFERENCE.search(value):
            raise _Found(f"an external reference in the style of <{element}>")


def check_inert(data: bytes) -> None:
    """Refuse the SVG ``data`` if it holds active content (see the module docstring).

    Raises:
        MalformedImage: ``reason="active-content"`` naming the first found; ``reason="xml"``
            when it is not well-formed.
        UnsupportedEncoding: an encoding the parser does not know.
    """
    parser = _new_parser()
    carrier_depth = [0]
    style_text: list[str] = []
    in_style = [0]

    def start(name: str, attributes: dict[str, str]) -> None:
        namespace, local = _split(name)
        if carrier_depth[0] or namespace in _CARRIER_NAMESPACES:
            carrier_depth[0] += 1
            return
        if local.lower() in _ACTIVE_ELEMENTS or namespace == _XHTML:
            raise _Found(f"a <{local}> element")
        _inspect_attributes(local, attributes)
        if local == "style":
            in_style[0] += 1

    def end(name: str) -> None:
        if carrier_depth[0]:
            carrier_depth[0] -= 1
            return
        if _split(name)[1] == "style" and in_style[0]:
            in_style[0] -= 1
            if _STYLE_REFERENCE.search("".join(style_text)):
                raise _Found("an external reference in a <style> element")
            style_text.clear()

    def text(data: str) -> None:
        if in_style[0]:
            style_text.append(data)

    def instruction(target: str, data: str) -> None:
        if target.lower() == "xml-stylesheet":
            raise _Found("an xml-stylesheet processing instruction")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.ProcessingInstructionHandler = instruction
    try:
        parser.Parse(data, True)
    except _Found as found:
        raise MalformedImage(
            f"the SVG holds {found.what}; hosted images may not run scripts or load anything",
            reason="active-content",
        ) from None
    except (LookupError, ValueError) as exc:
        raise _encoding_error(exc) from exc
    except expat.ExpatError as exc:
        raise MalformedImage(f"the SVG is not well-formed XML ({exc})", reason="xml") from exc
