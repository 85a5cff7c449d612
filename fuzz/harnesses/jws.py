"""Compact JWS / JWT: ``proofs.jws.parse_compact``, JWK keys, ``verify_compact``, VC-JWT claims.

The input is the token's text (UTF-8; undecodable bytes become lone surrogates, which a caller
can pass too). Each case parses it, reads the VC-JWT claims (``verification.vcjwt.parse_vcjwt``)
and verifies the signature: with the header's ``jwk`` when it has one (so hostile JWKs are
fuzzed too), otherwise with the harness's fixed key for ``alg``. Seeds: every JWS in the vectors
(``.jwt`` files, tokens baked into images, JWS strings inside JSON documents) and tokens signed
here for every algorithm, with and without an embedded ``jwk``, so mutations start from
signatures that verify.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from badgekiln.errors import BadgeKilnError
from badgekiln.keys.formats import jwk_to_public_key
from badgekiln.keys.signer import PublicKey
from badgekiln.proofs.jws import parse_compact, verify_compact
from badgekiln.verification.vcjwt import parse_vcjwt
from fuzz.harnesses.seeds import VECTORS, files

__all__ = ["make_target", "seeds"]

_TOKEN: Final = re.compile(rb"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


@cache
def _fixed_keys() -> Mapping[str, PublicKey]:
    """Public keys for tokens without a ``jwk``: deterministic, so seeds written by one process
    verify in another. (RSA keys cannot be derived from a seed; RSA tokens carry their ``jwk``.)"""
    return {
        "EdDSA": ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key(),
        "ES256": ec.derive_private_key(0x5EED256, ec.SECP256R1()).public_key(),
        "ES384": ec.derive_private_key(0x5EED384, ec.SECP384R1()).public_key(),
    }


def _key(header: Mapping[str, Any]) -> PublicKey | None:
    jwk = header.get("jwk")
    if isinstance(jwk, dict):
        return jwk_to_public_key(jwk)
    return _fixed_keys().get(header["alg"])


def make_target(variant: str) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        token = data.decode("utf-8", "surrogateescape")
        with contextlib.suppress(BadgeKilnError):
            parse_vcjwt(token)
        parsed = parse_compact(token)
        key = _key(parsed.header)
        if key is not None:
            verify_compact(parsed, key)

    return target


def _signed() -> Iterator[tuple[str, bytes]]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from badgekiln.keys.formats import b64url_encode, public_key_to_jwk
    from badgekiln.keys.local import KeyKind, LocalSigner
    from badgekiln.proofs.jws import sign_compact

    claims = {
        "iss": "https://issuer.example/",
        "nbf": 1_700_000_000,
        "vc": {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"]},
    }
    payload = json.dumps(claims).encode("utf-8")
    fixed: dict[str, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey] = {
        "EdDSA": ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
        "ES256": ec.derive_private_key(0x5EED256, ec.SECP256R1()),
    }
    for alg, private in fixed.items():
        signer = LocalSigner(private, "key-1")
        yield f"made/{alg}.jwt", sign_compact({"typ": "JWT"}, payload, signer).encode()
    kinds: tuple[KeyKind, ...] = ("rsa2048", "p256", "ed25519")
    for kind in kinds:
        signer = LocalSigner.generate(kind, "key-1")
        header = {"typ": "JWT", "jwk": public_key_to_jwk(signer.public_key())}
        yield f"made/{kind}-jwk.jwt", sign_compact(header, payload, signer).encode()
    weak = rsa.generate_private_key(public_exponent=3, key_size=1024)
    jwk = public_key_to_jwk_unchecked(weak.public_key())
    head = b64url_encode(json.dumps({"alg": "RS256", "jwk": jwk}).encode())
    yield "made/weak-rsa-jwk.jwt", f"{head}.{b64url_encode(payload)}.c2ln".encode()


def public_key_to_jwk_unchecked(key: Any) -> dict[str, str]:
    """An RSA public JWK of any key, weak ones included (``public_key_to_jwk`` refuses those)."""
    from badgekiln.keys.formats import b64url_encode

    numbers = key.public_numbers()

    def uint(value: int) -> str:
        return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    return {"kty": "RSA", "n": uint(numbers.n), "e": uint(numbers.e)}


def seeds(variant: str) -> Iterator[tuple[str, bytes]]:
    import badgekiln

    found: dict[bytes, str] = {}
    for name, data in files(p for p in VECTORS.rglob("*") if p.suffix in (".jwt", ".json", ".jsonld")):
        for match in _TOKEN.finditer(data):
            found.setdefault(match.group(), name)
    for name, data in files(p for p in VECTORS.rglob("*") if p.suffix in (".png", ".svg")):
        try:
            payload = badgekiln.extract(data).payload.encode("utf-8")
        except BadgeKilnError:
            continue
        if _TOKEN.fullmatch(payload):
            found.setdefault(payload, name)
    for token, name in found.items():
        yield name, token
    yield from _signed()
