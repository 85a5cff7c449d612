"""Signing keys held in this process: Ed25519 (EdDSA), P-256 (ES256) and RSA (RS256).

For the embedded default and tests. The private key is kept as unencrypted PKCS#8 PEM under
``private/keys/`` of a :class:`~badgekiln.store.base.Store` (never served) and is only ever
written there::

    signer = LocalSigner.generate("ed25519", "did:web:badges.example.org:issuers:acme#key-1")
    signer.save_to_store(store, "acme-key-1")            # create-only: never overwrites a key
    again = LocalSigner.from_store(store, "acme-key-1", key_id=signer.key_id)

Key rotation is a new name: old keys stay stored (and published) so earlier badges still verify.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from cryptography.exceptions import UnsupportedAlgorithm as CryptoUnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from badgekiln.errors import InvalidField, SigningError
from badgekiln.hosting.media import CACHE_NO_STORE, TYPE_PEM
from badgekiln.keys.signer import JoseAlgorithm, PublicKey
from badgekiln.store.base import Store, private_path

__all__ = [
    "KEY_KINDS",
    "KeyKind",
    "LocalSigner",
    "PrivateKey",
    "ecdsa_der_to_raw",
    "private_key_path",
]

#: The key types badgekiln signs with; ``rsa*`` names the modulus size.
KeyKind = Literal["ed25519", "p256", "rsa2048", "rsa3072", "rsa4096"]
KEY_KINDS: tuple[KeyKind, ...] = get_args(KeyKind)

PrivateKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_RSA_SIZES: dict[int, KeyKind] = {2048: "rsa2048", 3072: "rsa3072", 4096: "rsa4096"}
#: A PKCS#8 PEM of a 4096-bit RSA key is about 3.3 KB; anything far bigger is not a key of ours.
_MAX_PEM_BYTES = 16 * 1024
_KEY_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")
#: Bytes per coordinate of a P-256 signature in JOSE form (RFC 7518 §3.4).
_P256_SIZE = 32


def ecdsa_der_to_raw(der: bytes, size: int = _P256_SIZE) -> bytes:
    """Convert a DER ECDSA signature (``SEQUENCE {r, s}``) to JOSE's fixed-width ``r‖s``.

    ``r`` and ``s`` are left-padded with zeros to ``size`` bytes each (DER drops leading zeros
    and adds one before a high bit; JOSE wants neither).

    Raises:
        SigningError: (``reason="signature-format"``) not DER, or ``r``/``s`` out of range.
    """
    try:
        r, s = decode_dss_signature(der)
    except ValueError as exc:
        raise SigningError("the ECDSA signature is not valid DER", reason="signature-format") from exc
    limit = 1 << (8 * size)
    if not (0 < r < limit and 0 < s < limit):
        raise SigningError(
            f"the ECDSA signature's r or s does not fit {size} bytes", reason="signature-format"
        )
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def private_key_path(name: str) -> str:
    """The store key of the private key called ``name``: ``private/keys/<name>.pem``.

    Raises:
        InvalidField: ``name`` is not 1–100 of ``A-Z a-z 0-9 . _ -`` (not starting with ``.``).
    """
    if not (isinstance(name, str) and _KEY_NAME.fullmatch(name)):
        raise InvalidField(
            f"key name {str(name)[:80]!r} must be 1–100 of A-Z a-z 0-9 . _ -, not starting with '.'",
            field="key",
            reason="characters",
        )
    return private_path("keys", f"{name}.pem")


def _kind_of(key: object) -> KeyKind:
    """The kind of a private key we can sign with.

    Raises:
        InvalidField: (``field="private_key"``) any other key type, curve or size.
    """
    if isinstance(key, Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if isinstance(key.curve, ec.SECP256R1):
            return "p256"
        raise InvalidField(
            f"EC keys must be on P-256, not {key.curve.name}", field="private_key", reason="key-type"
        )
    if isinstance(key, rsa.RSAPrivateKey):
        kind = _RSA_SIZES.get(key.key_size)
        if kind is None:
            raise InvalidField(
                f"RSA keys must be 2048, 3072 or 4096 bits, not {key.key_size}",
                field="private_key",
                reason="key-type",
            )
        return kind
    raise _unsupported(key)


def _unsupported(key: object) -> InvalidField:
    return InvalidField(
        f"{type(key).__name__} keys cannot sign badges; use Ed25519, P-256 or RSA",
        field="private_key",
        reason="key-type",
    )


class LocalSigner:
    """A :class:`~badgekiln.keys.signer.Signer` over a private key in memory."""

    def __init__(self, private_key: PrivateKey, key_id: str) -> None:
        """Raises: InvalidField (``field="private_key"``) for a key type we do not sign with."""
        if not isinstance(key_id, str) or not key_id:
            raise ValueError("key_id must be a non-empty string (the verification method URL)")
        self._kind = _kind_of(private_key)
        self._key = private_key
        self._key_id = key_id

    @classmethod
    def generate(cls, kind: KeyKind, key_id: str) -> LocalSigner:
        """A new random key of ``kind`` (``"ed25519"``, ``"p256"``, ``"rsa2048"`` …)."""
        key: PrivateKey
        if kind == "ed25519":
            key = Ed25519PrivateKey.generate()
        elif kind == "p256":
            key = ec.generate_private_key(ec.SECP256R1())
        elif kind in ("rsa2048", "rsa3072", "rsa4096"):
            key = rsa.generate_private_key(public_exponent=65537, key_size=int(kind.removeprefix("rsa")))
        else:
            raise ValueError(f"unknown key kind {kind!r}; choose one of {', '.join(KEY_KINDS)}")
        return cls(key, key_id)

    @classmethod
    def from_pem(cls, pem: bytes, key_id: str) -> LocalSigner:
        """Load an unencrypted PEM private key (PKCS#8, or the traditional RSA/EC forms).

        Raises:
            InvalidField: (``field="private_key"``) not a readable unencrypted private key, or a
                type, curve or size we do not sign with (``reason`` says which).
        """
        if len(pem) > _MAX_PEM_BYTES:
            raise InvalidField(
                f"a private key PEM is not over {_MAX_PEM_BYTES} bytes",
                field="private_key",
                reason="too-large",
            )
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except TypeError as exc:  # cryptography's answer to an encrypted key without a password
            raise InvalidField(
                "the private key is encrypted; store it unencrypted in the private namespace",
                field="private_key",
                reason="encrypted",
            ) from exc
        except (ValueError, CryptoUnsupportedAlgorithm) as exc:
            raise InvalidField("not a readable PEM private key", field="private_key", reason="pem") from exc
        if not isinstance(key, Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise _unsupported(key)
        return cls(key, key_id)

    @classmethod
    def from_store(cls, store: Store, name: str, *, key_id: str) -> LocalSigner:
        """Load the private key saved as ``name`` by :meth:`save_to_store`.

        Raises:
            NotFound: no key called ``name``.
            InvalidField: ``name`` is unsafe, or the stored PEM is not a usable key.
            StoreError: the store failed.
        """
        return cls.from_pem(store.get(private_key_path(name)).body, key_id)

    def save_to_store(self, store: Store, name: str) -> str:
        """Save the private key as ``private/keys/<name>.pem`` (create-only); return the store key.

        Raises:
            Conflict: a key called ``name`` exists already (rotation uses a new name).
            InvalidField: ``name`` is unsafe.
            StoreError: the store failed.
        """
        path = private_key_path(name)
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        store.create(path, pem, content_type=TYPE_PEM, cache_control=CACHE_NO_STORE)
        return path

    def __repr__(self) -> str:
        return f"LocalSigner(kind={self._kind!r}, key_id={self._key_id!r})"

    @property
    def kind(self) -> KeyKind:
        """The key type: ``"ed25519"``, ``"p256"``, ``"rsa2048"`` …"""
        return self._kind

    @property
    def algorithm(self) -> JoseAlgorithm:
        """``EdDSA``, ``ES256`` or ``RS256``."""
        if self._kind == "ed25519":
            return "EdDSA"
        if self._kind == "p256":
            return "ES256"
        return "RS256"

    @property
    def key_id(self) -> str:
        """The verification method / JWS ``kid`` that resolves to the public key."""
        return self._key_id

    def public_key(self) -> PublicKey:
        """The public half."""
        return self._key.public_key()

    def sign(self, message: bytes) -> bytes:
        """Sign ``message``: 64 bytes for EdDSA and ES256 (raw ``r‖s``), the PKCS#1 block for RS256."""
        key = self._key
        if isinstance(key, Ed25519PrivateKey):
            return key.sign(message)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return ecdsa_der_to_raw(key.sign(message, ec.ECDSA(hashes.SHA256())))
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
