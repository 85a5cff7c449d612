"""Request bodies of API Gateway HTTP API (payload 2.0) events, read strictly and within limits.

Binary bodies arrive base64-encoded with ``isBase64Encoded``; they are decoded here, never with
Powertools' ``decoded_body`` (which also UTF-8-decodes and fails on a PNG), in one SIMD pass
(``pybase64``: a 1 MB image decodes in ~0.07 ms, the standard library's strict decoder takes ~3 ms).
JSON bodies are size- and depth-capped and strict (:func:`badgekiln.strictjson.loads_strict`), and a
text body is parsed as the text Lambda handed over, never re-encoded first; multipart/form-data goes
through the ``multipart`` package in strict mode with caps on parts, headers and part sizes. Every
refusal is a :class:`~badgekiln.errors.InputError` subclass, so the problem mapping answers it
with a 4xx.
"""

from __future__ import annotations

import binascii
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar

from pybase64 import b64decode

from badgekiln.errors import InputError, InputTooLarge, InvalidField, MalformedPayload, UnsupportedMediaType
from badgekiln.issue import UPLOAD_ROUTE

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
    from pydantic import BaseModel

    ModelT = TypeVar("ModelT", bound=BaseModel)

__all__ = [
    "BASE64_BACKEND",
    "MAX_BODY_BYTES",
    "MAX_MULTIPART_PARTS",
    "Part",
    "base64_field",
    "body_too_large",
    "decoded_body_size",
    "json_body",
    "json_model",
    "media_type",
    "multipart_body",
    "optional_json_model",
    "parse_model",
    "query_model",
    "raw_body",
    "require_media_type",
]

#: Largest decoded body a function accepts. Lambda takes at most 6 MB per synchronous request and
#: base64 inflates binary bodies by 4/3, so ~4.5 MB of image fits; 4 MiB leaves room for headers.
MAX_BODY_BYTES = 4 * 1024 * 1024


def _backend() -> str:
    from pybase64 import get_version

    # "1.5.1 (C extension active - AVX2)": the part in parentheses says which codec runs
    version = get_version()
    return version[version.find("(") + 1 : version.rfind(")")] or version


#: What decodes base64 bodies: pybase64's SIMD codec (``"C extension active - AVX2"`` …, or its
#: portable fallback where the CPU has no SIMD path); bench/bench_transport.py prints it.
BASE64_BACKEND: Final = _backend()
#: Form fields an operation may receive; our forms have at most three.
MAX_MULTIPART_PARTS = 8
#: One part header line (Content-Disposition with a long file name fits easily).
MAX_PART_HEADER_BYTES = 2048
#: RFC 7578 parts carry Content-Disposition, Content-Type and maybe one more.
MAX_PART_HEADERS = 4
#: RFC 2046 caps boundaries at 70 characters.
MAX_BOUNDARY_LENGTH = 70


def media_type(event: APIGatewayProxyEventV2) -> tuple[str, dict[str, str]]:
    """The request's ``(media type, parameters)``, lower-cased type, ``("", {})`` when absent."""
    header = (event.headers or {}).get("content-type") or ""
    kind, _, rest = header.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";")[:16]:
        name, sep, value = item.strip().partition("=")
        if sep:
            params[name.strip().lower()] = value.strip().strip('"')
    return kind.strip().lower(), params


def require_media_type(event: APIGatewayProxyEventV2, accepted: Collection[str]) -> str:
    """The request's media type, if it is one of ``accepted``.

    Raises:
        UnsupportedMediaType: missing or not accepted (HTTP 415); ``accepted`` lists the choices.
    """
    kind, _ = media_type(event)
    if kind not in accepted:
        shown = kind or "none"
        raise UnsupportedMediaType(
            f"Content-Type {shown} is not accepted here; send one of: {', '.join(accepted)}.",
            media_type=kind or None,
            accepted=", ".join(accepted),
        )
    return kind


