"""Embedded Data Integrity proofs of a credential: find one that verifies, say with which key.

Accepted suites are those of :mod:`badgekiln.proofs.dataintegrity` (``eddsa-rdfc-2022``,
``eddsa-jcs-2022``, ``ecdsa-rdfc-2019``, ``ecdsa-jcs-2019`` and the legacy ``eddsa-2022``,
``Ed25519Signature2020``, ``Ed25519Signature2018``). A document whose proofs are all of other
suites raises ``UnsupportedAlgorithm`` (``reason="cryptosuite"``), which the report shows as
*skipped: unsupported suite X*, never as a failed check: nothing was verified.

Multi-proof rule (documented choice, as OB 3.0 allows: "a verifier MAY accept any one"): proofs
are tried in document order and the first one that verifies wins; proofs of other suites are
ignored with a warning, and a failing extra proof is reported as a warning beside a verifying
one. With a pinned key the verification method is not resolved: the proof must verify with the
pinned key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from badgekiln.errors import BadgeKilnError, InputTooLarge, MalformedPayload, ProofError, UnsupportedAlgorithm
from badgekiln.keys.signer import PublicKey
from badgekiln.model.ob3 import Credential, Proof
from badgekiln.verification._session import Session, is_offline_refusal

__all__ = ["MAX_PROOFS", "ProofOutcome", "verify_embedded_proof"]

#: Proofs examined on one document: each costs a key resolution and a canonicalization.
MAX_PROOFS: Final = 8


@dataclass(frozen=True, slots=True)
class ProofOutcome:
    """The proof that verified: its suite name, verification method, the key and the key's
    controller (``None`` when the key was pinned), and warnings about the other proofs."""

    suite: str
    method: str
    key: PublicKey
    controller: str | None
    warnings: tuple[str, ...] = ()


def _attempt(session: Session, document: Credential, proof: Proof) -> ProofOutcome:
    from badgekiln.proofs.dataintegrity import verify_proof
    from badgekiln.proofs.did import resolve_verification_method

    method = proof.verification_method
    pinned = session.pinned_key
    if pinned is not None:
        key, controller = pinned, None
    else:
        if not isinstance(method, str):
            raise MalformedPayload("proof.verificationMethod is missing or not a string", reason="proof")
        resolved = resolve_verification_method(method, fetch_json=session.fetch_json, local=session.local)
        key, controller = resolved.public_key, resolved.controller
    # a key that does not fit the suite is refused inside
    suite = verify_proof(document.raw, proof.raw, key, pinned=session.contexts)
    _check_expiry(session, proof)
    return ProofOutcome(suite.name, str(method), key, controller)


def _check_expiry(session: Session, proof: Proof) -> None:
    """A proof past its own (signed) ``expires`` is not accepted, whatever the credential says.

    Raises:
        ProofError: ``reason="proof-expired"``.
        MalformedPayload: ``expires`` is not a date-time with a time zone.
    """
    expires = proof.expires
    if expires is None or expires.raw is None:
        return
    if expires.value is None:
        raise MalformedPayload(f"proof.{expires.problem}", reason="datetime", field="proof.expires")
    if session.now - expires.value > session.options.clock_skew:
        raise ProofError(
            f"the proof expired at {expires.raw} and is no longer accepted", reason="proof-expired"
        )


def verify_embedded_proof(session: Session, document: Credential, *, every: bool = False) -> ProofOutcome:
    """Verify ``document``'s embedded proof(s); return the one that verified.

    With ``every`` (status list credentials), each proof of an accepted suite must verify, not
    just one. Key provenance (is the key the issuer's?) is the caller's next step.

    Raises:
        MalformedPayload: no ``proof`` (``reason="no-proof"``), or a malformed one.
        UnsupportedAlgorithm: no proof of an accepted suite.
        InputTooLarge: more than :data:`MAX_PROOFS` proofs, or over a JSON-LD cap.
        JsonLdError, KeyResolutionError, InvalidSignature, FetchError: from the first proof of an
            accepted suite (a decisive failure is preferred to one the network prevented).
    """
    from badgekiln.proofs.dataintegrity import SUITES, UNSUPPORTED_SUITES

    entries = document.proofs
    if entries is None:
        raise MalformedPayload("the credential carries no proof", reason="no-proof")
    if len(entries) > MAX_PROOFS:
        raise InputTooLarge(f"the document carries more than {MAX_PROOFS} proofs", limit=MAX_PROOFS)
    proofs = [proof for proof in map(Proof.of, entries) if proof is not None]
    if not proofs or len(proofs) != len(entries):
        raise MalformedPayload("proof must be a JSON object or a list of them", reason="proof")
    ignored: list[str] = []
    errors: list[BadgeKilnError] = []
    verified: list[ProofOutcome] = []
    for proof in proofs:
        suite = (proof.type, proof.cryptosuite)
        if not all(part is None or isinstance(part, str) for part in suite) or suite not in SUITES:
            ignored.append(f"a proof of unsupported suite {proof.suite!r} was ignored")
            continue
        try:
            outcome = _attempt(session, document, proof)
        except BadgeKilnError as exc:
            if every:
                raise
            errors.append(exc)
            continue
        if every:
            verified.append(outcome)
            continue
        warnings = ignored + [f"another {proof.suite} proof does not verify: {e.message}" for e in errors]
        return ProofOutcome(outcome.suite, outcome.method, outcome.key, outcome.controller, tuple(warnings))
    if verified:
        return verified[0]
    if not errors:
        found = sorted({proof.suite for proof in proofs})
        why = [f"{name}: {UNSUPPORTED_SUITES[name]}" for name in found if name in UNSUPPORTED_SUITES]
        raise UnsupportedAlgorithm(
            f"unsupported suite {', '.join(found)}"
            + (f" ({'; '.join(why)})" if why else "")
            + f"; badgekiln verifies {', '.join(suite.name for suite in SUITES.values())}",
            reason="cryptosuite",
        )
    decisive = [exc for exc in errors if not is_offline_refusal(exc)]
    raise (decisive or errors)[0]
