"""Data Integrity proofs with Ed25519: ``eddsa-rdfc-2022`` and the legacy forms it replaced.

Accepted for verification (``type`` / ``cryptosuite``):

* ``DataIntegrityProof`` / ``eddsa-rdfc-2022`` (W3C VC-DI-EdDSA; what badgekiln creates);
* ``DataIntegrityProof`` / ``eddsa-2022`` (its pre-Recommendation name, same algorithm);
* ``Ed25519Signature2020`` (no cryptosuite; same hashing over the same canonical forms).

All three sign ``SHA-256(canonical proof configuration) ‖ SHA-256(canonical document)``, where
the proof configuration is the proof without ``proofValue`` under the document's ``@context``,
and both are canonicalized with RDFC-1.0 after strict expansion (undefined terms, relative IRIs
and unbundled contexts are refused: :mod:`badgekiln.jsonld.strict`).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from badgekiln._datetimes import stamp
from badgekiln.errors import (
    InvalidSignature,
    MalformedPayload,
    SigningError,
    UnsupportedAlgorithm,
)
from badgekiln.keys.formats import b58encode, multibase_decode
from badgekiln.keys.signer import Signer

__all__ = ["CREATE_CRYPTOSUITES", "VERIFY_SUITES", "create_proof", "verify_proof"]

#: (proof type, cryptosuite) pairs :func:`verify_proof` accepts; ``None`` = no cryptosuite.
VERIFY_SUITES: Final = frozenset(
    {
        ("DataIntegrityProof", "eddsa-rdfc-2022"),
        ("DataIntegrityProof", "eddsa-2022"),
        ("Ed25519Signature2020", None),
    }
)
#: Cryptosuites :func:`create_proof` issues (legacy suites are verified, never created).
CREATE_CRYPTOSUITES: Final = frozenset({"eddsa-rdfc-2022"})

_SIGNATURE_BYTES: Final = 64
# XML Schema dateTime as Data Integrity requires for ``created``/``expires``.
_DATETIME: Final = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def _check_suite(proof: Mapping[str, Any]) -> None:
    proof_type, cryptosuite = proof.get("type"), proof.get("cryptosuite")
    # a list or object in either member is simply not an accepted suite (and is unhashable)
    well_formed = isinstance(proof_type, str) and (cryptosuite is None or isinstance(cryptosuite, str))
    if not well_formed or (proof_type, cryptosuite) not in VERIFY_SUITES:
        shown = f"{proof_type!r}" + (f" / {cryptosuite!r}" if cryptosuite is not None else "")
        raise UnsupportedAlgorithm(
            f"proof type {shown} is not accepted (DataIntegrityProof with eddsa-rdfc-2022 or "
            "eddsa-2022, or Ed25519Signature2020)",
            reason="cryptosuite",
            type=str(proof_type),
            cryptosuite=None if cryptosuite is None else str(cryptosuite),
        )


def _check_proof_shape(proof: Mapping[str, Any], proof_purpose: str) -> bytes:
    for member in ("verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(member), str):
            raise MalformedPayload(f"proof.{member} is missing or not a string", reason="proof", field=member)
    for member in ("created", "expires"):
        stamp = proof.get(member)
        if stamp is not None and not (isinstance(stamp, str) and _DATETIME.fullmatch(stamp)):
            raise MalformedPayload(
                f"proof.{member} is not an XML Schema dateTime", reason="proof", field=member
            )
    if "previousProof" in proof:
        raise UnsupportedAlgorithm("proof chains (previousProof) are not supported", reason="proof-chain")
    if proof["proofPurpose"] != proof_purpose:
        raise InvalidSignature(
            f"proof purpose is {proof['proofPurpose']!r}, expected {proof_purpose!r}",
            reason="proof-purpose",
        )
    value: str = proof["proofValue"]
    if not value.startswith("z"):
        raise MalformedPayload(
            "proofValue must be multibase base58btc (start with 'z')", reason="proof-value"
        )
    try:
        signature = multibase_decode(value)
    except MalformedPayload as exc:
        raise MalformedPayload(f"proofValue: {exc.message}", reason="proof-value") from exc
    if len(signature) != _SIGNATURE_BYTES:
        raise InvalidSignature(
            f"proofValue holds {len(signature)} bytes, an Ed25519 signature has 64",
            reason="signature-length",
        )
    return signature


def _split(document: Mapping[str, Any], proof: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(unsecured document, proof configuration) as the suites define them."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    context = unsecured.get("@context")
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in config:
        # VC-DI §4.3: a proof's own @context must be a prefix of the document's.
        mine = config["@context"] if isinstance(config["@context"], list) else [config["@context"]]
        theirs = context if isinstance(context, list) else [context]
        if theirs[: len(mine)] != mine:
            raise MalformedPayload(
                "proof @context is not a prefix of the document @context", reason="proof-context"
            )
    config["@context"] = context
    return unsecured, config


def _hash_data(unsecured: Mapping[str, Any], config: Mapping[str, Any]) -> bytes:
    from badgekiln.jsonld.canon import canonicalize  # PyLD: only on this path

    config_hash = hashlib.sha256(canonicalize(config).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonicalize(unsecured).encode("utf-8")).digest()
    return config_hash + document_hash


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: Ed25519PublicKey,
    *,
    proof_purpose: str = "assertionMethod",
) -> None:
    """Verify one Data Integrity ``proof`` of ``document`` (which must carry it) with ``public_key``.

    Resolving ``proof.verificationMethod`` to the key, and checking that the key belongs to the
    issuer, are the caller's job (:func:`badgekiln.proofs.did.resolve_verification_method`).

    Raises:
        UnsupportedAlgorithm: a proof type / cryptosuite outside :data:`VERIFY_SUITES`, a
            proof chain, or a key that is not Ed25519.
        MalformedPayload: a proof member missing or malformed, or ``proof`` not in ``document``.
        JsonLdError: the document or proof uses an unbundled context, an undefined term, a
            relative IRI … (``reason`` and ``path`` say which).
        InputTooLarge: over a JSON-LD size or canonicalization work cap.
        InvalidSignature: wrong proof purpose, a proofValue that is not 64 bytes, or a
            signature that does not verify.

    Example::

        verify_proof(credential, credential["proof"], did_key_decode(did))
    """
    if not isinstance(document, Mapping) or not isinstance(proof, Mapping):
        raise MalformedPayload("document and proof must be JSON objects", reason="proof")
    proofs = document.get("proof")
    if not any(p == proof for p in (proofs if isinstance(proofs, list) else [proofs])):
        raise MalformedPayload("the proof is not one of the document's proofs", reason="proof")
    _check_suite(proof)
    signature = _check_proof_shape(proof, proof_purpose)
    if not isinstance(public_key, Ed25519PublicKey):
        raise UnsupportedAlgorithm(
            f"an Ed25519 key is needed for {proof.get('type')}, not {type(public_key).__name__}",
            reason="key-type",
        )
    unsecured, config = _split(document, proof)
    try:
        public_key.verify(signature, _hash_data(unsecured, config))
    except _CryptoInvalidSignature as exc:
        raise InvalidSignature("the Data Integrity signature does not verify", reason="signature") from exc


def _timestamp(moment: datetime | None) -> str:
    return stamp(moment if moment is not None else datetime.now(UTC))


def create_proof(
    document: Mapping[str, Any],
    signer: Signer,
    *,
    verification_method: str,
    created: datetime | None = None,
    cryptosuite: str = "eddsa-rdfc-2022",
    proof_purpose: str = "assertionMethod",
    expires: datetime | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` with a new ``DataIntegrityProof`` added (input untouched).

    An existing proof is kept and the result holds a proof set (both sign the document
    without proofs). ``created`` defaults to now, to the second, in UTC; ``expires`` (signed
    with the proof) is when verifiers stop accepting it.

    Raises:
        ValueError: a cryptosuite outside :data:`CREATE_CRYPTOSUITES`, a naive ``created`` or
            ``expires``, an ``expires`` not after ``created``.
        UnsupportedAlgorithm: the signer does not sign with EdDSA (Ed25519).
        JsonLdError: the document uses an unbundled context, an undefined term … (the strict
            check runs when signing too, so badgekiln never signs data it would not verify).
        InputTooLarge: over a JSON-LD size or canonicalization work cap.
        SigningError: the signer failed, or returned a signature its own key does not accept.

    Example::

        signed = create_proof(credential, signer, verification_method=signer.key_id)
    """
    if cryptosuite not in CREATE_CRYPTOSUITES:
        raise ValueError(f"cannot create {cryptosuite!r} proofs (only {sorted(CREATE_CRYPTOSUITES)})")
    if signer.algorithm != "EdDSA":
        raise UnsupportedAlgorithm(
            f"{cryptosuite} needs an Ed25519 (EdDSA) signer, not {signer.algorithm}",
            reason="signer-algorithm",
        )
    secured = copy.deepcopy(dict(document))
    existing = secured.pop("proof", None)
    proof: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "created": _timestamp(created),
        "verificationMethod": verification_method,
        "cryptosuite": cryptosuite,
        "proofPurpose": proof_purpose,
    }
    if expires is not None:
        proof["expires"] = _timestamp(expires)
        if proof["expires"] <= proof["created"]:  # same fixed-width UTC format: text order is time order
            raise ValueError("expires must be after created")
    unsecured, config = _split(secured, proof)
    data = _hash_data(unsecured, config)
    signature = signer.sign(data)
    public_key = signer.public_key()
    try:
        if not isinstance(public_key, Ed25519PublicKey) or len(signature) != _SIGNATURE_BYTES:
            raise _CryptoInvalidSignature
        public_key.verify(signature, data)
    except _CryptoInvalidSignature as exc:
        # a misconfigured signer (wrong key, DER-wrapped output) must not ship unverifiable proofs
        raise SigningError(
            "the signer's signature does not verify with its own public key", reason="self-check"
        ) from exc
    proof["proofValue"] = "z" + b58encode(signature)
    if existing is None:
        secured["proof"] = proof
    else:
        secured["proof"] = [*(existing if isinstance(existing, list) else [existing]), proof]
    return secured
