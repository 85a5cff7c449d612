"""Powertools glue shared by the Lambda handlers in ``functions/<name>/<name>_handler.py``.

A handler is a few lines::

    from badgekiln.http import entrypoint, make_resolver, observability

    obs = observability("extract")
    app = make_resolver(obs)

    @app.post("/extract")
    def extract(): ...

    handler = entrypoint(app, obs)

Errors raised by routes become ``application/problem+json`` answers (:mod:`.problems`); bodies are
read with :mod:`.bodies`; ``docs/serverless-app.md`` explains how to add a function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from badgekiln._lazy import lazy_exports

# Eager: every function needs it, and the name is also the submodule's, which an import of
# badgekiln.http.observability would otherwise leave in its place.
from badgekiln.http.observability import Observability, observability

if TYPE_CHECKING:
    from badgekiln.http.bodies import (
        MAX_BODY_BYTES,
        Part,
        base64_field,
        json_body,
        json_model,
        media_type,
        multipart_body,
        optional_json_model,
        parse_model,
        query_model,
        raw_body,
        require_media_type,
    )
    from badgekiln.http.headers import SECURITY_HEADERS
    from badgekiln.http.problems import PROBLEM_CONTENT_TYPE, STATUS_BY_ERROR, problem_body, status_for
    from badgekiln.http.resolver import entrypoint, make_resolver, raw_answer
    from badgekiln.http.responses import (
        Answer,
        answer_response,
        binary_response,
        deferred,
        image_media_type,
        json_request_body,
        json_response,
        listing,
        path_parameter,
        problem_responses,
        query_parameters,
        request_body,
    )

__all__ = [
    "MAX_BODY_BYTES",
    "PROBLEM_CONTENT_TYPE",
    "SECURITY_HEADERS",
    "STATUS_BY_ERROR",
    "Answer",
    "Observability",
    "Part",
    "answer_response",
    "base64_field",
    "binary_response",
    "deferred",
    "entrypoint",
    "image_media_type",
    "json_body",
    "json_model",
    "json_request_body",
    "json_response",
    "listing",
    "make_resolver",
    "media_type",
    "multipart_body",
    "observability",
    "optional_json_model",
    "parse_model",
    "path_parameter",
    "problem_body",
    "problem_responses",
    "query_model",
    "query_parameters",
    "raw_answer",
    "raw_body",
    "request_body",
    "require_media_type",
    "status_for",
]

# Each name is imported on first use: the authorizer, the worker and the publisher need only
# observability, and the HTTP glue's bodies, problems and responses cost their cold starts.
__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "Answer": "badgekiln.http.responses",
        "MAX_BODY_BYTES": "badgekiln.http.bodies",
        "PROBLEM_CONTENT_TYPE": "badgekiln.http.problems",
        "Part": "badgekiln.http.bodies",
        "SECURITY_HEADERS": "badgekiln.http.headers",
        "STATUS_BY_ERROR": "badgekiln.http.problems",
        "answer_response": "badgekiln.http.responses",
        "base64_field": "badgekiln.http.bodies",
        "binary_response": "badgekiln.http.responses",
        "deferred": "badgekiln.http.responses",
        "entrypoint": "badgekiln.http.resolver",
        "image_media_type": "badgekiln.http.responses",
        "json_body": "badgekiln.http.bodies",
        "json_model": "badgekiln.http.bodies",
        "json_request_body": "badgekiln.http.responses",
        "json_response": "badgekiln.http.responses",
        "listing": "badgekiln.http.responses",
        "make_resolver": "badgekiln.http.resolver",
        "media_type": "badgekiln.http.bodies",
        "multipart_body": "badgekiln.http.bodies",
        "optional_json_model": "badgekiln.http.bodies",
        "parse_model": "badgekiln.http.bodies",
        "path_parameter": "badgekiln.http.responses",
        "problem_body": "badgekiln.http.problems",
        "problem_responses": "badgekiln.http.responses",
        "query_model": "badgekiln.http.bodies",
        "query_parameters": "badgekiln.http.responses",
        "raw_answer": "badgekiln.http.resolver",
        "raw_body": "badgekiln.http.bodies",
        "request_body": "badgekiln.http.responses",
        "require_media_type": "badgekiln.http.bodies",
        "status_for": "badgekiln.http.problems",
    },
)
