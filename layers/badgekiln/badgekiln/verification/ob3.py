"""Open Badges 3.0 (VC Data Model 1.1 and 2.0): Data Integrity and VC-JWT credentials.

Order (docs/verification.md): contexts → structure → proof → issuer (key provenance) → VC-JWT
claims → JSON-LD strictness → status → validity window → credentialSchema → recipient →
endorsements. Every step runs even after a failure, so a report lists everything wrong. The
credential is read through :class:`badgekiln.model.ob3.Credential`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from badgekiln.errors import BadgeKilnError, JsonLdError, MalformedPayload, StatusError
from badgekiln.keys.signer import PublicKey
from badgekiln.model.claims import claims_of
from badgekiln.model.ob3 import BADGE_TYPES, CLR, ENDORSEMENT, Credential
from badgekiln.proofs.jws import verify_compact
from badgekiln.status.result import CompactToken
from badgekiln.verification._dates import check_window
from badgekiln.verification._session import Checks, Session, record_endorsements
from badgekiln.verification.options import MAX_CLR_CREDENTIALS, MAX_ENDORSEMENTS
from badgekiln.verification.provenance import tie_key_to_issuer
from badgekiln.verification.report import Check, InputFormat, Report, Summary
from badgekiln.verification.vcjwt import (
    VCJWT_ALGORITHMS,
    JwtCredential,
    check_claims,
    check_header,
    parse_vcjwt,
    resolve_jwt_key,
)

__all__ = ["OB_CONTEXT", "VC_V1", "VC_V2", "verify_credential", "verify_credential_jwt"]

VC_V1: Final = "https://www.w3.org/2018/credentials/v1"
VC_V2: Final = "https://www.w3.org/ns/credentials/v2"
#: The OB 3.0 context, any published version (``context.json``, ``context-3.0.3.json`` …).
OB_CONTEXT: Final = re.compile(r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d+\.\d+)?\.json")
#: The CLR 2.0 context, any published version (``context.json``, ``context-2.0.1.json`` …).
CLR_CONTEXT: Final = re.compile(r"https://purl\.imsglobal\.org/spec/clr/v2p0/context(-2\.\d+\.\d+)?\.json")
#: The types that make a credential one this verifier reads (an endorsement's: its own type).
_KINDS: Final = BADGE_TYPES | {ENDORSEMENT, CLR}
_ENDORSEMENT_KINDS: Final = frozenset({ENDORSEMENT})


# --- contexts and structure -----------------------------------------------------------------------


def _check_contexts(session: Session, credential: Credential, checks: Checks) -> bool:
    """Context order and presence, conformance only (what the contexts *define* is judged by the
    strict expansion), and which contexts the caller pinned; return True for VC 1.1."""
    contexts = credential.contexts
    session.note_pinned_contexts(checks, contexts)
    first = contexts[0] if contexts else None
    if first not in (VC_V1, VC_V2):
        checks.deviation(
            "context", f"the first @context must be {VC_V2} (or {VC_V1}), not {first!r}", "vc-context"
        )
    clr = credential.is_clr
    wanted = CLR_CONTEXT if clr else OB_CONTEXT
    for entry in contexts:
        if isinstance(entry, str) and wanted.fullmatch(entry):
            break
    else:
        what = "CLR 2.0" if clr else "Open Badges 3.0"
        checks.deviation(
            "context", f"the {what} context is missing from @context", "clr-context" if clr else "ob-context"
        )
    return first == VC_V1


def _check_structure(credential: Credential, checks: Checks, *, v1: bool, endorsement: bool) -> None:
    """Required members. What trust needs (an Open Badge type, an issuer id, one subject with an
    achievement, readable dates) fails; the rest of the OB 3.0 profile is conformance."""
    problems: list[str] = []
    deviations: list[tuple[str, str]] = []
    types = credential.types
    kinds = _ENDORSEMENT_KINDS if endorsement else _KINDS
    if "VerifiableCredential" not in types or kinds.isdisjoint(types):
        wanted = (
            "EndorsementCredential"
            if endorsement
            else "OpenBadgeCredential, AchievementCredential or ClrCredential"
        )
        problems.append(f"type {credential.type!r} is not VerifiableCredential with {wanted}")
    if not isinstance(credential.declared_id, str):
        deviations.append(("the credential has no id (OB 3.0 requires one)", "no-id"))
    issuer = credential.issuer
    if credential.issuer_id is None:
        problems.append("the credential names no issuer (an id or a Profile with an id)")
    elif issuer is not None and "Profile" not in issuer.types:
        deviations.append((f"the issuer's type {issuer.type!r} does not include Profile", "issuer-type"))
    subject = credential.subject
    if subject is None:
        problems.append("credentialSubject must be one JSON object")
    elif credential.is_endorsement:
        if subject.id is None:
            problems.append("an EndorsementSubject needs an id (what is endorsed)")
    elif credential.is_clr:
        if subject.id is None and not subject.has_identifier:
            deviations.append(
                ("credentialSubject has neither an id nor an identifier (CLR 2.0 requires one)", "subject-id")
            )
        if not subject.credentials:
            problems.append("a ClrSubject needs verifiableCredential: the credentials it records")
    else:
        if subject.id is None and not subject.has_identifier:
            # OB 3.0: "Either id or at least one identifier MUST be supplied"; without either no
            # recipient can be matched (the recipient check says so when one is asked for)
            deviations.append(
                ("credentialSubject has neither an id nor an identifier (OB 3.0 requires one)", "subject-id")
            )
        achievement = subject.achievement
        if achievement is None:
            problems.append("credentialSubject.achievement is missing")
        elif achievement.id is None or achievement.name is None:
            deviations.append(("the achievement needs an id and a name", "achievement"))
    start = credential.issuance_date if v1 else credential.valid_from
    if start is None:
        deviations.append((f"{'issuanceDate' if v1 else 'validFrom'} is missing", "no-start"))
    for moment in (
        credential.valid_from,
        credential.valid_until,
        credential.issuance_date,
        credential.expiration_date,
    ):
        if moment is not None and moment.problem is not None:
            problems.append(moment.problem)  # the validity window cannot be judged
    if problems:
        checks.failed("structure", "; ".join(problems), "structure")
    for message, code in deviations:
        checks.deviation("structure", message, code)
    if not problems and not deviations:
        kind = (
            "EndorsementCredential"
            if credential.is_endorsement
            else "ClrCredential"
            if credential.is_clr
            else "OpenBadgeCredential"
        )
        checks.passed("structure", f"a well-formed {kind} (VC {'1.1' if v1 else '2.0'})")


def _strict_context(
    session: Session, credential: Credential, checks: Checks, *, signed_as_json: bool
) -> None:
    from badgekiln.verification.terms import check_defined_terms

    message = "every property is defined by the document's JSON-LD contexts"
    check_defined_terms(
        checks, credential.raw, message, signed_as_json=signed_as_json, pinned=session.contexts
    )


# --- proof and provenance -------------------------------------------------------------------------


def _provenance(
    session: Session,
    checks: Checks,
    key: PublicKey,
    issuer_id: str | None,
    controller: str | None,
    *,
    prefer_jwks: bool,
) -> None:
    if issuer_id is None:
        checks.failed("issuer", "no issuer to tie the signing key to", "no-issuer")
        return
    try:
        how = tie_key_to_issuer(
            session, key, issuer_id=issuer_id, controller=controller, prefer_jwks=prefer_jwks
        )
    except BadgeKilnError as exc:
        checks.error("issuer", exc)
    else:
        checks.passed("issuer", how)


def _verify_status_list(
    session: Session, credential_issuer: str | None, document: Mapping[str, Any] | CompactToken
) -> Mapping[str, Any] | None:
    """``verify_credential`` for the status package: a list's embedded proof or VC-JWT, by a key
    tied to the list's issuer; returns the credential a VC-JWT secures."""
    from badgekiln.verification.ldp import verify_embedded_proof

    if isinstance(document, CompactToken):
        return _verify_jwt_list(session, credential_issuer, document.text)
    status_list = Credential(document)
    list_issuer = status_list.issuer_id
    if list_issuer is None:
        raise MalformedPayload("the status list credential names no issuer", reason="structure")
    # a pinned key is the credential issuer's: it vouches for that issuer's lists only
    scoped = session if list_issuer == credential_issuer else session.unpinned()
    outcome = verify_embedded_proof(scoped, status_list, every=True)  # a list must not carry a bad proof
    tie_key_to_issuer(scoped, outcome.key, issuer_id=list_issuer, controller=outcome.controller)
    return None