def decoded_body_size(event: Mapping[str, Any]) -> int:
    """Size in bytes of the raw event's body once decoded, computed without decoding it."""
    body = event.get("body") or ""
    if not isinstance(body, str):
        return 0
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4 - body[-2:].count("=")
    return len(body.encode("utf-8")) if not body.isascii() else len(body)


def body_too_large(size: int) -> InputTooLarge:
    """The error for a body of ``size`` bytes over :data:`MAX_BODY_BYTES` (HTTP 413)."""
    return InputTooLarge(
        f"The request body is {size:,} bytes; this API takes at most {MAX_BODY_BYTES:,} bytes per "
        f"request. Send larger files through {UPLOAD_ROUTE}, which returns a presigned upload.",
        limit=MAX_BODY_BYTES,
        size=size,
        upload=UPLOAD_ROUTE,
    )


def raw_body(event: APIGatewayProxyEventV2) -> bytes:
    """The body as bytes: base64-decoded when ``isBase64Encoded``, else the UTF-8 text.

    Raises:
        InputTooLarge: over :data:`MAX_BODY_BYTES`.
        InputError: ``reason="base64"`` when a base64 body does not decode.
    """
    size = decoded_body_size(event.raw_event)
    if size > MAX_BODY_BYTES:
        raise body_too_large(size)
    body = event.body or ""
    if not event.is_base64_encoded:
        return body.encode("utf-8")
    try:
        return b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError("The request body is marked base64 but does not decode.", reason="base64") from exc


def _text_body(event: APIGatewayProxyEventV2) -> str:
    """The body of an event that is not ``isBase64Encoded``, as the text it is.

    Raises:
        InputTooLarge: over :data:`MAX_BODY_BYTES`.
    """
    size = decoded_body_size(event.raw_event)
    if size > MAX_BODY_BYTES:
        raise body_too_large(size)
    return event.body or ""


def base64_field(value: str, field: str) -> bytes:
    """The bytes of a JSON body's base64 ``field`` (standard alphabet, padded).

    Raises:
        InvalidField: ``value`` is not valid base64.
    """
    try:
        return b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidField(f"Field {field!r} is not valid base64.", field=field) from exc


def json_body(event: APIGatewayProxyEventV2) -> Any:
    """The body parsed as strict JSON (:func:`badgekiln.strictjson.loads_strict`: UTF-8, no duplicate
    keys, ``NaN`` or unusable numbers, at most :data:`~badgekiln.strictjson.MAX_JSON_DEPTH` levels deep).

    Raises:
        InputError: not UTF-8 or not strict JSON (``reason`` ``"utf-8"``, ``"json"``,
            ``"duplicate-key"``, ``"number"``).
        InputTooLarge: too big or too deep (``reason="depth"``).
    """
    from badgekiln.strictjson import loads_strict

    # A text body is parsed as the str Lambda gave (encoding it to UTF-8 only for the parser to
    # decode it again cost ~1 ms a megabyte); a base64 body is decoded to its bytes first.
    data: str | bytes = raw_body(event) if event.is_base64_encoded else _text_body(event)
    try:
        return loads_strict(data, source="The request body")
    except (MalformedPayload, InputTooLarge) as exc:
        # a request that is not JSON is a bad request (400), not a malformed badge payload (422);
        # and it came from no URL
        details = {key: value for key, value in exc.details.items() if key != "url"}
        error = InputTooLarge if isinstance(exc, InputTooLarge) else InputError
        raise error(exc.message, **details) from exc


def parse_model(model: type[ModelT], value: Any, *, strict: bool | None = None) -> ModelT:
    """``value`` (parsed JSON) validated as ``model`` (``strict=False``: text read as numbers and
    booleans, as query strings need).

    (:func:`badgekiln.issue.models.parse` does the same for the library, but importing it costs
    the bake and render functions ~20 ms of model building they never use.)

    Raises:
        InvalidField: the first failing field in ``field``, all of them in ``errors``.
    """
    from pydantic import ValidationError

    try:
        return model.model_validate(value, strict=strict)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
    # outside the except block: no __context__ (see badgekiln.issue.models.parse)
    raise InvalidField.of_errors(errors)


