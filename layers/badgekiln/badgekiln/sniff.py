"""Content sniffing: which container an image is, and what kind of payload a text is.

Everything is decided by content, never by a file name or media type:

* an image is ``"png"`` when it starts with the PNG signature, ``"svg"`` when it is XML whose root
  element is ``svg`` (after any prolog, comments or whitespace);
* a payload is a compact JWS/JWT (``"jws"``), a JSON object (``"json"``) or an absolute http(s)
  URL (``"url"``); surrounding XML whitespace (space, tab, CR, LF) is ignored.

Which Open Badges version and kind the JSON object a payload carries is, is the model's call
(:func:`badgekiln.model.read`).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from badgekiln import svg
from badgekiln.errors import InputTooLarge, MalformedPayload, NotABadgeImage
from badgekiln.png import PNG_SIGNATURE
from badgekiln.strictjson import loads_object

__all__ = [
    "COMPACT_JWS",
    "MAX_PAYLOAD_CHARS",
    "classify_payload",
    "payload_object",
    "sniff_image",
]

#: Largest payload classified, baked or extracted. Credentials are a few KB, rarely a few hundred
#: (an embedded image); 8 Mi characters bounds the JSON and JSON-LD work downstream.
MAX_PAYLOAD_CHARS: Final = 8 * 1024 * 1024

_XML_SPACE: Final = " \t\r\n"
#: RFC 7515 compact serialisation: three base64url segments, no padding. The signature may be
#: empty (an unsecured JWT is still a JWS in shape; verification refuses "none" later).
COMPACT_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_URL_FORBIDDEN: Final = re.compile(r"[\x00-\x20\x7f\"<>\\^`{|}]")


def sniff_image(data: bytes) -> Literal["png", "svg"]:
    """Tell a PNG from an SVG by content.

    Only the prolog of an XML document is read; the document is checked fully when it is baked or
    extracted.

    Raises:
        NotABadgeImage: neither a PNG signature nor XML whose root element is ``svg``.
        MalformedImage: an XML prolog we refuse to read (``reason`` ``dtd`` or ``entities``).
        UnsupportedEncoding: XML in an encoding the parser does not know.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"image data must be bytes, not {type(data).__name__}")
    if data[:8] == PNG_SIGNATURE or data[1:4] == b"PNG":
        return "png"  # a damaged signature is reported by the PNG walker, which says so
    namespace, local = svg.root_name(data)
    if local != "svg" or namespace not in ("", svg.SVG_NAMESPACE):
        shown = f"{{{namespace}}}{local}" if namespace else local
        raise NotABadgeImage(f"not a badge image: XML whose root element is {shown!r}, not 'svg'")
    return "svg"


def classify_payload(text: str) -> Literal["jws", "json", "url"]:
    """Say whether ``text`` is a compact JWS/JWT, a JSON object or an http(s) URL.

    A JWS must have a header that decodes to a JSON object; JSON must be an object; both are read
    by the one strict parser (:mod:`badgekiln.strictjson`: no duplicate keys, no ``NaN``); a URL
    must be absolute, ``http`` or ``https``, with a host and no spaces.

    Raises:
        MalformedPayload: none of the three (``reason`` says which check failed: ``json``,
            ``duplicate-key``, ``number``, ``jws``, ``unknown`` …), or empty.
        InputTooLarge: over :data:`MAX_PAYLOAD_CHARS`, or JSON nested too deeply.
    """
    return _classify(text)[0]


def payload_object(text: str) -> tuple[Literal["jws", "json", "url"], dict[str, Any] | None]:
    """:func:`classify_payload`, and the JSON object the payload carries: the document (JSON),
    the claims its payload segment holds (a JWS; nothing is verified), or ``None`` (a URL).

    Raises:
        MalformedPayload, InputTooLarge: see :func:`classify_payload`; also a JWS whose payload
            segment is not a JSON object.
    """
    kind, value, document = _classify(text)
    if kind == "jws":
        document = loads_object(_b64url(value.split(".")[1], "payload"), source="the JWS payload")
    return kind, document


def _classify(text: str) -> tuple[Literal["jws", "json", "url"], str, dict[str, Any] | None]:
    """The kind, the payload without surrounding whitespace, and the parsed object for JSON."""
    if not isinstance(text, str):
        raise TypeError(f"a payload must be str, not {type(text).__name__}")
    if len(text) > MAX_PAYLOAD_CHARS:
        raise InputTooLarge(
            f"the payload has {len(text)} characters, over the {MAX_PAYLOAD_CHARS} cap",
            limit=MAX_PAYLOAD_CHARS,
        )
    value = text.strip(_XML_SPACE)
    if not value:
        raise MalformedPayload("the payload is empty", reason="empty")
    if value[0] in "{[":
        return "json", value, loads_object(value, source="the JSON payload")
    if COMPACT_JWS.fullmatch(value):
        loads_object(_b64url(value.split(".", 1)[0], "header"), source="the JWS header")
        return "jws", value, None
    if _is_http_url(value):
        return "url", value, None
    if COMPACT_JWS.fullmatch(value.rstrip("=").replace("=.", ".")):
        raise MalformedPayload("a compact JWS must not carry base64 padding ('=')", reason="jws")
    raise MalformedPayload(
        "the payload is neither a compact JWS/JWT, a JSON object nor an http(s) URL",
        reason="unknown",
    )


def _b64url(segment: str, what: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return raw.decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise MalformedPayload(f"the JWS {what} is not base64url-encoded UTF-8 JSON", reason="jws") from exc


def _is_http_url(value: str) -> bool:
    if _URL_FORBIDDEN.search(value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
