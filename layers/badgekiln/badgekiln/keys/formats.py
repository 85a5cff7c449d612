"""Public-key encodings: base58btc, base64url, multibase, Multikey, did:key, JWK, PEM.

Every decoder is strict: one spelling per value (canonical base64url without padding, no
leading zeros), exact lengths, points checked to lie on their curve, and only the key types
badgekiln verifies with — Ed25519, ECDSA P-256 / P-384 and RSA (2048–8192 bits). Encoding
problems raise :class:`~badgekiln.errors.MalformedPayload`; a value that decodes but is not a
usable public key raises :class:`~badgekiln.errors.KeyResolutionError`. Both carry a ``reason``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import threading
from collections.abc import Mapping
from typing import Any, Final, Literal

from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupported
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from badgekiln.errors import KeyResolutionError, MalformedPayload
from badgekiln.keys.signer import PublicKey

__all__ = [
    "MultikeyPublicKey",
    "b58decode",
    "b58encode",
    "b64url_decode",
    "b64url_encode",
    "check_public_key",
    "did_key_decode",
    "did_key_encode",
    "dump_pem_public_key",
    "jwk_thumbprint",
    "jwk_to_public_key",
    "load_pem_public_key",
    "multibase_decode",
    "multibase_encode",
    "multikey_decode",
    "multikey_encode",
    "public_key_to_jwk",
]

#: Key types a Multikey / did:key can carry (RSA has no Multikey form here).
MultikeyPublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey

#: base58 decoding is quadratic in the length; keys and signatures need < 120 characters, so
#: anything longer is not one of ours and is refused before any arithmetic.
MAX_BASE58_CHARS: Final = 512
#: A PEM public key (RSA-8192 SPKI) is under 1.5 KiB; refuse larger blobs before parsing.
MAX_PEM_BYTES: Final = 16 * 1024
#: Weaker RSA keys are breakable (RFC 7518 §3.3 requires 2048); larger ones cost a verifier
#: seconds per signature for no security gain.
MIN_RSA_BITS: Final = 2048
MAX_RSA_BITS: Final = 8192
#: Public exponents above 2**32 make verification arbitrarily slow and are never used in
#: practice (Go's crypto/rsa applies the same cap).
MAX_RSA_EXPONENT_BITS: Final = 32

_B58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX: Final = {c: i for i, c in enumerate(_B58_ALPHABET)}
_B64URL_VALUE: Final = {
    char: value
    for value, char in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}
#: Bits of the last base64url character that carry no data, by the text's length modulo 4.
_UNUSED_BITS: Final = {0: 0, 2: 0b1111, 3: 0b11}
#: base64url's "-" and "_" to the standard alphabet's "+" and "/"; "+", "/" and "=" themselves
#: (not base64url) to "*", which no alphabet has, so strict binascii refuses them with the rest.
_URLSAFE_TO_STANDARD: Final = bytes.maketrans(b"-_+/=", b"+/***")
_PADDING: Final = {0: b"", 2: b"==", 3: b"="}

# multicodec varint prefixes (https://github.com/multiformats/multicodec/blob/master/table.csv)
_ED25519_PREFIX: Final = b"\xed\x01"  # ed25519-pub 0xed
_P256_PREFIX: Final = b"\x80\x24"  # p256-pub 0x1200
_P384_PREFIX: Final = b"\x81\x24"  # p384-pub 0x1201

_CURVES: Final[dict[str, tuple[type[ec.EllipticCurve], int, bytes]]] = {
    # JWK crv -> (curve class, coordinate length, multicodec prefix)
    "P-256": (ec.SECP256R1, 32, _P256_PREFIX),
    "P-384": (ec.SECP384R1, 48, _P384_PREFIX),
}
# cryptography curve name -> JWK crv
_CURVE_BY_NAME: Final = {ec.SECP256R1.name: "P-256", ec.SECP384R1.name: "P-384"}

#: JWK members that belong to a private or symmetric key; a public JWK must carry none of them.
_PRIVATE_JWK_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

# Ed25519 curve constants (RFC 8032 §5.1) for the on-curve / small-order check below.
_ED_P: Final = 2**255 - 19
_ED_D: Final = (-121665 * pow(121666, _ED_P - 2, _ED_P)) % _ED_P
_ED_SQRT_M1: Final = pow(2, (_ED_P - 1) // 4, _ED_P)


# --- base58btc / base64url / multibase -----------------------------------------------------------


def b58encode(data: bytes) -> str:
    """Encode ``data`` in base58 with the Bitcoin alphabet (leading zero bytes become ``1``)."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rem = divmod(number, 58)
        digits.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Decode base58btc text.

    Raises:
        MalformedPayload: empty, longer than :data:`MAX_BASE58_CHARS`, or a character outside
            the alphabet (``reason="base58"``).
    """
    if not text:
        raise MalformedPayload("empty base58 value", reason="base58")
    if len(text) > MAX_BASE58_CHARS:
        raise MalformedPayload(
            f"base58 value of {len(text)} characters is over the {MAX_BASE58_CHARS} limit",
            reason="base58",
            limit=MAX_BASE58_CHARS,
        )
    number = 0
    for position, char in enumerate(text):
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise MalformedPayload(
                f"character {char!r} at offset {position} is not base58btc",
                reason="base58",
                offset=position,
            )
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, what: str = "value") -> bytes:
    """Decode canonical base64url without padding; ``what`` names the value in messages.

    Raises:
        MalformedPayload: padding, characters outside the URL-safe alphabet, an impossible
            length or non-zero trailing bits (``reason="base64url"``).
    """
    # binascii directly, strict (only the alphabet; the translation makes "+", "/" and "=" foreign
    # to it): a signed payload is decoded on every verification, and a regex scan cost more
    try:
        if len(text) % 4 == 1:
            raise ValueError("not base64url")
        standard = text.encode("ascii").translate(_URLSAFE_TO_STANDARD) + _PADDING[len(text) % 4]
        data = binascii.a2b_base64(standard, strict_mode=True)
    except ValueError as exc:  # binascii.Error and UnicodeEncodeError are ValueErrors
        raise MalformedPayload(f"{what} is not unpadded base64url", reason="base64url", field=what) from exc
    # One spelling per value: non-zero unused trailing bits would let a signature or key be
    # re-spelt without changing its bytes. They are the low 4 (2) bits of the last character
    # when the length is 2 (3) modulo 4.
    unused = _UNUSED_BITS[len(text) % 4]
    if unused and _B64URL_VALUE[text[-1]] & unused:
        raise MalformedPayload(
            f"{what} is not canonical base64url (non-zero trailing bits)",
            reason="base64url",
            field=what,
        )
    return data


def multibase_encode(data: bytes, *, base: Literal["base58btc", "base64url"] = "base58btc") -> str:
    """Multibase-encode ``data``: ``z`` + base58btc, or ``u`` + unpadded base64url."""
    if base == "base58btc":
        return "z" + b58encode(data)
    if base == "base64url":
        return "u" + b64url_encode(data)
    raise ValueError(f"unsupported multibase base {base!r}")


def multibase_decode(text: str) -> bytes:
    """Decode a multibase value with prefix ``z`` (base58btc) or ``u`` (base64url).

    Raises:
        MalformedPayload: another prefix, or a body that does not decode (``reason`` is
            ``"multibase"``, ``"base58"`` or ``"base64url"``).
    """
    if text.startswith("z"):
        return b58decode(text[1:])
    if text.startswith("u"):
        return b64url_decode(text[1:], what="multibase value")
    raise MalformedPayload(
        f"multibase value must start with 'z' (base58btc) or 'u' (base64url), not {text[:1]!r}",
        reason="multibase",
    )


# --- key checks ---------------------------------------------------------------------------------


def _ed25519_double(x: int, y: int, z: int) -> tuple[int, int, int]:
    # Projective doubling on -x² + y² = 1 + d·x²y² ("dbl-2008-hwcd", a = -1): no inversions.
    a, b, c = x * x % _ED_P, y * y % _ED_P, 2 * z * z % _ED_P
    e = ((x + y) * (x + y) - a - b) % _ED_P
    g = (b - a) % _ED_P
    f = (g - c) % _ED_P
    h = (-a - b) % _ED_P
    return e * f % _ED_P, g * h % _ED_P, f * g % _ED_P


@functools.lru_cache(maxsize=256)
def _check_ed25519_point(raw: bytes) -> None:
    # OpenSSL accepts any 32 bytes as an Ed25519 public key; decode the point (RFC 8032
    # §5.1.3) so that garbage and small-order keys (which verify forged signatures under
    # lax verifiers) are refused when the key is read, not when a signature fails.
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    sign = raw[31] >> 7
    if y >= _ED_P:
        raise KeyResolutionError("Ed25519 public key is not canonically encoded", reason="point")
    u, v = (y * y - 1) % _ED_P, (_ED_D * y * y + 1) % _ED_P
    x = u * pow(v, 3, _ED_P) * pow(u * pow(v, 7, _ED_P), (_ED_P - 5) // 8, _ED_P) % _ED_P
    if v * x * x % _ED_P == (-u) % _ED_P:
        x = x * _ED_SQRT_M1 % _ED_P
    if v * x * x % _ED_P != u or (x == 0 and sign):
        raise KeyResolutionError("Ed25519 public key is not a point on the curve", reason="point")
    if x & 1 != sign:
        x = _ED_P - x
    px, py, pz = x, y, 1
    for _ in range(3):  # 8·P is the identity (0 : 1 : 1) exactly when P has small order
        px, py, pz = _ed25519_double(px, py, pz)
    if px == 0 and py == pz:
        raise KeyResolutionError("Ed25519 public key has small order", reason="small-order")


#: Keys that passed :func:`check_public_key`, by ``id``: every JWS verification checks its key
#: again, and an RSA key's numbers cost more to read than the check. The entry holds the key, so
#: its id cannot be reused while it is remembered; keys are immutable, so the answer cannot change.
_CHECKED_KEYS: dict[int, object] = {}
_CHECKED_KEYS_LOCK: Final = threading.Lock()
_MAX_CHECKED_KEYS: Final = 256


def check_public_key(key: object) -> PublicKey:
    """Return ``key`` if it is a public key badgekiln verifies with, else raise.

    Raises:
        KeyResolutionError: not a public key, an unsupported curve, an RSA key outside
            2048–8192 bits or with an oversized exponent, an invalid Ed25519 point.
    """
    if _CHECKED_KEYS.get(id(key)) is key:
        return key  # type: ignore[return-value]  # only public keys are remembered
    checked = _check_public_key(key)
    with _CHECKED_KEYS_LOCK:
        if len(_CHECKED_KEYS) >= _MAX_CHECKED_KEYS:
            del _CHECKED_KEYS[next(iter(_CHECKED_KEYS))]  # the oldest
        _CHECKED_KEYS[id(key)] = key
    return checked


def _check_public_key(key: object) -> PublicKey:
    if isinstance(key, Ed25519PublicKey):
        _check_ed25519_point(key.public_bytes_raw())
        return key
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in _CURVE_BY_NAME:
            raise KeyResolutionError(
                f"EC curve {key.curve.name} is not supported (only P-256 and P-384)",
                reason="unsupported-curve",
            )
        return key
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        if not MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS:
            raise KeyResolutionError(
                f"RSA key of {key.key_size} bits is outside {MIN_RSA_BITS}–{MAX_RSA_BITS}",
                reason="rsa-size",
            )
        if numbers.e.bit_length() > MAX_RSA_EXPONENT_BITS:
            raise KeyResolutionError("RSA public exponent is too large", reason="rsa-exponent")
        return key
    raise KeyResolutionError(
        f"{type(key).__name__} is not a supported public key (Ed25519, P-256, P-384 or RSA)",
        reason="unsupported-key-type",
    )


def _ec_from_point(crv: str, point: bytes) -> ec.EllipticCurvePublicKey:
    curve_cls = _CURVES[crv][0]
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(curve_cls(), point)
    except ValueError as exc:
        raise KeyResolutionError(f"{crv} public key is not a point on the curve", reason="point") from exc


# --- Multikey / did:key -------------------------------------------------------------------------


def multikey_encode(key: MultikeyPublicKey) -> str:
    """``publicKeyMultibase`` of ``key``: ``z`` + base58btc(multicodec prefix ‖ key bytes).

    EC keys use the compressed point. Raises:
        KeyResolutionError: an unsupported key type or curve.
    """
    check_public_key(key)
    if isinstance(key, Ed25519PublicKey):
        return multibase_encode(_ED25519_PREFIX + key.public_bytes_raw())
    if isinstance(key, ec.EllipticCurvePublicKey):
        crv = _CURVE_BY_NAME[key.curve.name]
        point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        return multibase_encode(_CURVES[crv][2] + point)
    raise KeyResolutionError("RSA keys have no Multikey form here", reason="unsupported-key-type")


def multikey_decode(value: str) -> MultikeyPublicKey:
    """Decode a Multikey ``publicKeyMultibase`` (Ed25519, P-256 or P-384).

    Raises:
        KeyResolutionError: not base58btc (``z``), an unknown multicodec prefix, a wrong key
            length or a point not on the curve.
    """
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyResolutionError(
            "publicKeyMultibase must be base58btc multibase (start with 'z')", reason="multikey"
        )
    try:
        raw = multibase_decode(value)
    except MalformedPayload as exc:
        raise KeyResolutionError(f"publicKeyMultibase: {exc.message}", reason="multikey") from exc
    if raw.startswith(_ED25519_PREFIX):
        body = raw[len(_ED25519_PREFIX) :]
        if len(body) != 32:
            raise KeyResolutionError(
                f"Ed25519 Multikey holds {len(body)} bytes, expected 32", reason="key-length"
            )
        key = Ed25519PublicKey.from_public_bytes(body)
        _check_ed25519_point(body)
        return key
    for crv, (_, size, prefix) in _CURVES.items():
        if raw.startswith(prefix):
            point = raw[len(prefix) :]
            if len(point) != size + 1 or point[0] not in (2, 3):
                raise KeyResolutionError(
                    f"{crv} Multikey must hold a {size + 1}-byte compressed point",
                    reason="key-length",
                )
            return _ec_from_point(crv, point)
    raise KeyResolutionError(
        f"unsupported Multikey codec prefix 0x{raw[:2].hex()} (Ed25519, P-256 or P-384 expected)",
        reason="multicodec",
    )


def did_key_encode(key: MultikeyPublicKey) -> str:
    """The ``did:key`` DID of ``key`` (``did:key:`` + its Multikey)."""
    return "did:key:" + multikey_encode(key)


def did_key_decode(did: str) -> MultikeyPublicKey:
    """Public key of a bare ``did:key`` DID (no fragment, path or query).

    Raises:
        KeyResolutionError: not a ``did:key`` DID, or an invalid Multikey.
    """
    if not isinstance(did, str) or not did.startswith("did:key:"):
        raise KeyResolutionError("not a did:key DID", reason="did-key")
    value = did[len("did:key:") :]
    if any(c in value for c in "#?/:"):
        raise KeyResolutionError(
            "did:key must be a bare DID here (no fragment, query, path or version)", reason="did-key"
        )
    return multikey_decode(value)


# --- JWK ----------------------------------------------------------------------------------------


def _jwk_member(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeyResolutionError(f"JWK member {name!r} is missing or not a string", reason="jwk")
    try:
        return b64url_decode(value, what=f"JWK member {name!r}")
    except MalformedPayload as exc:
        raise KeyResolutionError(exc.message, reason="jwk") from exc


def _jwk_uint(jwk: Mapping[str, Any], name: str) -> int:
    raw = _jwk_member(jwk, name)
    if not raw or raw[0] == 0:
        # RFC 7518 §6.3.1: the minimal big-endian form, no leading zero octets.
        raise KeyResolutionError(f"JWK member {name!r} must be a minimal unsigned integer", reason="jwk")
    return int.from_bytes(raw, "big")


def jwk_to_public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """Public key of a JWK (``OKP``/Ed25519, ``EC`` P-256/P-384, ``RSA``).

    Members that describe the key's use (``kid``, ``use``, ``alg``, ``x5c`` …) are ignored.

    Raises:
        KeyResolutionError: not an object, private members (``d`` …), an unsupported ``kty``
            or ``crv``, malformed or wrong-length members, a point not on the curve.
    """
    if not isinstance(jwk, Mapping):
        raise KeyResolutionError("JWK must be a JSON object", reason="jwk")
    private = sorted(_PRIVATE_JWK_MEMBERS.intersection(jwk))
    if private:
        raise KeyResolutionError(
            f"JWK carries private or symmetric key members {private}; only public keys are accepted",
            reason="private-key",
        )
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        x = _jwk_member(jwk, "x")
        if len(x) != 32:
            raise KeyResolutionError(f"Ed25519 JWK x is {len(x)} bytes, expected 32", reason="key-length")
        return check_public_key(Ed25519PublicKey.from_public_bytes(x))
    if kty == "EC" and isinstance(crv, str) and crv in _CURVES:
        size = _CURVES[crv][1]
        x, y = _jwk_member(jwk, "x"), _jwk_member(jwk, "y")
        if len(x) != size or len(y) != size:
            raise KeyResolutionError(f"{crv} JWK coordinates must be {size} bytes each", reason="key-length")
        return _ec_from_point(crv, b"\x04" + x + y)
    if kty == "RSA":
        n, e = _jwk_uint(jwk, "n"), _jwk_uint(jwk, "e")
        if not MIN_RSA_BITS <= n.bit_length() <= MAX_RSA_BITS:
            raise KeyResolutionError(
                f"RSA key of {n.bit_length()} bits is outside {MIN_RSA_BITS}–{MAX_RSA_BITS}",
                reason="rsa-size",
            )
        try:
            key = rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError as exc:
            raise KeyResolutionError(f"invalid RSA public key: {exc}", reason="jwk") from exc
        return check_public_key(key)
    raise KeyResolutionError(
        f"unsupported JWK kty={kty!r} crv={crv!r} (OKP/Ed25519, EC P-256/P-384 or RSA)",
        reason="unsupported-key-type",
    )


def public_key_to_jwk(key: PublicKey) -> dict[str, str]:
    """The minimal public JWK of ``key`` (the RFC 7638 required members only).

    Raises:
        KeyResolutionError: an unsupported key type or curve.
    """
    check_public_key(key)
    if isinstance(key, Ed25519PublicKey):
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(key.public_bytes_raw())}
    if isinstance(key, ec.EllipticCurvePublicKey):
        crv = _CURVE_BY_NAME[key.curve.name]
        size = _CURVES[crv][1]
        nums = key.public_numbers()
        return {
            "kty": "EC",
            "crv": crv,
            "x": b64url_encode(nums.x.to_bytes(size, "big")),
            "y": b64url_encode(nums.y.to_bytes(size, "big")),
        }
    rsa_nums = key.public_numbers()
    return {
        "kty": "RSA",
        "n": b64url_encode(rsa_nums.n.to_bytes((rsa_nums.n.bit_length() + 7) // 8, "big")),
        "e": b64url_encode(rsa_nums.e.to_bytes((rsa_nums.e.bit_length() + 7) // 8, "big")),
    }


def jwk_thumbprint(jwk: Mapping[str, Any] | PublicKey) -> str:
    """RFC 7638 SHA-256 thumbprint (base64url) of a public JWK or key.

    Strict decoding makes the re-encoded members equal to the given ones, so the thumbprint
    is that of the JWK as published.

    Raises:
        KeyResolutionError: as :func:`jwk_to_public_key`.
    """
    key = jwk_to_public_key(jwk) if isinstance(jwk, Mapping) else jwk
    canonical = json.dumps(public_key_to_jwk(key), sort_keys=True, separators=(",", ":"))
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


# --- PEM ----------------------------------------------------------------------------------------


def load_pem_public_key(pem: str | bytes) -> PublicKey:
    """Load one SubjectPublicKeyInfo PEM block (``-----BEGIN PUBLIC KEY-----``).

    Raises:
        KeyResolutionError: over :data:`MAX_PEM_BYTES`, not an SPKI PEM, or an unsupported key.
    """
    data = pem.encode("utf-8") if isinstance(pem, str) else pem
    if len(data) > MAX_PEM_BYTES:
        raise KeyResolutionError(
            f"PEM of {len(data)} bytes is over the {MAX_PEM_BYTES}-byte limit",
            reason="pem",
            limit=MAX_PEM_BYTES,
        )
    return _load_pem_public_key(data.strip())


@functools.lru_cache(maxsize=256)  # per exact PEM bytes: an issuer's key is read by every verification
def _load_pem_public_key(stripped: bytes) -> PublicKey:
    if not stripped.startswith(b"-----BEGIN PUBLIC KEY-----") or stripped.count(b"-----BEGIN") != 1:
        raise KeyResolutionError(
            "expected a single '-----BEGIN PUBLIC KEY-----' (SPKI) PEM block", reason="pem"
        )
    try:
        key = serialization.load_pem_public_key(stripped)
    except (ValueError, TypeError, _CryptoUnsupported) as exc:
        raise KeyResolutionError(f"unreadable PEM public key: {exc}", reason="pem") from exc
    return check_public_key(key)


def dump_pem_public_key(key: PublicKey) -> str:
    """SPKI PEM text of ``key``.

    Raises:
        KeyResolutionError: an unsupported key type or curve.
    """
    check_public_key(key)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