def json_model(event: APIGatewayProxyEventV2, model: type[ModelT]) -> ModelT:
    """The ``application/json`` body validated as ``model``.

    Raises:
        UnsupportedMediaType: another Content-Type (HTTP 415).
        InputError, InputTooLarge: the body is not JSON, too big or too deep (:func:`json_body`).
        InvalidField: the JSON does not fit ``model`` (:func:`parse_model`).
    """
    require_media_type(event, ("application/json",))
    return parse_model(model, json_body(event))


def optional_json_model(event: APIGatewayProxyEventV2, model: type[ModelT]) -> ModelT | None:
    """:func:`json_model` of a body that may be left out: ``None`` for an empty (or blank) body.

    Raises:
        UnsupportedMediaType, InputError, InputTooLarge, InvalidField: as :func:`json_model`.
    """
    return json_model(event, model) if raw_body(event).strip() else None


def query_model(event: APIGatewayProxyEventV2, model: type[ModelT]) -> ModelT:
    """The query string validated as ``model``, its text read as the fields' types.

    Raises:
        InvalidField: an unknown or bad parameter (``field`` names it).
    """
    return parse_model(model, event.query_string_parameters or {}, strict=False)


@dataclass(frozen=True, slots=True)
class Part:
    """One multipart/form-data field."""

    name: str
    data: bytes
    content_type: str | None
    filename: str | None

    def text(self) -> str:
        """The field as text.

        Raises:
            InvalidField: not UTF-8.
        """
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidField(f"Form field {self.name!r} is not UTF-8 text.", field=self.name) from exc


def multipart_body(event: APIGatewayProxyEventV2, *, fields: Collection[str]) -> dict[str, Part]:
    """The multipart/form-data body as ``{name: Part}``, accepting only the named ``fields``.

    Raises:
        UnsupportedMediaType: the body is not multipart/form-data.
        InputError: no usable boundary, or a malformed or truncated stream (``reason="multipart"``).
        InvalidField: an unknown or repeated field.
        InputTooLarge: too many parts, or a header or the body over its cap.
    """
    from multipart import MultipartError, ParserLimitReached, PushMultipartParser

    kind, params = media_type(event)
    if kind != "multipart/form-data":
        raise UnsupportedMediaType("Expected a multipart/form-data body.", accepted="multipart/form-data")
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > MAX_BOUNDARY_LENGTH:
        raise InputError(
            "The multipart/form-data Content-Type needs a boundary parameter of 1 to 70 characters.",
            reason="boundary",
        )
    data = raw_body(event)
    parts: dict[str, Part] = {}
    chunks: list[bytes] = []
    current = None
    try:
        with PushMultipartParser(
            boundary,
            content_length=len(data),
            max_header_size=MAX_PART_HEADER_BYTES,
            max_header_count=MAX_PART_HEADERS,
            max_segment_size=MAX_BODY_BYTES,
            max_segment_count=MAX_MULTIPART_PARTS,
            strict=True,
        ) as parser:
            for item in parser.parse(data):
                if item is None:  # end of one part
                    if current is None:
                        raise InputError("Malformed multipart body.", reason="multipart")
                    parts[current.name] = Part(
                        current.name, b"".join(chunks), current.content_type, current.filename
                    )
                    current, chunks = None, []
                elif isinstance(item, bytes | bytearray | memoryview):
                    chunks.append(bytes(item))
                else:
                    name = item.name or ""
                    if name not in fields:
                        known = ", ".join(sorted(fields))
                        raise InvalidField(
                            f"Unexpected form field {name!r}; this operation takes: {known}.", field=name
                        )
                    if name in parts:
                        raise InvalidField(f"Form field {name!r} appears more than once.", field=name)
                    current = item
    except ParserLimitReached as exc:
        raise InputTooLarge(f"The multipart body is over a limit: {exc}.", reason="multipart") from exc
    except MultipartError as exc:
        raise InputError(f"Malformed multipart/form-data body: {exc}.", reason="multipart") from exc
    return parts
