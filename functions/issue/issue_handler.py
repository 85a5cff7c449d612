"""The issuing API of one issuer (authenticated: an API key of that issuer, or an admin key).

* ``POST /issuers/{issuer}/credentials``: issue one credential (JSON). An ``Idempotency-Key``
  header makes retries safe: the same key and body answer the first result (``200``) instead of
  a new credential (``201``); the same key with another body is ``409``.
* ``POST /issuers/{issuer}/credentials/{credential}/revoke`` | ``suspend`` | ``reinstate``:
  change a credential's status (JSON ``{"reason": "…"}``, optional).
* ``POST /issuers/{issuer}/batches?achievement=…``: issue to every row of a CSV (``text/csv``)
  or JSON Lines (``application/jsonl``) body, at most :data:`MAX_SYNC_ROWS` rows; per-row results.
* ``POST /issuers/{issuer}/uploads``: for bigger files, a presigned S3 upload; the worker issues
  it (S3 event → SQS → worker) and ``GET /issuers/{issuer}/uploads/{upload}`` reports progress.

The API key comes from the authorizer's context; a key of another issuer is ``403``.
"""

from __future__ import annotations

import io
import itertools
from typing import Any, Final, Literal

from aws_lambda_powertools.event_handler import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from badgekiln.errors import InputError, InputTooLarge, InvalidField
from badgekiln.http import (
    UPLOAD_ROUTE,
    entrypoint,
    json_model,
    json_request_body,
    json_response,
    make_resolver,
    observability,
    parse_model,
    problem_responses,
    raw_body,
    require_media_type,
)
from badgekiln.http.auth import API_KEY, document_api_key, route_issuer
from badgekiln.http.environment import store
from badgekiln.issue import issue_batch, issue_credential, read_rows, reinstate, revoke, suspend
from badgekiln.issue.batch import BatchSummary
from badgekiln.issue.models import MAX_ITEMS, MAX_TEXT_CHARS, EvidenceInput, RecipientInput, ResultInput
from badgekiln.issue.revocation import MAX_REASON_CHARS
from badgekiln.issue.uploads import UPLOAD_EXPIRES, UPLOAD_TYPES, get_upload, start_upload

obs = observability("issue")
app = make_resolver(obs)
document_api_key(app)

#: Body types of a synchronous batch, and the row format each one is.
BATCH_TYPES: Final[dict[str, Literal["csv", "jsonl"]]] = {
    "text/csv": "csv",
    "application/jsonl": "jsonl",
    "application/x-ndjson": "jsonl",
    "application/x-jsonlines": "jsonl",
}
#: Most rows a synchronous batch issues. The HTTP API gives a function 30 s; on S3 one issuance is
#: ~10 object writes, so a hundred rows on a few threads stay well inside it. More → uploads.
MAX_SYNC_ROWS: Final = 100
#: Rows issued at once by a synchronous batch (they wait on S3 and KMS, not on the CPU).
BATCH_WORKERS: Final = 4
_AUTH_PROBLEMS = problem_responses(401, 403)


class IssueRequest(BaseModel):
    """What to issue: an achievement of this issuer to one recipient."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    achievement: str = Field(min_length=1, max_length=2048, description="The achievement's slug or URL.")
    recipient: str | RecipientInput = Field(description="An e-mail address, or a recipient object.")
    spec: Literal["ob3", "ob2"] = "ob3"
    proof: Literal["di", "jwt"] | None = Field(
        default=None, description="OB 3.0: Data Integrity (default) or VC-JWT."
    )
    algorithm: Literal["RS256", "EdDSA"] = Field(default="RS256", description="VC-JWT algorithm.")
    signed: bool = Field(default=False, description="OB 2.0: a signed (JWS) rather than hosted assertion.")
    credential_id: str | None = Field(
        default=None, min_length=1, max_length=63, description="Your own name for it (a slug)."
    )
    evidence: list[EvidenceInput] | None = Field(default=None, max_length=MAX_ITEMS)
    narrative: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_CHARS)
    results: list[ResultInput] | None = Field(default=None, max_length=MAX_ITEMS)
    valid_until: AwareDatetime | None = Field(default=None, description="Expiry, with a time zone.")
    image: Literal["png", "svg", "none"] | None = Field(
        default=None, description="The baked image's format (default: the achievement image's)."
    )
    personalise: bool = Field(default=False, description="Fill the SVG template's placeholders first.")


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
    issued: str
    replayed: bool = Field(description="True when an earlier request with the same Idempotency-Key made it.")


class StatusRequest(BaseModel):
    """Why the status changes (published in OB 2.0 revocation lists)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str | None = Field(default=None, min_length=1, max_length=MAX_REASON_CHARS)


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


