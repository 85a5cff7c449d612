"""``POST /verify`` and ``GET /verify?url=…``: verify an Open Badge and answer the report.

``POST`` takes the badge in any of its forms (a baked image, the credential JSON, a JWT, or a
form); ``GET`` verifies the badge a URL serves; either may name the expected ``recipient``
(:mod:`badgekiln.http.verifying` reads both).

A badge that fails a check is still a 200 answer: the report says which check failed and why
(``valid: false``). Input that is not a badge at all is a 4xx problem. Issuer profiles, keys and
status lists are fetched through the site fetcher (:mod:`badgekiln.hosting.site`): this
deployment's own documents are read from the store (the function may read ``public/`` and
nothing else), everything else over HTTPS with the production policy (public addresses only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

import badgekiln
from badgekiln.http import (
    deferred,
    entrypoint,
    make_resolver,
    observability,
    problem_responses,
    query_parameters,
)
from badgekiln.http.environment import VERIFICATION_IMPORTS, fetcher
from badgekiln.http.verifying import (
    VERIFY_BODY,
    BadgeQuery,
    BadgeRequest,
    UrlQuery,
    read_badge,
    read_badge_url,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

obs = observability("verify")
app = make_resolver(obs)


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


class ConformanceOut(BaseModel):
    """Deviations from the data model that do not bear on trust (warnings unless ``strict``)."""

    model_config = ConfigDict(frozen=True)

    strict: bool = Field(description="True when the deviations were judged as failures (?strict=true).")
    deviations: list[CheckOut] = Field(description="Each deviation; its id is the check it marks.")


class RegistryOut(BaseModel):
    """The trusted-issuer registry that lists the issuer, and its entry."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="The registry's name, as the deployment configured it.")
    entry: dict[str, str | None] = Field(description="The issuer's entry: name, url, location.")


class IssuerIdentityOut(BaseModel):
    """What the issuer's identity rests on (never changes ``valid``)."""

    model_config = ConfigDict(frozen=True)

    verified: bool = Field(description="False when the issuer's name is only self-declared.")
    basis: Literal["registry", "domain", "key", "none"]
    issuer: str | None = Field(description="The issuer id it is about.")
    domain: str | None = Field(description="The domain vouching for the issuer (did:web, https issuer).")
    registry: RegistryOut | None
    message: str = Field(
        description="One line for people, e.g. 'issuer identity confirmed for acme.example'."
    )


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
    conformance: ConformanceOut
    issuer_identity: IssuerIdentityOut | None = Field(description="What the issuer's identity rests on.")
    credentials: list[ReportOut] = Field(
        description="CLR 2.0: one report per credential the record carries (see the credentials check)."
    )


def _verify(request: BadgeRequest) -> ReportOut:
    report = badgekiln.verify(
        request.badge, recipient=request.recipient, strict=request.strict, fetcher=fetcher(app.current_event)
    )
    obs.count("BadgesVerified")
    for check in report.failures:
        obs.count("VerificationFailures", check=check.id)
    return ReportOut.model_validate(report.to_dict())


_REPORT: dict[int, OpenAPIResponse] = {
    200: {"description": "The verification report (valid or not: see its checks)."}
}


@app.post(
    "/verify",
    summary="Verify an Open Badge: baked image, credential JSON or JWT",
    operation_id="verifyBadge",
    tags=["verification"],
    openapi_extensions=deferred(lambda: {**VERIFY_BODY, "parameters": query_parameters(BadgeQuery)}),
    responses={**_REPORT, **problem_responses(400, 413, 415, 422, 502)},
)
def verify_body() -> ReportOut:
    return _verify(read_badge(app.current_event))


@app.get(
    "/verify",
    summary="Verify the badge a URL serves (OB 3.0 credential, baked image or OB 2.0 hosted assertion)",
    operation_id="verifyBadgeAtUrl",
    tags=["verification"],
    openapi_extensions=deferred(lambda: {"parameters": query_parameters(UrlQuery)}),
    responses={**_REPORT, **problem_responses(400, 422, 502)},
)
def verify_url() -> ReportOut:
    return _verify(read_badge_url(app.current_event))


#: What the first request would import lazily: under SnapStart, imported at init, into the
#: snapshot (docs/serverless-app.md "Cold starts and SnapStart").
SNAPSHOT_IMPORTS = VERIFICATION_IMPORTS

handler = entrypoint(app, obs, prime=SNAPSHOT_IMPORTS)
