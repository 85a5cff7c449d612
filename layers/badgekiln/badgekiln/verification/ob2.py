"""Open Badges 2.0: hosted and signed assertions (1.x assertions: :mod:`.legacy`).

Hosted: the copy served at the assertion's ``id`` is authoritative (the input only names the
URL); HTTP 410 or ``"revoked": true`` means revoked. The VerificationObject picks the procedure:
a JWS whose payload says ``HostedBadge`` is verified as hosted, its signature checked only as
defence in depth (a note on ``signature``, never the verdict: a hosted badge need not be
signed). Signed: a compact JWS whose key the issuer profile's ``publicKey`` must list,
whatever the key's ``owner`` claims. Both: the BadgeClass and the issuer profile are fetched
(embedded nodes with an HTTP id are fetched again), the issuer's ``revocationList`` is checked
in full, ``expires`` and ``issuedOn`` are judged with the clock skew, and the recipient is
matched when asked. Documents are read through
:mod:`badgekiln.model.ob2`. A hosted URL that serves an Open Badges 0.5/1.x assertion hands it
to :mod:`badgekiln.verification.legacy`, which shares the scope rule, the dates and the recipient
match (:func:`check_scope`, :func:`check_window_and_recipient`) and the summary (:func:`summary_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeGuard, TypeVar
from urllib.parse import urlsplit

from badgekiln.errors import (
    BadgeKilnError,
    FetchError,
    FetchFailed,
    KeyResolutionError,
    MalformedPayload,
    StatusError,
)
from badgekiln.jsonld.loader import bundled_context_urls
from badgekiln.keys.signer import PublicKey
from badgekiln.model.claims import claims_of
from badgekiln.model.node import Node, as_list, id_of, image_of, is_object, non_empty, string
from badgekiln.model.ob2 import (
    OB2_CONTEXTS,
    Assertion,
    BadgeClass,
    CryptographicKey,
    LegacyAssertion,
    Profile,
)
from badgekiln.model.reader import is_legacy
from badgekiln.proofs.jws import ALLOWED_ALGORITHMS, verify_compact
from badgekiln.verification._dates import check_window
from badgekiln.verification._session import Checks, Session, record_endorsements
from badgekiln.verification.report import InputFormat, Report, Summary

if TYPE_CHECKING:
    from badgekiln.fetch import FetchResponse
    from badgekiln.proofs.jws import CompactJws
    from badgekiln.status import StatusResult

__all__ = [
    "MAX_PROFILE_KEYS",
    "check_revocation",
    "check_scope",
    "check_window_and_recipient",
    "host_of",
    "is_hosted",
    "is_http",
    "method_and_date_problems",
    "signing_key",
    "summary_of",
    "unverified",
    "verify_hosted",
    "verify_signed",
]

_HOSTED: Final = frozenset({"HostedBadge", "hosted"})
_SIGNED: Final = frozenset({"SignedBadge", "signed"})
_PROFILE_TYPES: Final = frozenset({"Issuer", "Profile"})
#: Keys tried for a signed assertion without ``verification.creator`` (all the profile lists).
MAX_PROFILE_KEYS: Final = 8

_V = TypeVar("_V", bound=Node)


def is_hosted(assertion: Assertion) -> bool:
    """Whether the assertion's VerificationObject says it is verified as hosted."""
    kind = assertion.verification_type
    return isinstance(kind, str) and kind in _HOSTED


def is_http(value: Any) -> TypeGuard[str]:
    """Whether ``value`` is an http(s) URL string."""
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def host_of(url: str) -> str:
    """The lower-cased host (and port) of ``url``; ``""`` when it has none or is malformed."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:  # malformed (an unclosed IPv6 bracket …): matches no issuer host
        return ""


def summary_of(
    assertion: Assertion | None, documents: Mapping[str, Mapping[str, Any]] | None = None
) -> Summary:
    """What the assertion claims, its BadgeClass and profile read from ``documents`` (by URL)."""
    lookup = documents.get if documents else None
    return Summary.of(claims_of(assertion or Assertion({}), lookup))


def _summary_of_nodes(
    assertion: Assertion, badge: BadgeClass, badge_id: str | None, profile: Profile, profile_id: str | None
) -> Summary:
    """:func:`summary_of` the assertion, given the BadgeClass and profile (and their ids) it
    would look up: every verification reports one, so it is spelt out here for the nodes
    already had rather than read through :class:`~badgekiln.model.claims.Claims` again."""
    recipient = assertion.recipient
    issued, expires = assertion.issued, assertion.expires
    return Summary(
        id=assertion.id,
        type=assertion.types,
        issuer={"id": profile_id, "name": string(profile.raw.get("name"))},  # Node.name
        achievement={"id": badge_id, "name": string(badge.raw.get("name"))},
        recipient=string(recipient.identity) if recipient is not None else None,
        issued=issued.text if issued else None,
        expires=expires.text if expires else None,
    )


# --- nodes ----------------------------------------------------------------------------------------


def _node(session: Session, checks: Checks, ref: Any, view: type[_V], kind: str) -> tuple[str | None, _V]:
    """(URL it was fetched from, view) of a BadgeClass or issuer profile.

    A URL is fetched; an embedded node with an HTTP id is fetched again (the published copy is
    authoritative); other embedded nodes (``urn:uuid`` …) are used as they are.

    Raises:
        FetchError, MalformedPayload, InputTooLarge: the node could not be had.
    """
    embedded = is_object(ref)
    url = non_empty(ref.get("id") if embedded else ref)  # id_of(ref)
    if not is_http(url):
        if embedded:
            return None, view(ref)
        raise MalformedPayload(f"the {kind} must be an HTTP(S) URL or an embedded object", reason="structure")
    node = session.fetch(url).derived(view.of)  # one view per issuer document, as its parse
    if node is None:
        raise MalformedPayload(f"the {kind} at {url} is not a JSON object", reason="structure", url=url)
    declared = node.raw.get("id")
    if declared != url:
        checks.warning(
            "structure",
            f"the {kind} fetched from {url} calls itself {declared!r}; it is used as the {kind} at {url}",
            "id-mismatch",
        )
    return url, node


def _nested_contexts(assertion: Assertion, payload: bytes | None) -> list[Any]:
    """:attr:`Assertion.nested_contexts`, without walking the assertion when ``payload`` (the
    JSON text it was parsed from) shows it has none: a member named ``@context`` is written
    ``"@context"`` unless an escape spells it, so a text without a backslash and without more
    occurrences than the top level's own member has no nested one. (Any other backslash, or an
    occurrence in a string, only means the walk is done.)"""
    if (
        payload is not None
        and b"\\" not in payload
        and payload.count(b'"@context"') <= ("@context" in assertion.raw)
    ):
        return []
    return assertion.nested_contexts


def _check_context(
    session: Session, checks: Checks, assertion: Assertion, payload: bytes | None = None
) -> None:
    """The 2.0 context and bundled (or caller-pinned) extension contexts: conformance (an OB 2.0
    assertion's trust rests on where it is hosted or on its JWS over the JSON bytes, not on
    JSON-LD). ``payload`` is the JSON text the assertion was parsed from, when there is one."""
    contexts = assertion.contexts
    nested = _nested_contexts(assertion, payload)
    if not nested and len(contexts) == 1 and isinstance(contexts[0], str) and contexts[0] in OB2_CONTEXTS:
        # the common case, first: the 2.0 context alone (bundled, so nothing to pin or refuse)
        checks.passed("context", "the Open Badges 2.0 context")
        return
    bundled = bundled_context_urls()
    # every entry not outside the bundled ones is a URL (a string)
    outside = [entry for entry in contexts if not isinstance(entry, str) or entry not in bundled]
    if nested:
        outside += [entry for entry in nested if not isinstance(entry, str) or entry not in bundled]
    pinned = session.note_pinned_contexts(checks, outside) if outside else frozenset()
    if OB2_CONTEXTS.isdisjoint([entry for entry in contexts if isinstance(entry, str)]):
        shown = repr(assertion.context)[:120]
        checks.deviation("context", f"@context {shown} is not the Open Badges 2.0 context", "ob2-context")
    elif outside and not all(isinstance(entry, str) for entry in outside):
        message = "@context must list context URLs (inline definitions are refused)"
        checks.deviation("context", message, "inline-context")
    elif unknown := [entry for entry in outside if entry not in pinned]:
        # an extension context badgekiln does not bundle: its terms (and their validation
        # schemas) cannot be known without fetching, and contexts are never fetched
        message = (
            f"context {unknown[0]!r} is not bundled with badgekiln and contexts are never fetched "
            "(pin a copy you trust: documents= / --document URL=PATH)"
        )
        checks.deviation("context", message, "unknown-context")
    else:
        checks.passed("context", "the Open Badges 2.0 context")


def method_and_date_problems(assertion: Assertion, verification: frozenset[str]) -> list[str]:
    """What makes an assertion (or an Endorsement, read as one) unverifiable by ``verification``
    (:data:`_HOSTED` or :data:`_SIGNED`): another ``verification.type``, an unreadable
    ``issuedOn``/``expires``."""
    problems: list[str] = []
    kind = assertion.verification_type
    if not isinstance(kind, str) or kind not in verification:
        wanted = "HostedBadge" if verification is _HOSTED else "SignedBadge"
        problems.append(f"verification.type is {kind!r}, not {wanted}")
    for moment in (assertion.issued_on, assertion.expires):
        if moment is not None and moment.problem is not None:
            problems.append(moment.problem)
    return problems


def _check_assertion(checks: Checks, assertion: Assertion, verification: frozenset[str]) -> None:
    """Required members. What trust needs (a recipient, a BadgeClass to find the issuer by,
    the verification method, readable dates) fails; the rest of the 2.0 profile is conformance."""
    raw = assertion.raw  # read directly: every verification asks all of these once
    problems: list[str] = []
    deviations: list[tuple[str, str]] = []
    declared = raw.get("id")
    if not is_http(declared) and not str(declared).startswith("urn:uuid:"):
        deviations.append(("id must be an HTTP(S) URL or a urn:uuid", "assertion-id"))
    if "Assertion" not in assertion.types:
        deviations.append((f"type {raw.get('type')!r} is not Assertion", "assertion-type"))
    if assertion.recipient is None:
        problems.append("recipient must be an IdentityObject")
    badge = raw.get("badge")
    if not isinstance(badge, str) and not is_object(badge):
        problems.append("badge must be a BadgeClass URL or object")
    image = image_of(raw.get("image"))
    if image is not None and image.lower().startswith("data:"):
        # the Assertion's image is the baked badge, published at a URL (as the 1EdTech validator requires)
        deviations.append(("the Assertion image may not be a data: URI", "data-image"))
    problems += method_and_date_problems(assertion, verification)
    if problems:
        checks.failed("structure", "; ".join(problems), "structure")
    for message, code in deviations:
        checks.deviation("structure", message, code)
    if not problems and not deviations:
        checks.passed("structure", "a well-formed Open Badges 2.0 Assertion")
    if extensions := assertion.extensions:
        # their JSON Schemas are remote documents, and badgekiln fetches no schemas
        shown = ", ".join(extensions)[:200]
        checks.warning("structure", f"extensions not validated: {shown}", "extensions")


def _resolve_issuer(
    session: Session, checks: Checks, assertion: Assertion, documents: dict[str, Mapping[str, Any]]
) -> tuple[str | None, Profile | None, Summary | None]:
    """(issuer id, issuer profile, the report's summary of the assertion and both); problems
    recorded on ``issuer``, the documents fetched for the BadgeClass and the profile put in
    ``documents`` by URL. All ``None`` when the nodes could not be had (then :func:`summary_of`
    reads what there is from ``documents``)."""
    try:
        badge_url, badge = _node(session, checks, assertion.badge, BadgeClass, "BadgeClass")
        if badge_url is not None:
            documents[badge_url] = badge.raw
        if "BadgeClass" not in badge.types:
            checks.deviation("structure", f"the BadgeClass has type {badge.type!r}", "badgeclass-type")
        issuer_url, profile = _node(session, checks, badge.issuer, Profile, "issuer profile")
        if issuer_url is not None:
            documents[issuer_url] = profile.raw
    except BadgeKilnError as exc:
        checks.error("issuer", exc, "the BadgeClass or issuer profile: ")
        return None, None, None
    if _PROFILE_TYPES.isdisjoint(profile.types):
        checks.failed(
            "issuer", f"the issuer profile has type {profile.type!r}, not Issuer/Profile", "profile"
        )
    issuer_id = issuer_url or profile.id
    if issuer_id is None:
        checks.failed("issuer", "the issuer profile has no id", "profile")
    # the very nodes summary_of would read back from ``documents`` (a fetched node that names
    # no id is known by its URL)
    summary = _summary_of_nodes(assertion, badge, badge.id or badge_url, profile, profile.id or issuer_url)
    return issuer_id, profile, summary


# --- hosted ---------------------------------------------------------------------------------------


def check_scope(checks: Checks, assertion_id: str, badge_url: Any, issuer_id: str, profile: Profile) -> None:
    """The ``issuer`` check of a hosted assertion: within the profile's verification policy, or
    by default on the issuer profile's host (assertion and BadgeClass alike)."""
    starts = profile.starts_with
    origins = profile.allowed_origins
    problems: list[str] = []
    if starts and not any(assertion_id.startswith(prefix) for prefix in starts):
        problems.append(f"{assertion_id} does not start with any of the issuer's startsWith {starts}")
    if origins and host_of(assertion_id) not in origins:
        problems.append(f"{host_of(assertion_id)} is not among the issuer's allowedOrigins {origins}")
    if not starts and not origins:
        # OB 2.0 default: Assertion and BadgeClass hosted on the issuer profile's origin (host)
        home = host_of(issuer_id)
        for what, url in (("assertion", assertion_id), ("BadgeClass", badge_url)):
            if is_http(url) and host_of(url) != home:
                problems.append(f"the {what} is hosted on {host_of(url)}, not on the issuer's {home}")
    if problems:
        checks.failed(
            "issuer", "outside the issuer's hosted-verification scope: " + "; ".join(problems), "scope"
        )
    else:
        rule = "its verification policy" if starts or origins else "the default same-origin rule"
        checks.passed("issuer", f"hosted within the issuer's scope ({rule})")


def _fetch_served(
    session: Session,
    checks: Checks,
    target: str,
    *,
    what: str,
    who: str,
    prefetched: FetchResponse | BadgeKilnError | None = None,
) -> tuple[FetchResponse, Any] | None:
    """(response, JSON) served at ``target``, the authoritative copy of a hosted ``what``;
    ``None`` when it could not be had (``hosted`` recorded, and ``status`` for a 410 Gone)."""
    try:
        if isinstance(prefetched, BadgeKilnError):
            raise prefetched
        response = prefetched if prefetched is not None else session.fetch(target)
        return response, response.json()
    except FetchError as exc:
        if isinstance(exc, FetchFailed) and exc.details.get("status") == 410:
            checks.failed("hosted", f"{target} answers 410 Gone: the {who} withdrew it", "gone")
            checks.failed("status", f"revoked: the {who} answers HTTP 410 Gone for the {what}", "revoked")
        else:
            checks.error("hosted", exc, f"the hosted {what} could not be retrieved from {target}: ")
    except BadgeKilnError as exc:
        checks.error("hosted", exc, f"the hosted {what} at {target} is not usable: ")
    return None


def _compare_served(
    checks: Checks, target: str, hosted: Assertion, *, copy: Assertion | None, kind: str, ok: str
) -> None:
    """The ``hosted`` check of the copy served at ``target``: it must call itself by that URL;
    a ``kind`` (baked, embedded) ``copy`` that differs is a warning (the served one is used)."""
    if hosted.declared_id != target:
        checks.failed("hosted", f"the copy at {target} calls itself {hosted.declared_id!r}", "id-mismatch")
    elif copy is not None and dict(copy.raw) != dict(hosted.raw):
        checks.warning(
            "hosted",
            f"the {kind} copy differs from the one at {target}; the hosted copy was verified",
            "differs",
        )
    else:
        checks.passed("hosted", ok)


def verify_hosted(
    session: Session,
    fmt: InputFormat,
    *,
    url: str | None = None,
    baked: Assertion | None = None,
    prefetched: FetchResponse | BadgeKilnError | None = None,
    jws: CompactJws | None = None,
) -> Report:
    """Verify a hosted OB 2.0 assertion from its URL, or from a (baked) copy naming it.

    ``prefetched`` is the answer (or the fetch error) already had from ``url``, so it is not
    fetched twice. ``jws`` is the JWS the baked copy came in (its payload said HostedBadge):
    its signature is checked as defence in depth only (:func:`_check_envelope`).
    """
    checks = session.checks()
    spec = baked.spec if baked is not None else "ob2"
    target = url if url is not None else baked.id if baked is not None else None
    if target is None or not is_http(target):
        if baked is not None:
            _check_context(session, checks, baked)
        checks.failed("hosted", "a hosted assertion needs an HTTP(S) id to be fetched from", "no-url")
        return checks.report(spec, fmt, summary_of(baked), "hosted")
    fetched = _fetch_served(session, checks, target, what="assertion", who="issuer", prefetched=prefetched)
    if fetched is None:
        return checks.report(spec, fmt, summary_of(baked), "hosted")
    response, served = fetched
    if isinstance(served, Mapping) and is_legacy(served):
        from badgekiln.verification.legacy import verify_served

        return verify_served(
            session, fmt, target, response=response, hosted=LegacyAssertion(served), baked=baked
        )
    hosted = Assertion.of(served)
    if hosted is None:
        checks.failed("hosted", f"{target} does not serve a JSON object", "hosted")
        return checks.report(spec, fmt, summary_of(baked), "hosted")
    if hosted.revoked:
        reason = hosted.revocation_reason
        because = f" ({reason})" if reason else ""
        checks.failed("hosted", f"{target} declares the assertion revoked", "revoked")
        checks.failed("status", f"revoked by its issuer{because}", "revoked")
        return checks.report(spec, fmt, summary_of(baked or hosted), "hosted")
    _compare_served(
        checks, target, hosted, copy=baked, kind="baked", ok=f"served by the issuer at {response.url}"
    )
    _check_context(session, checks, hosted)
    _check_assertion(checks, hosted, _HOSTED)
    documents: dict[str, Mapping[str, Any]] = {}
    issuer_id, profile, summary = _resolve_issuer(session, checks, hosted, documents)
    if issuer_id is not None and profile is not None:
        check_scope(checks, target, id_of(hosted.badge), issuer_id, profile)
        checks.passed("status", "not revoked: the issuer still serves the assertion")
        _check_revocation_list(session, checks, hosted, issuer_id, profile)
    if jws is not None:
        _check_envelope(session, checks, jws, hosted, profile)
    check_window_and_recipient(session, checks, hosted)
    endorsements = _endorsements(session, checks, hosted, documents, profile)
    if summary is None:
        summary = summary_of(hosted, documents)
    return checks.report("ob2", fmt, summary, "hosted", endorsements=endorsements)


def _check_envelope(
    session: Session, checks: Checks, jws: CompactJws, hosted: Assertion, profile: Profile | None
) -> None:
    """The JWS a hosted badge was baked in, as defence in depth: ``signature`` passes when a key
    the issuer profile lists (the hosted copy's ``creator``, else every listed key; or the pinned
    key) verifies it, and is a warning otherwise — never a failure, since the hosted copy, not
    the signature, is what a hosted badge's trust rests on (as openbadgeslib does)."""
    scratch = session.checks()  # key problems are this note's, not the issuer check's
    listed = profile.public_keys if profile is not None else []
    for key_id, key, _ in _candidate_keys(session, scratch, hosted, profile):
        if session.pinned_key is None and key_id not in listed:
            continue
        try:
            verify_compact(jws, key, algorithms=ALLOWED_ALGORITHMS)
        except BadgeKilnError:
            continue
        checks.passed(
            "signature",
            f"the {jws.alg} JWS the badge was baked in also verifies with {key_id} "
            "(defence in depth; the hosted copy is authoritative)",
        )
        return
    checks.warning(
        "signature",
        f"the {jws.alg} JWS the badge was baked in was not verified by a key the issuer lists; "
        "the hosted copy is authoritative",
        "envelope",
    )


# --- signed ---------------------------------------------------------------------------------------


def _fetch_key(session: Session, key_id: str) -> tuple[PublicKey, CryptographicKey]:
    from badgekiln.keys.formats import load_pem_public_key

    document = session.fetch(key_id).derived(CryptographicKey.of)
    if document is None or "CryptographicKey" not in document.types:
        raise KeyResolutionError(f"{key_id} is not a CryptographicKey", reason="key-document", url=key_id)
    if document.declared_id != key_id:
        raise KeyResolutionError(
            f"the key document at {key_id} calls itself {document.declared_id!r}",
            reason="document-id",
            url=key_id,
        )
    pem = document.public_key_pem
    if pem is None:
        raise KeyResolutionError(f"{key_id} has no publicKeyPem", reason="key-document", url=key_id)
    return load_pem_public_key(pem), document


def _candidate_keys(
    session: Session, checks: Checks, assertion: Assertion, profile: Profile | None
) -> list[tuple[str, PublicKey, CryptographicKey | None]]:
    """(key id, key, key document) to check the signature with: the pinned key, else the
    ``verification.creator`` key, else every key the issuer profile lists. Whether the profile
    vouches for the key that verifies is decided afterwards (:func:`_key_provenance`)."""
    pinned = session.pinned_key
    if pinned is not None:
        return [("the pinned key", pinned, None)]
    creator = assertion.creator
    if creator is not None:
        key_ids = [creator]
    elif profile is not None:
        key_ids = [k for k in profile.public_keys if k][:MAX_PROFILE_KEYS]
        if not key_ids:
            checks.failed(
                "issuer", "the issuer profile lists no publicKey to verify the signature with", "no-key"
            )
    else:
        key_ids = []
    keys: list[tuple[str, PublicKey, CryptographicKey | None]] = []
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
    document: CryptographicKey | None,
    issuer_id: str | None,
    profile: Profile | None,
) -> None:
    """The issuer profile's ``publicKey`` must list the key, whatever the key's ``owner`` says."""
    if profile is None or issuer_id is None:
        if not checks.status_of("issuer"):
            checks.skipped("issuer", "not checked: the issuer profile could not be had")
        return
    listed = profile.public_keys
    if key_id not in listed:
        checks.failed(
            "issuer",
            f"the signing key {key_id} is not listed by the issuer profile's publicKey "
            f"({', '.join(str(k) for k in listed if k) or 'none'})",
            "not-tied",
        )
        return
    checks.passed("issuer", f"the key {key_id} is listed by the issuer profile {issuer_id}")
    owner = document.owner if document is not None else None
    if owner != issuer_id:
        checks.warning("issuer", f"the key's owner is {owner!r}, not the issuer {issuer_id}", "owner")


def signing_key(
    session: Session, checks: Checks, parsed: CompactJws, assertion: Assertion, profile: Profile | None
) -> tuple[str, CryptographicKey | None] | None:
    """(key id, key document) of the first candidate key (:func:`_candidate_keys`) that verifies
    ``parsed``, else ``None``. The keys a profile lists are tried in turn, so what the others say
    (unreachable, signed by another key) is recorded on ``checks`` only when none verifies: a
    profile listing an old key before the current one is not a failed signature."""
    # a pinned key is the one candidate and records nothing: no scratch collector for it
    scratch = checks if session.pinned_key is not None else session.checks()
    rejected: list[tuple[str, BadgeKilnError]] = []
    for key_id, key, document in _candidate_keys(session, scratch, assertion, profile):
        try:
            verify_compact(parsed, key, algorithms=ALLOWED_ALGORITHMS)
        except BadgeKilnError as exc:
            rejected.append((key_id, exc))
            continue
        return key_id, document
    if scratch is not checks:
        for found in scratch.freeze():
            checks.add(found.id, found.status, found.message, found.code)
    for key_id, refusal in rejected:
        checks.error("signature", refusal, f"with {key_id}: ")
    return None


def unverified(checks: Checks) -> None:
    """The ``signature`` and ``issuer`` checks of a JWS no candidate key verified, where nothing
    recorded why: skipped (nothing was checked), which leaves the badge not valid."""
    if not checks.status_of("signature"):
        checks.skipped("signature", "not checked: no key to verify the signature with", "no-key")
    if not checks.status_of("issuer"):
        checks.skipped("issuer", "not checked: no verified signature")


def verify_signed(session: Session, parsed: CompactJws, assertion: Assertion, fmt: InputFormat) -> Report:
    """Verify a signed (JWS) OB 2.0 assertion: the parsed JWS and its payload, decoded (the
    view of exactly the JSON of ``parsed.payload``: its text is read for nested contexts)."""
    checks = session.checks()
    _check_context(session, checks, assertion, parsed.payload)
    _check_assertion(checks, assertion, _SIGNED)
    documents: dict[str, Mapping[str, Any]] = {}
    issuer_id, profile, summary = _resolve_issuer(session, checks, assertion, documents)
    alg = parsed.alg
    verified = signing_key(session, checks, parsed, assertion, profile)
    if verified is None:
        unverified(checks)
    else:
        key_id, document = verified
        checks.passed("signature", f"{alg} signature verified with {key_id}")
        if session.pinned_key is not None:
            checks.passed("issuer", "the issuer's key was pinned by the caller")
        else:
            _key_provenance(checks, key_id, document, issuer_id, profile)
    if issuer_id is not None and profile is not None:
        _check_revocation_list(session, checks, assertion, issuer_id, profile)
    check_window_and_recipient(session, checks, assertion)
    endorsements = _endorsements(session, checks, assertion, documents, profile)
    if summary is None:
        summary = summary_of(assertion, documents)
    return checks.report("ob2", fmt, summary, f"jws {alg}", endorsements=endorsements)


# --- shared tail ----------------------------------------------------------------------------------


def check_revocation(checks: Checks, check: Callable[[], StatusResult]) -> None:
    """The ``status`` check of an issuer's revocation list: ``check()`` reads it."""
    try:
        result = check()
    except StatusError as exc:
        checks.error("status", exc)
        return
    if result.set:
        because = f" ({result.message})" if result.message else ""
        checks.failed("status", f"revoked by its issuer{because}: listed in {result.list_url}", "revoked")
    else:
        checks.passed("status", f"not revoked: not in the issuer's revocation list {result.list_url}")


def _check_revocation_list(
    session: Session, checks: Checks, assertion: Assertion, issuer_id: str, profile: Profile
) -> None:
    reference = profile.revocation_list
    assertion_id = assertion.id
    if reference is None or assertion_id is None:
        return
    from badgekiln.status import check_ob2_revocation_list

    check_revocation(
        checks,
        lambda: check_ob2_revocation_list(
            reference,
            assertion_id=assertion_id,
            assertion_uid=assertion.uid,
            issuer=issuer_id,
            fetch_json=session.fetch_json,
            policy=session.options.status_policy,
        ),
    )


def _check_dates(session: Session, checks: Checks, assertion: Assertion) -> None:
    """The ``issued``/``expiry`` checks of ``issuedOn``/``expires`` (when both are readable)."""
    issued, expires = assertion.issued_on, assertion.expires
    if issued.value is not None and (expires is None or expires.value is not None):
        check_window(
            checks,
            start=issued.value,
            start_field="issuedOn",
            end=expires.value if expires is not None else None,
            end_field="expires",
            now=session.now,
            skew=session.options.clock_skew,
            start_text=issued.stamped,
            end_text=expires.stamped if expires is not None else None,
        )


