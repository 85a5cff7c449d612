"""Open Badges 2.0 endorsements: an ``Endorsement`` of an Assertion, its BadgeClass or its issuer
profile, verified as the 2.0 rules verify an assertion — hosted or signed.

What the endorser publishes at the endorsement's URL (the ``endorsement`` member, or the ``id``
of an embedded Endorsement) picks the procedure, as the VerificationObject does for an assertion:

* **JSON: hosted.** The served copy is authoritative (an embedded copy that differs is a
  warning; 410 Gone or ``"revoked": true`` is revoked); it must call itself by that URL, say
  ``HostedBadge`` and be hosted within the endorser's scope (:func:`.ob2.check_scope`).
* **A compact JWS** (``application/jwt``, ``text/plain`` …) **whose payload is the Endorsement:
  signed.** The JWS must verify with a key the *endorser's* profile lists in ``publicKey`` (the
  ``verification.creator`` key, else each listed key), whatever the key's ``owner`` says — the
  rule of :func:`.ob2.verify_signed`. A key the caller pinned is the badge issuer's and never
  applies (:meth:`.Session.nested`). The payload must say ``SignedBadge``; where it was served
  from is no part of its trust.
* **An Endorsement that says SignedBadge with no JWS** (embedded with a ``urn:uuid`` id, or
  whose URL serves JSON): ``signature`` is skipped (``no-jws``). OB 2.0 signs the bytes of the JWS
  payload, so a JSON copy carries nothing that could be checked; it is never valid.

Both read the endorser's profile, its ``revocationList`` (by the endorsement's id), ``claim.id``
and the dates (``issuedOn``/``expires`` judged with the clock skew). OB 2.0 has no inline JWS
form: an ``endorsement`` entry is an Endorsement or its IRI, so a compact JWS written in its place
fails ``structure`` (``inline-jws``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from badgekiln.errors import BadgeKilnError, FetchFailed
from badgekiln.fetch import JSON_TYPES, JWT_TYPES
from badgekiln.model.node import id_of
from badgekiln.model.ob2 import Assertion, CryptographicKey, Profile
from badgekiln.sniff import COMPACT_JWS
from badgekiln.verification._session import Checks, Session
from badgekiln.verification.ob2 import (
    _HOSTED,
    _SIGNED,
    _check_dates,
    _check_revocation_list,
    _compare_served,
    _fetch_served,
    _key_provenance,
    _node,
    check_scope,
    is_http,
    method_and_date_problems,
    signing_key,
    unverified,
)
from badgekiln.verification.report import Report, Summary

if TYPE_CHECKING:
    from badgekiln.fetch import FetchResponse

__all__ = ["verify_endorsement"]

#: What an endorsement URL may serve: the hosted JSON, or the signed JWS.
SERVED_TYPES: Final = (*JSON_TYPES, *JWT_TYPES)


def verify_endorsement(session: Session, ref: Any) -> Report:
    """Verify one OB 2.0 ``Endorsement``: a URL, or an embedded one (checked against what its
    HTTP id serves). Every problem is a check in the report (sub-report ``spec: ob2``, ``proof``
    ``hosted`` or ``jws ALG``); nothing raises."""
    checks = session.checks()
    embedded = Assertion(ref) if isinstance(ref, Mapping) else None
    target = ref if isinstance(ref, str) else id_of(ref)
    summary = Summary(id=target if isinstance(target, str) else None, type=("Endorsement",))
    says_signed = embedded is not None and _says(embedded, _SIGNED)
    if isinstance(ref, str) and COMPACT_JWS.fullmatch(ref.strip()):
        checks.failed(
            "structure",
            "an OB 2.0 endorsement is an Endorsement object or its URL; a compact JWS written in its "
            "place is no OB 2.0 form (the endorser serves it at the endorsement's URL)",
            "inline-jws",
        )
        return checks.report("ob2", "jwt", Summary(type=("Endorsement",)), None)
    if not isinstance(target, str) or not is_http(target):
        if says_signed:
            checks.skipped(
                "signature", _no_jws("it is embedded with no HTTP(S) id to fetch it from"), "no-jws"
            )
        else:
            checks.failed(
                "hosted",
                "an endorsement must be named by (or name) the HTTP(S) URL it is hosted at",
                "no-url",
            )
        return checks.report("ob2", "json", summary, None)
    try:
        response = session.fetch(target, accept=SERVED_TYPES)
    except BadgeKilnError as exc:  # recorded on hosted (410 Gone: revoked), as for a hosted assertion
        _fetch_served(session, checks, target, what="endorsement", who="endorser", prefetched=exc)
        return checks.report("ob2", "url", summary, None)
    if _is_token(response):
        return _verify_signed(session, checks, target, response, embedded)
    served: FetchResponse | FetchFailed = response
    if response.content_type in JWT_TYPES:  # JSON served as a token type: hosted JSON must say JSON
        served = FetchFailed(
            f"{target} serves JSON as {response.content_type!r}, not as application/(ld+)json",
            url=target,
            reason="content-type",
        )
    fetched = _fetch_served(session, checks, target, what="endorsement", who="endorser", prefetched=served)
    if fetched is None:
        return checks.report("ob2", "url", summary, "hosted")
    hosted = Assertion.of(fetched[1])
    if hosted is None:
        checks.failed("hosted", f"{target} does not serve a JSON object", "hosted")
        return checks.report("ob2", "url", summary, "hosted")
    if _says(hosted, _SIGNED) or (says_signed and not _says(hosted, _HOSTED)):
        checks.skipped("signature", _no_jws(f"{target} serves it as JSON, not as its JWS"), "no-jws")
        return checks.report("ob2", "url", summary, None)
    return _verify_hosted(session, checks, target, hosted, embedded)


def _says(endorsement: Assertion, kinds: frozenset[str]) -> bool:
    """Whether ``verification.type`` is one of ``kinds`` (as written: it may be any JSON)."""
    kind = endorsement.verification_type
    return isinstance(kind, str) and kind in kinds


def _no_jws(why: str) -> str:
    return (
        f"a signed (SignedBadge) endorsement is verified from its JWS, and there is none to check: {why} "
        "(OB 2.0 signs the JWS payload's bytes; a JSON copy carries no signature)"
    )


def _is_token(response: FetchResponse) -> bool:
    """Whether ``response`` is a compact JWS (served as a JWT or text type, not JSON-looking)."""
    return response.content_type in JWT_TYPES and response.body.lstrip()[:1] not in (b"{", b"[")


def _verify_hosted(
    session: Session, checks: Checks, target: str, hosted: Assertion, embedded: Assertion | None
) -> Report:
    if hosted.revoked:
        checks.failed("hosted", f"{target} declares the endorsement revoked", "revoked")
        checks.failed("status", "revoked by its endorser", "revoked")
        return checks.report("ob2", "url", Summary(id=target, type=("Endorsement",)), "hosted")
    _compare_served(
        checks, target, hosted, copy=embedded, kind="embedded", ok=f"served by the endorser at {target}"
    )
    _check_structure(checks, hosted, _HOSTED)
    issuer_id, profile, name = _endorser(session, checks, hosted)
    if issuer_id is not None and profile is not None:
        check_scope(checks, target, None, issuer_id, profile)
        checks.passed("status", "not revoked: the endorser still serves the endorsement")
        _check_revocation_list(session, checks, hosted, issuer_id, profile)
    _check_dates(session, checks, hosted)
    return checks.report("ob2", "url", _summary(target, hosted, issuer_id, name), "hosted")


def _verify_signed(
    session: Session, checks: Checks, target: str, response: FetchResponse, embedded: Assertion | None
) -> Report:
    """The signed procedure for the JWS ``response`` served at ``target``."""
    from badgekiln.proofs.jws import ALLOWED_ALGORITHMS
    from badgekiln.strictjson import loads_object
    from badgekiln.verification.vcjwt import parse_signed

    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError:
        checks.failed("signature", f"{target} serves a token that is not UTF-8 text", "jws")
        return checks.report("ob2", "url", Summary(id=target, type=("Endorsement",)), None)
    try:
        parsed = parse_signed(text.strip(" \t\r\n"))
        endorsement = Assertion(loads_object(parsed.payload, source="the endorsement's JWS payload"))
    except BadgeKilnError as exc:  # MalformedPayload, InputTooLarge
        checks.error("signature", exc, f"{target} does not serve a usable JWS: ")
        return checks.report("ob2", "url", Summary(id=target, type=("Endorsement",)), None)
    alg = parsed.alg
    declared = endorsement.declared_id
    if is_http(declared) and declared != target:
        checks.warning(
            "structure",
            f"the signed endorsement served at {target} calls itself {declared!r} "
            "(its signature, not where it is served, is what is verified)",
            "id-mismatch",
        )
    if embedded is not None and dict(embedded.raw) != dict(endorsement.raw):
        checks.warning(
            "structure",
            f"the embedded copy differs from the signed one served at {target}; the signed one was verified",
            "differs",
        )
    _check_structure(checks, endorsement, _SIGNED)
    issuer_id, profile, name = _endorser(session, checks, endorsement)
    verified: tuple[str, CryptographicKey | None] | None = None
    if alg in ALLOWED_ALGORITHMS:
        verified = signing_key(session, checks, parsed, endorsement, profile)
    else:  # no key could verify it: none is fetched
        allowed = ", ".join(sorted(ALLOWED_ALGORITHMS))
        checks.failed("signature", f"JWS algorithm {alg!r} is not accepted (allowed: {allowed})", "alg")
    if verified is None:
        unverified(checks)
    else:
        checks.passed("signature", f"{alg} signature verified with {verified[0]}")
        _key_provenance(checks, verified[0], verified[1], issuer_id, profile)
    if endorsement.revoked:
        checks.failed("status", "revoked: the signed endorsement declares itself revoked", "revoked")
    if issuer_id is not None and profile is not None:
        _check_revocation_list(session, checks, endorsement, issuer_id, profile)
    _check_dates(session, checks, endorsement)
    summary = _summary(endorsement.id if endorsement.id is not None else target, endorsement, issuer_id, name)
    return checks.report("ob2", "url", summary, f"jws {alg}")


def _endorser(
    session: Session, checks: Checks, endorsement: Assertion
) -> tuple[str | None, Profile | None, str | None]:
    """(id, profile, name) of the endorser; problems recorded on ``issuer``. The name is read
    only from a profile fetched at its URL (an embedded one names itself)."""
    try:
        issuer_url, profile = _node(session, checks, endorsement.endorser, Profile, "issuer profile")
    except BadgeKilnError as exc:
        checks.error("issuer", exc, "the endorser's profile: ")
        return None, None, None
    issuer_id = issuer_url or profile.id
    if not {"Issuer", "Profile"} & set(profile.types):
        checks.failed(
            "issuer", f"the endorser's profile has type {profile.type!r}, not Issuer/Profile", "profile"
        )
    if issuer_id is None:
        checks.failed("issuer", "the endorser's profile has no id", "profile")
    return issuer_id, profile, profile.name if issuer_url is not None else None


def _check_structure(checks: Checks, endorsement: Assertion, verification: frozenset[str]) -> None:
    problems: list[str] = []
    claim = endorsement.claim
    if claim is None or not isinstance(claim.declared_id, str):
        problems.append("claim must be an object naming what is endorsed (its id)")
    if not isinstance(endorsement.endorser, str | Mapping):
        problems.append("issuer must be the endorser's profile URL or object")
    problems += method_and_date_problems(endorsement, verification)
    if problems:
        checks.failed("structure", "; ".join(problems), "structure")
    if "Endorsement" not in endorsement.types:
        checks.deviation("structure", f"type {endorsement.type!r} is not Endorsement", "endorsement-type")
    elif not problems:
        checks.passed("structure", "a well-formed Open Badges 2.0 Endorsement")


def _summary(endorsement_id: str, endorsement: Assertion, issuer_id: str | None, name: str | None) -> Summary:
    issued = endorsement.issued_on.raw
    return Summary(
        id=endorsement_id,
        type=endorsement.types or ("Endorsement",),
        issuer={"id": issuer_id, "name": name},
        issued=issued if isinstance(issued, str) else None,
    )
