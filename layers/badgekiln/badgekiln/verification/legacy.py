"""Open Badges 0.5, 1.0 and 1.1, verified as the 1EdTech validator-core does: read as the 2.0 model.

A legacy badge is verified by the procedure of its version (1.1 specification, "Badge
Verification"), with the OB 2.0 rules wherever 1.x says nothing:

* **Hosted** (0.5, 1.0, 1.1): the copy served at the assertion's URL is authoritative — a 1.1
  assertion's ``id``, else ``verify.url`` — exactly as for OB 2.0
  (:func:`badgekiln.verification.ob2.verify_hosted` fetches it and hands a 1.x copy here). The
  served copy must name that URL (1.1 ``id``, 1.0 ``verify.url``; a 0.5 copy has neither: the
  URL it came from is its id). A 0.5 badge given as JSON names no URL at all, so nothing can
  vouch for it (``hosted`` fails, ``no-url``). HTTP 410 (or ``"revoked": true``) is revoked; a
  URL that no longer answers — most 1.x hosts are long retired — says it could not be retrieved.
* **Signed** (1.0, 1.1): a compact JWS whose ``verify.url`` is the issuer's public key (a PEM
  file, or a ``CryptographicKey`` with ``publicKeyPem``). 1.x profiles list no keys, so the key
  is tied to the issuer by origin: it must be published on the issuer's origin (scheme, host
  and port of the issuer's URL), the rule the 0.5 schema announced for keys ("in the future, the
  origin of the public key") and the only one that keeps anybody from signing in an issuer's
  name. A caller-pinned key replaces that rule.
* **Both**: the BadgeClass (1.0/1.1: fetched from ``badge``; 0.5: embedded) and the issuer (1.0/
  1.1: fetched from the BadgeClass's ``issuer``; 0.5: embedded with its ``origin``) are had as
  for 2.0. Hosted scope: a 0.5 assertion must be hosted on ``badge.issuer.origin`` ("Must match
  the origin of the hosted assertion", 0.5 schema); 1.x assertions and BadgeClasses on the
  issuer's host (the OB 2.0 default rule the validator-core applies to upgraded badges). The
  issuer's ``revocationList`` (1.x: ``{uid or id: reason}``) is checked; dates are 1.x
  DateTimes (a date alone or a Unix timestamp; no zone means UTC); the recipient is matched as
  an OB 2.0 IdentityObject (a 0.5 bare identity is an ``email`` one).
* **Structure** (strict, after the 1.x JSON Schemas in ob_v2p0/v1/schema and v0/schema):
  1.0/1.1 need ``uid``, a ``recipient`` IdentityObject (``type``, ``identity``, boolean
  ``hashed``), ``badge`` as a URL, ``verify`` with type ``hosted``/``signed`` and an absolute
  ``url``, and ``issuedOn``; 1.1 also the v1 ``@context``, type ``Assertion`` and an ``id``.
  0.5 needs ``recipient`` (an email or a salted hash) and an embedded ``badge`` naming its
  issuer's ``name`` and ``origin``. 1.1 documents are JSON-LD: every property must be defined
  by the bundled 1.1 context (``undefined-term``), as for OB 3.0. 1.0 and 0.5 are plain JSON.

The report is ``spec: "ob1"`` with a passed ``version`` check naming the version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import urlsplit

from badgekiln.errors import BadgeKilnError, KeyResolutionError, MalformedPayload
from badgekiln.keys.signer import PublicKey
from badgekiln.model.node import Node
from badgekiln.model.ob2 import (
    OB1_VERIFICATION_TYPES,
    Assertion,
    BadgeClass,
    CryptographicKey,
    LegacyAssertion,
    Profile,
)
from badgekiln.verification._session import Checks, Session
from badgekiln.verification.ob2 import (
    check_revocation,
    check_scope,
    check_window_and_recipient,
    is_http,
    summary_of,
)
from badgekiln.verification.report import InputFormat, Report

if TYPE_CHECKING:
    from badgekiln.fetch import FetchResponse
    from badgekiln.proofs.jws import CompactJws

__all__ = ["KEY_TYPES", "verify_given", "verify_served", "verify_signed"]

#: What a 1.x public key URL may serve: a PEM file (under whatever type the host gives text),
#: or a JSON CryptographicKey.
KEY_TYPES: Final = (
    "application/x-pem-file",
    "application/x-x509-ca-cert",
    "application/pkix-key",
    "text/plain",
    "application/octet-stream",
    "application/ld+json",
    "application/json",
)
_ISSUER_TYPES: Final = frozenset({"Issuer", "IssuerOrg", "Profile"})
_PEM_START: Final = b"-----BEGIN"

_V = TypeVar("_V", bound=Node)


def _version_check(checks: Checks, badge: LegacyAssertion) -> None:
    checks.passed(
        "version",
        f"an Open Badges {badge.version} assertion, verified as the 2.0 model (as the 1EdTech "
        "validator-core upgrades 1.x badges)",
    )


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-cased; ``None`` for anything else."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


# --- the checks of the assertion itself ---------------------------------------------------------


def _check_context(checks: Checks, badge: LegacyAssertion) -> None:
    """1.1 only: every property defined by the v1 context (bundled with the legacy-v1 context it
    imports; inline contexts are refused)."""
    from badgekiln.verification.terms import check_defined_terms

    if badge.version == "1.1":
        # trust rests on the hosted copy or on a JWS over the JSON bytes: conformance, as for 2.0
        message = "the Open Badges 1.1 context defines every property"
        check_defined_terms(checks, badge.raw, message, signed_as_json=True)


def _identity_problems(badge: LegacyAssertion) -> list[str]:
    written = badge.declared_recipient
    if badge.version == "0.5":
        if not isinstance(written, str) or not written:
            return ["recipient must be the recipient's email or its salted hash"]
        salt = badge.salt
        return [] if salt is None or isinstance(salt, str) else ["salt must be text"]
    recipient = badge.recipient
    if recipient is None:
        return [f"recipient must be an IdentityObject, not {type(written).__name__} (the 0.5 form)"]
    problems = []
    if not isinstance(recipient.identity_type, str):
        problems.append("recipient.type is required")
    if not isinstance(recipient.identity, str):
        problems.append("recipient.identity must be text")
    if not isinstance(recipient.hashed, bool):
        problems.append("recipient.hashed must be true or false")
    return problems


def _structure_problems(badge: LegacyAssertion, verification: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(problems, conformance deviations): what trust needs (the recipient, the BadgeClass and
    issuer to find, the verification object, readable dates) is a problem; the rest of the 1.x
    schemas is conformance, as for 2.0."""
    problems = _identity_problems(badge)
    deviations: list[tuple[str, str]] = []
    if badge.version == "0.5":
        embedded = badge.badge_class
        if embedded is None:
            problems.append("badge must be the embedded BadgeClass (0.5)")
        else:
            issuer = Profile.of(embedded.issuer)
            if issuer is None or issuer.name is None:
                problems.append("badge.issuer must name the issuer (name and origin)")
            elif issuer.origin is None or _origin(issuer.origin) is None:
                problems.append(
                    f"badge.issuer.origin {repr(issuer.declared_origin)[:80]} is not an http(s) origin"
                )
    else:
        if not badge.uid:
            deviations.append(("uid is required", "no-uid"))
        if not is_http(badge.badge):
            problems.append("badge must be the URL of the BadgeClass")
        kind = badge.verification_type
        if badge.verify is None:
            problems.append("verify (the VerificationObject) is required")
        elif kind not in OB1_VERIFICATION_TYPES:
            problems.append(f"verify.type is {kind!r}, not 'hosted' or 'signed'")
        elif kind != verification:
            problems.append(f"verify.type is {kind!r}, but the badge was given as a {verification} one")
        if badge.verify is not None and not is_http(badge.verify_url):
            problems.append("verify.url must be an absolute http(s) URL")
        if not badge.has("issuedOn"):
            deviations.append(("issuedOn is required", "no-start"))
    if badge.version == "1.1":
        if "Assertion" not in badge.types:
            deviations.append((f"type {badge.type!r} is not Assertion", "assertion-type"))
        if not is_http(badge.declared_id) and verification == "hosted":
            deviations.append(("id must be the assertion's URL", "assertion-id"))
    for moment in (badge.issued_on, badge.expires):
        if moment is not None and moment.raw is not None and moment.problem is not None:
            problems.append(moment.problem)
    return problems, deviations


