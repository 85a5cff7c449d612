"""The issuing API of one issuer (authenticated: an API key of that issuer, or an admin key).

* ``POST /issuers/{issuer}/credentials``: issue one credential (JSON). An ``Idempotency-Key``
  header makes retries safe: the same key and body answer the first result (``200``) instead of
  a new credential (``201``); the same key with another body is ``409``.
* ``POST /issuers/{issuer}/credentials/{credential}/revoke`` | ``suspend`` | ``reinstate``:
  change a credential's status (JSON ``{"reason": "…"}``, optional).
* ``POST /issuers/{issuer}/batches?achievement=…``: issue to every row of a CSV (``text/csv``)
  or JSON Lines (``application/jsonl``) body, at most ``MAX_REQUEST_ROWS`` rows; per-row results.
* ``POST /issuers/{issuer}/uploads``: for bigger files, a presigned S3 upload; the worker issues
  it (S3 event → SQS → worker) and ``GET /issuers/{issuer}/uploads/{upload}`` reports progress;
  ``GET …/uploads/{upload}/results`` pages through every row's result.
* ``GET /issuers/{issuer}/credentials/{credential}/state``: a credential read back (the
  public document itself is at ``…/credentials/{name}.json``, served by the public function);
  ``GET /issuers/{issuer}/credentials``: a page of them, filtered by ``recipient``,
  ``external_id``, ``achievement`` or ``state`` (``cursor`` from ``next_cursor``).

Issuing, status changes, batches and uploads send events (:mod:`badgekiln.issue.events`).

The API key comes from the authorizer's context; a key of another issuer is ``403``. What each
route reads is a model of :mod:`badgekiln.issue.models`; what it does is one call of
:mod:`badgekiln.issue`.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from pydantic import BaseModel, Field

from badgekiln.http import (
    deferred,
    entrypoint,
    json_model,
    json_request_body,
    make_resolver,
    observability,
    optional_json_model,
    path_parameter,
    problem_responses,
    query_model,
    query_parameters,
    raw_body,
    request_body,
    require_media_type,
)
from badgekiln.http.auth import API_KEY, document_api_key, route_issuer
from badgekiln.http.environment import store
from badgekiln.http.responses import TEXT
from badgekiln.issue import issue_credential
from badgekiln.issue.batch import BATCH_TYPES, issue_request_batch
from badgekiln.issue.idempotency import MAX_KEY_CHARS
from badgekiln.issue.models import (
    BatchRequest,
    CredentialQuery,
    IssueRequest,
    ResultsQuery,
    StatusChange,
    UploadRequest,
)
from badgekiln.issue.registry import get_credential, list_credentials
from badgekiln.issue.revocation import Action, change_status
from badgekiln.issue.uploads import get_upload, start_upload, upload_results

obs = observability("issue")
app = make_resolver(obs)
document_api_key(app)

_AUTH_PROBLEMS = problem_responses(401, 403)
#: The metric each status change counts.
_CHANGED: Final[dict[Action, str]] = {
    "revoke": "BadgesRevoked",
    "suspend": "BadgesSuspended",
    "reinstate": "BadgesReinstated",
}


class IssuedOut(BaseModel):
    """An issued credential."""

    id: str
    name: str
    issuer: str
    achievement: str
    spec: Literal["ob2", "ob3"]
    format: str
    credential: dict[str, Any] | str = Field(description="The credential (JSON) or compact JWT/JWS.")
    public_url: str = Field(description="Where it is published.")
    image_url: str | None = Field(description="The baked image.")
    verify_url: str = Field(description="Its public verify page, for people.")
    external_id: str | None = Field(description="Your pipeline's own id for it, as given.")
    issued: str
    replayed: bool = Field(description="True when an earlier request with the same Idempotency-Key made it.")


class CredentialStatusOut(BaseModel):
    """A credential's status after the change."""

    id: str
    name: str
    spec: str
    format: str
    state: Literal["active", "suspended", "revoked"]
    reason: str | None
    changed: str | None
    issued: str


class CredentialUrlsOut(BaseModel):
    """Where a credential lives."""

    credential: str = Field(description="The credential (OB 3.0) or assertion (OB 2.0).")
    image: str | None = Field(description="The baked image, if it has one.")
    verify: str = Field(description="Its public verify page.")


class CredentialOut(BaseModel):
    """An issued credential as its issuer reads it back."""

    id: str
    name: str
    issuer: str
    issuer_slug: str
    achievement: str
    spec: Literal["ob2", "ob3"]
    format: str
    issued: str
    state: Literal["active", "suspended", "revoked"]
    reason: str | None
    changed: str | None
    recipient: str | None = Field(description="The recipient, masked (a•••@e•••.org).")
    recipient_type: str | None
    external_id: str | None
    status: dict[str, Any] = Field(description="Its status entry: list number and index, list URLs.")
    urls: CredentialUrlsOut


