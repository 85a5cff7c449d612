"""OB 3.0 VC-JWT: the JOSE header, the signing key, and the claims that must agree.

Rules (docs/verification.md, "VC-JWT"):

* ``alg`` is RS256 (the OB minimum), ES256 or EdDSA; ``none`` and ``HS*`` never verify.
* Header members: ``alg``, ``kid``, ``jwk``, ``typ`` (OB 3.0 allows no others; ``cty`` is
  tolerated). ``typ``, when present, is ``JWT``; the VC-JOSE-COSE types ``vc+jwt`` and
  ``vc+ld+jwt`` are accepted with a warning; anything else (``at+jwt`` …) is a token minted for
  another purpose and fails.
* The key: the pinned key, else the ``jwk`` header, else ``kid`` (did:key, did:web, an HTTPS
  URL of a JWK / key document / controller document, or a bare key id looked up in the
  issuer's JWK Set). Provenance is checked afterwards (:mod:`badgekiln.verification.provenance`).
* The credential is the ``vc`` claim (VC 1.1) or the whole payload without its registered
  claims (VC 2.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from badgekiln.errors import KeyResolutionError, MalformedPayload, UnsupportedAlgorithm
from badgekiln.keys.signer import PublicKey
from badgekiln.model.dates import DateTime
from badgekiln.model.jwt import JoseHeader, VcJwt
from badgekiln.proofs.jws import parse_compact
from badgekiln.strictjson import loads_object
from badgekiln.verification._session import Checks, Session

__all__ = [
    "VCJWT_ALGORITHMS",
    "JwtCredential",
    "check_claims",
    "check_header",
    "from_parts",
    "parse_signed",
    "parse_vcjwt",
    "resolve_jwt_key",
]

#: VC-JWT algorithms: RS256 is required by OB 3.0, ES256 and EdDSA are what issuers also use.
VCJWT_ALGORITHMS: Final = frozenset({"RS256", "ES256", "EdDSA"})
_HEADER_MEMBERS: Final = frozenset({"alg", "kid", "jwk", "typ", "cty"})
_VC_JOSE_TYPES: Final = frozenset({"vc+jwt", "vc+ld+jwt"})


@dataclass(frozen=True, slots=True)
class JwtCredential:
    """A parsed (not yet verified) VC-JWT: the JWS, and the model's views of its header and of
    its claims (which carry the credential)."""

    token: Any  # badgekiln.proofs.jws.CompactJws
    header: JoseHeader
    claims: VcJwt


def parse_signed(token: str) -> Any:
    """:func:`~badgekiln.proofs.jws.parse_compact`, except that a signature segment that is not
    base64url reads as empty: the badge is still identifiable, and its signature check (not an
    input error) reports the broken signature.

    Raises:
        MalformedPayload, InputTooLarge: a header or payload that does not parse.
    """
    try:
        return parse_compact(token)
    except MalformedPayload as exc:
        if exc.details.get("field") != "JWS signature":
            raise
        head, body, _ = token.split(".")
        return parse_compact(f"{head}.{body}.")


def parse_vcjwt(token: str) -> JwtCredential:
    """Split a VC-JWT into header, claims and credential (nothing verified).

    Raises:
        MalformedPayload, InputTooLarge: not a compact JWS whose payload is a JSON object.
    """
    parsed = parse_signed(token)
    return from_parts(parsed, loads_object(parsed.payload, source="JWT payload"))


def from_parts(parsed: Any, claims: Mapping[str, Any] | VcJwt) -> JwtCredential:
    """A :class:`JwtCredential` from a parsed JWS and its decoded claims."""
    view = claims if isinstance(claims, VcJwt) else VcJwt(claims)
    return JwtCredential(parsed, JoseHeader(parsed.header), view)


def check_header(header: JoseHeader, checks: Checks) -> None:
    """Apply the header rules; warnings are recorded on ``signature``.

    Raises:
        UnsupportedAlgorithm: ``alg`` outside :data:`VCJWT_ALGORITHMS` (``reason="alg"``).
        MalformedPayload: ``reason="header"``: an unknown member, a bad ``typ``, neither
            ``kid`` nor ``jwk``.
    """
    alg = header.alg
    if alg not in VCJWT_ALGORITHMS:
        raise UnsupportedAlgorithm(
            f"VC-JWT algorithm {alg!r} is not accepted (RS256, ES256 or EdDSA; never none or HS*)",
            reason="alg",
            alg=str(alg),
        )
    extra = () if _HEADER_MEMBERS.issuperset(header.raw) else sorted(set(header.raw) - _HEADER_MEMBERS)
    if extra:
        raise MalformedPayload(
            f"the JWT header carries {', '.join(extra)}: OB 3.0 allows only alg, kid, jwk and typ "
            "(keys named by x5u/jku/x5c are never followed)",
            reason="header",
        )
    typ = header.typ
    if typ is not None:
        if not isinstance(typ, str):
            raise MalformedPayload("the JWT typ header must be a string", reason="header")
        lowered = typ.lower().removeprefix("application/")
        if lowered in _VC_JOSE_TYPES:
            checks.warning("signature", f"typ {typ!r} is the VC-JOSE-COSE type; OB 3.0 says 'JWT'", "typ")
        elif lowered != "jwt":
            raise MalformedPayload(
                f"the JWT typ is {typ!r}: a token of another kind, not a credential (expected 'JWT')",
                reason="header",
            )
    if not header.has("kid") and not header.has("jwk"):
        raise MalformedPayload("the JWT header names no key (neither kid nor jwk)", reason="header")


def _key_from_document(document: Any, url: str) -> PublicKey:
    from badgekiln.keys.formats import jwk_to_public_key

    if isinstance(document, Mapping) and "kty" in document:
        return jwk_to_public_key(document)
    raise KeyResolutionError(f"{url} is not a JWK", reason="kid", url=url)


def resolve_jwt_key(session: Session, header: JoseHeader, issuer_id: str) -> tuple[PublicKey, str | None]:
    """The key to verify with and, when a document declared one, its controller.

    Raises:
        KeyResolutionError: no usable key (a bad JWK, an unresolvable or unsupported kid).
        FetchError: a key document could not be fetched.
    """
    pinned = session.pinned_key
    if pinned is not None:
        return pinned, None
    from badgekiln.keys.formats import jwk_to_public_key
    from badgekiln.proofs.did import is_web_key_url, resolve_verification_method
    from badgekiln.verification.provenance import find_jwks_key

    jwk = header.jwk
    if jwk is not None:
        if not isinstance(jwk, Mapping):
            raise KeyResolutionError("the jwk header must be a JSON object", reason="jwk")
        return jwk_to_public_key(jwk), None
    kid = header.kid
    if not isinstance(kid, str) or not kid:
        raise KeyResolutionError("the kid header must be a non-empty string", reason="kid")
    if kid.startswith(("did:key:", "did:web:")):
        method = resolve_verification_method(kid, fetch_json=session.fetch_json, local=session.local)
        return method.public_key, method.controller
    if is_web_key_url(kid, session.local):
        base, _, fragment = kid.partition("#")
        document = session.fetch_json(base)
        if isinstance(document, Mapping) and "kty" in document and not fragment:
            return _key_from_document(document, base), None
        method = resolve_verification_method(kid, fetch_json=session.fetch_json, local=session.local)
        return method.public_key, method.controller
    if ":" in kid:
        raise KeyResolutionError(
            f"kid {kid[:80]!r} uses a scheme badgekiln does not resolve (did:key, did:web, https)",
            reason="kid",
        )
    return find_jwks_key(session, issuer_id, kid), None


def _numeric(moment: DateTime) -> datetime:
    """A NumericDate claim's instant.

    Raises:
        ValueError: the claim is not a NumericDate (the message says which).
    """
    if moment.value is None:
        raise ValueError(f"the JWT {moment.field!r} claim is {repr(moment.raw)[:40]}, {moment.error}")
    return moment.value


def _same_second(written: DateTime, claim: datetime) -> bool:
    """Whether a credential date-time and a NumericDate claim name the same second.

    Raises:
        ValueError: the credential's member is not a date-time (the message says which).
    """
    if written.value is None:
        raise ValueError(written.problem)
    # NumericDate claims carry whole seconds; a fraction in the credential's date is not a mismatch
    return int(written.value.timestamp()) == int(claim.timestamp())


def check_claims(jwt: JwtCredential, checks: Checks) -> tuple[datetime | None, datetime | None]:
    """Record the ``claims`` check; return the (nbf, exp) instants that set the validity window.

    ``iss`` must equal the issuer id, ``jti`` the credential id, ``nbf`` its validFrom /
    issuanceDate, ``exp`` its validUntil / expirationDate (required when the credential has
    one); ``sub`` must equal ``credentialSubject.id`` — a missing ``sub`` with a consistent
    subject is a warning (the 1EdTech fixtures carry the subject in ``aud``).
    """
    claims = jwt.claims
    credential = claims.credential
    problems: list[str] = []
    issuer_id = credential.issuer_id
    if claims.iss != issuer_id:
        problems.append(f"iss {claims.iss!r} is not the issuer id {issuer_id!r}")
    if claims.jti != credential.declared_id:
        problems.append(f"jti {claims.jti!r} is not the credential id {credential.declared_id!r}")
    subject = credential.subject
    subject_id = subject.declared_id if subject is not None else None
    sub = claims.sub
    if sub is not None and sub != subject_id:
        problems.append(f"sub {sub!r} is not credentialSubject.id {subject_id!r}")
    if claims.form == "vc":
        start_field, end_field = "issuanceDate", "expirationDate"
        written_start, written_end = credential.issuance_date, credential.expiration_date
    else:
        start_field, end_field = "validFrom", "validUntil"
        written_start, written_end = credential.valid_from, credential.valid_until
    nbf = exp = None
    try:
        if claims.not_before is None:
            problems.append("the nbf claim is missing")
        else:
            nbf = _numeric(claims.not_before)
            if written_start is not None and not _same_second(written_start, nbf):
                problems.append(f"nbf is not {start_field} {written_start.raw!r}")
        if claims.expiry is not None:
            exp = _numeric(claims.expiry)
            if written_end is not None and not _same_second(written_end, exp):
                problems.append(f"exp is not {end_field} {written_end.raw!r}")
        elif written_end is not None:
            problems.append(f"the credential has {end_field} but the JWT has no exp claim")
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        checks.failed(
            "claims", "the JWT claims disagree with the credential: " + "; ".join(problems), "claims"
        )
    elif sub is None and subject_id is not None:
        checks.warning(
            "claims",
            "iss, jti and nbf agree with the credential; the sub claim is missing "
            f"(credentialSubject.id is {subject_id!r})",
            "no-sub",
        )
    else:
        checks.passed("claims", "iss, sub, jti, nbf and exp agree with the credential")
    return nbf, exp
