"""What ``POST /verify`` and ``GET /verify?url=…`` read, and how their requests are described.

Request bodies of ``POST /verify``: the baked image (``image/png``, ``image/svg+xml``); the
credential or assertion (``application/json``, ``application/ld+json``); a VC-JWT or signed
OB 2.0 assertion, or a hosted-assertion URL (``application/jwt``, ``application/vc+jwt``,
``text/plain``); or ``multipart/form-data`` with the badge in field ``badge`` (a file or text)
and, optionally, the expected recipient in field ``recipient`` (what an HTML form sends).

``recipient`` (an email, URL, phone number or DID the badge must be awarded to) is the query
parameter ``?recipient=`` for every body type, or the form field for multipart bodies — not
both: the form field keeps an email address out of access logs. ``?strict=true`` makes
conformance deviations fail the badge (``badgekiln.verify(strict=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from badgekiln.errors import InputError, InvalidField
from badgekiln.fetch import MAX_URL_LENGTH
from badgekiln.http.bodies import multipart_body, parse_model, query_model, raw_body, require_media_type
from badgekiln.http.responses import BINARY, OBJECT, TEXT, form_schema, request_body

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

__all__ = [
    "MAX_RECIPIENT_CHARS",
    "VERIFY_BODY",
    "BadgeQuery",
    "BadgeRequest",
    "UrlQuery",
    "read_badge",
    "read_badge_url",
]

IMAGE_TYPES: Final = ("image/png", "image/svg+xml")
JSON_TYPES: Final = ("application/json", "application/ld+json")
TEXT_TYPES: Final = ("application/jwt", "application/vc+jwt", "text/plain")
#: Longest recipient identity accepted: an email address is at most 254 characters, a URL or DID
#: a little more; anything longer is not an identity.
MAX_RECIPIENT_CHARS: Final = 1024


def _recipient(value: str) -> str:
    text = value.strip()
    if not text or len(text) > MAX_RECIPIENT_CHARS or not text.isprintable():
        raise ValueError(
            f"must be an email address, URL, phone number or DID of 1 to {MAX_RECIPIENT_CHARS} "
            "printable characters"
        )
    return text


def _badge_url(value: str) -> str:
    url = value.strip()
    if not url.startswith(("https://", "http://")) or len(url) > MAX_URL_LENGTH:
        raise ValueError(f"must be the http(s) URL of a hosted badge (at most {MAX_URL_LENGTH} characters)")
    return url


#: Who the badge must be awarded to: stripped, printable, at most :data:`MAX_RECIPIENT_CHARS`.
Recipient = Annotated[
    str,
    AfterValidator(_recipient),
    Field(
        description="Email, URL, phone number or DID the badge must be awarded to.",
        json_schema_extra={"maxLength": MAX_RECIPIENT_CHARS},
    ),
]


#: Whether conformance deviations fail the badge (docs/verification.md, "Trust and conformance").
Strict = Annotated[
    bool,
    Field(
        description="Fail the badge on conformance deviations (schema, Open Badges profile rules that "
        "do not bear on trust) instead of reporting them as warnings."
    ),
]


class BadgeQuery(BaseModel):
    """The query string of ``POST /verify`` (other parameters are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    recipient: Recipient | None = None
    strict: Strict = False


class UrlQuery(BaseModel):
    """The query string of ``GET /verify`` (other parameters are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    url: Annotated[str, AfterValidator(_badge_url)] = Field(
        description="The https URL of a hosted credential, assertion or baked image.",
        json_schema_extra={"format": "uri", "maxLength": MAX_URL_LENGTH},
    )
    recipient: Recipient | None = None
    strict: Strict = False


@dataclass(frozen=True, slots=True)
class BadgeRequest:
    """What to verify (the badge's bytes, or its URL), for whom if the caller asks, and whether
    conformance deviations fail it."""

    badge: bytes | str
    recipient: str | None
    strict: bool = False


#: The ``POST /verify`` body: a badge in any of its forms, or a form.
VERIFY_BODY: Final = request_body(
    {
        **dict.fromkeys(IMAGE_TYPES, BINARY),
        **dict.fromkeys(JSON_TYPES, OBJECT),
        **dict.fromkeys(TEXT_TYPES, TEXT),
        "multipart/form-data": form_schema(
            ("badge",), badge=BINARY, recipient={**TEXT, "maxLength": MAX_RECIPIENT_CHARS}
        ),
    }
)


def read_badge(event: APIGatewayProxyEventV2) -> BadgeRequest:
    """The badge of ``POST /verify`` (any accepted body) and the expected recipient.

    Raises:
        UnsupportedMediaType, InputError, InputTooLarge, InvalidField: the request is unusable.
    """
    query = event.get_query_string_value("recipient")
    media = (*IMAGE_TYPES, *JSON_TYPES, *TEXT_TYPES, "multipart/form-data")
    if require_media_type(event, media) != "multipart/form-data":
        badge = raw_body(event)
        recipient = query
    else:
        parts = multipart_body(event, fields=("badge", "recipient"))
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
    strict = event.get_query_string_value("strict")
    fields = {"recipient": recipient} if strict is None else {"recipient": recipient, "strict": strict}
    query_fields = parse_model(BadgeQuery, fields, strict=False)
    return BadgeRequest(badge, query_fields.recipient, query_fields.strict)


def read_badge_url(event: APIGatewayProxyEventV2) -> BadgeRequest:
    """The badge URL of ``GET /verify`` and the expected recipient.

    Raises:
        InvalidField: no http(s) URL, or a bad recipient.
    """
    query = query_model(event, UrlQuery)
    return BadgeRequest(query.url, query.recipient, query.strict)