class CredentialPageOut(BaseModel):
    """A page of credentials, and where the next one starts."""

    credentials: list[CredentialOut]
    next_cursor: str | None = Field(description="Pass it as cursor for the next page; null on the last.")


class UploadResultsOut(BaseModel):
    """A page of an upload's per-row results."""

    upload: str
    results: list[dict[str, Any]] = Field(description="Per row: line, ok, and the credential or the error.")
    next_cursor: str | None = Field(
        description="Pass it as cursor for the next page; null once every row was read. A page "
        "reads at most about 1 MiB of results, so when ok= leaves it short it may end early, even "
        "empty, with a next_cursor."
    )


class BatchSummaryOut(BaseModel):
    """Totals over the rows."""

    rows: int
    issued: int
    replayed: int
    failed: int


class BatchOut(BaseModel):
    """Every row's result, in order, and the totals."""

    summary: BatchSummaryOut
    results: list[dict[str, Any]] = Field(description="Per row: line, ok, and the credential or the error.")


class UploadOut(BaseModel):
    """A presigned S3 POST: send the file as field ``file`` after every ``fields`` entry."""

    upload: str = Field(description="The upload's id.")
    url: str
    fields: dict[str, str]
    content_type: str = Field(description="The Content-Type the form pins for the file.")
    expires_in: int = Field(description="Seconds the form stays valid.")
    status: str = Field(description="Where to follow the job: GET this path.")


@app.post(
    "/issuers/<issuer>/credentials",
    security=API_KEY,
    summary="Issue a credential",
    operation_id="issueCredential",
    tags=["issuing"],
    openapi_extensions=json_request_body(IssueRequest),
    responses={
        201: {"description": "Issued; Location is its public URL."},
        200: {"description": "The credential an earlier request with this Idempotency-Key issued."},
        **_AUTH_PROBLEMS,
        **problem_responses(400, 404, 409, 413, 415, 422, 503),
    },
)
def issue(
    issuer: str,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Makes retries safe: the same key and body answer the first credential.",
            # checked by the library, after the caller is (a Header constraint would run first)
            json_schema_extra={"maxLength": MAX_KEY_CHARS},
        ),
    ] = None,
) -> Response[IssuedOut]:
    event = app.current_event
    slug = route_issuer(event, issuer)
    issued = issue_credential(store(), slug, json_model(event, IssueRequest), idempotency_key=idempotency_key)
    if not issued.replayed:
        obs.count("BadgesIssued")
    body = IssuedOut.model_validate(issued.summary())
    return Response(
        200 if issued.replayed else 201, "application/json", body, {"Location": issued.public_url}
    )


@app.get(
    "/issuers/<issuer>/credentials",
    security=API_KEY,
    summary="List the issuer's credentials, filtered by recipient, external id, achievement or state",
    operation_id="listCredentials",
    tags=["issuing"],
    openapi_extensions=deferred(
        lambda: {"parameters": [path_parameter("issuer"), *query_parameters(CredentialQuery)]}
    ),
    responses={
        200: {"description": "A page of credentials in name order, and the cursor of the next."},
        **_AUTH_PROBLEMS,
        **problem_responses(400, 404, 422, 503),
    },
)
def credentials(issuer: Annotated[str, Path(include_in_schema=False)]) -> CredentialPageOut:
    event = app.current_event
    slug = route_issuer(event, issuer)
    page = list_credentials(store(), slug, query_model(event, CredentialQuery))
    return CredentialPageOut.model_validate(page.to_dict())


@app.get(
    "/issuers/<issuer>/credentials/<credential>/state",
    security=API_KEY,
    summary="Read a credential back: what it is, its state, where it lives",
    operation_id="getCredentialState",
    tags=["issuing"],
    responses={
        200: {"description": "The credential's state now."},
        **_AUTH_PROBLEMS,
        **problem_responses(400, 404, 503),
    },
)
def credential(issuer: str, credential: str) -> CredentialOut:
    slug = route_issuer(app.current_event, issuer)
    return CredentialOut.model_validate(get_credential(store(), slug, credential).to_dict())


def _status_route(action: Action) -> None:
    """``POST /issuers/{issuer}/credentials/{credential}/<action>``."""

    def change(issuer: str, credential: str) -> CredentialStatusOut:
        event = app.current_event
        slug = route_issuer(event, issuer)
        status = change_status(store(), slug, credential, action, optional_json_model(event, StatusChange))
        obs.count(_CHANGED[action])
        return CredentialStatusOut.model_validate(status)

    change.__name__ = f"{action}_credential"
    app.post(
        f"/issuers/<issuer>/credentials/<credential>/{action}",
        security=API_KEY,
        summary=f"{action.capitalize()} a credential",
        operation_id=f"{action}Credential",
        tags=["issuing"],
        openapi_extensions=json_request_body(StatusChange, required=False),
        responses={
            200: {"description": "The credential's status now."},
            **_AUTH_PROBLEMS,
            **problem_responses(400, 404, 409, 415, 422, 503),
        },
    )(change)


