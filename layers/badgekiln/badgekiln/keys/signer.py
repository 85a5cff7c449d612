"""The one interface every signing key implements, wherever the private half lives."""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

__all__ = ["JoseAlgorithm", "PublicKey", "Signer"]

#: JOSE names of the algorithms badgekiln signs with (RS256 is the OB 3.0 VC-JWT minimum,
#: EdDSA/Ed25519 is what ``eddsa-rdfc-2022`` Data Integrity proofs need).
JoseAlgorithm = Literal["EdDSA", "ES256", "RS256"]

PublicKey = Ed25519PublicKey | EllipticCurvePublicKey | RSAPublicKey


@runtime_checkable
class Signer(Protocol):
    """A private key that can sign, identified by the URL/DID URL verifiers resolve it by.

    ``sign`` returns the signature in JOSE form: 64 raw bytes for Ed25519, raw ``r‖s`` (64 bytes)
    for ES256 — never DER — and the PKCS#1 v1.5 block for RS256.
    """

    @property
    def algorithm(self) -> JoseAlgorithm:
        """JOSE ``alg`` of the signatures this key makes."""
        ...

    @property
    def key_id(self) -> str:
        """The verification method / JWS ``kid`` that resolves to the public key."""
        ...

    def public_key(self) -> PublicKey:
        """The public half (a ``cryptography`` key object)."""
        ...

    def sign(self, message: bytes) -> bytes:
        """Sign ``message`` (the whole message; the signer hashes as its algorithm requires).

        Raises:
            SigningError: the key or the service holding it could not sign.
        """
        ...