def _verify_jwt_list(session: Session, credential_issuer: str | None, token: str) -> Mapping[str, Any]:
    """A list secured as a VC-JWT, under the credential's VC-JWT rules: the header, the signature
    by a key tied to the list's issuer, the claims agreeing with the list, and ``nbf``/``exp``
    around now; returns the list credential it secures.

    Raises:
        MalformedPayload, InputTooLarge, UnsupportedAlgorithm, KeyResolutionError, FetchError,
            InvalidSignature: it does not verify (the status package reports ``verification``).
        StatusError: ``reason="not-yet-valid"`` / ``"expired"``: outside its ``nbf``/``exp``.
    """
    jwt = parse_vcjwt(token)
    list_issuer = jwt.claims.credential.issuer_id
    if list_issuer is None:
        raise MalformedPayload("the status list credential names no issuer", reason="structure")
    scoped = session if list_issuer == credential_issuer else session.unpinned()
    scratch = session.checks()
    check_header(jwt.header, scratch)
    key, controller = resolve_jwt_key(scoped, jwt.header, list_issuer)
    verify_compact(jwt.token, key, algorithms=VCJWT_ALGORITHMS)
    tie_key_to_issuer(scoped, key, issuer_id=list_issuer, controller=controller, prefer_jwks=True)
    start, end = check_claims(jwt, scratch)
    claims = next(check for check in scratch.freeze() if check.id == "claims")
    if claims.status == "failed":
        raise MalformedPayload(claims.message, reason="claims")
    skew = session.options.status_policy.clock_skew
    if start is not None and start - session.now > skew:
        message = f"the VC-JWT list is not valid before its nbf {start.isoformat()}"
        raise StatusError(message, reason="not-yet-valid")
    if end is not None and session.now - end > skew:
        raise StatusError(f"the VC-JWT list expired at its exp {end.isoformat()}", reason="expired")
    return jwt.claims.credential.raw


