"""The resolver every function builds its routes on, and the Lambda entry point around it."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from badgekiln.http.bodies import MAX_BODY_BYTES, body_too_large, decoded_body_size
from badgekiln.http.headers import with_security_headers
from badgekiln.http.observability import end_invocation
from badgekiln.http.problems import (
    NO_ROUTE,
    PROBLEM_CONTENT_TYPE,
    ErrorPage,
    problem_body,
    register_problem_handlers,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from badgekiln.http.observability import Observability
    from badgekiln.http.responses import Answer

__all__ = ["LambdaHandler", "entrypoint", "make_resolver", "raw_answer"]

LambdaHandler = Callable[[dict[str, Any], "LambdaContext"], dict[str, Any]]
RouteT = TypeVar("RouteT", bound=Callable[..., Any])


def raw_answer(route: RouteT) -> RouteT:
    """Hide ``route``'s declared return type from Powertools, which would validate and serialize
    the answer as JSON (and fail on an image's bytes): pages, documents and images go out as
    they are, while the route's parameters are still validated and documented."""
    signature = inspect.signature(route).replace(return_annotation=inspect.Signature.empty)
    route.__dict__["__signature__"] = signature
    return route


def make_resolver(
    obs: Observability,
    *,
    error_page: ErrorPage | None = None,
    no_route: str = NO_ROUTE,
    validation: bool = True,
) -> APIGatewayHttpResolver:
    """An ``APIGatewayHttpResolver`` with request validation and problem+json error answers (or,
    with ``error_page``, error pages; see :func:`~.problems.register_problem_handlers`).

    ``validation=False`` only for a resolver whose routes declare no parameter, body or answer
    model (the docs function's): Powertools' validation would have nothing to check there, and
    loading it (pydantic with it) costs a cold start ~100 ms.

    CORS is not configured here: the HTTP API answers preflights and sets CORS headers itself
    (``template.yaml``), overriding whatever a function would return.
    """
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    # debug off even under POWERTOOLS_DEV: debug mode prints every event (whole images) to stdout
    app = APIGatewayHttpResolver(enable_validation=validation, debug=False)
    register_problem_handlers(app, obs.logger, error_page=error_page, no_route=no_route)
    return app


def _too_large_response(size: int, page: Callable[[int], Answer] | None) -> dict[str, Any]:
    if page is not None:
        answer = page(size)
        return {
            "statusCode": answer.status,
            "headers": {"Content-Type": answer.content_type, **answer.headers},
            "body": answer.body,
            "isBase64Encoded": False,
        }
    status, body = problem_body(body_too_large(size))
    return {
        "statusCode": int(status),
        "headers": {"Content-Type": PROBLEM_CONTENT_TYPE},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def entrypoint(
    app: APIGatewayHttpResolver,
    obs: Observability,
    *,
    too_large: Callable[[int], Answer] | None = None,
    prime: Sequence[str] = (),
) -> LambdaHandler:
    """The Lambda ``handler(event, context)`` for ``app``.

    Before routing it refuses bodies over :data:`~badgekiln.http.bodies.MAX_BODY_BYTES` with a 413
    problem pointing at the upload flow, or ``too_large(size)`` (a text page) where given, so no
    route, validator or parser ever sees them. It logs with the request id as correlation id,
    flushes metrics (plus a cold-start count) after each invocation, and adds the security headers
    to every answer. Events the request could not send count as ``EventsNotPublished``.
    ``prime`` names the modules the routes import lazily: under SnapStart they
    are imported at init, into the snapshot (:func:`~badgekiln.http.environment.prime_for_snapshot`).

    Raises:
        ImportError: SnapStart's init, and a module of ``prime`` does not exist.
    """
    from aws_lambda_powertools.logging import correlation_paths

    from badgekiln.http.environment import prime_for_snapshot

    prime_for_snapshot(prime)

    cold = [True]

    @obs.logger.inject_lambda_context(
        # log_event pinned off: POWERTOOLS_LOGGER_LOG_EVENT would log queries and bodies, recipients with them
        correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
        clear_state=True,
        log_event=False,
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
                response = _too_large_response(size, too_large)
            else:
                response = app.resolve(event, context)
        finally:
            end_invocation(obs)
        return with_security_headers(response, request_id)

    if obs.tracer is not None:
        return obs.tracer.capture_lambda_handler(handler)
    return handler
