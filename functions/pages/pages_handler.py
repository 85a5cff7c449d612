"""The public pages: ``GET /`` and ``/check`` (the check form), ``POST /check`` (verify an
uploaded or pasted badge), ``GET /v/{issuer}/{credential}`` (the verify page of a hosted
credential), ``POST`` there (the recipient check), ``GET /v/{issuer}/{credential}/image.png`` (its
PNG, also the og:image) and ``GET /static/{name}`` (the pages' CSS, JavaScript and icon).

Everything is HTML rendered by :mod:`badgekiln.web`; see docs/pages.md. Verification runs
in-process with the library (no call to the verify function): one Lambda hop less, and the
credentials this deployment hosts are read straight from the store.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.utilities.typing import LambdaContext

from badgekiln.errors import BadgeKilnError, NotFound
from badgekiln.http import (
    MAX_BODY_BYTES,
    answer_response,
    entrypoint,
    environment,
    make_resolver,
    observability,
)
from badgekiln.http.bodies import decoded_body_size
from badgekiln.http.headers import with_security_headers
from badgekiln.web import pages

obs = observability("pages")
app = make_resolver(obs)


def _error(exc: Exception) -> Response[Any]:
    # every answer of this function is a page: errors too (never problem+json, never a traceback)
    if isinstance(exc, ServiceError) and exc.status_code == 404:  # no route: Powertools' NotFoundError
        exc = NotFound("There is no page at this address.")
    if isinstance(exc, BadgeKilnError):
        obs.logger.info("page error", extra={"code": exc.code})
        return answer_response(pages.error_page(exc))
    obs.logger.exception("unhandled exception")
    return answer_response(pages.error_page(None, request_id=app.current_event.request_context.request_id))


app.exception_handler(Exception)(_error)


def _site() -> dict[str, Any]:
    """The store and public URL of this deployment, as the page functions take them."""
    return {"store": environment.store(), "public_url": environment.public_url(app.current_event)}


@app.get("/", include_in_schema=False, compress=True)
def home():  # type: ignore[no-untyped-def]  # no "-> Response": it breaks Powertools' OpenAPI generation
    return answer_response(pages.home_page())


@app.get("/check", include_in_schema=False, compress=True)
def check_form():  # type: ignore[no-untyped-def]
    return answer_response(pages.home_page())


@app.post("/check", include_in_schema=False, compress=True)
def check():  # type: ignore[no-untyped-def]
    page = pages.check_page(app.current_event, **_site())
    obs.count("BadgesChecked")
    return answer_response(page)


@app.get("/v/<issuer>/<credential>", include_in_schema=False, compress=True)
def verify_page(issuer: str, credential: str):  # type: ignore[no-untyped-def]
    event = app.current_event
    return answer_response(pages.credential_page(event, path=event.path, **_site()))


@app.post("/v/<issuer>/<credential>", include_in_schema=False, compress=True)
def recipient_check(issuer: str, credential: str):  # type: ignore[no-untyped-def]
    event = app.current_event
    page = pages.recipient_page(event, path=event.path, **_site())
    obs.count("RecipientChecks")
    return answer_response(page)


@app.get("/v/<issuer>/<credential>/image.png", include_in_schema=False)
def badge_image(issuer: str, credential: str):  # type: ignore[no-untyped-def]
    return answer_response(pages.credential_image(path=app.current_event.path, **_site()))


@app.get("/static/<name>", include_in_schema=False, compress=True)
def static(name: str):  # type: ignore[no-untyped-def]
    version = (app.current_event.query_string_parameters or {}).get("v")
    return answer_response(pages.static_asset(name, version))


_resolve = entrypoint(app, obs)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point: an oversized upload gets the check form with a clear message
    (the shared entry point would answer problem+json, which a browser shows as raw text)."""
    size = decoded_body_size(event)
    if size > MAX_BODY_BYTES:
        page = pages.too_large_page(size)
        request_id = (event.get("requestContext") or {}).get("requestId")
        answer = {
            "statusCode": page.status,
            "headers": {"Content-Type": page.content_type, **page.headers},
            "body": page.body,
            "isBase64Encoded": False,
        }
        return with_security_headers(answer, request_id)
    return _resolve(event, context)
