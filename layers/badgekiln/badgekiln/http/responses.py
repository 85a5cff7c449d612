"""Helpers for what routes answer: JSON answers, pages, image media types, and their OpenAPI
description."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol

from badgekiln.http.problems import PROBLEM_CONTENT_TYPE
from badgekiln.png import PNG_SIGNATURE

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
    from pydantic import BaseModel

__all__ = [
    "BINARY",
    "MAX_LISTED",
    "OBJECT",
    "PROBLEM_REF",
    "PROBLEM_SCHEMA",
    "TEXT",
    "Answer",
    "Reply",
    "answer_response",
    "binary_response",
    "deferred",
    "form_schema",
    "image_media_type",
    "json_request_body",
    "json_response",
    "listing",
    "path_parameter",
    "problem_responses",
    "query_parameters",
    "request_body",
]

#: JSON Schema of our problem documents (RFC 9457 members plus ``code``; details are extensions).
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": ["urn:badgekiln:problem:no-badge-data"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable machine-readable error code."},
    },
    "additionalProperties": True,
}
#: Where every problem answer's schema lives in the merged document (:mod:`.openapi` puts it there).
PROBLEM_REF: Final[Mapping[str, str]] = MappingProxyType({"$ref": "#/components/schemas/Problem"})


def image_media_type(image: bytes) -> str:
    """``image/png`` for bytes with the PNG signature, else ``image/svg+xml``.

    Only for images the library produced or validated: it does not sniff untrusted input.
    """
    return "image/png" if image.startswith(PNG_SIGNATURE) else "image/svg+xml"


#: Most entries one list answer holds: each is ~1 KB, and a Lambda answer is at most 6 MB.
MAX_LISTED: Final = 1000


def listing(name: str, items: Iterable[Any]) -> dict[str, Any]:
    """``{name: [...], "truncated": …}`` of at most :data:`MAX_LISTED` of ``items``."""
    found = list(itertools.islice(items, MAX_LISTED + 1))
    return {name: found[:MAX_LISTED], "truncated": len(found) > MAX_LISTED}


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response[str]:
    """A compact ``application/json`` answer (UTF-8, non-ASCII kept as is)."""
    from aws_lambda_powertools.event_handler import Response

    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        headers=dict(headers) if headers else None,
    )


def binary_response(
    content_type: str, body: bytes, headers: Mapping[str, str] | None = None
) -> Response[str]:
    """A ``200`` answer of binary ``body`` (an image), base64-encoded for Lambda in one SIMD pass.

    Powertools would encode a bytes body itself, with the standard library and a second pass to
    make it text (~2.7 ms for 1 MB, against ~0.03 here). For routes without ``compress``: the
    body is already base64, which gzip must not see.
    """
    from aws_lambda_powertools.event_handler import Response
    from pybase64 import b64encode_as_string

    response = Response(
        status_code=200,
        content_type=content_type,
        body=b64encode_as_string(body),
        headers=dict(headers) if headers else None,
    )
    response.base64_encoded = True
    return response


class Answer(Protocol):
    """What the library answers a request with (a page, a hosted document): text or bytes."""

    @property
    def status(self) -> int: ...
    @property
    def body(self) -> str | bytes: ...
    @property
    def content_type(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class Reply:
    """An :class:`Answer` the library builds (a hosted document, the API's description)."""

    status: int
    body: str | bytes
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


def answer_response(answer: Answer) -> Response[str | bytes]:
    """``answer`` as a Powertools answer (a bytes body goes out base64-encoded)."""
    from aws_lambda_powertools.event_handler import Response

    return Response(
        status_code=answer.status,
        content_type=answer.content_type,
        body=answer.body,
        headers=dict(answer.headers),
    )


#: OpenAPI schemas of request bodies that are not JSON models.
BINARY: Final[Mapping[str, Any]] = MappingProxyType({"type": "string", "format": "binary"})
TEXT: Final[Mapping[str, Any]] = MappingProxyType({"type": "string"})
OBJECT: Final[Mapping[str, Any]] = MappingProxyType({"type": "object"})


class _Deferred(dict[str, Any]):
    """A dict that ``build`` fills on its first read (see :func:`deferred`)."""

    __slots__ = ("_build",)

    def __init__(self, build: Callable[[], Mapping[str, Any]]) -> None:
        super().__init__()
        self._build: Callable[[], Mapping[str, Any]] | None = build

    def _built(self) -> dict[str, Any]:
        if self._build is not None:
            build, self._build = self._build, None
            super().update(build())
        return self

    # the reads Powertools and Python code make go through _built: dict.update and {**…} of a
    # dict whose __iter__ is overridden call keys() and __getitem__, not the (still empty)
    # storage. C paths that read the storage directly (json's encoder, pop, setdefault, |) see
    # it empty until one of these reads has built it: read (or update from) it first.
    def __iter__(self) -> Iterator[str]:
        return dict.__iter__(self._built())

    def __len__(self) -> int:
        return dict.__len__(self._built())

    def __getitem__(self, key: str) -> Any:
        return dict.__getitem__(self._built(), key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self._built(), key)

    def __eq__(self, other: object) -> bool:
        return dict.__eq__(self._built(), other)

    __hash__ = None  # as dict's: unhashable

    def __repr__(self) -> str:
        return dict.__repr__(self._built())

    def keys(self) -> Any:
        return dict.keys(self._built())

    def values(self) -> Any:
        return dict.values(self._built())

    def items(self) -> Any:
        return dict.items(self._built())

    def get(self, key: str, default: Any = None) -> Any:
        return dict.get(self._built(), key, default)

    def copy(self) -> dict[str, Any]:
        return dict(self._built())


def deferred(build: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
    """Route ``openapi_extensions`` that ``build`` makes when they are first read.

    They are read only when the OpenAPI document is generated (``make openapi``); a request never
    needs them, and the JSON schemas in them (pydantic's ``model_json_schema``, several ms a model)
    were most of some handlers' import: the issue function's init built eight.
    """
    return _Deferred(build)


def request_body(content: Mapping[str, Mapping[str, Any]], *, required: bool = True) -> dict[str, Any]:
    """OpenAPI ``openapi_extensions`` declaring a request body: a schema per media type.

    Routes read their bodies themselves (strictly, :mod:`.bodies`) rather than through Powertools'
    validation, so the body is documented here.
    """
    described = {kind: {"schema": dict(schema)} for kind, schema in content.items()}
    return {"requestBody": {"required": required, "content": described}}


def form_schema(required: Sequence[str], **fields: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAPI schema of a ``multipart/form-data`` body with these ``fields``."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {k: dict(v) for k, v in fields.items()},
    }


def json_request_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """OpenAPI ``openapi_extensions`` declaring an ``application/json`` request body of ``model``
    (:func:`deferred`: the schema is built when the document is)."""
    return deferred(lambda: request_body({"application/json": model.model_json_schema()}, required=required))


def path_parameter(name: str) -> dict[str, Any]:
    """The OpenAPI parameter of path segment ``{name}``, as Powertools declares it."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "title": name.title()}}


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI ``parameters`` of a query string read as ``model`` (:func:`~.bodies.query_model`):
    one per field, its description lifted to the parameter (a query has no ``null``). It builds
    the model's JSON schema: call it inside :func:`deferred`."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, declared in schema["properties"].items():
        described = {k: v for k, v in declared.items() if k not in ("anyOf", "title") and v is not None}
        present = [option for option in declared.get("anyOf", ()) if option != {"type": "null"}]
        if len(present) == 1:
            described = {**present[0], **described}
        description = described.pop("description", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": described}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def problem_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI ``responses`` entries for problem answers with the given statuses."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_CONTENT_TYPE: {"schema": dict(PROBLEM_REF)}},
        }
        for status in statuses
    }
