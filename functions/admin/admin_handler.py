"""Managing issuers, their achievements and keys, and API keys (authenticated).

Admin key only:

* ``POST /issuers``: create an issuer (idempotent: the same body again answers the same issuer);
* ``GET /issuers``: list them;
* ``POST /api-keys``: a new API key, admin or scoped to one issuer; the token is in this answer
  only (only its hash is stored);
* ``DELETE /api-keys/{key_id}``: withdraw a key (the gateway's authorizer cache may honour it
  for up to ``ReauthorizeEvery`` seconds more).

An admin key or the issuer's own key:

* ``GET /issuers/{issuer}``: the issuer, its document URLs and keys;
* ``POST /issuers/{issuer}/achievements``: create an achievement (JSON, the image base64);
  ``GET /issuers/{issuer}/achievements``: list them;
* ``POST /issuers/{issuer}/keys``: rotate: a new key of each family signs from now on, the old
  ones stay published so earlier credentials keep verifying.

New issuer keys are made where ``BADGEKILN_SIGNING_KEYS`` says (``kms`` on AWS by default).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any, Final, Literal, TypeVar

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field

from badgekiln.errors import InvalidField
from badgekiln.hosting.layout import check_slug
from badgekiln.http import (
    base64_field,
    entrypoint,
    json_body,
    json_model,
    json_request_body,
    json_response,
    make_resolver,
    observability,
    parse_model,
    problem_responses,
    require_media_type,
)
from badgekiln.http.auth import API_KEY, document_api_key, require_admin, route_issuer
from badgekiln.http.environment import key_options, public_url, store
from badgekiln.issue import (
    achievement_summary,
    create_achievement,
    create_api_key,
    create_issuer,
    get_issuer,
    issuer_summary,
    list_achievements,
    list_issuers,
    rotate_key,
)
from badgekiln.issue.apikeys import MAX_LABEL_CHARS, delete_api_key
from badgekiln.issue.models import AchievementInput, IssuerInput

obs = observability("admin")
app = make_resolver(obs)
document_api_key(app)

#: Most entries one list answer holds: each is ~1 KB, and a Lambda answer is at most 6 MB.
MAX_LISTED: Final = 1000
_ADMIN = problem_responses(401, 403)


class AchievementRequest(AchievementInput):
    """A new achievement; ``image`` is its PNG or SVG, base64-encoded."""

    image: str = Field(min_length=1, description="The badge image (PNG or SVG), base64.")


class RotateRequest(BaseModel):
    """Which key families get a new key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    families: list[Literal["ed25519", "rsa"]] = Field(default=["ed25519", "rsa"], min_length=1, max_length=2)


