"""``POST /verify`` and ``GET /verify?url=…``: verify an Open Badge and answer the report.

Request bodies of ``POST /verify``:

* the baked image: ``image/png`` or ``image/svg+xml``;
* the credential or assertion: ``application/json`` / ``application/ld+json``;
* a VC-JWT or signed OB 2.0 assertion (or a hosted-assertion URL): ``application/jwt``,
  ``application/vc+jwt`` or ``text/plain``;
* ``multipart/form-data`` with the badge in field ``badge`` (a file or text) and, optionally, the
  expected recipient in field ``recipient`` (what an HTML form sends).

``recipient`` (an email, URL, phone number or DID the badge must be awarded to) is the query
parameter ``?recipient=`` for every body type, or the form field for multipart bodies (not both:
the form field keeps an email address out of access logs). ``GET /verify?url=…`` verifies the
badge that URL serves: an OB 3.0 credential (JSON or VC-JWT), a baked image, or an OB 2.0 hosted
assertion.

A badge that fails a check is still a 200 answer: the report says which check failed and why
(``valid: false``). Input that is not a badge at all is a 4xx problem. Issuer profiles, keys and
status lists are fetched through the site fetcher (:mod:`badgekiln.hosting.site`): this
deployment's own documents are read from the store (the function may read ``public/`` and
nothing else), everything else over HTTPS with the production policy (public addresses only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict, Field

import badgekiln
from badgekiln.errors import InputError, InvalidField
from badgekiln.fetch import MAX_URL_LENGTH
from badgekiln.http import (
    entrypoint,
    make_resolver,
    multipart_body,
    observability,
    problem_responses,
    raw_body,
    require_media_type,
)
from badgekiln.http.environment import fetcher

if TYPE_CHECKING:
    from badgekiln.verification.report import Report

obs = observability("verify")
app = make_resolver(obs)

IMAGE_TYPES = ("image/png", "image/svg+xml")
JSON_TYPES = ("application/json", "application/ld+json")
TEXT_TYPES = ("application/jwt", "application/vc+jwt", "text/plain")
MEDIA_TYPES = (*IMAGE_TYPES, *JSON_TYPES, *TEXT_TYPES, "multipart/form-data")
FORM_FIELDS = ("badge", "recipient")
#: Longest recipient identity accepted: an email address is at most 254 characters, a URL or DID
#: a little more; anything longer is not an identity.
MAX_RECIPIENT_CHARS = 1024


class CheckOut(BaseModel):
    """One verification step."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The check: version, context, structure, hosted, signature, claims, …")
    status: Literal["passed", "failed", "warning", "skipped"]
    message: str = Field(description="What was found, in a sentence a person can act on.")
    code: str | None = Field(default=None, description="Stable reason when the check did not simply pass.")


class NamedOut(BaseModel):
    """An issuer or achievement the badge names."""

    model_config = ConfigDict(frozen=True)

    id: str | None
    name: str | None


class SummaryOut(BaseModel):
    """What the badge claims (trust it only when ``valid``)."""

    model_config = ConfigDict(frozen=True)

    id: str | None
    type: list[str]
    issuer: NamedOut
    achievement: NamedOut
    recipient: str | None
    issued: str | None
    expires: str | None


class ReportOut(BaseModel):
    """The verification report (``badgekiln.verification.Report.to_dict()``)."""

    model_config = ConfigDict(frozen=True)

    valid: bool = Field(description="True only when no check failed and the proof was checked.")
    spec: Literal["ob1", "ob2", "ob3"]
    format: Literal["png", "svg", "json", "jwt", "url"]
    proof: str | None = Field(description="The proof method met, e.g. eddsa-rdfc-2022, vc-jwt RS256.")
    credential: SummaryOut | None
    checks: list[CheckOut]
    endorsements: list[ReportOut] = Field(description="One report per endorsement verified.")


def _recipient(value: str | None) -> str | None:
    """The expected recipient, if one was given.

    Raises:
        InvalidField: empty, too long or with control characters.
    """
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > MAX_RECIPIENT_CHARS or not text.isprintable():
        raise InvalidField(
            f"'recipient' must be an email address, URL, phone number or DID of 1 to "
            f"{MAX_RECIPIENT_CHARS} printable characters.",
            field="recipient",
        )
    return text


