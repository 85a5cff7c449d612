"""proofs.dataintegrity: the OB 3.0 spec vector, create_proof, and hostile proofs."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from badgekiln.errors import (
    InputTooLarge,
    InvalidSignature,
    JsonLdError,
    MalformedPayload,
    SigningError,
    UnsupportedAlgorithm,
)
from badgekiln.keys.formats import multibase_decode, multikey_decode
from badgekiln.keys.signer import JoseAlgorithm, PublicKey, Signer
from badgekiln.proofs.dataintegrity import create_proof, verify_proof

OB_VECTOR = "1edtech-openbadges-specification/ob_v3p0/impl/linked-data-proof-ob.vector.json"
W3C = "w3c-vc-di-eddsa/TestVectors"


class _Signer:
    """The smallest Signer: a private key held in memory (tests only)."""

    def __init__(self, private: Any, algorithm: JoseAlgorithm = "EdDSA", key_id: str = "did:key:x") -> None:
        self._private = private
        self._algorithm = algorithm
        self._key_id = key_id

    @property
    def algorithm(self) -> JoseAlgorithm:
        return self._algorithm

    @property
    def key_id(self) -> str:
        return self._key_id

    def public_key(self) -> PublicKey:
        key: PublicKey = self._private.public_key()
        return key

    def sign(self, message: bytes) -> bytes:
        signature: bytes = self._private.sign(message)
        return signature


class _WrongKeySigner(_Signer):
    def public_key(self) -> PublicKey:
        return ed25519.Ed25519PrivateKey.generate().public_key()


@pytest.fixture(scope="module")
def ob(vectors: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((vectors / OB_VECTOR).read_text())
    return data


@pytest.fixture(scope="module")
def ob_signer(ob: dict[str, Any]) -> Signer:
    seed = bytes.fromhex(ob["keyPair"]["privateKeyHex_seedThenPublic"])[:32]
    return _Signer(ed25519.Ed25519PrivateKey.from_private_bytes(seed))


def _ob_public(ob: dict[str, Any]) -> ed25519.Ed25519PublicKey:
    return ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(ob["keyPair"]["publicKeyHex"]))


def _signed(ob: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(ob["signedCredential"])


# --- the OB 3.0 spec test vector ----------------------------------------------------------------


def test_ob_vector_verifies(ob: dict[str, Any]) -> None:
    document = _signed(ob)
    verify_proof(document, document["proof"], _ob_public(ob))


def test_ob_vector_signature_bytes(ob: dict[str, Any]) -> None:
    assert multibase_decode(ob["proofValue"]).hex() == ob["signatureHex"]
    key = multikey_decode(ob["keyPair"]["publicKeyMultibase"])
    assert isinstance(key, ed25519.Ed25519PublicKey)
    assert key.public_bytes_raw().hex() == ob["keyPair"]["publicKeyHex"]


def test_create_proof_reproduces_the_ob_vector(ob: dict[str, Any], ob_signer: Signer) -> None:
    # GIVEN the unsigned credential and the vector's seed, WHEN signed with the same options,
    # THEN the signed credential is the vector's, proofValue included (Ed25519 is deterministic).
    unsigned = copy.deepcopy(ob["unsignedCredential"])
    options = ob["proofOptions"]
    signed = create_proof(
        unsigned,
        ob_signer,
        verification_method=options["verificationMethod"],
        created=datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC),
    )
    assert signed["proof"]["proofValue"] == ob["proofValue"]
    assert signed == ob["signedCredential"]
    assert unsigned == ob["unsignedCredential"]  # input not mutated


def test_create_proof_reproduces_the_w3c_vector(vectors: Path) -> None:
    base = vectors / W3C
    signed = json.loads((base / "eddsa-rdfc-2022/signedDataInt.json").read_text())
    private = multibase_decode(json.loads((base / "keyPair.json").read_text())["privateKeyMultibase"])
    assert private[:2] == b"\x80\x26"  # multicodec ed25519-priv
    signer = _Signer(ed25519.Ed25519PrivateKey.from_private_bytes(private[2:]))
    proof = signed["proof"]
    again = create_proof(
        {k: v for k, v in signed.items() if k != "proof"},
        signer,
        verification_method=proof["verificationMethod"],
        created=datetime.fromisoformat(proof["created"]),
    )
    assert again["proof"]["proofValue"] == proof["proofValue"]


# --- create_proof -------------------------------------------------------------------------------


def test_create_then_verify_and_proof_sets(ob: dict[str, Any], ob_signer: Signer) -> None:
    unsigned = ob["unsignedCredential"]
    first = create_proof(unsigned, ob_signer, verification_method="did:key:z6Mk#a")
    assert first["proof"]["created"].endswith("Z")
    other_key = ed25519.Ed25519PrivateKey.generate()
    both = create_proof(first, _Signer(other_key), verification_method="did:key:z6Mk#b")
    assert [p["verificationMethod"] for p in both["proof"]] == ["did:key:z6Mk#a", "did:key:z6Mk#b"]
    # each proof of the set signs the document without proofs
    verify_proof(both, both["proof"][0], _ob_public(ob))
    verify_proof(both, both["proof"][1], other_key.public_key())
    assert "proof" not in unsigned
    assert isinstance(first["proof"], dict)


def test_created_keeps_the_instant_in_utc(ob: dict[str, Any], ob_signer: Signer) -> None:
    created = datetime(2024, 5, 6, 9, 8, 7, 123456, tzinfo=timezone(timedelta(hours=2)))
    signed = create_proof(ob["unsignedCredential"], ob_signer, verification_method="x:y", created=created)
    assert signed["proof"]["created"] == "2024-05-06T07:08:07Z"


def test_create_refusals(ob: dict[str, Any], ob_signer: Signer) -> None:
    unsigned = ob["unsignedCredential"]
    with pytest.raises(ValueError, match="timezone"):
        create_proof(unsigned, ob_signer, verification_method="x:y", created=datetime(2020, 1, 1))
    with pytest.raises(ValueError, match="cannot create"):
        create_proof(unsigned, ob_signer, verification_method="x:y", cryptosuite="eddsa-2022")
    p256 = _Signer(ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    with pytest.raises(UnsupportedAlgorithm) as info:
        create_proof(unsigned, p256, verification_method="x:y")
    assert info.value.reason == "signer-algorithm"
    with pytest.raises(SigningError) as signing:
        create_proof(
            unsigned, _WrongKeySigner(ed25519.Ed25519PrivateKey.generate()), verification_method="x:y"
        )
    assert signing.value.reason == "self-check"


def test_create_refuses_what_would_not_verify(ob: dict[str, Any], ob_signer: Signer) -> None:
    document = copy.deepcopy(ob["unsignedCredential"])
    document["credentialSubject"]["nickname"] = "not in any context"
    with pytest.raises(JsonLdError) as info:
        create_proof(document, ob_signer, verification_method="did:key:z6Mk#a")
    assert info.value.reason == "undefined-term"
    assert info.value.details["path"] == "/credentialSubject/nickname"
    with pytest.raises(JsonLdError) as relative:
        create_proof(ob["unsignedCredential"], ob_signer, verification_method="key-1")
    assert relative.value.reason == "relative-iri"


# --- hostile proofs -----------------------------------------------------------------------------


def _with_proof(ob: dict[str, Any], **changes: Any) -> dict[str, Any]:
    document = _signed(ob)
    for key, value in changes.items():
        if value is None:
            document["proof"].pop(key, None)
        else:
            document["proof"][key] = value
    return document


@pytest.mark.parametrize(
    ("changes", "error", "reason"),
    [
        ({"type": "Ed25519Signature2018"}, UnsupportedAlgorithm, "cryptosuite"),  # + cryptosuite
        ({"cryptosuite": "eddsa-jcs-2022"}, InvalidSignature, "signature"),  # the suite name is signed
        ({"cryptosuite": "ecdsa-rdfc-2019"}, UnsupportedAlgorithm, "key-type"),  # needs P-256/P-384
        ({"type": "JsonWebSignature2020"}, UnsupportedAlgorithm, "cryptosuite"),
        ({"cryptosuite": None}, UnsupportedAlgorithm, "cryptosuite"),
        ({"type": "Ed25519Signature2020"}, UnsupportedAlgorithm, "cryptosuite"),  # + cryptosuite
        ({"type": ["DataIntegrityProof"]}, UnsupportedAlgorithm, "cryptosuite"),  # unhashable
        ({"cryptosuite": ["eddsa-rdfc-2022"]}, UnsupportedAlgorithm, "cryptosuite"),
        ({"cryptosuite": {"id": "eddsa-rdfc-2022"}}, UnsupportedAlgorithm, "cryptosuite"),
        ({"previousProof": "urn:uuid:1"}, UnsupportedAlgorithm, "proof-chain"),
        ({"proofValue": None}, MalformedPayload, "proof"),
        ({"proofValue": 5}, MalformedPayload, "proof"),
        ({"verificationMethod": None}, MalformedPayload, "proof"),
        ({"proofPurpose": None}, MalformedPayload, "proof"),
        ({"created": "yesterday"}, MalformedPayload, "proof"),
        ({"expires": "2030-13"}, MalformedPayload, "proof"),
        ({"proofValue": "u" + "A" * 86}, MalformedPayload, "proof-value"),
        ({"proofValue": "z0OIl"}, MalformedPayload, "proof-value"),
        ({"proofValue": "z" + "1" * 600}, MalformedPayload, "proof-value"),
        ({"proofValue": "z1111"}, InvalidSignature, "signature-length"),
        ({"proofPurpose": "authentication"}, InvalidSignature, "proof-purpose"),
        ({"@context": ["https://example.com/other"]}, MalformedPayload, "proof-context"),
        ({"created": "2010-01-01T19:23:25Z"}, InvalidSignature, "signature"),
        ({"fooUndefined": "abc"}, JsonLdError, "undefined-term"),
        ({"nonce": "abc"}, InvalidSignature, "signature"),  # defined, so signed
    ],
)
def test_hostile_proofs(
    ob: dict[str, Any], changes: dict[str, Any], error: type[Exception], reason: str
) -> None:
    document = _with_proof(ob, **changes)
    with pytest.raises(error) as info:
        verify_proof(document, document["proof"], _ob_public(ob))
    assert info.value.reason == reason  # type: ignore[attr-defined]


def test_proof_context_prefix_is_accepted(ob: dict[str, Any]) -> None:
    document = _with_proof(ob, **{"@context": ["https://www.w3.org/ns/credentials/v2"]})
    verify_proof(document, document["proof"], _ob_public(ob))


def test_proof_must_belong_to_the_document(ob: dict[str, Any]) -> None:
    document = _signed(ob)
    foreign = {**document["proof"], "created": "2011-01-01T00:00:00Z"}
    with pytest.raises(MalformedPayload) as info:
        verify_proof(document, foreign, _ob_public(ob))
    assert info.value.reason == "proof"
    with pytest.raises(MalformedPayload):
        verify_proof([], document["proof"], _ob_public(ob))  # type: ignore[arg-type]


def test_wrong_key(ob: dict[str, Any]) -> None:
    document = _signed(ob)
    with pytest.raises(InvalidSignature):
        verify_proof(document, document["proof"], ed25519.Ed25519PrivateKey.generate().public_key())
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(UnsupportedAlgorithm) as info:
        verify_proof(document, document["proof"], p256)  # type: ignore[arg-type]
    assert info.value.reason == "key-type"


def test_oversized_document(ob: dict[str, Any]) -> None:
    document = _signed(ob)
    document["credentialSubject"]["achievement"]["tag"] = ["t"] * 30_000
    with pytest.raises(InputTooLarge):
        verify_proof(document, document["proof"], _ob_public(ob))


def test_verify_does_not_mutate(ob: dict[str, Any]) -> None:
    document = _signed(ob)
    verify_proof(document, document["proof"], _ob_public(ob))
    assert document == ob["signedCredential"]
