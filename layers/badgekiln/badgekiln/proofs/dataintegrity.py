"""Data Integrity proofs: the W3C EdDSA and ECDSA cryptosuites and the legacy Ed25519 suites.

Accepted for verification (``type`` / ``cryptosuite``; :data:`SUITES`):

* ``DataIntegrityProof`` / ``eddsa-rdfc-2022`` (W3C VC-DI-EdDSA; what badgekiln creates), and
  ``eddsa-2022``, its pre-Recommendation name;
* ``DataIntegrityProof`` / ``eddsa-jcs-2022`` (VC-DI-EdDSA over JCS);
* ``DataIntegrityProof`` / ``ecdsa-rdfc-2019`` and ``ecdsa-jcs-2019`` (W3C VC-DI-ECDSA), with
  P-256 (SHA-256) or P-384 (SHA-384) keys;
* ``Ed25519Signature2020`` (no cryptosuite; the same hashing as ``eddsa-rdfc-2022``);
* ``Ed25519Signature2018`` (the same hashing, signed as a detached JWS with an unencoded payload,
  RFC 7797: ``proof.jws``).

Every suite signs ``H(canonical proof configuration) ‖ H(canonical document)``, the proof
configuration being the proof without its signature. ``rdfc`` suites canonicalize both with
RDFC-1.0 after strict expansion; ``jcs`` suites with JCS (RFC 8785), after the same strict
expansion is run as a check (undefined terms, relative IRIs and unbundled contexts are refused
whichever way the bytes are hashed: :mod:`badgekiln.jsonld.strict`). Suites that are recognised
but not verified (:data:`UNSUPPORTED_SUITES`, e.g. the deprecated ``JsonWebSignature2020``) raise
:class:`~badgekiln.errors.UnsupportedAlgorithm` like any unknown one, with a message saying why.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from badgekiln.errors import (
    InputTooLarge,
    InvalidSignature,
    MalformedPayload,
    SigningError,
    UnsupportedAlgorithm,
)
from badgekiln.keys.formats import b58encode, b64url_decode, multibase_decode
from badgekiln.keys.signer import PublicKey, Signer
from badgekiln.model.dates import stamp
from badgekiln.model.ob3 import Proof
from badgekiln.strictjson import loads_object

if TYPE_CHECKING:
    from badgekiln.jsonld.loader import PinnedContexts

__all__ = [
    "CREATE_CRYPTOSUITES",
    "SUITES",
    "UNSUPPORTED_SUITES",
    "VERIFY_SUITES",
    "Suite",
    "create_proof",
    "suite_name",
    "verify_proof",
]


@dataclass(frozen=True, slots=True)
class Suite:
    """How one accepted suite secures a document: its name (the cryptosuite, or the proof type of
    a legacy suite), the canonicalization, the key family and where the signature is."""

    name: str
    canonicalization: Literal["rdfc", "jcs"]
    key: Literal["Ed25519", "ECDSA"]
    signature: Literal["proofValue", "jws"] = "proofValue"


#: Accepted ``(proof type, cryptosuite)`` pairs (``None`` = no cryptosuite) and their suites.
SUITES: Final[Mapping[tuple[str, str | None], Suite]] = MappingProxyType(
    {
        ("DataIntegrityProof", "eddsa-rdfc-2022"): Suite("eddsa-rdfc-2022", "rdfc", "Ed25519"),
        ("DataIntegrityProof", "eddsa-2022"): Suite("eddsa-2022", "rdfc", "Ed25519"),
        ("DataIntegrityProof", "eddsa-jcs-2022"): Suite("eddsa-jcs-2022", "jcs", "Ed25519"),
        ("DataIntegrityProof", "ecdsa-rdfc-2019"): Suite("ecdsa-rdfc-2019", "rdfc", "ECDSA"),
        ("DataIntegrityProof", "ecdsa-jcs-2019"): Suite("ecdsa-jcs-2019", "jcs", "ECDSA"),
        ("Ed25519Signature2020", None): Suite("Ed25519Signature2020", "rdfc", "Ed25519"),
        ("Ed25519Signature2018", None): Suite("Ed25519Signature2018", "rdfc", "Ed25519", "jws"),
    }
)
#: The accepted pairs (the keys of :data:`SUITES`).
VERIFY_SUITES: Final = frozenset(SUITES)
#: Suites seen in the wild that badgekiln recognises but does not verify, and why.
UNSUPPORTED_SUITES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "JsonWebSignature2020": "deprecated, with no maintained signer",
        "ecdsa-sd-2023": "selective disclosure is not supported",
        "bbs-2023": "selective disclosure is not supported",
        "BbsBlsSignature2020": "deprecated selective-disclosure suite",
        "EcdsaSecp256k1Signature2019": "secp256k1 keys are not supported",
        "RsaSignature2018": "deprecated",
    }
)
#: Cryptosuites :func:`create_proof` issues (the others are verified, never created).
CREATE_CRYPTOSUITES: Final = frozenset({"eddsa-rdfc-2022"})

#: Signature bytes: Ed25519 and P-256 ``r‖s`` are 64, P-384 ``r‖s`` is 96.
_SIGNATURE_BYTES: Final = {"ed25519": 64, "secp256r1": 64, "secp384r1": 96}
_ECDSA_HASHES: Final[Mapping[str, Callable[[], hashes.HashAlgorithm]]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
}
#: The one JWS header Ed25519Signature2018 signs with (RFC 7797 unencoded, detached payload).
_JWS_HEADER: Final = {"alg": "EdDSA", "b64": False, "crit": ["b64"]}
_MAX_JWS_HEADER_CHARS: Final = 256
#: JCS hashes a JSON number as an IEEE double: integers beyond 2^53 would be rounded, so two
#: different documents would carry one signature. They are refused instead.
_JCS_MAX_INTEGER: Final = 2**53 - 1
# XML Schema dateTime as Data Integrity requires for ``created``/``expires``.
_DATETIME: Final = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def suite_name(proof: Mapping[str, Any]) -> str:
    """What to call a proof's suite in messages: its cryptosuite, else its type
    (:attr:`badgekiln.model.ob3.Proof.suite`)."""
    return Proof(proof).suite


def _accepted() -> str:
    return ", ".join(suite.name for suite in SUITES.values())


def _suite(proof: Mapping[str, Any]) -> Suite:
    proof_type, cryptosuite = proof.get("type"), proof.get("cryptosuite")
    # a list or object in either member is simply not an accepted suite (and is unhashable)
    well_formed = isinstance(proof_type, str) and (cryptosuite is None or isinstance(cryptosuite, str))
    suite = SUITES.get((proof_type, cryptosuite)) if well_formed else None  # type: ignore[arg-type]
    if suite is None:
        name = suite_name(proof)
        why = UNSUPPORTED_SUITES.get(name)
        shown = f"{proof_type!r}" + (f" / {cryptosuite!r}" if cryptosuite is not None else "")
        raise UnsupportedAlgorithm(
            f"unsupported suite {shown}" + (f" ({why})" if why else "") + f"; accepted: {_accepted()}",
            reason="cryptosuite",
            type=str(proof_type),
            cryptosuite=None if cryptosuite is None else str(cryptosuite),
        )
    return suite


def _check_proof_shape(proof: Mapping[str, Any], proof_purpose: str, suite: Suite) -> None:
    for member in ("verificationMethod", "proofPurpose", suite.signature):
        if not isinstance(proof.get(member), str):
            raise MalformedPayload(f"proof.{member} is missing or not a string", reason="proof", field=member)
    if suite.signature == "jws":
        # jsonld-signatures leaves these out of the signed proof options: never accept them unsigned
        for member in ("proofValue", "signatureValue"):
            if member in proof:
                raise MalformedPayload(
                    f"an {suite.name} proof must not carry {member} (it would not be signed)",
                    reason="proof",
                    field=member,
                )
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


def _check_key(suite: Suite, public_key: object) -> str:
    """The key's algorithm name (``ed25519``, ``secp256r1`` or ``secp384r1``) if it fits the suite."""
    if suite.key == "Ed25519" and isinstance(public_key, Ed25519PublicKey):
        return "ed25519"
    if (
        suite.key == "ECDSA"
        and isinstance(public_key, ec.EllipticCurvePublicKey)
        and public_key.curve.name in _ECDSA_HASHES
    ):
        return public_key.curve.name
    wanted = "an Ed25519 key" if suite.key == "Ed25519" else "a P-256 or P-384 key"
    shown = getattr(getattr(public_key, "curve", None), "name", None) or type(public_key).__name__
    raise UnsupportedAlgorithm(f"{suite.name} needs {wanted}, not {shown}", reason="key-type")