# --- status, window, schema, recipient ------------------------------------------------------------


def _check_status(session: Session, checks: Checks, credential: Credential) -> None:
    if not credential.status_entries:
        return
    from badgekiln.status import check_credential_status

    issuer_id = credential.issuer_id
    try:
        results = check_credential_status(
            credential,
            fetch_json=session.fetch_list,
            verify_credential=lambda document: _verify_status_list(session, issuer_id, document),
            policy=session.options.status_policy,
            at=session.now,
        )
    except (StatusError, MalformedPayload) as exc:
        checks.error("status", exc)
        return
    for result in results:
        where = f"{result.method} {result.list_url}" + (
            f" #{result.index}" if result.index is not None else ""
        )
        for warning in result.warnings:
            checks.warning("status", warning, "status-warning")
        if result.invalidates:
            state = "revoked" if result.purpose == "revocation" else "suspended"
            reason = f" ({result.message})" if result.message else ""
            checks.failed("status", f"{state} by its issuer{reason}: {where}", state)
        else:
            checks.passed(
                "status",
                f"not {'revoked' if result.purpose == 'revocation' else result.purpose + ' set'}: {where}",
            )


def _window(
    session: Session,
    checks: Checks,
    credential: Credential,
    *,
    v1: bool,
    start: datetime | None = None,
    end: datetime | None = None,
) -> None:
    start_field, end_field = ("issuanceDate", "expirationDate") if v1 else ("validFrom", "validUntil")
    if v1:
        written_start, written_end = credential.issuance_date, credential.expiration_date
    else:
        written_start, written_end = credential.valid_from, credential.valid_until
    if start is None and written_start is not None:
        start = written_start.value
        if start is None:
            return  # not a date-time: reported by the structure check
    if end is None and written_end is not None:
        end = written_end.value
        if end is None:
            return
    check_window(
        checks,
        start=start,
        start_field=start_field,
        end=end,
        end_field=end_field,
        now=session.now,
        skew=session.options.clock_skew,
    )


