"""The two forms the pages accept: "check a badge" and "is this badge for …?".

Both arrive as ordinary HTML form posts (``multipart/form-data`` or
``application/x-www-form-urlencoded``), so they work without JavaScript. Field values are
bounded and refused with messages a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qsl

from badgekiln.errors import InputError, InputTooLarge, InvalidField, UnsupportedMediaType
from badgekiln.http.bodies import media_type, multipart_body, raw_body

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

__all__ = [
    "CHECK_FIELDS",
    "MAX_IDENTITY_CHARS",
    "MAX_PASTE_CHARS",
    "MAX_UPLOAD_BYTES",
    "CheckForm",
    "parse_check_form",
    "parse_recipient_form",
    "upload_limit_words",
]

#: Largest badge file the check page takes. Badge images are rarely over 500 KB; 3 MiB leaves
#: room for big ones while the whole form stays under the API's 4 MiB body limit
#: (badgekiln.http.MAX_BODY_BYTES), which Lambda's 6 MB request limit dictates.
MAX_UPLOAD_BYTES: Final = 3 * 1024 * 1024
#: Pasted URL, JSON or JWT: a credential with its proof and embedded images fits easily.
MAX_PASTE_CHARS: Final = 1024 * 1024
#: E-mail addresses are at most 254 characters; URLs and other ids a little more.
MAX_IDENTITY_CHARS: Final = 1024
#: Field names of the check form.
CHECK_FIELDS: Final = frozenset({"file", "payload", "recipient"})
_RECIPIENT_FIELDS: Final = frozenset({"identity"})
_FORM_TYPES: Final = ("multipart/form-data", "application/x-www-form-urlencoded")


def upload_limit_words() -> str:
    """The upload limit as people read it: ``3 MB``."""
    return f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB"


@dataclass(frozen=True, slots=True)
class CheckForm:
    """What the check form carried: a file, pasted text, and an optional recipient to match."""

    file: bytes | None = None
    filename: str | None = None
    payload: str | None = None
    recipient: str | None = None


def _fields(event: APIGatewayProxyEventV2, allowed: frozenset[str]) -> dict[str, tuple[bytes, str | None]]:
    """``{name: (bytes, filename)}`` of a form post in either encoding.

    Raises:
        UnsupportedMediaType: not a form post.
        InvalidField: an unknown or repeated field.
        InputError, InputTooLarge: a malformed or oversized body.
    """
    kind, _ = media_type(event)
    if kind == "multipart/form-data":
        parts = multipart_body(event, fields=allowed)
        return {name: (part.data, part.filename) for name, part in parts.items()}
    if kind != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(
            "Send the form as a web browser does (multipart/form-data or application/x-www-form-urlencoded).",
            accepted=", ".join(_FORM_TYPES),
        )
    try:
        text = raw_body(event).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=len(allowed) + 1)
    except UnicodeDecodeError as exc:
        raise InputError("The form is not UTF-8 text.", reason="utf-8") from exc
    except ValueError as exc:  # more fields than max_num_fields
        raise InvalidField("The form has more fields than it should.", reason="fields") from exc
    found: dict[str, tuple[bytes, str | None]] = {}
    for name, value in pairs:
        if name not in allowed:
            raise InvalidField(f"Unexpected form field {name[:40]!r}.", field=name[:40])
        if name in found:
            raise InvalidField(f"Form field {name!r} appears more than once.", field=name)
        found[name] = (value.encode("utf-8"), None)
    return found


def _text(data: bytes, field: str, what: str, limit: int) -> str | None:
    try:
        value = data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise InvalidField(f"The {what} is not UTF-8 text.", field=field) from exc
    if len(value) > limit:
        raise InputTooLarge(
            f"The {what} is {len(value):,} characters long; at most {limit:,} are accepted.",
            field=field,
            limit=limit,
        )
    return value or None


def parse_check_form(event: APIGatewayProxyEventV2) -> CheckForm:
    """The check form: ``file`` (a badge image or badge file), ``payload`` (pasted URL, JSON or
    JWT) and optional ``recipient``. Exactly one of file and payload must be given.

    Raises:
        InvalidField: neither or both given, an unknown field, text that is not UTF-8.
        InputTooLarge: a file over :data:`MAX_UPLOAD_BYTES` or text over its cap.
        UnsupportedMediaType, InputError: not a well-formed form post.
    """
    fields = _fields(event, CHECK_FIELDS)
    data, filename = fields.get("file", (b"", None))
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputTooLarge(
            f"The file is {len(data):,} bytes; badges up to {upload_limit_words()} "
            f"({MAX_UPLOAD_BYTES:,} bytes) can be checked here.",
            field="file",
            limit=MAX_UPLOAD_BYTES,
            size=len(data),
        )
    payload = _text(fields.get("payload", (b"", None))[0], "payload", "pasted text", MAX_PASTE_CHARS)
    recipient = _text(fields.get("recipient", (b"", None))[0], "recipient", "recipient", MAX_IDENTITY_CHARS)
    shown_name = (filename or "").strip()[:120] or None
    if data and payload:
        raise InvalidField(
            "Give either a badge file or pasted text, not both: clear one and check again.", field="payload"
        )
    if not data and not payload:
        if shown_name:
            raise InvalidField(f"The file {shown_name!r} is empty.", field="file")
        raise InvalidField(
            "Choose a badge image (PNG or SVG), or paste a badge URL, JSON or JWT.", field="file"
        )
    return CheckForm(file=data or None, filename=shown_name, payload=payload, recipient=recipient)


def parse_recipient_form(event: APIGatewayProxyEventV2) -> str:
    """The identity of the "is this badge for …?" form.

    Raises:
        InvalidField: missing or empty, not UTF-8, or an unknown field.
        InputTooLarge: over :data:`MAX_IDENTITY_CHARS`.
        UnsupportedMediaType, InputError: not a well-formed form post.
    """
    fields = _fields(event, _RECIPIENT_FIELDS)
    value = _text(fields.get("identity", (b"", None))[0], "identity", "address", MAX_IDENTITY_CHARS)
    if value is None:
        raise InvalidField("Enter the e-mail address (or other identity) to check.", field="identity")
    return value
