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
  ones retire (private half destroyed; public half kept published so earlier credentials keep
  verifying, unless it signed nothing); a rotation under way answers 409.

New issuer keys are made where ``BADGEKILN_SIGNING_KEYS`` says (``kms`` on AWS by default). What
each route reads is a model of :mod:`badgekiln.issue.models`; what it does is one call of
:mod:`badgekiln.issue`.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, Field

from badgekiln.http import (
    entrypoint,
    json_model,
    json_request_body,
    listing,
    make_resolver,
    observability,
    optional_json_model,
    problem_responses,
    raw_answer,
)
from badgekiln.http.auth import API_KEY, document_api_key, require_admin, route_issuer
from badgekiln.http.environment import key_options, public_url, store
from badgekiln.issue import (
    achievement_summaries,
    achievement_summary,
    create_achievement,
    create_api_key,
    create_issuer,
    get_issuer,
    issuer_summary,
    list_issuers,
    rotate_key,
)
from badgekiln.issue.apikeys import delete_api_key
from badgekiln.issue.models import AchievementRequest, ApiKeyRequest, IssuerInput, RotateRequest

obs = observability("admin")
app = make_resolver(obs)
document_api_key(app)

_ADMIN = problem_responses(401, 403)


class ApiKeyOut(BaseModel):
    """A new API key; ``token`` is shown here only, keep it."""

    token: str = Field(description="Send as 'Authorization: Bearer <token>'. Shown once.")
    id: str
    scope: Literal["admin", "issuer"]
    issuer: str | None
    label: str | None
    created: str
    expires: str | None = None


@app.post(
    "/issuers",
    security=API_KEY,
    summary="Create an issuer (admin)",
    operation_id="createIssuer",
    tags=["admin"],
    openapi_extensions=json_request_body(IssuerInput),
    responses={
        201: {"description": "The issuer: id, kind, document URLs, keys."},
        **_ADMIN,
        **problem_responses(400, 409, 415, 422, 503),
    },
)
def create_issuer_route() -> Response[dict[str, Any]]:
    event = app.current_event
    require_admin(event)
    record = create_issuer(store(), public_url(event), json_model(event, IssuerInput), keys=key_options())
    return Response(201, "application/json", issuer_summary(record), {"Location": f"/issuers/{record.slug}"})


@app.get(
    "/issuers",
    security=API_KEY,
    summary="List issuers (admin)",
    operation_id="listIssuers",
    tags=["admin"],
    responses={200: {"description": "Issuers, by slug."}, **_ADMIN, **problem_responses(503)},
)
def list_issuers_route() -> dict[str, Any]:
    require_admin(app.current_event)
    return listing("issuers", map(issuer_summary, list_issuers(store())))


@app.get(
    "/issuers/<issuer>",
    security=API_KEY,
    summary="An issuer, its documents and keys",
    operation_id="getIssuer",
    tags=["admin"],
    responses={200: {"description": "The issuer."}, **_ADMIN, **problem_responses(404, 503)},
)
def get_issuer_route(issuer: str) -> dict[str, Any]:
    return issuer_summary(get_issuer(store(), route_issuer(app.current_event, issuer)))


@app.post(
    "/issuers/<issuer>/achievements",
    security=API_KEY,
    summary="Create an achievement (badge class) of an issuer",
    operation_id="createAchievement",
    tags=["admin"],
    openapi_extensions=json_request_body(AchievementRequest),
    responses={
        201: {"description": "The achievement and its document URLs."},
        **_ADMIN,
        **problem_responses(400, 404, 409, 413, 415, 422, 503),
    },
)
def create_achievement_route(issuer: str) -> Response[dict[str, Any]]:
    event = app.current_event
    slug = route_issuer(event, issuer)
    request = json_model(event, AchievementRequest)
    target = store()
    record = create_achievement(target, slug, request.achievement, request.image)
    return Response(201, "application/json", achievement_summary(get_issuer(target, slug), record))


@app.get(
    "/issuers/<issuer>/achievements",
    security=API_KEY,
    summary="List an issuer's achievements",
    operation_id="listAchievements",
    tags=["admin"],
    responses={200: {"description": "Achievements, by slug."}, **_ADMIN, **problem_responses(404, 503)},
)
def list_achievements_route(issuer: str) -> dict[str, Any]:
    slug = route_issuer(app.current_event, issuer)
    return listing("achievements", achievement_summaries(store(), slug))


@app.post(
    "/issuers/<issuer>/keys",
    security=API_KEY,
    summary="Rotate an issuer's signing keys",
    operation_id="rotateIssuerKeys",
    tags=["admin"],
    openapi_extensions=json_request_body(RotateRequest, required=False),
    responses={
        200: {
            "description": (
                "The issuer with its new keys; the keys they replace are retired (their public "
                "halves stay published while what they signed needs them) or withdrawn (keys "
                "that signed nothing). 409: another rotation of the issuer is under way."
            )
        },
        **_ADMIN,
        **problem_responses(400, 404, 409, 415, 422, 503),
    },
)
def rotate_keys_route(issuer: str) -> dict[str, Any]:
    event = app.current_event
    slug = route_issuer(event, issuer)
    request = optional_json_model(event, RotateRequest) or RotateRequest()
    record = rotate_key(store(), slug, families=tuple(request.families), keys=key_options())
    obs.count("KeysRotated", len(set(request.families)))
    return issuer_summary(record)


@app.post(
    "/api-keys",
    security=API_KEY,
    summary="Create an API key (admin); the token is shown once",
    operation_id="createApiKey",
    tags=["admin"],
    openapi_extensions=json_request_body(ApiKeyRequest),
    responses={
        201: {"description": "The key and its token."},
        **_ADMIN,
        **problem_responses(400, 404, 415, 422, 503),
    },
)
def create_api_key_route() -> Response[ApiKeyOut]:
    event = app.current_event
    require_admin(event)
    request = json_model(event, ApiKeyRequest)
    token, key = create_api_key(
        store(), issuer=request.issuer, admin=request.admin, label=request.label, expires=request.expires
    )
    obs.logger.info("api key created", extra={"key_id": key.id, "scope": key.scope, "issuer": key.issuer})
    body = ApiKeyOut(token=token, **key.to_dict())
    # the token must not linger in caches or logs along the way
    return Response(201, "application/json", body, {"Cache-Control": "no-store"})


@app.delete(
    "/api-keys/<key_id>",
    security=API_KEY,
    summary="Withdraw an API key (admin)",
    operation_id="deleteApiKey",
    tags=["admin"],
    responses={
        204: {"description": "Withdrawn (or never existed).", "content": {}},
        **_ADMIN,
        **problem_responses(422, 503),
    },
)
@raw_answer
def delete_api_key_route(key_id: str) -> Response[str]:
    require_admin(app.current_event)
    delete_api_key(store(), key_id)
    obs.logger.info("api key withdrawn", extra={"key_id": key_id})
    return Response(status_code=204, body="")


handler = entrypoint(app, obs)