class ApiKeyRequest(BaseModel):
    """A new API key: ``admin``, or scoped to one ``issuer`` (its slug)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str | None = Field(default=None, min_length=1, max_length=63)
    admin: bool = False
    label: str | None = Field(default=None, min_length=1, max_length=MAX_LABEL_CHARS)


class ApiKeyOut(BaseModel):
    """A new API key; ``token`` is shown here only, keep it."""

    token: str = Field(description="Send as 'Authorization: Bearer <token>'. Shown once.")
    id: str
    scope: Literal["admin", "issuer"]
    issuer: str | None
    label: str | None
    created: str


_T = TypeVar("_T")


def _listing(name: str, items: Iterable[_T], summary: Callable[[_T], Any]) -> Response[str]:
    """``{name: [...], "truncated": …}`` of at most :data:`MAX_LISTED` summaries."""
    found = [summary(item) for item in itertools.islice(items, MAX_LISTED + 1)]
    return json_response(200, {name: found[:MAX_LISTED], "truncated": len(found) > MAX_LISTED})


@app.post(
    "/issuers",
    security=API_KEY,
    summary="Create an issuer (admin)",
    tags=["admin"],
    openapi_extensions=json_request_body(IssuerInput),
    responses={
        201: {"description": "The issuer: id, kind, document URLs, keys."},
        **_ADMIN,
        **problem_responses(400, 409, 415, 422, 503),
    },
)
def create_issuer_route():  # type: ignore[no-untyped-def]  # no "-> Response": it breaks Powertools' OpenAPI generation
    require_admin(app.current_event)
    data = json_model(app.current_event, IssuerInput)
    record = create_issuer(store(), public_url(app.current_event), data, keys=key_options())
    return json_response(201, issuer_summary(record), {"Location": f"/issuers/{record.slug}"})


@app.get(
    "/issuers",
    security=API_KEY,
    summary="List issuers (admin)",
    tags=["admin"],
    responses={200: {"description": "Issuers, by slug."}, **_ADMIN, **problem_responses(503)},
)
def list_issuers_route():  # type: ignore[no-untyped-def]
    require_admin(app.current_event)
    return _listing("issuers", list_issuers(store()), issuer_summary)


@app.get(
    "/issuers/<issuer>",
    security=API_KEY,
    summary="An issuer, its documents and keys",
    tags=["admin"],
    responses={200: {"description": "The issuer."}, **_ADMIN, **problem_responses(404, 503)},
)
def get_issuer_route(issuer: str):  # type: ignore[no-untyped-def]
    slug = route_issuer(app.current_event, issuer)
    return json_response(200, issuer_summary(get_issuer(store(), slug)))


@app.post(
    "/issuers/<issuer>/achievements",
    security=API_KEY,
    summary="Create an achievement (badge class) of an issuer",
    tags=["admin"],
    openapi_extensions=json_request_body(AchievementRequest),
    responses={
        201: {"description": "The achievement and its document URLs."},
        **_ADMIN,
        **problem_responses(400, 404, 409, 413, 415, 422, 503),
    },
)
def create_achievement_route(issuer: str):  # type: ignore[no-untyped-def]
    slug = route_issuer(app.current_event, issuer)
    event = app.current_event
    require_media_type(event, ("application/json",))
    raw = json_body(event)
    request = parse_model(AchievementRequest, raw)
    image = base64_field(request.image, "image")
    target = store()
    data = {k: v for k, v in raw.items() if k != "image"}
    record = create_achievement(target, slug, data, image)
    return json_response(201, achievement_summary(get_issuer(target, slug), record))


@app.get(
    "/issuers/<issuer>/achievements",
    security=API_KEY,
    summary="List an issuer's achievements",
    tags=["admin"],
    responses={200: {"description": "Achievements, by slug."}, **_ADMIN, **problem_responses(404, 503)},
)
def list_achievements_route(issuer: str):  # type: ignore[no-untyped-def]
    slug = route_issuer(app.current_event, issuer)
    target = store()
    record = get_issuer(target, slug)
    return _listing("achievements", list_achievements(target, slug), lambda a: achievement_summary(record, a))


@app.post(
    "/issuers/<issuer>/keys",
    security=API_KEY,
    summary="Rotate an issuer's signing keys",
    tags=["admin"],
    openapi_extensions=json_request_body(RotateRequest, required=False),
    responses={
        200: {"description": "The issuer with its new keys."},
        **_ADMIN,
        **problem_responses(400, 404, 409, 415, 422, 503),
    },
)
def rotate_keys_route(issuer: str):  # type: ignore[no-untyped-def]
    slug = route_issuer(app.current_event, issuer)
    event = app.current_event
    families: tuple[Literal["ed25519", "rsa"], ...] = ("ed25519", "rsa")
    if (event.body or "").strip():
        families = tuple(dict.fromkeys(json_model(event, RotateRequest).families))
    record = rotate_key(store(), slug, families=families, keys=key_options())
    obs.count("KeysRotated", len(families))
    return json_response(200, issuer_summary(record))


@app.post(
    "/api-keys",
    security=API_KEY,
    summary="Create an API key (admin); the token is shown once",
    tags=["admin"],
    openapi_extensions=json_request_body(ApiKeyRequest),
    responses={
        201: {"description": "The key and its token.", "content": {"application/json": {"model": ApiKeyOut}}},
        **_ADMIN,
        **problem_responses(400, 404, 415, 422, 503),
    },
)
def create_api_key_route():  # type: ignore[no-untyped-def]
    require_admin(app.current_event)
    request = json_model(app.current_event, ApiKeyRequest)
    if request.admin == (request.issuer is not None):
        raise InvalidField(
            "An API key is either admin or for one issuer: give 'admin' or 'issuer'.", field="issuer"
        )
    target = store()
    if request.issuer is not None:
        get_issuer(target, check_slug(request.issuer, field="issuer"))  # NotFound: no key for nobody
    token, key = create_api_key(target, issuer=request.issuer, admin=request.admin, label=request.label)
    obs.logger.info("api key created", extra={"key_id": key.id, "scope": key.scope, "issuer": key.issuer})
    body = ApiKeyOut(
        token=token, id=key.id, scope=key.scope, issuer=key.issuer, label=key.label, created=key.created
    )
    # the token must not linger in caches or logs along the way
    return json_response(201, body.model_dump(), {"Cache-Control": "no-store"})


@app.delete(
    "/api-keys/<key_id>",
    security=API_KEY,
    summary="Withdraw an API key (admin)",
    tags=["admin"],
    responses={
        204: {"description": "Withdrawn (or never existed)."},
        **_ADMIN,
        **problem_responses(422, 503),
    },
)
def delete_api_key_route(key_id: str):  # type: ignore[no-untyped-def]
    require_admin(app.current_event)
    delete_api_key(store(), key_id)
    obs.logger.info("api key withdrawn", extra={"key_id": key_id})
    return Response(status_code=204, body="")


handler = entrypoint(app, obs)
