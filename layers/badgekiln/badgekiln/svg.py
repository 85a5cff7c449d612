"""SVG containers: find, read and replace the Open Badges element with a hardened, streaming parser.

The document goes once through expat (C, namespace-aware, no tree is built). Anything that could
expand or fetch is refused before it can act: a DTD internal subset, entity declarations, external
or skipped entity references (a plain ``<!DOCTYPE svg PUBLIC …>`` is tolerated and never fetched).
Carriers are matched by namespace URI and local name, never by prefix:
``{http://openbadges.org}assertion`` (OB 2.0) and ``{https://purl.imsglobal.org/ob/v3p0}credential``
(OB 3.0), anywhere in the document.

Baking never re-serialises: the parser records byte offsets of the root start tag and of every
carrier, and the output is the original bytes with the old carriers cut out and the new element
spliced in after ``<svg …>``, so the XML declaration, encoding, comments and formatting are kept.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from xml.parsers import expat

from badgekiln.errors import (
    AmbiguousBadge,
    MalformedImage,
    MalformedPayload,
    NoBadgeData,
    NotABadgeImage,
    UnsupportedEncoding,
)

__all__ = [
    "OB2_NAMESPACE",
    "OB3_NAMESPACE",
    "PREFIX",
    "SVG_NAMESPACE",
    "bake",
    "extract",
    "root_element",
    "root_name",
]

SVG_NAMESPACE: Final = "http://www.w3.org/2000/svg"
OB2_NAMESPACE: Final = "http://openbadges.org"
OB3_NAMESPACE: Final = "https://purl.imsglobal.org/ob/v3p0"
#: The prefix baked elements use: the spec's examples use it and prefix-matching readers need it.
PREFIX: Final = "openbadges"

# expat joins "namespace-URI<sep>local-name"; a space cannot occur in a local name.
_SEP: Final = " "
_CARRIERS: Final = {
    f"{OB2_NAMESPACE}{_SEP}assertion": "svg:assertion",
    f"{OB3_NAMESPACE}{_SEP}credential": "svg:credential",
}
_ELEMENTS: Final = {"ob2": ("assertion", OB2_NAMESPACE), "ob3": ("credential", OB3_NAMESPACE)}
_XML_SPACE: Final = " \t\r\n"
#: Sniffing feeds the parser this much at a time and stops at the root element.
_SNIFF_STEP: Final = 64 * 1024
_TRUNCATION_ERRORS: Final = frozenset(
    expat.errors.codes[message]
    for message in (
        expat.errors.XML_ERROR_NO_ELEMENTS,
        expat.errors.XML_ERROR_UNCLOSED_TOKEN,
        expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
        expat.errors.XML_ERROR_PARTIAL_CHAR,
    )
)
_ENCODING_ERRORS: Final = frozenset(
    expat.errors.codes[message]
    for message in (expat.errors.XML_ERROR_UNKNOWN_ENCODING, expat.errors.XML_ERROR_INCORRECT_ENCODING)
)
# Well-formed start tag (expat has checked it): name, attributes, then "/>" or ">".
_START_TAG: Final = re.compile(
    rb"""<(?P<name>[^\s/>]+)(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*(?P<tail>\s*/?>)"""
)
# Characters XML 1.0 cannot carry at all, even as character references.
_XML_ILLEGAL: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ASCII_COMPATIBLE: Final = re.compile(r"utf-8|ascii|latin-1|iso8859-\d+|cp125\d")


class _RootFound(Exception):
    """Stops a sniffing parse at the root element."""


def _refuse(reason: str, what: str) -> MalformedImage:
    return MalformedImage(f"the SVG is refused: {what}", reason=reason)


def _doctype(name: str, system_id: str | None, public_id: str | None, internal_subset: int) -> None:
    if internal_subset:
        raise _refuse("dtd", "it has a DTD internal subset (entity tricks are not accepted in badges)")


def _entity_declaration(*_: Any) -> None:
    raise _refuse("entities", "it declares entities")


def _external_entity(*_: Any) -> int:
    raise _refuse("entities", "it references an external entity")


def _skipped_entity(name: str, is_parameter: int) -> None:
    raise _refuse("entities", f"it references the undefined entity &{name};")


def _new_parser() -> Any:
    # expat's parser type is not exposed to type checkers; it is used through handlers only.
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _doctype
    parser.EntityDeclHandler = _entity_declaration
    parser.UnparsedEntityDeclHandler = _entity_declaration
    parser.ExternalEntityRefHandler = _external_entity
    parser.SkippedEntityHandler = _skipped_entity
    return parser


def _encoding_error(exc: Exception) -> UnsupportedEncoding:
    # pyexpat asks Python's codecs for encodings expat lacks: unknown names raise LookupError,
    # multi-byte codecs ValueError.
    return UnsupportedEncoding(f"the XML encoding is not supported: {exc}", reason="xml-encoding")


def _split(name: str) -> tuple[str, str]:
    namespace, _, local = name.rpartition(_SEP)
    return namespace, local


def root_name(data: bytes) -> tuple[str, str]:
    """Return ``(namespace URI, local name)`` of the root element, reading only the prolog.

    Raises:
        NotABadgeImage: not XML, or no root element.
        MalformedImage: the prolog holds a DTD internal subset or entities (``reason``).
        UnsupportedEncoding: an encoding the parser does not know.
    """
    namespace, local, _attributes = root_element(data)
    return namespace, local


def root_element(data: bytes) -> tuple[str, str, dict[str, str]]:
    """Return ``(namespace URI, local name, attributes)`` of the root element, reading only up to
    its start tag; attribute names are ``local`` or ``namespace local``.

    Raises:
        NotABadgeImage, MalformedImage, UnsupportedEncoding: as :func:`root_name`.
    """
    parser = _new_parser()
    found: list[tuple[str, dict[str, str]]] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        found.append((name, attributes))
        raise _RootFound

    parser.StartElementHandler = start
    view = memoryview(data)
    try:
        for offset in range(0, len(data), _SNIFF_STEP):
            parser.Parse(view[offset : offset + _SNIFF_STEP], False)
        parser.Parse(b"", True)
    except _RootFound:
        pass
    except (LookupError, ValueError) as exc:
        raise _encoding_error(exc) from exc
    except expat.ExpatError as exc:
        if exc.code in _ENCODING_ERRORS:
            raise _encoding_error(exc) from exc
        raise NotABadgeImage(f"not a badge image: neither a PNG nor an XML document ({exc})") from exc
    if not found:
        raise NotABadgeImage("not a badge image: neither a PNG nor an XML document with a root element")
    name, attributes = found[0]
    return (*_split(name), attributes)


@dataclass(slots=True)
class _Carrier:
    label: str
    start: int
    verify: str | None
    nested: bool
    text: list[str] = field(default_factory=list)
    has_children: bool = False
    inner_depth: int = 0  # open child elements (only ever non-zero in a malformed carrier)
    close_at: int = -1  # where expat reported its end: the "</" of its end tag, if it has one


#: Byte offsets where a carrier start tag may begin, looked up before parsing; beyond this many
#: the careful path (callbacks for every element) is used instead.
_MAX_CANDIDATES: Final = 64
#: Longest namespace prefix the quick look-up judges; a longer one sends us down the careful path.
_MAX_PREFIX: Final = 64
_LOCAL_NAMES: Final = (b"assertion", b"credential")
_NAME_STOPS: Final = frozenset(b" \t\r\n<>/:=\"'!?&;")
_TAG_FOLLOW: Final = frozenset(b" \t\r\n/>")


def _candidates(data: bytes) -> list[int] | None:
    """Offsets of every ``<`` that may open an ``assertion`` or ``credential`` element, or None
    when that cannot be told quickly (UTF-16, very long prefixes, many hits).

    Sound because, in every encoding expat accepts other than UTF-16, markup and names are bytes
    identical to ASCII (expat refuses encodings that remap them), and no entity can produce an
    element here (entity declarations are refused).
    """
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\0", b"\0<"):
        return None
    found: list[int] = []
    for word in _LOCAL_NAMES:
        at = data.find(word)
        while at != -1:
            follow = at + len(word)
            if follow < len(data) and data[follow] in _TAG_FOLLOW and at > 0:
                if data[at - 1] == 0x3C:  # "<assertion"
                    found.append(at - 1)
                elif data[at - 1] == 0x3A:  # "<prefix:assertion"
                    opening = _prefix_opening(data, at - 1)
                    if opening is None:
                        return None
                    if opening >= 0:
                        found.append(opening)
                if len(found) > _MAX_CANDIDATES:
                    return None
            at = data.find(word, at + 1)
    return sorted(found)


def _prefix_opening(data: bytes, colon: int) -> int | None:
    """The ``<`` before the prefix ending at ``colon``; -1 if there is none; None if too far."""
    for index in range(colon - 1, max(colon - 1 - _MAX_PREFIX, -1), -1):
        byte = data[index]
        if byte == 0x3C:
            return index if index < colon - 1 else -1
        if byte in _NAME_STOPS:
            return -1
    return None if colon - 1 - _MAX_PREFIX >= 0 else -1


class _Scan:
    """One full, hardened parse recording the root, its namespace declarations and the carriers.

    The parse runs in C: element callbacks are installed for the prolog (to meet the root) and
    again from each candidate offset (see :func:`_candidates`) until an element event at or past
    that offset shows whether it opened a carrier; inside a carrier they stay on until it closes.
    Events are handled the same whenever expat delivers them, so deferred delivery cannot hide a
    carrier. When candidates cannot be found quickly, callbacks stay on for the whole document.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.parser = parser = _new_parser()
        parser.XmlDeclHandler = self._xml_declaration
        parser.StartNamespaceDeclHandler = self._namespace
        self.encoding: str | None = None
        self.root_start = -1
        self.root_namespaces: dict[str | None, str] = {}
        self.carriers: list[_Carrier] = []
        self._open: _Carrier | None = None
        self._watch_from = 0
        candidates = _candidates(data)
        self._careful = candidates is None
        self._watch()
        view = memoryview(data)
        position = 0
        try:
            for offset in candidates or ():
                parser.Parse(view[position:offset], False)
                self._watch_from = offset
                self._watch()
                position = offset
            parser.Parse(view[position:], True)
        except (LookupError, ValueError) as exc:
            raise _encoding_error(exc) from exc
        except expat.ExpatError as exc:
            raise self._translate(exc) from exc
        finally:
            parser.StartElementHandler = parser.EndElementHandler = parser.CharacterDataHandler = None

    def _watch(self) -> None:
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end

    def _settle(self, index: int) -> None:
        # An element event at or past the watched offset resolves it: stop watching.
        if not self._careful and self._open is None and index >= self._watch_from:
            self.parser.StartElementHandler = self.parser.EndElementHandler = None

    def _translate(self, exc: expat.ExpatError) -> Exception:
        offset = self.parser.ErrorByteIndex
        if exc.code in _ENCODING_ERRORS:
            return _encoding_error(exc)
        if self.root_start < 0:
            return NotABadgeImage(f"not a badge image: neither a PNG nor an XML document ({exc})")
        if exc.code in _TRUNCATION_ERRORS:
            return MalformedImage(f"the SVG is truncated ({exc})", reason="truncated", offset=offset)
        return MalformedImage(f"the SVG is not well-formed XML ({exc})", reason="xml", offset=offset)

    def _xml_declaration(self, version: str, encoding: str | None, standalone: int) -> None:
        self.encoding = encoding

    def _namespace(self, prefix: str | None, uri: str) -> None:
        # Declarations reported before the root's start event belong to the root.
        self.root_namespaces[prefix] = uri

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        index = self.parser.CurrentByteIndex
        if self.root_start < 0:
            namespace, local = _split(name)
            if local != "svg" or namespace not in ("", SVG_NAMESPACE):
                shown = f"{{{namespace}}}{local}" if namespace else local
                raise NotABadgeImage(f"not a badge image: the XML root element is {shown!r}, not 'svg'")
            self.root_start = index
            self.parser.StartNamespaceDeclHandler = None
            self._settle(index)
            return
        outer = self._open
        label = _CARRIERS.get(name)
        if outer is not None:
            outer.has_children = True
            outer.inner_depth += 1
            if label is not None:
                self.carriers.append(_Carrier(label, index, attributes.get("verify"), nested=True))
            return
        if label is None:
            self._settle(index)
            return
        carrier = _Carrier(label, index, attributes.get("verify"), nested=False)
        self.carriers.append(carrier)
        self._open = carrier
        self.parser.CharacterDataHandler = carrier.text.append

    def _end(self, name: str) -> None:
        index = self.parser.CurrentByteIndex
        carrier = self._open
        if carrier is None:
            self._settle(index)
        elif carrier.inner_depth:
            carrier.inner_depth -= 1
        else:
            carrier.close_at = index
            self._open = None
            self.parser.CharacterDataHandler = None
            self._settle(index)


def extract(data: bytes) -> tuple[str, str]:
    """Return ``(carrier, payload)``: the one badge element of an SVG and its text.

    The payload is the element body (CDATA or text, surrounding XML whitespace trimmed) when it has
    one, else its ``verify`` attribute; ``carrier`` is ``"svg:assertion"`` or ``"svg:credential"``.
    An element with neither yields an empty payload (the caller decides).

    Raises:
        NotABadgeImage: not XML, or the root element is not ``svg``.
        MalformedImage: ``reason`` ``truncated``, ``xml``, ``dtd``, ``entities``, or ``carrier``
            (elements inside the badge element).
        UnsupportedEncoding: an encoding the parser does not know.
        NoBadgeData: a sound SVG without a badge element.
        AmbiguousBadge: two or more badge elements.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"SVG data must be bytes, not {type(data).__name__}")
    carriers = _Scan(data).carriers
    if not carriers:
        raise NoBadgeData(
            "the SVG carries no Open Badges data (no openbadges assertion or credential element)"
        )
    if len(carriers) > 1:
        raise AmbiguousBadge(
            f"the SVG has {len(carriers)} badge elements; a badge must have exactly one",
            count=len(carriers),
        )
    carrier = carriers[0]
    if carrier.has_children:
        raise MalformedImage(
            "the badge element contains other elements; it may hold only text or CDATA",
            reason="carrier",
            offset=carrier.start,
        )
    body = "".join(carrier.text).strip(_XML_SPACE)
    if body:
        return carrier.label, body
    return carrier.label, (carrier.verify or "").strip(_XML_SPACE)


def bake(data: bytes, payload: str, spec: Literal["ob2", "ob3"], *, in_attribute: bool) -> bytes:
    """Return the SVG with ``payload`` in one badge element, the first child of the root.

    With ``in_attribute`` (a JWS or URL) the element is self-closing with ``verify="…"``; otherwise
    (JSON) the payload is its CDATA body, split so that ``]]>`` cannot end it early and with CR and
    characters the document encoding lacks written as character references. Every existing badge
    element is removed; the namespace is declared on the root ``<svg>`` (or, if the root binds the
    prefix to another namespace, on the element). All other bytes are kept as they are.

    Raises:
        NotABadgeImage, MalformedImage, UnsupportedEncoding: see :func:`extract`; also
            UnsupportedEncoding for a document that is not in UTF-8 or an ASCII-compatible
            single-byte encoding (UTF-16 cannot be spliced byte-wise).
        MalformedPayload: the payload holds characters XML cannot carry.
    """
    if spec not in _ELEMENTS:
        raise ValueError(f"spec must be 'ob2' or 'ob3', not {spec!r}")
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"SVG data must be bytes, not {type(data).__name__}")
    illegal = _XML_ILLEGAL.search(payload)
    if illegal:
        raise MalformedPayload(
            f"the payload holds U+{ord(illegal.group()):04X} at {illegal.start()}, which XML cannot carry",
            reason="xml-char",
        )
    scan = _Scan(data)
    codec = _byte_codec(data, scan.encoding)
    root = _tag(data, scan.root_start)
    local, namespace = _ELEMENTS[spec]
    qname = f"{PREFIX}:{local}"
    declaration = f' xmlns:{PREFIX}="{namespace}"'.encode("ascii")
    bound = scan.root_namespaces.get(PREFIX)
    local_declaration = b"" if bound in (None, namespace) else declaration
    if in_attribute:
        element = b"".join(
            [f"<{qname}".encode("ascii"), local_declaration, b' verify="', _attribute(payload, codec), b'"/>']
        )
    else:
        element = b"".join(
            [
                f"<{qname}".encode("ascii"),
                local_declaration,
                b">",
                _cdata(payload, codec),
                f"</{qname}>".encode("ascii"),
            ]
        )

    view = memoryview(data)
    attributes_end, tag_end = root.start("tail"), root.end()
    parts: list[bytes | memoryview] = [view[:attributes_end]]
    if bound is None:
        parts.append(declaration)
    if root.group("tail").endswith(b"/>"):  # <svg …/>: open it, put the element in, close it
        parts += [b">", element, b"</" + root.group("name") + b">", view[tag_end:]]
        return b"".join(parts)
    parts += [view[attributes_end:tag_end], element]
    position = tag_end
    for carrier in scan.carriers:
        if carrier.nested:
            continue  # inside an outer carrier that is cut out whole
        start, end = carrier.start, _element_end(data, carrier)
        parts.append(view[position:start])
        position = end
    parts.append(view[position:])
    return b"".join(parts)


def _byte_codec(data: bytes, declared: str | None) -> str:
    """The Python codec of a document we can splice byte-wise, from its BOM and XML declaration."""
    if (
        data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\0", b"\0<")
        or data[:4] == codecs.BOM_UTF32_BE
    ):
        label = "utf-16"
    elif data[:3] == codecs.BOM_UTF8 or declared is None:
        label = "utf-8"
    else:
        label = declared
    try:
        name = codecs.lookup(label).name
    except LookupError as exc:  # pragma: no cover - expat refuses unknown encodings first
        raise UnsupportedEncoding(
            f"the SVG encoding {label!r} is not supported", reason="xml-encoding"
        ) from exc
    if not _ASCII_COMPATIBLE.fullmatch(name):
        raise UnsupportedEncoding(
            f"cannot bake into an SVG encoded as {label}; convert it to UTF-8 first",
            reason="xml-encoding",
        )
    return name


def _tag(data: bytes, start: int) -> re.Match[bytes]:
    match = _START_TAG.match(data, start)
    if match is None:  # expat accepted this tag, so this is a bug, not bad input
        raise AssertionError(f"start tag at byte {start} not recognised")
    return match


def _element_end(data: bytes, carrier: _Carrier) -> int:
    tag = _tag(data, carrier.start)
    if tag.group("tail").endswith(b"/>"):
        return tag.end()
    return data.index(b">", carrier.close_at) + 1


def _attribute(value: str, codec: str) -> bytes:
    # Tabs and line breaks are written as references: attribute-value normalisation would turn
    # them into spaces and change the payload.
    escaped = (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )
    return escaped.encode(codec, "xmlcharrefreplace")


_OUTSIDE_CDATA: dict[str, re.Pattern[str]] = {}


def _cdata(text: str, codec: str) -> bytes:
    """``text`` as CDATA sections; CR (which parsers turn into LF) and characters the codec lacks
    go between sections as character references, so a parser returns ``text`` exactly."""
    pattern = _OUTSIDE_CDATA.get(codec)
    if pattern is None:
        if codec == "utf-8":
            pattern = re.compile("\r")
        else:
            encodable = bytes(range(256)).decode(codec, errors="ignore").replace("\r", "")
            pattern = re.compile(f"[^{re.escape(encodable)}]")
        _OUTSIDE_CDATA[codec] = pattern
    parts: list[bytes] = []
    position = 0
    for match in pattern.finditer(text):
        parts += [_section(text[position : match.start()], codec), f"&#{ord(match.group())};".encode("ascii")]
        position = match.end()
    parts.append(_section(text[position:], codec))
    return b"".join(parts)


def _section(run: str, codec: str) -> bytes:
    if not run:
        return b""
    # "]]>" would end the section: end it after "]]" and start a new one before ">".
    return b"<![CDATA[" + run.replace("]]>", "]]]]><![CDATA[>").encode(codec) + b"]]>"
