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
from badgekiln.http.observability import Observability, observability
from badgekiln.http.problems import PROBLEM_CONTENT_TYPE, STATUS_BY_ERROR, problem_body, status_for
from badgekiln.http.resolver import entrypoint, make_resolver, raw_answer
from badgekiln.http.responses import (
    Answer,
    answer_response,
    binary_response,
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
