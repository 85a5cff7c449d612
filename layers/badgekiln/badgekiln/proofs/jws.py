"""Compact JWS (RFC 7515): strict parsing, verification against an allow-list, signing.

Only asymmetric algorithms with a key type fixed by the algorithm are accepted — RS256/384/512
(RSA PKCS#1 v1.5), ES256/ES384 (ECDSA P-256/P-384, raw ``r‖s``) and EdDSA (Ed25519). ``none``
and the ``HS*`` family are never accepted, whatever a caller passes, and a key whose type does
not match ``alg`` is refused before any cryptography runs, which rules out algorithm confusion
(an RSA public key used as an HMAC secret, an EC key offered for RS256 …).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, cast

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from badgekiln.errors import (
    InputTooLarge,
    InvalidSignature,
    MalformedPayload,
    SigningError,
    UnsupportedAlgorithm,
)
from badgekiln.keys.formats import b64url_decode, b64url_encode, check_public_key
from badgekiln.keys.signer import PublicKey, Signer
from badgekiln.strictjson import loads_object

__all__ = [
    "ALLOWED_ALGORITHMS",
    "MAX_HEADER_CHARS",
    "MAX_TOKEN_CHARS",
    "CompactJws",
    "parse_compact",
    "sign_compact",
    "verify_compact",
]

#: Every JWS algorithm badgekiln will verify; callers may narrow it, never widen it.
ALLOWED_ALGORITHMS: Final = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "EdDSA"})
#: A VC-JWT carrying a whole credential (images as data: URIs included) stays under this.
MAX_TOKEN_CHARS: Final = 1024 * 1024
#: A protected header holds alg, kid/jwk (an RSA-8192 JWK is ~1.5 KB) and typ; nothing needs more.
MAX_HEADER_CHARS: Final = 8 * 1024

# one instance each: hash and padding objects hold no state, and every verification needs one
_HASHES: Final[dict[str, hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256(),
    "RS384": hashes.SHA384(),
    "RS512": hashes.SHA512(),
    "ES256": hashes.SHA256(),
    "ES384": hashes.SHA384(),
}
_PKCS1V15: Final = padding.PKCS1v15()
_ECDSA: Final = {alg: ec.ECDSA(_HASHES[alg]) for alg in ("ES256", "ES384")}
# alg -> (curve name, bytes per coordinate) for ES*
_EC: Final = {"ES256": ("secp256r1", 32), "ES384": ("secp384r1", 48)}
#: Key family ("rsa", "ec", "ed25519" or "") by key class: the isinstance checks against
#: cryptography's abstract key classes go through ABC machinery, twice per verification.
_FAMILIES: dict[type, str] = {}


def _family(key: object) -> str:
    kind = type(key)
    family = _FAMILIES.get(kind)
    if family is None:
        if isinstance(key, rsa.RSAPublicKey):
            family = "rsa"
        elif isinstance(key, ec.EllipticCurvePublicKey):
            family = "ec"
        elif isinstance(key, Ed25519PublicKey):
            family = "ed25519"
        else:
            family = ""
        _FAMILIES[kind] = family  # a handful of key classes exist
    return family


@dataclass(frozen=True)
class CompactJws:
    """A parsed compact JWS; nothing in it is verified yet."""

    header: Mapping[str, Any]
    payload: bytes
    signature: bytes
    signing_input: bytes

    @property
    def alg(self) -> str:
        """The protected header's ``alg``."""
        alg: str = self.header["alg"]
        return alg


@functools.lru_cache(maxsize=256)  # an issuer's tokens all carry the same few headers
def _header(header_b64: str) -> Mapping[str, Any]:
    """The decoded protected header (read-only), checked; a refusal is never remembered.

    Raises:
        MalformedPayload, InputTooLarge: as :func:`parse_compact`.
    """
    header = loads_object(b64url_decode(header_b64, what="JWS header"), source="JWS header")
    if not isinstance(header.get("alg"), str):
        raise MalformedPayload("JWS header has no string 'alg'", reason="jws", field="alg")
    for name in ("crit", "b64"):
        if name in header:
            # RFC 7515 §4.1.11: a recipient that does not implement a listed extension must reject.
            raise MalformedPayload(
                f"JWS header {name!r} names extensions badgekiln does not implement",
                reason="crit",
                field=name,
            )
    return MappingProxyType(header)


def parse_compact(token: str) -> CompactJws:
    """Split and decode a compact JWS ``header.payload.signature``.

    Raises:
        InputTooLarge: over :data:`MAX_TOKEN_CHARS`, a header over :data:`MAX_HEADER_CHARS`, or
            a header nested too deeply.
        MalformedPayload: not three unpadded base64url parts (five would be a JWE), a header
            that is not a JSON object with a string ``alg``, a ``crit`` or ``b64`` header
            (``reason="crit"``: extensions badgekiln does not implement).
    """
    if not isinstance(token, str):
        raise MalformedPayload("a compact JWS must be text", reason="jws")
    if len(token) > MAX_TOKEN_CHARS:
        raise InputTooLarge(
            f"JWS of {len(token)} characters is over the {MAX_TOKEN_CHARS} limit",
            limit=MAX_TOKEN_CHARS,
        )
    parts = token.split(".")
    if len(parts) != 3:
        kind = "a JWE (encrypted), not a JWS" if len(parts) == 5 else "not header.payload.signature"
        raise MalformedPayload(f"compact JWS has {len(parts)} parts: {kind}", reason="jws")
    header_b64, payload_b64, signature_b64 = parts
    if len(header_b64) > MAX_HEADER_CHARS:
        raise InputTooLarge(
            f"JWS header is over the {MAX_HEADER_CHARS}-character limit", limit=MAX_HEADER_CHARS
        )
    return CompactJws(
        header=_header(header_b64),
        payload=b64url_decode(payload_b64, what="JWS payload"),
        signature=b64url_decode(signature_b64, what="JWS signature"),
        signing_input=f"{header_b64}.{payload_b64}".encode("ascii"),
    )