class BatchQuery(BaseModel):
    """The query string of a batch: the achievement every row gets, and issuing options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    achievement: str = Field(min_length=1, max_length=2048)
    spec: Literal["ob3", "ob2"] | None = None
    proof: Literal["di", "jwt"] | None = None
    algorithm: Literal["RS256", "EdDSA"] | None = None
    image: Literal["png", "svg", "none"] | None = None


class UploadRequest(BatchQuery):
    """A batch file to upload: the achievement every row gets, the file's format, options."""

    format: Literal["csv", "jsonl"]
    signed: bool | None = None
    personalise: bool | None = None


class UploadOut(BaseModel):
    """A presigned S3 POST: send the file as field ``file`` after every ``fields`` entry."""

    upload: str = Field(description="The upload's id.")
    url: str
    fields: dict[str, str]
    content_type: str = Field(description="The Content-Type the form pins for the file.")
    expires_in: int = Field(description="Seconds the form stays valid.")
    status: str = Field(description="Where to follow the job: GET this path.")


def _created(model: type[BaseModel], description: str) -> dict[int, Any]:
    return {201: {"description": description, "content": {"application/json": {"model": model}}}}


@app.post(
    "/issuers/<issuer>/credentials",
    security=API_KEY,
    summary="Issue a credential",
    tags=["issuing"],
    openapi_extensions={
        **json_request_body(IssueRequest),
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Makes retries safe: the same key and body answer the first credential.",
                "schema": {"type": "string", "maxLength": 255},
            }
        ],
    },
    responses={
        **_created(IssuedOut, "Issued; Location is its public URL."),
        200: {"description": "The credential an earlier request with this Idempotency-Key issued."},
        **_AUTH_PROBLEMS,
        **problem_responses(400, 404, 409, 413, 415, 422, 503),
    },
)
def issue(issuer: str):  # type: ignore[no-untyped-def]  # no "-> Response": it breaks Powertools' OpenAPI generation
    slug = route_issuer(app.current_event, issuer)
    request = json_model(app.current_event, IssueRequest)
    key = app.current_event.headers.get("idempotency-key")
    options = request.model_dump(exclude={"achievement", "recipient"}, exclude_none=True)
    issued = issue_credential(
        store(), slug, request.achievement, request.recipient, idempotency_key=key, **options
    )
    if not issued.replayed:
        obs.count("BadgesIssued")
    return json_response(200 if issued.replayed else 201, issued.summary(), {"Location": issued.public_url})


def _change(issuer: str, credential: str, action: Literal["revoke", "suspend", "reinstate"]) -> Response[str]:
    slug = route_issuer(app.current_event, issuer)
    event = app.current_event
    reason = None
    if raw_body(event).strip():
        reason = json_model(event, StatusRequest).reason
    if action == "revoke":
        status = revoke(store(), slug, credential, reason=reason)
        obs.count("BadgesRevoked")
    elif action == "suspend":
        status = suspend(store(), slug, credential, reason=reason)
        obs.count("BadgesSuspended")
    else:
        if reason is not None:
            raise InvalidField("reinstate takes no reason", field="reason")
        status = reinstate(store(), slug, credential)
        obs.count("BadgesReinstated")
    return json_response(200, status)


def _status_route(action: str) -> dict[str, Any]:
    return {
        "summary": f"{action.capitalize()} a credential",
        "tags": ["issuing"],
        "openapi_extensions": json_request_body(StatusRequest, required=False),
        "responses": {
            200: {
                "description": "The credential's status now.",
                "content": {"application/json": {"model": CredentialStatusOut}},
            },
            **_AUTH_PROBLEMS,
            **problem_responses(400, 404, 409, 415, 422, 503),
        },
    }


@app.post("/issuers/<issuer>/credentials/<credential>/revoke", security=API_KEY, **_status_route("revoke"))
def revoke_credential(issuer: str, credential: str):  # type: ignore[no-untyped-def]
    return _change(issuer, credential, "revoke")


