"""Helpers for what routes answer: JSON answers, pages, image media types, and their OpenAPI
description."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Protocol

from badgekiln.http.problems import PROBLEM_CONTENT_TYPE
from badgekiln.png import PNG_SIGNATURE

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
    from pydantic import BaseModel

__all__ = [
    "PROBLEM_SCHEMA",
    "Answer",
    "answer_response",
    "image_media_type",
    "json_request_body",
    "json_response",
    "problem_responses",
    "query_parameters",
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


def image_media_type(image: bytes) -> str:
    """``image/png`` for bytes with the PNG signature, else ``image/svg+xml``.

    Only for images the library produced or validated: it does not sniff untrusted input.
    """
    return "image/png" if image.startswith(PNG_SIGNATURE) else "image/svg+xml"


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response[str]:
    """A compact ``application/json`` answer (UTF-8, non-ASCII kept as is)."""
    from aws_lambda_powertools.event_handler import Response

    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        headers=dict(headers) if headers else None,
    )


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


def answer_response(answer: Answer) -> Response[str | bytes]:
    """``answer`` as a Powertools answer (a bytes body goes out base64-encoded)."""
    from aws_lambda_powertools.event_handler import Response

    return Response(
        status_code=answer.status,
        content_type=answer.content_type,
        body=answer.body,
        headers=dict(answer.headers),
    )


def json_request_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """OpenAPI ``openapi_extensions`` declaring an ``application/json`` request body of ``model``.

    Routes read their bodies themselves (strictly, :mod:`.bodies`) rather than through Powertools'
    validation, so the body is documented here.
    """
    schema = model.model_json_schema()
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI ``parameters`` of a query string read as ``model`` (:func:`~.bodies.query_model`)."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": field}
        for name, field in schema["properties"].items()
    ]


def problem_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI ``responses`` entries for problem answers with the given statuses."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }
