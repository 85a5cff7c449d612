"""LocalSigner: the three algorithms, PKCS#8 in the private store, hostile PEMs, DER → raw r‖s."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, padding, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from badgekiln.errors import Conflict, InvalidField, NotFound, SigningError
from badgekiln.keys.local import KEY_KINDS, LocalSigner, ecdsa_der_to_raw, private_key_path
from badgekiln.keys.signer import Signer
from badgekiln.store import LocalStore

KID = "did:web:badges.example.org:issuers:acme#key-1"
MESSAGE = b"eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJhY21lIn0"


def verify(signer: LocalSigner, signature: bytes, message: bytes = MESSAGE) -> None:
    """Check a JOSE-form signature with cryptography directly (raises InvalidSignature)."""
    public = signer.public_key()
    if isinstance(public, Ed25519PublicKey):
        public.verify(signature, message)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        public.verify(der, message, ec.ECDSA(hashes.SHA256()))
    else:
        public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


@pytest.fixture(scope="module")
def signers() -> dict[str, LocalSigner]:
    return {kind: LocalSigner.generate(kind, KID) for kind in KEY_KINDS}


@pytest.mark.parametrize(
    ("kind", "algorithm", "size"),
    [
        ("ed25519", "EdDSA", 64),
        ("p256", "ES256", 64),
        ("rsa2048", "RS256", 256),
        ("rsa3072", "RS256", 384),
        ("rsa4096", "RS256", 512),
    ],
)
def test_each_kind_signs_in_jose_form(
    signers: dict[str, LocalSigner], kind: str, algorithm: str, size: int
) -> None:
    signer = signers[kind]
    assert isinstance(signer, Signer)
    assert (signer.kind, signer.algorithm, signer.key_id) == (kind, algorithm, KID)
    signature = signer.sign(MESSAGE)
    assert len(signature) == size
    verify(signer, signature)
    with pytest.raises(InvalidSignature):
        verify(signer, signature, MESSAGE + b".")


def test_repr_shows_no_key_material(signers: dict[str, LocalSigner]) -> None:
    assert repr(signers["p256"]) == f"LocalSigner(kind='p256', key_id={KID!r})"


def test_bad_calls() -> None:
    with pytest.raises(ValueError, match="unknown key kind"):
        LocalSigner.generate("rsa1024", KID)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="key_id"):
        LocalSigner.generate("ed25519", "")


# --- the private store -------------------------------------------------------------------------


def test_save_and_load_through_the_private_store(signers: dict[str, LocalSigner], tmp_path: Path) -> None:
    # GIVEN a key saved to a store
    store = LocalStore(tmp_path)
    signer = signers["p256"]
    path = signer.save_to_store(store, "acme-key-1")
    # THEN it lives as PKCS#8 PEM under private/keys/, never cached
    assert path == "private/keys/acme-key-1.pem"
    stored = store.get(path)
    assert stored.body.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert (stored.content_type, stored.cache_control) == ("application/x-pem-file", "no-store")
    assert list(store.list("public/")) == []
    # AND it loads back as the same key
    again = LocalSigner.from_store(store, "acme-key-1", key_id="other#k")
    assert again.key_id == "other#k"
    assert again.public_key().public_numbers() == signer.public_key().public_numbers()  # type: ignore[union-attr]
    verify(signer, again.sign(MESSAGE))


def test_keys_are_never_overwritten(signers: dict[str, LocalSigner], tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    signers["ed25519"].save_to_store(store, "k")
    with pytest.raises(Conflict):
        signers["rsa2048"].save_to_store(store, "k")
    assert LocalSigner.from_store(store, "k", key_id=KID).kind == "ed25519"


def test_missing_and_unsafe_names(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    with pytest.raises(NotFound):
        LocalSigner.from_store(store, "nope", key_id=KID)
    for name in ("../public/x", "a/b", "", "a b", ".."):
        with pytest.raises(InvalidField):
            private_key_path(name)


# --- hostile PEM --------------------------------------------------------------------------------


def pem(key: object, *, password: bytes | None = None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: b"", "pem"),
        (lambda: b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "pem"),
        (lambda: b"\x00" * 100, "pem"),
        (lambda: b"A" * (16 * 1024 + 1), "too-large"),
        (
            lambda: (
                Ed25519PrivateKey.generate()
                .public_key()
                .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            ),
            "pem",
        ),
        (lambda: pem(Ed25519PrivateKey.generate(), password=b"pw"), "encrypted"),
        (lambda: pem(ec.generate_private_key(ec.SECP384R1())), "key-type"),
        (lambda: pem(ec.generate_private_key(ec.SECP256K1())), "key-type"),
        (lambda: pem(rsa.generate_private_key(65537, 1024)), "key-type"),
        (lambda: pem(dsa.generate_private_key(2048)), "key-type"),
        (lambda: pem(ed448.Ed448PrivateKey.generate()), "key-type"),
        (lambda: pem(x25519.X25519PrivateKey.generate()), "key-type"),
    ],
)
def test_hostile_pem_is_refused(make: object, reason: str) -> None:
    with pytest.raises(InvalidField) as caught:
        LocalSigner.from_pem(make(), KID)  # type: ignore[operator]
    assert caught.value.reason == reason
    assert caught.value.details["field"] == "private_key"


def test_traditional_pem_forms_load() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    traditional = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert traditional.startswith(b"-----BEGIN EC PRIVATE KEY-----")
    assert LocalSigner.from_pem(traditional, KID).algorithm == "ES256"


# --- DER → raw r‖s -----------------------------------------------------------------------------

N = 1 << 256


@pytest.mark.parametrize(
    ("r", "s"),
    [
        (1, 1),  # the shortest DER integers: 31 leading zero bytes each
        (0xFF, 1 << 255),  # s with the high bit: DER adds a 0x00, raw must not
        ((1 << 248) - 1, (1 << 248)),  # r one byte short, s just long enough
        (N - 1, N - 1),  # the largest values that fit
    ],
)
def test_der_to_raw_edge_cases(r: int, s: int) -> None:
    raw = ecdsa_der_to_raw(encode_dss_signature(r, s))
    assert len(raw) == 64
    assert (int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")) == (r, s)


def test_der_to_raw_keeps_leading_zeros() -> None:
    raw = ecdsa_der_to_raw(encode_dss_signature(0x01, 0x0203))
    assert raw == bytes(31) + b"\x01" + bytes(30) + b"\x02\x03"


@pytest.mark.parametrize(
    "der",
    [
        encode_dss_signature(N, 1),  # r does not fit 32 bytes
        encode_dss_signature(1, N),
        b"",
        b"\x30\x00",
        b"\x30\x06\x02\x01\x01\x02\x01",  # truncated
        b"\x30\x06\x02\x01\x01\x02\x01\x01\x00",  # trailing byte
        bytes(64),  # raw-looking bytes, not DER
    ],
)
def test_der_to_raw_refuses(der: bytes) -> None:
    with pytest.raises(SigningError) as caught:
        ecdsa_der_to_raw(der)
    assert caught.value.reason == "signature-format"


def test_der_to_raw_refuses_zero() -> None:
    # encode_dss_signature accepts 0; a signature with r = 0 or s = 0 is never valid ECDSA.
    with pytest.raises(SigningError):
        ecdsa_der_to_raw(encode_dss_signature(0, 5))
    with pytest.raises(SigningError):
        ecdsa_der_to_raw(encode_dss_signature(5, 0))


@pytest.mark.parametrize("kind", ["ed25519", "p256", "rsa2048"])
def test_public_keys_publish_through_keys_formats(signers: dict[str, LocalSigner], kind: str) -> None:
    # The issuing engine publishes signer.public_key() as JWK, PEM and (Ed25519/P-256) Multikey.
    from badgekiln.keys import formats

    public = signers[kind].public_key()
    assert formats.jwk_to_public_key(formats.public_key_to_jwk(public)) == public
    assert formats.load_pem_public_key(formats.dump_pem_public_key(public)) == public
    if not isinstance(public, rsa.RSAPublicKey):
        assert formats.multikey_decode(formats.multikey_encode(public)) == public
