"""Open Badges 2.0: hosted and signed assertions (and the recognition of 1.x legacy badges).

Hosted: the copy served at the assertion's ``id`` is authoritative (the input only names the
URL); HTTP 410 or ``"revoked": true`` means revoked. Signed: a compact JWS whose key the issuer
profile's ``publicKey`` must list, whatever the key's ``owner`` claims. Both: the BadgeClass and
the issuer profile are fetched (embedded nodes with an HTTP id are fetched again), the issuer's
``revocationList`` is checked in full, ``expires`` and ``issuedOn`` are judged with the clock
skew, and the recipient is matched when asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from badgekiln.errors import (
    BadgeKilnError,
    FetchFailed,
    KeyResolutionError,
    MalformedPayload,
    StatusError,
)
from badgekiln.keys.signer import PublicKey
from badgekiln.verification._dates import check_window, parse_datetime
from badgekiln.verification._session import Checks, Session
from badgekiln.verification.report import Check, InputFormat, Report, Summary

if TYPE_CHECKING:
    from badgekiln.fetch import FetchResponse
    from badgekiln.proofs.jws import CompactJws

__all__ = [
    "MAX_PROFILE_KEYS",
    "OB1_CONTEXT",
    "OB2_CONTEXTS",
    "is_legacy",
    "legacy_report",
    "verify_hosted",
    "verify_signed",
]

#: The OB 2.0 context, at its canonical URL and at the alias the spec also publishes.
OB2_CONTEXTS: Final = frozenset(
    {"https://w3id.org/openbadges/v2", "https://openbadgespec.org/v2/context.json"}
)
OB1_CONTEXT: Final = "https://w3id.org/openbadges/v1"
_HOSTED: Final = frozenset({"HostedBadge", "hosted"})
_SIGNED: Final = frozenset({"SignedBadge", "signed"})
#: Keys tried for a signed assertion without ``verification.creator`` (all the profile lists).
MAX_PROFILE_KEYS: Final = 8


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _id_of(value: Any) -> str | None:
    found = value.get("id") if isinstance(value, Mapping) else value
    return found if isinstance(found, str) and found else None


def _is_http(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:  # malformed (an unclosed IPv6 bracket …): matches no issuer host
        return ""


# --- legacy ---------------------------------------------------------------------------------------


def is_legacy(document: Mapping[str, Any]) -> bool:
    """Whether a JSON assertion is Open Badges 1.0/1.1 (or 0.5): the v1 context, or an object
    without ``@context`` shaped like one (1.0's ``verify`` or ``uid``, or ``badge`` with
    ``recipient``)."""
    context = document.get("@context")
    if context == OB1_CONTEXT or (isinstance(context, list) and OB1_CONTEXT in context):
        return True
    if context is not None:
        return False
    return "verify" in document or "uid" in document or {"badge", "recipient"} <= set(document)


def legacy_report(document: Mapping[str, Any], fmt: InputFormat) -> Report:
    """A not-valid report for a 1.x badge, saying why."""
    message = (
        "an Open Badges 1.x assertion (legacy): badgekiln verifies Open Badges 2.0 and 3.0 only, and "
        "1.x verification URLs and keys are long retired; ask the issuer for a 2.0 or 3.0 badge"
    )
    summary = Summary(id=_id_of(document) or _id_of(document.get("uid")), type=("Assertion",))
    return Report("ob1", fmt, (Check("version", "failed", message, "legacy"),), summary)


# --- nodes ----------------------------------------------------------------------------------------


def _node(session: Session, checks: Checks, ref: Any, kind: str) -> tuple[str | None, Mapping[str, Any]]:
    """(URL it was fetched from, document) of a BadgeClass or issuer profile.

    A URL is fetched; an embedded node with an HTTP id is fetched again (the published copy is
    authoritative); other embedded nodes (``urn:uuid`` …) are used as they are.

    Raises:
        FetchError, MalformedPayload, InputTooLarge: the node could not be had.
    """
    url = ref if isinstance(ref, str) else _id_of(ref) if isinstance(ref, Mapping) else None
    if isinstance(ref, Mapping) and not _is_http(url):
        return None, ref
    if not _is_http(url):
        raise MalformedPayload(f"the {kind} must be an HTTP(S) URL or an embedded object", reason="structure")
    document = session.fetch_json(url)  # type: ignore[arg-type]
    if not isinstance(document, Mapping):
        raise MalformedPayload(f"the {kind} at {url} is not a JSON object", reason="structure", url=url)
    if document.get("id") != url:
        checks.warning(
            "structure",
            f"the {kind} fetched from {url} calls itself {document.get('id')!r}; "
            f"it is used as the {kind} at {url}",
            "id-mismatch",
        )
    return url, document


def _nested_contexts(document: Mapping[str, Any]) -> list[Any]:
    """Every ``@context`` entry below the top level (extension nodes carry their own)."""
    found: list[Any] = []
    stack: list[Any] = [value for key, value in document.items() if key != "@context"]
    while stack:  # bounded: parsed JSON is depth- and size-capped
        node = stack.pop()
        if isinstance(node, dict):
            found.extend(_list(node.get("@context")) if "@context" in node else [])
            stack.extend(value for key, value in node.items() if key != "@context")
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _check_context(checks: Checks, document: Mapping[str, Any]) -> None:
    from badgekiln.jsonld.loader import bundled_context_urls

    contexts = _list(document.get("@context"))
    nested = _nested_contexts(document)
    if not any(isinstance(entry, str) and entry in OB2_CONTEXTS for entry in contexts):
        shown = repr(document.get("@context"))[:120]
        checks.failed("context", f"@context {shown} is not the Open Badges 2.0 context", "ob2-context")
    elif not all(isinstance(entry, str) for entry in [*contexts, *nested]):
        message = "@context must list context URLs (inline definitions are refused)"
        checks.failed("context", message, "inline-context")
    elif unknown := [entry for entry in [*contexts, *nested] if entry not in bundled_context_urls()]:
        # an extension context badgekiln does not bundle: its terms (and their validation
        # schemas) cannot be known without fetching, and contexts are never fetched
        message = f"context {unknown[0]!r} is not bundled with badgekiln; contexts are never fetched"
        checks.failed("context", message, "unknown-context")
    else:
        checks.passed("context", "the Open Badges 2.0 context")


def _check_assertion(checks: Checks, assertion: Mapping[str, Any], verification: frozenset[str]) -> None:
    problems: list[str] = []
    if not _is_http(assertion.get("id")) and not str(assertion.get("id", "")).startswith("urn:uuid:"):
        problems.append("id must be an HTTP(S) URL or a urn:uuid")
    if "Assertion" not in _list(assertion.get("type")):
        problems.append(f"type {assertion.get('type')!r} is not Assertion")
    if not isinstance(assertion.get("recipient"), Mapping):
        problems.append("recipient must be an IdentityObject")
    if not isinstance(assertion.get("badge"), str | Mapping):
        problems.append("badge must be a BadgeClass URL or object")
    image = _id_of(assertion.get("image"))
    if image is not None and image.lower().startswith("data:"):
        # the Assertion's image is the baked badge, published at a URL (as the 1EdTech validator requires)
        problems.append("the Assertion image may not be a data: URI")
    declared = assertion.get("verification", assertion.get("verify"))
    kind = declared.get("type") if isinstance(declared, Mapping) else None
    if not isinstance(kind, str) or kind not in verification:
        wanted = "HostedBadge" if verification is _HOSTED else "SignedBadge"
        problems.append(f"verification.type is {kind!r}, not {wanted}")
    for field in ("issuedOn", "expires"):
        if field in assertion or field == "issuedOn":
            try:
                parse_datetime(assertion.get(field), field=field)
            except MalformedPayload as exc:
                problems.append(exc.message)
    if problems:
        checks.failed("structure", "; ".join(problems), "structure")
    else:
        checks.passed("structure", "a well-formed Open Badges 2.0 Assertion")
    extensions = sorted(name for name in assertion if name.startswith("extensions:"))
    if extensions:
        # their JSON Schemas are remote documents, and badgekiln fetches no schemas
        checks.warning("structure", f"extensions not validated: {', '.join(extensions)[:200]}", "extensions")


def _summary(
    assertion: Mapping[str, Any], badge: Mapping[str, Any] | None, profile: Mapping[str, Any] | None
) -> Summary:
    def name(node: Mapping[str, Any] | None) -> str | None:
        value = node.get("name") if node is not None else None
        return value if isinstance(value, str) else None

    recipient = assertion.get("recipient")
    identity = recipient.get("identity") if isinstance(recipient, Mapping) else None
    issued, expires = assertion.get("issuedOn"), assertion.get("expires")
    badge_ref = badge if badge is not None else assertion.get("badge")
    issuer_ref = profile if profile is not None else (badge or {}).get("issuer")
    return Summary(
        id=_id_of(assertion),
        type=tuple(t for t in _list(assertion.get("type")) if isinstance(t, str)),
        issuer={"id": _id_of(issuer_ref), "name": name(profile)},
        achievement={"id": _id_of(badge_ref), "name": name(badge)},
        recipient=identity if isinstance(identity, str) else None,
        issued=issued if isinstance(issued, str) else None,
        expires=expires if isinstance(expires, str) else None,
    )


def _resolve_issuer(
    session: Session, checks: Checks, assertion: Mapping[str, Any]
) -> tuple[Mapping[str, Any] | None, str | None, Mapping[str, Any] | None]:
    """(BadgeClass, issuer id, issuer profile); problems recorded on ``issuer``."""
    badge: Mapping[str, Any] | None = None
    try:
        _, badge = _node(session, checks, assertion.get("badge"), "BadgeClass")
        if "BadgeClass" not in _list(badge.get("type")):
            checks.failed("structure", f"the BadgeClass has type {badge.get('type')!r}", "structure")
        issuer_url, profile = _node(session, checks, badge.get("issuer"), "issuer profile")
    except BadgeKilnError as exc:
        checks.error("issuer", exc, "the BadgeClass or issuer profile: ")
        return badge, None, None
    if not {"Issuer", "Profile"} & {t for t in _list(profile.get("type")) if isinstance(t, str)}:
        checks.failed(
            "issuer", f"the issuer profile has type {profile.get('type')!r}, not Issuer/Profile", "profile"
        )
    issuer_id = issuer_url or _id_of(profile)
    if issuer_id is None:
        checks.failed("issuer", "the issuer profile has no id", "profile")
    return badge, issuer_id, profile


# --- hosted ---------------------------------------------------------------------------------------


def _check_scope(
    checks: Checks, assertion_id: str, badge_url: Any, issuer_id: str, profile: Mapping[str, Any]
) -> None:
    policy = profile.get("verification")
    starts = (
        [s for s in _list(policy.get("startsWith")) if isinstance(s, str)]
        if isinstance(policy, Mapping)
        else []
    )
    origins = (
        [o.lower() for o in _list(policy.get("allowedOrigins")) if isinstance(o, str)]
        if isinstance(policy, Mapping)
        else []
    )
    problems: list[str] = []
    if starts and not any(assertion_id.startswith(prefix) for prefix in starts):
        problems.append(f"{assertion_id} does not start with any of the issuer's startsWith {starts}")
    if origins and _host(assertion_id) not in origins:
        problems.append(f"{_host(assertion_id)} is not among the issuer's allowedOrigins {origins}")
    if not starts and not origins:
        # OB 2.0 default: Assertion and BadgeClass hosted on the issuer profile's origin (host)
        home = _host(issuer_id)
        for what, url in (("assertion", assertion_id), ("BadgeClass", badge_url)):
            if _is_http(url) and _host(url) != home:
                problems.append(f"the {what} is hosted on {_host(url)}, not on the issuer's {home}")
    if problems:
        checks.failed(
            "issuer", "outside the issuer's hosted-verification scope: " + "; ".join(problems), "scope"
        )
    else:
        rule = "its verification policy" if starts or origins else "the default same-origin rule"
        checks.passed("issuer", f"hosted within the issuer's scope ({rule})")


def verify_hosted(
    session: Session,
    fmt: InputFormat,
    *,
    url: str | None = None,
    baked: Mapping[str, Any] | None = None,
    prefetched: FetchResponse | BadgeKilnError | None = None,
) -> Report:
    """Verify a hosted OB 2.0 assertion from its URL, or from a (baked) copy naming it.

    ``prefetched`` is the answer (or the fetch error) already had from ``url``, so it is not
    fetched twice.
    """
    checks = Checks()
    target = url if url is not None else _id_of(baked)
    if target is None or not _is_http(target):
        if baked is not None:
            _check_context(checks, baked)
        checks.failed("hosted", "a hosted assertion needs an HTTP(S) id to be fetched from", "no-url")
        return Report("ob2", fmt, checks.freeze(), _summary(baked or {}, None, None), "hosted")
    try:
        if isinstance(prefetched, BadgeKilnError):
            raise prefetched
        response = prefetched if prefetched is not None else session.options.active_fetcher.get(target)
        hosted = response.json()
    except FetchFailed as exc:
        if exc.details.get("status") == 410:
            checks.failed("hosted", f"{target} answers 410 Gone: the issuer withdrew it", "gone")
            checks.failed("status", "revoked: the issuer answers HTTP 410 Gone for the assertion", "revoked")
        else:
            checks.error("hosted", exc, "the hosted assertion: ")
        return Report("ob2", fmt, checks.freeze(), _summary(baked or {}, None, None), "hosted")
    except BadgeKilnError as exc:
        checks.error("hosted", exc, "the hosted assertion: ")
        return Report("ob2", fmt, checks.freeze(), _summary(baked or {}, None, None), "hosted")
    if not isinstance(hosted, Mapping):
        checks.failed("hosted", f"{target} does not serve a JSON object", "hosted")
        return Report("ob2", fmt, checks.freeze(), _summary(baked or {}, None, None), "hosted")
    if hosted.get("revoked") is True:
        reason = hosted.get("revocationReason")
        because = f" ({reason})" if isinstance(reason, str) and reason else ""
        checks.failed("hosted", f"{target} declares the assertion revoked", "revoked")
        checks.failed("status", f"revoked by its issuer{because}", "revoked")
        return Report("ob2", fmt, checks.freeze(), _summary(baked or hosted, None, None), "hosted")
    if hosted.get("id") != target:
        checks.failed("hosted", f"the copy at {target} calls itself {hosted.get('id')!r}", "id-mismatch")
    elif baked is not None and dict(baked) != dict(hosted):
        checks.warning(
            "hosted",
            f"the baked copy differs from the one at {target}; the hosted copy was verified",
            "differs",
        )
    else:
        checks.passed("hosted", f"served by the issuer at {response.url}")
    _check_context(checks, hosted)
    _check_assertion(checks, hosted, _HOSTED)
    badge, issuer_id, profile = _resolve_issuer(session, checks, hosted)
    if issuer_id is not None and profile is not None:
        badge_ref = hosted.get("badge")
        _check_scope(
            checks,
            target,
            _id_of(badge_ref) if isinstance(badge_ref, Mapping) else badge_ref,
            issuer_id,
            profile,
        )
        checks.passed("status", "not revoked: the issuer still serves the assertion")
        _check_revocation_list(session, checks, hosted, issuer_id, profile)
    _finish(session, checks, hosted)
    return Report("ob2", fmt, checks.freeze(), _summary(hosted, badge, profile), "hosted")


# --- signed ---------------------------------------------------------------------------------------


def _fetch_key(session: Session, key_id: str) -> tuple[PublicKey, Mapping[str, Any]]:
    from badgekiln.keys.formats import load_pem_public_key

    document = session.fetch_json(key_id)
    if not isinstance(document, Mapping) or "CryptographicKey" not in _list(document.get("type")):
        raise KeyResolutionError(f"{key_id} is not a CryptographicKey", reason="key-document", url=key_id)
    if document.get("id") != key_id:
        raise KeyResolutionError(
            f"the key document at {key_id} calls itself {document.get('id')!r}",
            reason="document-id",
            url=key_id,
        )
    pem = document.get("publicKeyPem")
    if not isinstance(pem, str):
        raise KeyResolutionError(f"{key_id} has no publicKeyPem", reason="key-document", url=key_id)
    return load_pem_public_key(pem), document


def _candidate_keys(
    session: Session, checks: Checks, assertion: Mapping[str, Any], profile: Mapping[str, Any] | None
) -> list[tuple[str, PublicKey, Mapping[str, Any]]]:
    """(key id, key, key document) to check the signature with: the pinned key, else the
    ``verification.creator`` key, else every key the issuer profile lists. Whether the profile
    vouches for the key that verifies is decided afterwards (:func:`_key_provenance`)."""
    pinned = session.pinned_key
    if pinned is not None:
        return [("the pinned key", pinned, {})]
    verification = assertion.get("verification")
    creator = verification.get("creator") if isinstance(verification, Mapping) else None
    if isinstance(creator, str):
        key_ids = [creator]
    elif profile is not None:
        key_ids = [k for k in (_id_of(e) for e in _list(profile.get("publicKey"))) if k][:MAX_PROFILE_KEYS]
        if not key_ids:
            checks.failed(
                "issuer", "the issuer profile lists no publicKey to verify the signature with", "no-key"
            )
    else:
        key_ids = []
    keys = []
    for key_id in key_ids:
        try:
            key, document = _fetch_key(session, key_id)
        except BadgeKilnError as exc:
            checks.error("signature", exc, "the signing key: ")
            continue
        keys.append((key_id, key, document))
    return keys


def _key_provenance(
    checks: Checks,
    key_id: str,
    document: Mapping[str, Any],
    issuer_id: str | None,
    profile: Mapping[str, Any] | None,
) -> None:
    """The issuer profile's ``publicKey`` must list the key, whatever the key's ``owner`` says."""
    if profile is None or issuer_id is None:
        if not checks.status_of("issuer"):
            checks.skipped("issuer", "not checked: the issuer profile could not be had")
        return
    listed = [_id_of(entry) for entry in _list(profile.get("publicKey"))]
    if key_id not in listed:
        checks.failed(
            "issuer",
            f"the signing key {key_id} is not listed by the issuer profile's publicKey "
            f"({', '.join(str(k) for k in listed if k) or 'none'})",
            "not-tied",
        )
        return
    checks.passed("issuer", f"the key {key_id} is listed by the issuer profile {issuer_id}")
    owner = document.get("owner")
    if owner != issuer_id:
        checks.warning("issuer", f"the key's owner is {owner!r}, not the issuer {issuer_id}", "owner")


def verify_signed(
    session: Session, parsed: CompactJws, assertion: Mapping[str, Any], fmt: InputFormat
) -> Report:
    """Verify a signed (JWS) OB 2.0 assertion: the parsed JWS and its decoded payload."""
    from badgekiln.proofs.jws import ALLOWED_ALGORITHMS, verify_compact

    checks = Checks()
    _check_context(checks, assertion)
    _check_assertion(checks, assertion, _SIGNED)
    badge, issuer_id, profile = _resolve_issuer(session, checks, assertion)
    alg = parsed.alg
    verified: tuple[str, Mapping[str, Any]] | None = None
    for key_id, key, document in _candidate_keys(session, checks, assertion, profile):
        try:
            verify_compact(parsed, key, algorithms=ALLOWED_ALGORITHMS)
        except BadgeKilnError as exc:
            checks.error("signature", exc, f"with {key_id}: ")
            continue
        verified = (key_id, document)
        break
    if verified is None:
        if not checks.status_of("signature"):
            checks.skipped("signature", "not checked: no key to verify the signature with", "no-key")
        if not checks.status_of("issuer"):
            checks.skipped("issuer", "not checked: no verified signature")
    else:
        key_id, document = verified
        checks.passed("signature", f"{alg} signature verified with {key_id}")
        if session.pinned_key is not None:
            checks.passed("issuer", "the issuer's key was pinned by the caller")
        else:
            _key_provenance(checks, key_id, document, issuer_id, profile)
    if issuer_id is not None and profile is not None:
        _check_revocation_list(session, checks, assertion, issuer_id, profile)
    _finish(session, checks, assertion)
    return Report("ob2", fmt, checks.freeze(), _summary(assertion, badge, profile), f"jws {alg}")


# --- shared tail ----------------------------------------------------------------------------------


def _check_revocation_list(
    session: Session, checks: Checks, assertion: Mapping[str, Any], issuer_id: str, profile: Mapping[str, Any]
) -> None:
    from badgekiln.status import check_ob2_revocation_list

    reference = profile.get("revocationList")
    assertion_id = _id_of(assertion)
    if reference is None or assertion_id is None:
        return
    uid = assertion.get("uid")
    try:
        result = check_ob2_revocation_list(
            reference,
            assertion_id=assertion_id,
            assertion_uid=uid if isinstance(uid, str) else None,
            issuer=issuer_id,
            fetch_json=session.fetch_json,
            policy=session.options.status_policy,
        )
    except StatusError as exc:
        checks.error("status", exc)
        return
    if result.set:
        because = f" ({result.message})" if result.message else ""
        checks.failed("status", f"revoked by its issuer{because}: listed in {result.list_url}", "revoked")
    else:
        checks.passed("status", f"not revoked: not in the issuer's revocation list {result.list_url}")


def _finish(session: Session, checks: Checks, assertion: Mapping[str, Any]) -> None:
    from badgekiln.verification.recipient import find_ob2_recipient

    try:
        issued = parse_datetime(assertion.get("issuedOn"), field="issuedOn")
        expires = parse_datetime(assertion["expires"], field="expires") if "expires" in assertion else None
    except MalformedPayload:
        pass  # reported by the structure check
    else:
        check_window(
            checks,
            start=issued,
            start_field="issuedOn",
            end=expires,
            end_field="expires",
            now=session.now,
            skew=session.options.clock_skew,
        )
    identity = session.options.recipient
    if identity is None:
        return
    try:
        match = find_ob2_recipient(assertion.get("recipient"), identity)
    except MalformedPayload as exc:
        checks.error("recipient", exc)
        return
    if match is None:
        checks.failed("recipient", f"the badge was not awarded to {identity}", "recipient-mismatch")
    else:
        hashed = f", {match.algorithm} hash" if match.hashed else ""
        checks.passed("recipient", f"awarded to {identity} ({match.identity_type}{hashed})")