def _check_structure(checks: Checks, badge: LegacyAssertion, verification: str) -> None:
    problems, deviations = _structure_problems(badge, verification)
    if problems:
        checks.failed("structure", "; ".join(problems), "structure")
    for message, code in deviations:
        checks.deviation("structure", message, code)
    if not problems and not deviations:
        checks.passed("structure", f"a well-formed Open Badges {badge.version} assertion")


# --- BadgeClass and issuer ------------------------------------------------------------------------


def _fetch_node(session: Session, checks: Checks, url: Any, view: type[_V], kind: str) -> _V:
    """The 1.x (or upgraded 2.0) BadgeClass or issuer at ``url``.

    Raises:
        FetchError, MalformedPayload, InputTooLarge: it could not be had.
    """
    if not is_http(url):
        raise MalformedPayload(f"the {kind} must be named by its http(s) URL", reason="structure")
    node = view.of(session.fetch_json(url))
    if node is None:
        raise MalformedPayload(f"the {kind} at {url} is not a JSON object", reason="structure", url=url)
    declared = node.declared_id
    if declared is not None and declared != url:
        checks.warning(
            "structure",
            f"the {kind} fetched from {url} calls itself {declared!r}; it is used as the {kind} at {url}",
            "id-mismatch",
        )
    return node