def _allowed(alg: str, algorithms: Collection[str]) -> None:
    if algorithms is not ALLOWED_ALGORITHMS and not ALLOWED_ALGORITHMS.issuperset(algorithms):
        unknown = sorted(set(algorithms) - ALLOWED_ALGORITHMS)
        raise ValueError(f"algorithms outside the allow-list cannot be enabled: {unknown}")
    if alg not in ALLOWED_ALGORITHMS or alg not in algorithms:
        raise UnsupportedAlgorithm(
            f"JWS algorithm {alg!r} is not accepted (allowed: {', '.join(sorted(algorithms))})",
            reason="alg",
            alg=alg,
        )


def _check_key_for(alg: str, key: object) -> str:
    """The key's family (:func:`_family`), when it is the one ``alg`` needs."""
    family = _family(key)
    if alg.startswith("RS"):
        matches = family == "rsa"
    elif alg in _EC:
        matches = family == "ec" and cast(ec.EllipticCurvePublicKey, key).curve.name == _EC[alg][0]
    else:  # EdDSA
        matches = family == "ed25519"
    if not matches:
        raise UnsupportedAlgorithm(
            f"a {type(key).__name__} cannot verify {alg} (the key type must match the algorithm)",
            reason="key-type",
            alg=alg,
        )
    return family


def _verify_raw(alg: str, key: PublicKey, family: str, signature: bytes, message: bytes) -> None:
    if family == "rsa":
        cast(rsa.RSAPublicKey, key).verify(signature, message, _PKCS1V15, _HASHES[alg])
    elif family == "ec":
        size = _EC[alg][1]
        if len(signature) != 2 * size:
            raise InvalidSignature(
                f"{alg} signature must be {2 * size} bytes (raw r‖s), not {len(signature)}",
                reason="signature-length",
            )
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        cast(ec.EllipticCurvePublicKey, key).verify(encode_dss_signature(r, s), message, _ECDSA[alg])
    else:
        cast(Ed25519PublicKey, key).verify(signature, message)


def verify_compact(
    jws: CompactJws | str,
    public_key: PublicKey,
    *,
    algorithms: Collection[str] = ALLOWED_ALGORITHMS,
) -> None:
    """Verify a compact JWS signature with ``public_key``.

    ``algorithms`` narrows :data:`ALLOWED_ALGORITHMS` (e.g. ``{"RS256"}`` for OB 2.0).
    The header's other members (``kid``, ``jwk``, ``typ``) are the caller's business.

    Raises:
        ValueError: ``algorithms`` names something outside :data:`ALLOWED_ALGORITHMS`.
        MalformedPayload / InputTooLarge: ``jws`` is a string that does not parse.
        UnsupportedAlgorithm: ``alg`` not allowed (``none`` and ``HS*`` never are), or a key
            whose type does not match it.
        KeyResolutionError: a key badgekiln does not verify with (weak RSA, other curves).
        InvalidSignature: the signature does not verify.

    Example::

        verify_compact(token, load_pem_public_key(pem), algorithms={"RS256"})
    """
    parsed = parse_compact(jws) if isinstance(jws, str) else jws
    alg = parsed.alg
    _allowed(alg, algorithms)
    family = _check_key_for(alg, public_key)
    check_public_key(public_key)
    try:
        _verify_raw(alg, public_key, family, parsed.signature, parsed.signing_input)
    except _CryptoInvalidSignature as exc:
        raise InvalidSignature(f"the {alg} signature does not verify", reason="signature") from exc


def sign_compact(header: Mapping[str, Any], payload: bytes, signer: Signer) -> str:
    """Sign ``payload`` as a compact JWS; ``alg`` comes from ``signer``.

    Raises:
        ValueError: ``header`` names another ``alg`` or carries ``crit``/``b64``.
        SigningError: the signer failed, or its signature does not verify with its public key.
        KeyResolutionError: the signer's public key is not one badgekiln verifies with.
    """
    alg = signer.algorithm
    if header.get("alg", alg) != alg:
        raise ValueError(f"header alg {header['alg']!r} does not match the signer's {alg}")
    if "crit" in header or "b64" in header:
        raise ValueError("crit/b64 JWS extensions are not supported")
    full = {"alg": alg, **{k: v for k, v in header.items() if k != "alg"}}
    encoded_header = b64url_encode(json.dumps(full, separators=(",", ":")).encode("utf-8"))
    signing_input = f"{encoded_header}.{b64url_encode(payload)}"
    signature = signer.sign(signing_input.encode("ascii"))
    token = f"{signing_input}.{b64url_encode(signature)}"
    try:
        # A misconfigured signer (DER instead of raw r‖s, a key that is not key_id's) must not
        # hand out tokens nobody can verify.
        verify_compact(token, signer.public_key(), algorithms={alg})
    except (InvalidSignature, UnsupportedAlgorithm) as exc:
        raise SigningError(
            f"the signer's {alg} signature does not verify with its own public key",
            reason="self-check",
        ) from exc
    return token