def _signature(proof: Mapping[str, Any], suite: Suite, algorithm: str) -> tuple[bytes, bytes]:
    """``(signature, what precedes the hash data in the signed bytes)`` from the proof."""
    if suite.signature == "jws":
        signature, prefix = _detached_jws(proof["jws"])
    else:
        value: str = proof["proofValue"]
        if not value.startswith("z"):
            raise MalformedPayload(
                "proofValue must be multibase base58btc (start with 'z')", reason="proof-value"
            )
        try:
            signature = multibase_decode(value)
        except MalformedPayload as exc:
            raise MalformedPayload(f"proofValue: {exc.message}", reason="proof-value") from exc
        prefix = b""
    expected = _SIGNATURE_BYTES[algorithm]
    if len(signature) != expected:
        raise InvalidSignature(
            f"the {suite.name} signature holds {len(signature)} bytes, a {algorithm} one has {expected}",
            reason="signature-length",
        )
    return signature, prefix


def _detached_jws(jws: str) -> tuple[bytes, bytes]:
    """Ed25519Signature2018's ``header..signature``: the signature, and ``header.`` it signs."""
    parts = jws.split(".")
    if len(parts) != 3 or parts[1]:
        raise MalformedPayload("proof.jws must be a detached JWS (header..signature)", reason="jws")
    encoded_header, _, encoded_signature = parts
    if len(encoded_header) > _MAX_JWS_HEADER_CHARS:
        raise MalformedPayload("the proof.jws header is too long", reason="jws")
    try:
        header = loads_object(b64url_decode(encoded_header, what="header"), source="the proof.jws header")
        signature = b64url_decode(encoded_signature, what="signature")
    except (MalformedPayload, InputTooLarge) as exc:
        raise MalformedPayload(f"proof.jws does not decode: {exc.message}", reason="jws") from exc
    if header != _JWS_HEADER:
        raise MalformedPayload(
            'the proof.jws header must be {"alg":"EdDSA","b64":false,"crit":["b64"]}', reason="jws"
        )
    return signature, encoded_header.encode("ascii") + b"."