for _action in _CHANGED:
    _status_route(_action)


@app.post(
    "/issuers/<issuer>/batches",
    security=API_KEY,
    summary="Issue one achievement to every row of a CSV or JSON Lines body",
    operation_id="issueBatch",
    tags=["issuing"],
    openapi_extensions=deferred(
        lambda: {
            # Powertools replaces declared parameters with the signature's: the path one is
            # declared here with the query's, and hidden from the signature's
            "parameters": [path_parameter("issuer"), *query_parameters(BatchRequest)],
            **request_body(dict.fromkeys(BATCH_TYPES, TEXT)),
        }
    ),
    responses={
        200: {"description": "One result per row (`ok`, the credential or the error) and a summary."},
        **_AUTH_PROBLEMS,
        **problem_responses(400, 404, 413, 415, 422, 503),
    },
)
def batch(issuer: Annotated[str, Path(include_in_schema=False)]) -> BatchOut:
    event = app.current_event
    slug = route_issuer(event, issuer)
    media_type = require_media_type(event, tuple(BATCH_TYPES))
    options = query_model(event, BatchRequest)
    outcome = issue_request_batch(store(), slug, options, raw_body(event), media_type=media_type)
    if outcome.summary.issued:
        obs.count("BadgesIssued", outcome.summary.issued)
    return BatchOut.model_validate(outcome.to_dict())


@app.post(
    "/issuers/<issuer>/uploads",
    security=API_KEY,
    summary="Start a batch upload too big for one request (a presigned S3 POST)",
    operation_id="startUpload",
    tags=["issuing"],
    openapi_extensions=json_request_body(UploadRequest),
    responses={
        201: {"description": "POST the file to url with fields; the worker issues it."},
        **_AUTH_PROBLEMS,
        **problem_responses(400, 404, 415, 422, 503),
    },
)
def upload(issuer: str) -> Response[UploadOut]:
    event = app.current_event
    slug = route_issuer(event, issuer)
    started = start_upload(store(), slug, json_model(event, UploadRequest))
    body = UploadOut.model_validate(started.summary())
    return Response(201, "application/json", body, {"Location": started.status_path})


@app.get(
    "/issuers/<issuer>/uploads/<upload_id>",
    security=API_KEY,
    summary="Follow a batch upload: state, summary and the first failed rows",
    operation_id="getUpload",
    tags=["issuing"],
    responses={
        200: {"description": "The job: state waiting, running, done or failed; summary; failures."},
        **_AUTH_PROBLEMS,
        **problem_responses(404, 503),
    },
)
def upload_status(issuer: str, upload_id: str) -> dict[str, Any]:
    slug = route_issuer(app.current_event, issuer)
    return get_upload(store(), slug, upload_id)


@app.get(
    "/issuers/<issuer>/uploads/<upload_id>/results",
    security=API_KEY,
    summary="Page through a finished upload's results, row by row",
    operation_id="listUploadResults",
    tags=["issuing"],
    openapi_extensions=deferred(
        lambda: {
            "parameters": [
                path_parameter("issuer"),
                path_parameter("upload_id"),
                *query_parameters(ResultsQuery),
            ]
        }
    ),
    responses={
        200: {"description": "A page of per-row results in row order, and the cursor of the next."},
        **_AUTH_PROBLEMS,
        **problem_responses(400, 404, 409, 422, 503),
    },
)
def results(
    issuer: Annotated[str, Path(include_in_schema=False)],
    upload_id: Annotated[str, Path(include_in_schema=False)],
) -> UploadResultsOut:
    event = app.current_event
    slug = route_issuer(event, issuer)
    page = upload_results(store(), slug, upload_id, query_model(event, ResultsQuery))
    return UploadResultsOut.model_validate(page)


#: What the first request would import lazily: under SnapStart, imported at init, into the
#: snapshot (docs/serverless-app.md "Cold starts and SnapStart").
SNAPSHOT_IMPORTS = (
    "badgekiln.issue.credentials",
    "badgekiln.issue.statuslists",
    "badgekiln.issue.statusqueue",
    "badgekiln.proofs.dataintegrity",
    "badgekiln.proofs.jws",
    "badgekiln.jsonld.strict",
    "badgekiln.keys.local",
    "badgekiln.keys.kms",
    "badgekiln.baking",
    "pyld.jsonld",
)

handler = entrypoint(app, obs, prime=SNAPSHOT_IMPORTS)