def _read(event: APIGatewayProxyEventV2) -> tuple[bytes, str | None]:
    """``(badge, recipient)`` from any accepted body (see module docstring).

    Raises:
        UnsupportedMediaType, InputError, InputTooLarge, InvalidField: the request is unusable.
    """
    query = event.get_query_string_value("recipient")
    if require_media_type(event, MEDIA_TYPES) != "multipart/form-data":
        badge = raw_body(event)
        recipient = query
    else:
        parts = multipart_body(event, fields=FORM_FIELDS)
        if "badge" not in parts:
            raise InvalidField("Form field 'badge' is required.", field="badge")
        badge = parts["badge"].data
        recipient = parts["recipient"].text() if "recipient" in parts else None
        if recipient is not None and query is not None:
            raise InvalidField(
                "Give the recipient once: as the form field or the query parameter, not both.",
                field="recipient",
            )
        recipient = query if recipient is None else recipient
    if not badge.strip():
        raise InputError(
            "The request body is empty; send a baked image, a credential (JSON) or a JWT.", reason="empty"
        )
    return badge, _recipient(recipient)


def _answer(report: Report) -> ReportOut:
    obs.count("BadgesVerified")
    for check in report.failures:
        obs.count("VerificationFailures", check=check.id)
    return ReportOut.model_validate(report.to_dict())


_RECIPIENT_PARAMETER: dict[str, Any] = {
    "name": "recipient",
    "in": "query",
    "required": False,
    "description": "Email, URL, phone number or DID the badge must be awarded to.",
    "schema": {"type": "string", "maxLength": MAX_RECIPIENT_CHARS},
}
_REPORT: dict[int, Any] = {
    200: {
        "description": "The verification report (valid or not: see its checks).",
        "content": {"application/json": {"model": ReportOut}},
    }
}
_BINARY: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}
_TEXT: dict[str, Any] = {"schema": {"type": "string"}}


@app.post(
    "/verify",
    summary="Verify an Open Badge: baked image, credential JSON or JWT",
    tags=["verification"],
    openapi_extensions={
        "parameters": [_RECIPIENT_PARAMETER],
        "requestBody": {
            "required": True,
            "content": {
                **dict.fromkeys(IMAGE_TYPES, _BINARY),
                **{kind: {"schema": {"type": "object"}} for kind in JSON_TYPES},
                **dict.fromkeys(TEXT_TYPES, _TEXT),
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["badge"],
                        "properties": {
                            "badge": {"type": "string", "format": "binary"},
                            "recipient": {"type": "string", "maxLength": MAX_RECIPIENT_CHARS},
                        },
                    }
                },
            },
        },
    },
    responses={**_REPORT, **problem_responses(400, 413, 415, 422, 502)},
)
def verify_body() -> ReportOut:
    badge, recipient = _read(app.current_event)
    return _answer(badgekiln.verify(badge, recipient=recipient, fetcher=fetcher(app.current_event)))


@app.get(
    "/verify",
    summary="Verify the badge a URL serves (OB 3.0 credential, baked image or OB 2.0 hosted assertion)",
    tags=["verification"],
    openapi_extensions={
        "parameters": [
            {
                "name": "url",
                "in": "query",
                "required": True,
                "description": "The https URL of a hosted credential, assertion or baked image.",
                "schema": {"type": "string", "format": "uri", "maxLength": MAX_URL_LENGTH},
            },
            _RECIPIENT_PARAMETER,
        ]
    },
    responses={**_REPORT, **problem_responses(400, 422, 502)},
)
def verify_url() -> ReportOut:
    event = app.current_event
    url = (event.get_query_string_value("url") or "").strip()
    if not url.startswith(("https://", "http://")) or len(url) > MAX_URL_LENGTH:
        raise InvalidField(
            f"Query parameter 'url' must be the http(s) URL of a hosted assertion "
            f"(at most {MAX_URL_LENGTH} characters).",
            field="url",
        )
    recipient = _recipient(event.get_query_string_value("recipient"))
    return _answer(badgekiln.verify(url, recipient=recipient, fetcher=fetcher(app.current_event)))


handler = entrypoint(app, obs)