def _resolve_issuer(
    session: Session, checks: Checks, badge: LegacyAssertion, documents: dict[str, Mapping[str, Any]]
) -> tuple[str | None, Profile | None]:
    """(issuer id, issuer profile): for 0.5 the embedded issuer (its id is its ``origin``), else
    the profile fetched from the BadgeClass's ``issuer`` (its id is that URL)."""
    if badge.version == "0.5":
        embedded = badge.badge_class
        profile = Profile.of(embedded.issuer) if embedded is not None else None
        origin = _origin(profile.origin or "") if profile is not None else None
        if profile is None or origin is None:
            checks.failed("issuer", "the 0.5 badge names no issuer origin to verify it against", "profile")
            return None, None
        return origin, profile
    try:
        badge_class = _fetch_node(session, checks, badge.badge, BadgeClass, "BadgeClass")
        documents[badge.badge] = badge_class.raw
        if badge_class.types and "BadgeClass" not in badge_class.types:
            checks.deviation("structure", f"the BadgeClass has type {badge_class.type!r}", "badgeclass-type")
        issuer_url = badge_class.issuer
        profile = _fetch_node(session, checks, issuer_url, Profile, "issuer profile")
        documents[issuer_url] = profile.raw
    except BadgeKilnError as exc:
        checks.error("issuer", exc, "the BadgeClass or issuer profile: ")
        return None, None
    if profile.types and _ISSUER_TYPES.isdisjoint(profile.types):
        checks.failed("issuer", f"the issuer profile has type {profile.type!r}, not Issuer", "profile")
    return issuer_url, profile


