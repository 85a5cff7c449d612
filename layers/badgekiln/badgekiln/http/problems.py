"""The one place that turns errors into HTTP answers: RFC 9457 ``application/problem+json``.

Every :class:`~badgekiln.errors.BadgeKilnError` subclass has an explicit status in
:data:`STATUS_BY_ERROR` (a test keeps the table complete), so adding an error class means deciding
its status here. Foreign exceptions that reach the resolver (Powertools' request validation,
unsupported content types, deep JSON) are first translated into the tree, then rendered the same
way. Anything else is a bug: it is logged with its traceback and answered with a bare 500 problem
that names only the request id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from traceback import format_exc
from typing import TYPE_CHECKING, Any

from badgekiln import errors as e
from badgekiln.masking import redact_for_log

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

    from badgekiln.http.responses import Answer

__all__ = [
    "NO_ROUTE",
    "PROBLEM_CONTENT_TYPE",
    "STATUS_BY_ERROR",
    "TITLE_BY_ERROR",
    "ErrorPage",
    "internal_error_body",
    "problem_body",
    "register_problem_handlers",
    "status_for",
    "title_for",
]

PROBLEM_CONTENT_TYPE = "application/problem+json"

#: Problem ``type`` URIs are stable identifiers built from the error's ``code``.
TYPE_PREFIX = "urn:badgekiln:problem:"

#: Members RFC 9457 defines; an error's details never overwrite them.
_RESERVED = frozenset({"type", "title", "status", "detail", "instance", "code"})


STATUS_BY_ERROR: Mapping[type[e.BadgeKilnError], HTTPStatus] = {
    e.BadgeKilnError: HTTPStatus.BAD_REQUEST,
    e.InputError: HTTPStatus.BAD_REQUEST,
    e.NotABadgeImage: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.MalformedImage: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.AmbiguousBadge: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.UnsupportedEncoding: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.MalformedPayload: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.InputTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    e.InvalidField: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.UnsupportedMediaType: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    e.NoBadgeData: HTTPStatus.UNPROCESSABLE_ENTITY,
    # a URL the caller gave us: refused by policy is their problem, a failed fetch is upstream's
    e.FetchError: HTTPStatus.BAD_GATEWAY,
    e.FetchRefused: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.FetchFailed: HTTPStatus.BAD_GATEWAY,
    e.ProofError: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.InvalidSignature: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.UnsupportedAlgorithm: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.KeyResolutionError: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.JsonLdError: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.StatusError: HTTPStatus.UNPROCESSABLE_ENTITY,
    # infrastructure: retryable from the caller's point of view
    e.StoreError: HTTPStatus.SERVICE_UNAVAILABLE,
    e.NotFound: HTTPStatus.NOT_FOUND,
    e.Conflict: HTTPStatus.CONFLICT,
    e.SigningError: HTTPStatus.SERVICE_UNAVAILABLE,
    e.RenderError: HTTPStatus.UNPROCESSABLE_ENTITY,
    e.AuthError: HTTPStatus.UNAUTHORIZED,
    # a deployment without the optional dependencies a route needs: the server cannot do it
    e.MissingExtra: HTTPStatus.NOT_IMPLEMENTED,
}


#: Each problem type's ``title``: a plain sentence for the API's clients (RFC 9457: stable per
#: type), not the class docstring, which is written for developers.
TITLE_BY_ERROR: Mapping[type[e.BadgeKilnError], str] = {
    e.BadgeKilnError: "The request could not be handled",
    e.InputError: "The input cannot be used as it is",
    e.NotABadgeImage: "The body is neither a PNG nor an SVG image",
    e.MalformedImage: "The image breaks its own format",
    e.AmbiguousBadge: "The image carries more than one badge",
    e.UnsupportedEncoding: "The badge is encoded in a way its specification forbids",
    e.MalformedPayload: "The badge payload is not well formed",
    e.InputTooLarge: "The input is over a documented limit",
    e.InvalidField: "A field failed validation",
    e.UnsupportedMediaType: "The operation does not accept this media type",
    e.NoBadgeData: "The image is sound but carries no Open Badges data",
    e.FetchError: "A document could not be fetched",
    e.FetchRefused: "Fetching the URL was refused by policy",
    e.FetchFailed: "Fetching the URL failed",
    e.ProofError: "The proof could not be checked or did not verify",
    e.InvalidSignature: "The signature does not verify with the key",
    e.UnsupportedAlgorithm: "The algorithm, cryptosuite or key type is not allowed",
    e.KeyResolutionError: "No usable key was found for the issuer",
    e.JsonLdError: "JSON-LD processing was refused",
    e.StatusError: "A status or revocation list could not be read",
    e.StoreError: "The storage backend failed",
    e.NotFound: "No such resource",
    e.Conflict: "The request conflicts with the current state",
    e.SigningError: "The credential could not be signed",
    e.RenderError: "The image could not be rendered",
    e.AuthError: "The API key was refused",
    e.MissingExtra: "This deployment lacks the optional dependencies the operation needs",
}


def status_for(error: e.BadgeKilnError) -> HTTPStatus:
    """The HTTP status for ``error``: its class's entry, else its nearest ancestor's."""
    if isinstance(error, e.AuthError) and error.details.get("forbidden"):
        return HTTPStatus.FORBIDDEN
    for cls in type(error).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    return HTTPStatus.BAD_REQUEST  # unreachable: BadgeKilnError itself is in the table


def title_for(error: e.BadgeKilnError) -> str:
    """The problem ``title`` for ``error``: its class's entry, else its nearest ancestor's."""
    for cls in type(error).__mro__:
        title = TITLE_BY_ERROR.get(cls)
        if title is not None:
            return title
    return TITLE_BY_ERROR[e.BadgeKilnError]  # unreachable: BadgeKilnError itself is in the table


def problem_body(error: e.BadgeKilnError) -> tuple[HTTPStatus, dict[str, Any]]:
    """``(status, body)`` of the problem document for ``error``.

    The body has RFC 9457's ``type``, ``title``, ``status`` and ``detail``, our stable ``code``,
    and the error's structured details as extension members.
    """
    status = status_for(error)
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + error.code,
        "title": title_for(error),
        "status": int(status),
        "detail": error.message,
        "code": error.code,
    }
    for key, value in error.details.items():
        if key not in _RESERVED:
            body[key] = e.json_detail(value)
    return status, body


def internal_error_body(request_id: str | None) -> dict[str, Any]:
    """The 500 problem: no internals, only the id under which the failure was logged."""
    where = f" under request id {request_id}" if request_id else ""
    return {
        "type": TYPE_PREFIX + "internal-error",
        "title": "Internal server error",
        "status": 500,
        "detail": f"The server could not handle this request; the failure was logged{where}.",
        "code": "internal-error",
        **({"requestId": request_id} if request_id else {}),
    }


#: What a request for a route the function does not have is told.
NO_ROUTE = "No such resource in this function."


def _translate(exc: Exception, no_route: str = NO_ROUTE) -> e.BadgeKilnError | None:
    """Map the foreign exceptions Powertools raises for bad requests into our tree."""
    from aws_lambda_powertools.event_handler.exceptions import ServiceError
    from aws_lambda_powertools.event_handler.openapi.exceptions import (
        RequestUnsupportedContentType,
        RequestValidationError,
    )

    if isinstance(exc, RequestUnsupportedContentType):
        return e.UnsupportedMediaType("This operation does not accept the request's Content-Type.")
    if isinstance(exc, RequestValidationError):
        errors = exc.errors()
        if any(error.get("type") == "json_invalid" for error in errors):
            return e.InputError("The request body is not valid JSON.", reason="json")
        return e.InvalidField.of_errors(errors, skip=("body", "query", "header", "path", "cookie"))
    if isinstance(exc, RecursionError):
        # json.loads (Powertools' body parsing) gives up on deep nesting with RecursionError
        return e.InputTooLarge("The JSON body is nested too deeply.", reason="depth")
    if isinstance(exc, ServiceError) and exc.status_code == HTTPStatus.NOT_FOUND:
        return e.NotFound(no_route)
    return None


def _service_error_body(status: HTTPStatus, message: str) -> dict[str, Any]:
    code = status.phrase.lower().replace(" ", "-")
    return {
        "type": TYPE_PREFIX + code,
        "title": status.phrase,
        "status": int(status),
        "detail": message,
        "code": code,
    }


#: Renders an error as a page instead of a problem (``None``: a bug, named by its request id).
ErrorPage = Callable[..., "Answer"]


def register_problem_handlers(
    app: APIGatewayHttpResolver,
    logger: logging.Logger | Any,
    *,
    error_page: ErrorPage | None = None,
    no_route: str = NO_ROUTE,
) -> None:
    """Answer every exception a route raises with a problem document (see module docstring), or
    with ``error_page(error)`` / ``error_page(None, request_id=…)`` for functions whose every
    answer is a page; ``no_route`` is what a request for a route the function lacks is told.

    ``logger`` is the function's Powertools ``Logger`` (or any logger): 4xx problems are logged at
    INFO with their code, unexpected exceptions at ERROR with the traceback.
    """
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.exceptions import ServiceError

    from badgekiln.http.responses import answer_response

    def render(status: int, body: dict[str, Any]) -> Response[str]:
        return Response(
            status_code=status, content_type=PROBLEM_CONTENT_TYPE, body=json.dumps(body, ensure_ascii=False)
        )

    def request_id() -> str | None:
        try:
            return str(app.current_event.request_context.request_id) or None
        except (AttributeError, KeyError, TypeError):
            return None

    def _any(exc: Exception) -> Response[Any]:
        error = exc if isinstance(exc, e.BadgeKilnError) else _translate(exc, no_route)
        if error is None and isinstance(exc, ServiceError) and error_page is None:
            # raised on purpose by a route (Powertools' BadRequestError & co.): keep its status
            message = exc.msg if isinstance(exc.msg, str) else json.dumps(exc.msg)
            return render(exc.status_code, _service_error_body(HTTPStatus(exc.status_code), message))
        if error is None:
            # the traceback as text, redacted: an exception's message may quote the request
            logger.error(
                "unhandled exception",
                extra={"error_type": type(exc).__name__, "traceback": redact_for_log(format_exc())},
            )
            if error_page is not None:
                return answer_response(error_page(None, request_id=request_id()))
            return render(500, internal_error_body(request_id()))
        status, body = problem_body(error)
        logger.info("problem", extra={"status": int(status), "code": error.code})
        if error_page is not None:
            return answer_response(error_page(error))
        return render(status, body)

    app.exception_handler(Exception)(_any)