def _check_schema(checks: Checks, credential: Credential) -> None:
    if not credential.schemas:
        return
    from badgekiln.verification.schema import check_credential_schemas

    try:
        results = check_credential_schemas(credential)
    except MalformedPayload as exc:
        checks.error("schema", exc)
        return
    for result in results:
        if result.outcome == "failed":
            checks.deviation("schema", result.message, "schema")
        elif result.outcome == "not-checked":
            checks.skipped("schema", f"{result.schema_id}: {result.message}", "schema-not-checked")
        else:
            checks.passed("schema", f"conforms to {result.schema_id}")


def _check_recipient(session: Session, checks: Checks, credential: Credential) -> None:
    identity = session.options.recipient
    if identity is None or session.depth:
        return
    from badgekiln.verification.recipient import find_ob3_recipient

    try:
        match = find_ob3_recipient(credential.subject, identity)
    except MalformedPayload as exc:
        checks.error("recipient", exc)
        return
    if match is None:
        checks.failed("recipient", f"the badge was not awarded to {identity}", "recipient-mismatch")
        return
    how = f"identifier #{match.index}" if match.via == "identifier" else f"credentialSubject.{match.via}"
    hashed = f", {match.algorithm} hash" if match.hashed else ""
    checks.passed("recipient", f"awarded to {identity} ({how}{hashed})")
    for warning in match.warnings:
        checks.warning("recipient", warning, "recipient-warning")


# --- endorsements ---------------------------------------------------------------------------------


def _input_failure(fmt: InputFormat, exc: BadgeKilnError) -> Report:
    return Report("ob3", fmt, (Check("structure", "failed", exc.message, exc.reason or exc.code),))


def _endorsements(session: Session, checks: Checks, credential: Credential) -> tuple[Report, ...]:
    items = list(credential.all_endorsements())
    if not items:
        return ()
    if session.depth >= session.options.endorsement_depth:
        checks.skipped("endorsements", f"{len(items)} endorsement(s) not verified (depth limit)", "depth")
        return ()
    reports: list[Report] = []
    nested = session.nested()
    for item in items[:MAX_ENDORSEMENTS]:
        reports.append(_verify_item(nested, item, endorsement=True))
    record_endorsements(checks, tuple(reports), len(items))
    return tuple(reports)


def _verify_item(session: Session, item: Any, *, endorsement: bool) -> Report:
    """One embedded credential (an object, or a compact VC-JWT) verified on its own; input that
    is neither is a failed report, not an error."""
    fmt: InputFormat = "jwt" if isinstance(item, str) else "json"
    what = "an endorsement" if endorsement else "a CLR's verifiableCredential entry"
    try:
        if isinstance(item, str):
            return verify_credential_jwt(session, item, fmt, endorsement=endorsement)
        if isinstance(item, Mapping):
            return verify_credential(session, Credential(item), fmt, endorsement=endorsement)
        raise MalformedPayload(f"{what} must be a credential object or a JWT", reason="endorsement")
    except BadgeKilnError as exc:
        return _input_failure(fmt, exc)


def _clr_credentials(session: Session, checks: Checks, credential: Credential) -> tuple[Report, ...]:
    """CLR 2.0: every credential the record carries, each verified independently (its own proof,
    issuer, status and window); the record stands only if each of them does."""
    subject = credential.subject
    items = list(subject.credentials or ()) if subject is not None and credential.is_clr else []
    if not items:
        return ()
    if session.depth > 0:  # a record inside a record (or an endorsement): never followed
        checks.failed(
            "credentials",
            f"a ClrCredential inside another credential: its {len(items)} credential(s) are not verified",
            "nested",
        )
        return ()
    nested = session.leaf()
    reports = tuple(_verify_item(nested, item, endorsement=False) for item in items[:MAX_CLR_CREDENTIALS])
    invalid = [number for number, report in enumerate(reports, 1) if not report.valid]
    if len(items) > MAX_CLR_CREDENTIALS:
        checks.failed(
            "credentials",
            f"the record carries {len(items)} credentials; at most {MAX_CLR_CREDENTIALS} are verified",
            "too-many",
        )
    if invalid:
        shown = ", ".join(f"#{number}" for number in invalid[:8])
        checks.failed(
            "credentials",
            f"{len(invalid)} of {len(reports)} credential(s) are not valid ({shown})",
            "credentials",
        )
    elif len(items) <= MAX_CLR_CREDENTIALS:
        checks.passed("credentials", f"all {len(reports)} credential(s) the record carries are valid")
    return reports