def _check_scope(checks: Checks, url: str, badge: LegacyAssertion, issuer_id: str, profile: Profile) -> None:
    if badge.version != "0.5":
        check_scope(checks, url, badge.badge, issuer_id, profile)
    elif _origin(url) != issuer_id:
        checks.failed(
            "issuer",
            f"outside the issuer's hosted-verification scope: the assertion is hosted on {_origin(url)}, "
            f"not on the issuer's origin {issuer_id}",
            "scope",
        )
    else:
        checks.passed("issuer", f"hosted on the issuer's origin {issuer_id} (0.5 rule)")


def _check_revocation_list(
    session: Session, checks: Checks, badge: LegacyAssertion, issuer_id: str, profile: Profile
) -> None:
    from badgekiln.status import check_ob1_revocation_list

    reference = profile.revocation_list
    if reference is None:
        return
    check_revocation(
        checks,
        lambda: check_ob1_revocation_list(
            reference,
            assertion_uid=badge.uid,
            assertion_id=badge.id,
            issuer=issuer_id,
            fetch_json=session.fetch_json,
            policy=session.options.status_policy,
        ),
    )


# --- hosted ---------------------------------------------------------------------------------------


def verify_given(session: Session, badge: LegacyAssertion, fmt: InputFormat) -> Report:
    """Verify a 1.x assertion given as JSON (or baked as JSON): from its hosted copy."""
    from badgekiln.verification.ob2 import verify_hosted

    url = badge.hosted_url
    if url is not None:
        return verify_hosted(session, fmt, url=url, baked=badge)
    checks = session.checks()
    _version_check(checks, badge)
    if badge.verification_type == "signed":
        checks.failed(
            "signature",
            "a signed 1.x badge travels as its JWS; this is its bare payload, which nothing signs",
            "no-proof",
        )
    elif badge.version == "0.5":
        checks.failed(
            "hosted",
            "an Open Badges 0.5 assertion is verified where it is hosted, and this copy names no URL: "
            "verify the URL it was issued at instead",
            "no-url",
        )
    else:
        checks.failed(
            "hosted", "the assertion names no http(s) URL of its hosted copy (verify.url)", "no-url"
        )
    return checks.report("ob1", fmt, summary_of(badge), None)


def _served_as(checks: Checks, url: str, hosted: LegacyAssertion) -> None:
    """The served copy must name the URL it was fetched from (1.1 ``id``, 1.0 ``verify.url``)."""
    if hosted.version == "1.1":
        named, member = hosted.declared_id, "id"
    elif hosted.version == "1.0":
        named, member = hosted.verify_url, "verify.url"
    else:
        return  # 0.5 names no URL: the one it came from is its id
    if named != url:
        checks.failed("hosted", f"the copy at {url} names {named!r} as its {member}", "id-mismatch")


def verify_served(
    session: Session,
    fmt: InputFormat,
    url: str,
    *,
    response: FetchResponse,
    hosted: LegacyAssertion,
    baked: Assertion | None,
) -> Report:
    """Verify the 1.x assertion served at ``url`` (the authoritative copy); ``baked`` is the copy
    that named the URL, if any."""
    checks = session.checks()
    _version_check(checks, hosted)
    if hosted.revoked:
        reason = hosted.revocation_reason
        checks.failed("hosted", f"{url} declares the assertion revoked", "revoked")
        checks.failed("status", f"revoked by its issuer{f' ({reason})' if reason else ''}", "revoked")
        return checks.report("ob1", fmt, summary_of(baked or hosted), "hosted")
    _served_as(checks, url, hosted)
    if checks.status_of("hosted") is None:
        if baked is not None and dict(baked.raw) != dict(hosted.raw):
            checks.warning(
                "hosted",
                f"the baked copy differs from the one at {url}; the hosted copy was verified",
                "differs",
            )
        else:
            checks.passed("hosted", f"served by the issuer at {response.url}")
    _check_context(checks, hosted)
    _check_structure(checks, hosted, "hosted")
    documents: dict[str, Mapping[str, Any]] = {url: hosted.raw}
    issuer_id, profile = _resolve_issuer(session, checks, hosted, documents)
    if issuer_id is not None and profile is not None:
        _check_scope(checks, url, hosted, issuer_id, profile)
        checks.passed("status", "not revoked: the issuer still serves the assertion")
        _check_revocation_list(session, checks, hosted, issuer_id, profile)
    check_window_and_recipient(session, checks, hosted)
    return checks.report("ob1", fmt, summary_of(hosted, documents), "hosted")