def check_window_and_recipient(session: Session, checks: Checks, assertion: Assertion) -> None:
    """The ``issued``/``expiry`` checks of ``issuedOn``/``expires``, and the ``recipient`` check
    when the caller names one."""
    _check_dates(session, checks, assertion)
    identity = session.options.recipient
    if identity is None:
        return
    from badgekiln.verification.recipient import find_ob2_recipient

    try:
        match = find_ob2_recipient(assertion.recipient, identity)
    except MalformedPayload as exc:
        checks.error("recipient", exc)
        return
    if match is None:
        checks.failed("recipient", f"the badge was not awarded to {identity}", "recipient-mismatch")
    else:
        hashed = f", {match.algorithm} hash" if match.hashed else ""
        checks.passed("recipient", f"awarded to {identity} ({match.identity_type}{hashed})")


# --- endorsements ---------------------------------------------------------------------------------


def _endorsement_refs(
    assertion: Assertion, documents: Mapping[str, Mapping[str, Any]], profile: Profile | None
) -> list[Any]:
    """Every ``endorsement`` of the assertion, its BadgeClass (as embedded, else as fetched) and
    its issuer profile (each a URL or an embedded Endorsement)."""
    raw = assertion.raw  # read directly: every verification asks, and few badges have any
    badge = raw.get("badge")
    if not is_object(badge):
        badge = documents.get(badge) if isinstance(badge, str) else None
    refs = list(as_list(raw.get("endorsement")))
    for holder in (badge, profile.raw if profile is not None else None):
        if holder is not None and "endorsement" in holder:
            refs.extend(as_list(holder["endorsement"]))
    return refs


def _endorsements(
    session: Session,
    checks: Checks,
    assertion: Assertion,
    documents: Mapping[str, Mapping[str, Any]],
    profile: Profile | None,
) -> tuple[Report, ...]:
    """The endorsements of the assertion, its BadgeClass and its issuer, one sub-report each."""
    refs = _endorsement_refs(assertion, documents, profile)
    if not refs:
        return ()
    from badgekiln.verification.endorsement import verify_endorsement
    from badgekiln.verification.options import MAX_ENDORSEMENTS

    if session.depth >= session.options.endorsement_depth:
        checks.skipped("endorsements", f"{len(refs)} endorsement(s) not verified (depth limit)", "depth")
        return ()
    nested = session.nested()
    reports = tuple(verify_endorsement(nested, ref) for ref in refs[:MAX_ENDORSEMENTS])
    record_endorsements(checks, reports, len(refs))
    return reports
