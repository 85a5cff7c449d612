"""The resolver every function builds its routes on, and the Lambda entry point around it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from badgekiln.errors import InputTooLarge
from badgekiln.http.bodies import MAX_BODY_BYTES, body_too_large, decoded_body_size
from badgekiln.http.headers import with_security_headers
from badgekiln.http.problems import PROBLEM_CONTENT_TYPE, problem_body, register_problem_handlers

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from badgekiln.http.observability import Observability

__all__ = ["LambdaHandler", "entrypoint", "make_resolver"]

LambdaHandler = Callable[[dict[str, Any], "LambdaContext"], dict[str, Any]]


def make_resolver(obs: Observability) -> APIGatewayHttpResolver:
    """An ``APIGatewayHttpResolver`` with request validation and problem+json error answers.

    CORS is not configured here: the HTTP API answers preflights and sets CORS headers itself
    (``template.yaml``), overriding whatever a function would return.
    """
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    # debug off even under POWERTOOLS_DEV: debug mode prints every event (whole images) to stdout
    app = APIGatewayHttpResolver(enable_validation=True, debug=False)
    register_problem_handlers(app, obs.logger)
    return app


def _too_large_response(error: InputTooLarge) -> dict[str, Any]:
    status, body = problem_body(error)
    return {
        "statusCode": int(status),
        "headers": {"Content-Type": PROBLEM_CONTENT_TYPE},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def entrypoint(app: APIGatewayHttpResolver, obs: Observability) -> LambdaHandler:
    """The Lambda ``handler(event, context)`` for ``app``.

    Before routing it refuses bodies over :data:`~badgekiln.http.bodies.MAX_BODY_BYTES` with a 413
    problem pointing at the upload flow (so no route, validator or parser ever sees them). It logs
    with the request id as correlation id, flushes metrics (plus a cold-start count) after each
    invocation, and adds the security headers to every answer.
    """
    from aws_lambda_powertools.logging import correlation_paths

    cold = [True]

    @obs.logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
    )
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        request_id = (event.get("requestContext") or {}).get("requestId")
        try:
            if cold[0]:
                cold[0] = False
                obs.count("ColdStart")
            size = decoded_body_size(event)
            if size > MAX_BODY_BYTES:
                obs.logger.info("body too large", extra={"size": size})
                response = _too_large_response(body_too_large(size))
            else:
                response = app.resolve(event, context)
        finally:
            if obs.metrics.metric_set:
                obs.metrics.flush_metrics()
        return with_security_headers(response, request_id)

    if obs.tracer is not None:
        return obs.tracer.capture_lambda_handler(handler)
    return handler