# --- signed ---------------------------------------------------------------------------------------


def _fetch_key(session: Session, url: str) -> PublicKey:
    """The public key a signed 1.x badge names: a PEM file, or a JSON CryptographicKey.

    Raises:
        FetchError, KeyResolutionError, MalformedPayload, InputTooLarge: no usable key there.
    """
    from badgekiln.keys.formats import load_pem_public_key
    from badgekiln.strictjson import loads_strict

    body = session.fetch(url, accept=KEY_TYPES).body
    if body.lstrip().startswith(_PEM_START):
        try:
            return load_pem_public_key(body.decode("ascii").strip())
        except UnicodeDecodeError as exc:
            raise KeyResolutionError(
                f"the key at {url} is not a PEM file", reason="key-document", url=url
            ) from exc
    document = CryptographicKey.of(loads_strict(body, source=f"the key at {url}"))
    pem = document.public_key_pem if document is not None else None
    if pem is None:
        raise KeyResolutionError(
            f"{url} serves neither a PEM public key nor a CryptographicKey with publicKeyPem",
            reason="key-document",
            url=url,
        )
    return load_pem_public_key(pem)


def _key_provenance(checks: Checks, key_url: str, issuer_id: str | None) -> None:
    """1.x profiles list no keys: the key must be published on the issuer's origin."""
    if issuer_id is None:
        if not checks.status_of("issuer"):
            checks.skipped("issuer", "not checked: the issuer profile could not be had")
        return
    home, key_home = _origin(issuer_id), _origin(key_url)
    if home is None or key_home != home:
        checks.failed(
            "issuer",
            f"the signing key {key_url} is not published on the issuer's origin {home or issuer_id!r}",
            "not-tied",
        )
    else:
        checks.passed("issuer", f"the key {key_url} is published on the issuer's origin {home}")


def verify_signed(session: Session, parsed: CompactJws, badge: LegacyAssertion, fmt: InputFormat) -> Report:
    """Verify a signed (JWS) 1.0/1.1 assertion: the parsed JWS and its decoded payload."""
    from badgekiln.proofs.jws import ALLOWED_ALGORITHMS, verify_compact

    checks = session.checks()
    _version_check(checks, badge)
    _check_context(checks, badge)
    _check_structure(checks, badge, "signed")
    documents: dict[str, Mapping[str, Any]] = {}
    issuer_id, profile = _resolve_issuer(session, checks, badge, documents)
    alg = parsed.alg
    key_url = badge.key_url
    pinned = session.pinned_key
    try:
        if pinned is not None:
            key, source = pinned, "the pinned key"
        elif key_url is None or not is_http(key_url):
            raise KeyResolutionError("the badge names no public key URL (verify.url)", reason="no-key")
        else:
            key, source = _fetch_key(session, key_url), key_url
        verify_compact(parsed, key, algorithms=ALLOWED_ALGORITHMS)
    except BadgeKilnError as exc:
        checks.error("signature", exc)
        if not checks.status_of("issuer"):
            checks.skipped("issuer", "not checked: no verified signature")
    else:
        checks.passed("signature", f"{alg} signature verified with {source}")
        if pinned is not None:
            checks.passed("issuer", "the issuer's key was pinned by the caller")
        elif key_url is not None:
            _key_provenance(checks, key_url, issuer_id)
    if issuer_id is not None and profile is not None:
        _check_revocation_list(session, checks, badge, issuer_id, profile)
    check_window_and_recipient(session, checks, badge)
    return checks.report("ob1", fmt, summary_of(badge, documents), f"jws {alg}")