@app.post("/issuers/<issuer>/credentials/<credential>/suspend", security=API_KEY, **_status_route("suspend"))
def suspend_credential(issuer: str, credential: str):  # type: ignore[no-untyped-def]
    return _change(issuer, credential, "suspend")


@app.post(
    "/issuers/<issuer>/credentials/<credential>/reinstate", security=API_KEY, **_status_route("reinstate")
)
def reinstate_credential(issuer: str, credential: str):  # type: ignore[no-untyped-def]
    return _change(issuer, credential, "reinstate")


@app.post(
    "/issuers/<issuer>/batches",
    security=API_KEY,
    summary="Issue one achievement to every row of a CSV or JSON Lines body",
    tags=["issuing"],
    openapi_extensions={
        "parameters": [
            {"name": name, "in": "query", "required": name == "achievement", "schema": {"type": "string"}}
            for name in BatchQuery.model_fields
        ],
        "requestBody": {
            "required": True,
            "content": {kind: {"schema": {"type": "string"}} for kind in BATCH_TYPES},
        },
    },
    responses={
        200: {"description": "One result per row (`ok`, the credential or the error) and a summary."},
        **_AUTH_PROBLEMS,
        **problem_responses(400, 404, 413, 415, 422, 503),
    },
)
def batch(issuer: str):  # type: ignore[no-untyped-def]
    slug = route_issuer(app.current_event, issuer)
    event = app.current_event
    fmt = BATCH_TYPES[require_media_type(event, tuple(BATCH_TYPES))]
    # options are checked before any row: a bad one is this request's error, not every row's
    query = parse_model(BatchQuery, event.query_string_parameters or {})
    try:
        text = raw_body(event).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("The batch body is not UTF-8 text.", reason="utf-8", offset=exc.start) from exc
    rows = list(itertools.islice(read_rows(io.StringIO(text, newline=""), fmt=fmt), MAX_SYNC_ROWS + 1))
    if len(rows) > MAX_SYNC_ROWS:
        raise InputTooLarge(
            f"A batch sent in the request holds at most {MAX_SYNC_ROWS} rows; send bigger files "
            f"through {UPLOAD_ROUTE}, which returns a presigned upload.",
            limit=MAX_SYNC_ROWS,
            upload=UPLOAD_ROUTE,
        )
    summary = BatchSummary()
    results = []
    options = query.model_dump(exclude={"achievement"}, exclude_none=True)
    for result in issue_batch(store(), slug, query.achievement, rows, workers=BATCH_WORKERS, **options):
        summary.add(result)
        results.append(result.to_dict())
    if summary.issued:
        obs.count("BadgesIssued", summary.issued)
    return json_response(200, {"summary": summary.to_dict(), "results": results})


@app.post(
    "/issuers/<issuer>/uploads",
    security=API_KEY,
    summary="Start a batch upload too big for one request (a presigned S3 POST)",
    tags=["issuing"],
    openapi_extensions=json_request_body(UploadRequest),
    responses={
        **_created(UploadOut, "POST the file to url with fields; the worker issues it."),
        **_AUTH_PROBLEMS,
        **problem_responses(400, 404, 415, 422, 503),
    },
)
def upload(issuer: str):  # type: ignore[no-untyped-def]
    slug = route_issuer(app.current_event, issuer)
    request = json_model(app.current_event, UploadRequest)
    options = request.model_dump(exclude={"achievement", "format"}, exclude_none=True)
    started, form = start_upload(store(), slug, request.achievement, fmt=request.format, options=options)
    status = f"/issuers/{slug}/uploads/{started.id}"
    body = UploadOut(
        upload=started.id,
        url=form["url"],
        fields=form["fields"],
        content_type=UPLOAD_TYPES[started.format],
        expires_in=UPLOAD_EXPIRES,
        status=status,
    )
    return json_response(201, body.model_dump(), {"Location": status})


@app.get(
    "/issuers/<issuer>/uploads/<upload_id>",
    security=API_KEY,
    summary="Follow a batch upload: state, summary and the first failed rows",
    tags=["issuing"],
    responses={
        200: {"description": "The job: state waiting, running, done or failed; summary; failures."},
        **_AUTH_PROBLEMS,
        **problem_responses(404, 503),
    },
)
def upload_status(issuer: str, upload_id: str):  # type: ignore[no-untyped-def]
    slug = route_issuer(app.current_event, issuer)
    return json_response(200, get_upload(store(), slug, upload_id))


handler = entrypoint(app, obs)
