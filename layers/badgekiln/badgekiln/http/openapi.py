"""The finishing pass over the merged OpenAPI document: what no single route can declare.

Routes declare their own parameters, bodies and answers (:mod:`.responses`). What is shared
between them, or is answered by the HTTP API before any function runs, is added here once:

* the ``Problem`` schema every problem answer refers to (``#/components/schemas/Problem``);
* Powertools' default ``422`` (a FastAPI-style ``HTTPValidationError``) replaced by our problem,
  which is what :mod:`.problems` answers for a request that fails validation;
* the gateway's own answers, which HTTP APIs cannot customise (they have no gateway responses):
  ``429 {"message":"Too Many Requests"}`` on every route (throttling), and on authenticated
  routes ``401 {"message":"Unauthorized"}`` (no ``Authorization`` header) and
  ``403 {"message":"Forbidden"}`` (the authorizer's deny), as ``application/json`` beside the
  function's own ``application/problem+json`` answers with those statuses;
* header parameters under their canonical spelling (Powertools lower-cases aliases).
"""

from __future__ import annotations

import copy
import json
from typing import Any, Final

from badgekiln.http.responses import PROBLEM_REF, PROBLEM_SCHEMA

__all__ = ["GATEWAY_MESSAGES", "GATEWAY_NOTE", "finish_document"]

#: What API Gateway itself answers, exactly (status → ``message``); ``badgekiln serve`` matches.
GATEWAY_MESSAGES: Final = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
}

#: Appended to the document's description.
GATEWAY_NOTE: Final = (
    "\n\nA few answers come from API Gateway itself, before any function runs, and HTTP APIs cannot "
    'reshape them: they are `application/json` bodies of the form `{"message": "…"}` — '
    '`401 {"message":"Unauthorized"}` (no `Authorization` header), `403 {"message":"Forbidden"}` '
    '(an unknown, malformed or withdrawn API key), `404 {"message":"Not Found"}` (no such route), '
    '`413 {"message":"Request Entity Too Large"}` (a body over 10 MB) and '
    '`429 {"message":"Too Many Requests"}` (throttled). Every other error is a problem document.'
)

_GATEWAY_SCHEMA: Final = {
    "type": "object",
    "description": 'An answer of API Gateway itself (not a function): {"message": "…"}.',
    "required": ["message"],
    "properties": {"message": {"type": "string", "enum": sorted(set(GATEWAY_MESSAGES.values()))}},
    "additionalProperties": False,
}
_GATEWAY_REF: Final = {"$ref": "#/components/schemas/GatewayMessage"}
#: Header names as HTTP documents spell them.
_HEADER_NAMES: Final = {"idempotency-key": "Idempotency-Key"}
#: Powertools' FastAPI-style validation schemas: our answers are problems, so nothing refers to them.
_POWERTOOLS_DEFAULTS: Final = ("HTTPValidationError", "ResponseValidationError", "ValidationError")


def _gateway_answer(status: int) -> dict[str, Any]:
    return {
        "description": f"{GATEWAY_MESSAGES[status]} (API Gateway's own answer)",
        "content": {"application/json": {"schema": dict(_GATEWAY_REF)}},
    }


def _finish_operation(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", ()):
        if parameter.get("in") == "header":
            parameter["name"] = _HEADER_NAMES.get(parameter["name"], parameter["name"])
    responses = operation.setdefault("responses", {})
    default_422 = responses.get("422", {}).get("content", {}).get("application/json")
    if default_422 is not None:
        responses["422"] = {
            "description": "Unprocessable Content",
            "content": {"application/problem+json": {"schema": dict(PROBLEM_REF)}},
        }
    responses["429"] = _gateway_answer(429)
    if operation.get("security"):
        for status in (401, 403):
            answer = responses.get(str(status))
            if answer is None:
                responses[str(status)] = _gateway_answer(status)
            else:
                answer["content"]["application/json"] = {"schema": dict(_GATEWAY_REF)}
                answer["description"] = f"{GATEWAY_MESSAGES[status]}: a problem, or API Gateway's own answer"


def finish_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the merged ``document`` with the shared components and gateway answers added.

    Raises:
        ValueError: an answer still refers to one of Powertools' validation schemas.
    """
    finished = copy.deepcopy(document)
    for operations in finished.get("paths", {}).values():
        for operation in operations.values():
            _finish_operation(operation)
    schemas = finished.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    schemas["GatewayMessage"] = copy.deepcopy(_GATEWAY_SCHEMA)
    info = finished.setdefault("info", {})
    info["description"] = info.get("description", "") + GATEWAY_NOTE
    for name in _POWERTOOLS_DEFAULTS:
        schemas.pop(name, None)
    text = json.dumps(finished)
    for name in _POWERTOOLS_DEFAULTS:
        if f'"#/components/schemas/{name}"' in text:
            raise ValueError(f"the document still refers to Powertools' {name}")
    return finished