# --- the two entry points -------------------------------------------------------------------------


def _finish(
    session: Session,
    checks: Checks,
    credential: Credential,
    fmt: InputFormat,
    proof: str | None,
    *,
    v1: bool,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report:
    _check_status(session, checks, credential)
    _window(session, checks, credential, v1=v1, start=start, end=end)
    _check_schema(checks, credential)
    _check_recipient(session, checks, credential)
    credentials = _clr_credentials(session, checks, credential)
    endorsements = _endorsements(session, checks, credential)
    summary = Summary.of(claims_of(credential))
    return checks.report("ob3", fmt, summary, proof, endorsements=endorsements, credentials=credentials)


def verify_credential(
    session: Session, credential: Credential, fmt: InputFormat, *, endorsement: bool = False
) -> Report:
    """Verify an OB 3.0 credential with embedded (Data Integrity) proofs."""
    from badgekiln.verification.ldp import verify_embedded_proof

    checks = session.checks()
    v1 = _check_contexts(session, credential, checks)
    _check_structure(credential, checks, v1=v1, endorsement=endorsement)
    issuer_id = credential.issuer_id
    proof: str | None = None
    try:
        outcome = verify_embedded_proof(session, credential)
    except JsonLdError as exc:
        checks.error("context", exc)
        checks.failed("signature", "not verified: the JSON-LD is refused (see context)", exc.reason)
        checks.skipped("issuer", "not checked: no verified signature")
    except BadgeKilnError as exc:
        checks.error("signature", exc)
        checks.skipped("issuer", "not checked: no verified signature")
        _strict_context(session, credential, checks, signed_as_json=False)
    else:
        proof = outcome.suite
        checks.passed("signature", f"{outcome.suite} proof verified with {outcome.method}")
        for warning in outcome.warnings:
            checks.warning("signature", warning, "other-proofs")
        checks.passed("context", "every property is defined by the document's JSON-LD contexts")
        _provenance(session, checks, outcome.key, issuer_id, outcome.controller, prefer_jwks=False)
    return _finish(session, checks, credential, fmt, proof, v1=v1)


def verify_credential_jwt(
    session: Session, token: str | JwtCredential, fmt: InputFormat, *, endorsement: bool = False
) -> Report:
    """Verify an OB 3.0 VC-JWT (compact, or already parsed by the engine).

    Raises:
        MalformedPayload, InputTooLarge: not a compact JWS with a JSON-object payload.
    """
    jwt = parse_vcjwt(token) if isinstance(token, str) else token
    credential = jwt.claims.credential
    checks = session.checks()
    v1 = _check_contexts(session, credential, checks)
    _check_structure(credential, checks, v1=v1, endorsement=endorsement)
    issuer_id = credential.issuer_id
    header = jwt.header
    proof = f"vc-jwt {header.alg}"
    try:
        check_header(header, checks)
        key, controller = resolve_jwt_key(session, header, issuer_id or "")
        verify_compact(jwt.token, key, algorithms=VCJWT_ALGORITHMS)
    except BadgeKilnError as exc:
        checks.error("signature", exc)
        checks.skipped("issuer", "not checked: no verified signature")
    else:
        checks.passed("signature", f"{header.alg} signature verified")
        _provenance(session, checks, key, issuer_id, controller, prefer_jwks=True)
    start, end = check_claims(jwt, checks)
    _strict_context(session, credential, checks, signed_as_json=True)
    return _finish(session, checks, credential, fmt, proof, v1=v1, start=start, end=end)