def _split(
    document: Mapping[str, Any], proof: Mapping[str, Any], suite: Suite
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(unsecured document, proof configuration) as the suites define them."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    context = unsecured.get("@context")
    config = {k: v for k, v in proof.items() if k != suite.signature}
    if "@context" in config:
        mine = config["@context"] if isinstance(config["@context"], list) else [config["@context"]]
        theirs = context if isinstance(context, list) else [context]
        if suite.canonicalization == "jcs" and mine != theirs:
            # JCS signs the document under the proof's @context only: contexts appended after
            # signing would change what the JSON-LD means and stay unsigned (strict choice)
            raise MalformedPayload(
                "a JCS proof's @context must equal the document's @context", reason="proof-context"
            )
        # VC-DI §4.3: a proof's own @context must be a prefix of the document's.
        if theirs[: len(mine)] != mine:
            raise MalformedPayload(
                "proof @context is not a prefix of the document @context", reason="proof-context"
            )
    if suite.canonicalization == "rdfc":
        config["@context"] = context
    return unsecured, config


def _jcs(value: Mapping[str, Any]) -> bytes:
    import rfc8785

    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError as exc:
        raise MalformedPayload(
            f"a JSON number is beyond ±{_JCS_MAX_INTEGER}, which JCS cannot sign exactly", reason="jcs"
        ) from exc
    except rfc8785.CanonicalizationError as exc:
        raise MalformedPayload(f"the document cannot be canonicalized with JCS: {exc}", reason="jcs") from exc


def _hash_data(
    unsecured: Mapping[str, Any],
    config: Mapping[str, Any],
    suite: Suite,
    algorithm: str = "ed25519",
    pinned: PinnedContexts | None = None,
) -> bytes:
    from badgekiln.jsonld.canon import HashName, canonicalize  # PyLD: only on this path

    # VC-DI-ECDSA: SHA-384 throughout with P-384 (hashes, and RDFC-1.0's blank-node labels)
    hash_name: HashName = "sha384" if algorithm == "secp384r1" else "sha256"
    digest = hashlib.sha384 if hash_name == "sha384" else hashlib.sha256
    if suite.canonicalization == "rdfc":
        config_bytes = canonicalize(config, hash_name=hash_name, pinned=pinned).encode("utf-8")
        document_bytes = canonicalize(unsecured, hash_name=hash_name, pinned=pinned).encode("utf-8")
    else:
        from badgekiln.jsonld.strict import expand

        # JCS signs the JSON as written; the JSON-LD must still mean what it says
        expand(unsecured, pinned=pinned)
        expand({**config, "@context": unsecured.get("@context")}, pinned=pinned)
        config_bytes, document_bytes = _jcs(config), _jcs(unsecured)
    return digest(config_bytes).digest() + digest(document_bytes).digest()


def _verify_signature(public_key: PublicKey, algorithm: str, signature: bytes, data: bytes) -> None:
    try:
        if isinstance(public_key, Ed25519PublicKey):
            public_key.verify(signature, data)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            half = len(signature) // 2
            r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(_ECDSA_HASHES[algorithm]()))
        else:  # pragma: no cover - _check_key admits no other key
            raise _CryptoInvalidSignature
    except _CryptoInvalidSignature as exc:
        raise InvalidSignature("the Data Integrity signature does not verify", reason="signature") from exc


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: PublicKey,
    *,
    proof_purpose: str = "assertionMethod",
    pinned: PinnedContexts | None = None,
) -> Suite:
    """Verify one Data Integrity ``proof`` of ``document`` (which must carry it) with ``public_key``;
    return the suite it was verified as. ``pinned`` are contexts the caller trusts beyond the
    bundled ones (:class:`badgekiln.jsonld.loader.PinnedContexts`).

    Resolving ``proof.verificationMethod`` to the key, and checking that the key belongs to the
    issuer, are the caller's job (:func:`badgekiln.proofs.did.resolve_verification_method`).

    Raises:
        UnsupportedAlgorithm: a proof type / cryptosuite outside :data:`SUITES`
            (``reason="cryptosuite"``), a proof chain, or a key that does not fit the suite
            (``"key-type"``: Ed25519 for the EdDSA suites, P-256 / P-384 for ECDSA).
        MalformedPayload: a proof member missing or malformed (``proof``, ``proof-value``,
            ``jws``, ``proof-context``), a number JCS cannot sign (``jcs``), or ``proof`` not in
            ``document``.
        JsonLdError: the document or proof uses an unbundled context, an undefined term, a
            relative IRI … (``reason`` and ``path`` say which).
        InputTooLarge: over a JSON-LD size or canonicalization work cap.
        InvalidSignature: wrong proof purpose, a signature of the wrong length for the key, or a
            signature that does not verify.

    Example::

        verify_proof(credential, credential["proof"], did_key_decode(did))
    """
    if not isinstance(document, Mapping) or not isinstance(proof, Mapping):
        raise MalformedPayload("document and proof must be JSON objects", reason="proof")
    proofs = document.get("proof")
    if not any(p == proof for p in (proofs if isinstance(proofs, list) else [proofs])):
        raise MalformedPayload("the proof is not one of the document's proofs", reason="proof")
    suite = _suite(proof)
    _check_proof_shape(proof, proof_purpose, suite)
    algorithm = _check_key(suite, public_key)
    signature, prefix = _signature(proof, suite, algorithm)
    unsecured, config = _split(document, proof, suite)
    data = prefix + _hash_data(unsecured, config, suite, algorithm, pinned)
    _verify_signature(public_key, algorithm, signature, data)
    return suite


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
    pinned: PinnedContexts | None = None,
) -> dict[str, Any]:
    """Return a copy of ``document`` with a new ``DataIntegrityProof`` added (input untouched).

    An existing proof is kept and the result holds a proof set (both sign the document
    without proofs). ``created`` defaults to now, to the second, in UTC; ``expires`` (signed
    with the proof) is when verifiers stop accepting it; ``pinned`` are contexts beyond the
    bundled ones (verifiers must then pin them too).

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
    suite = SUITES["DataIntegrityProof", cryptosuite]
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
    unsecured, config = _split(secured, proof, suite)
    data = _hash_data(unsecured, config, suite, pinned=pinned)
    signature = signer.sign(data)
    public_key = signer.public_key()
    try:
        if not isinstance(public_key, Ed25519PublicKey) or len(signature) != _SIGNATURE_BYTES["ed25519"]:
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
