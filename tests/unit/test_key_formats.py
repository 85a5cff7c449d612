"""Key formats: base58btc, base64url, multibase, Multikey, did:key, JWK, PEM, thumbprints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

from badgekiln.errors import KeyResolutionError, MalformedPayload
from badgekiln.keys import formats as f

OB_MULTIKEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
OB_PUBLIC_HEX = "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
# W3C vc-di-eddsa TestVectors/employmentAuth.json uses this P-256 did:key.
W3C_P256_DID = "did:key:zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76"
KEY1 = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob20/assets/key1.json"


def _rsa(bits: int = 2048) -> rsa.RSAPublicKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()


def _p(curve: ec.EllipticCurve) -> ec.EllipticCurvePublicKey:
    return ec.generate_private_key(curve).public_key()


def _ed() -> ed25519.Ed25519PublicKey:
    return ed25519.Ed25519PrivateKey.generate().public_key()


def _same(a: object, b: object) -> bool:
    enc, fmt = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return bool(a.public_bytes(enc, fmt) == b.public_bytes(enc, fmt))  # type: ignore[attr-defined]


# --- base58 / base64url / multibase -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (b"\0\0\x01", "112"),
        (b"\0", "1"),
        (b"", ""),
    ],
)
def test_base58_known_values(raw: bytes, text: str) -> None:
    assert f.b58encode(raw) == text
    if text:
        assert f.b58decode(text) == raw


@pytest.mark.parametrize("bad", ["", "0abc", "abcO", "abIc", "lbc", "ab c", "z" * (f.MAX_BASE58_CHARS + 1)])
def test_base58_refuses(bad: str) -> None:
    with pytest.raises(MalformedPayload) as info:
        f.b58decode(bad)
    assert info.value.reason == "base58"


def test_base64url_round_trip_and_strictness() -> None:
    for n in range(0, 20):
        data = bytes(range(250, 250 - n, -1))
        assert f.b64url_decode(f.b64url_encode(data)) == data
    assert f.b64url_decode("QQ") == b"A"
    for bad in ["QQ==", "QR", "QUJ", "Q", "a+b/", "a b", "ab\n", "AAAAA"]:
        with pytest.raises(MalformedPayload) as info:
            f.b64url_decode(bad)
        assert info.value.reason == "base64url"


def test_multibase() -> None:
    data = b"\x00\xffbadge"
    assert f.multibase_decode(f.multibase_encode(data)) == data
    assert f.multibase_encode(data, base="base64url") == "u" + f.b64url_encode(data)
    assert f.multibase_decode(f.multibase_encode(data, base="base64url")) == data
    for bad in ["", "f00ff", "m AA", "Mxyz"]:
        with pytest.raises(MalformedPayload) as info:
            f.multibase_decode(bad)
        assert info.value.reason == "multibase"
    with pytest.raises(ValueError, match="unsupported"):
        f.multibase_encode(data, base="base32")  # type: ignore[arg-type]


# --- Multikey / did:key -------------------------------------------------------------------------


def test_ob_spec_multikey() -> None:
    key = f.multikey_decode(OB_MULTIKEY)
    assert isinstance(key, ed25519.Ed25519PublicKey)
    assert key.public_bytes_raw().hex() == OB_PUBLIC_HEX
    assert f.multikey_encode(key) == OB_MULTIKEY
    assert f.did_key_encode(key) == "did:key:" + OB_MULTIKEY
    assert _same(f.did_key_decode("did:key:" + OB_MULTIKEY), key)


def test_w3c_p256_did_key_round_trips() -> None:
    key = f.did_key_decode(W3C_P256_DID)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
    assert f.did_key_encode(key) == W3C_P256_DID


@pytest.mark.parametrize(
    ("make", "prefix"),
    [(_ed, "z6Mk"), (lambda: _p(ec.SECP256R1()), "zDn"), (lambda: _p(ec.SECP384R1()), "z82")],
)
def test_multikey_round_trip(make: object, prefix: str) -> None:
    key = make()  # type: ignore[operator]
    value = f.multikey_encode(key)
    assert value.startswith(prefix)
    assert _same(f.multikey_decode(value), key)
    assert _same(f.did_key_decode(f.did_key_encode(key)), key)


def _mk(raw: bytes) -> str:
    return "z" + f.b58encode(raw)


ED = bytes.fromhex(OB_PUBLIC_HEX)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("u" + f.b64url_encode(b"\xed\x01" + ED), "multikey"),  # must be base58btc
        ("z0OIl", "multikey"),  # not base58
        (_mk(b"\xec\x01" + ED), "multicodec"),  # X25519 codec
        (_mk(b"\xe7\x01" + b"\x02" + ED + b"\x00"), "multicodec"),  # secp256k1
        (_mk(b"\xed\x01" + ED[:31]), "key-length"),
        (_mk(b"\xed\x01" + ED + b"\x00"), "key-length"),
        (_mk(b"\xed\x01" + b"\xff" * 32), "point"),  # y ≥ p
        (_mk(b"\xed\x01" + (2).to_bytes(32, "little")), "point"),  # no x for y = 2
        (_mk(b"\xed\x01" + (1).to_bytes(32, "little")), "small-order"),  # the identity
        (_mk(b"\xed\x01" + bytes(32)), "small-order"),
        (_mk(b"\x80\x24" + b"\x04" + bytes(64)), "key-length"),  # uncompressed P-256
        (_mk(b"\x80\x24" + b"\x02" + bytes(31) + b"\x01"), "point"),  # x = 1 is not on P-256
        (_mk(b"\x81\x24" + b"\x02" + bytes(32)), "key-length"),  # P-384 needs 49 bytes
    ],
)
def test_multikey_refuses(value: str, reason: str) -> None:
    with pytest.raises(KeyResolutionError) as info:
        f.multikey_decode(value)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "did",
    [
        "did:web:example.com",
        "did:key:" + OB_MULTIKEY + "#" + OB_MULTIKEY,
        "did:key:" + OB_MULTIKEY + "/path",
        "did:key:1:" + OB_MULTIKEY,
        "DID:KEY:" + OB_MULTIKEY,
    ],
)
def test_did_key_refuses(did: str) -> None:
    with pytest.raises(KeyResolutionError) as info:
        f.did_key_decode(did)
    assert info.value.reason == "did-key"


def test_rsa_has_no_multikey() -> None:
    with pytest.raises(KeyResolutionError) as info:
        f.multikey_encode(_rsa())  # type: ignore[arg-type]
    assert info.value.reason == "unsupported-key-type"


# --- JWK ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [_ed, lambda: _p(ec.SECP256R1()), lambda: _p(ec.SECP384R1()), _rsa])
def test_jwk_round_trip(make: object) -> None:
    key = make()  # type: ignore[operator]
    jwk = f.public_key_to_jwk(key)
    assert _same(f.jwk_to_public_key(jwk), key)
    # extra public members (kid, use, alg) are allowed and do not change the thumbprint
    assert f.jwk_thumbprint({**jwk, "kid": "k1", "use": "sig"}) == f.jwk_thumbprint(key)


def test_rfc7638_thumbprint() -> None:
    # RFC 7638 §3.1
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
        "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
        "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
        "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert f.jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_rfc8037_ed25519_thumbprint() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert f.jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def _ec_jwk(**over: str) -> dict[str, str]:
    return {**f.public_key_to_jwk(_p(ec.SECP256R1())), **over}


ED_X = f.b64url_encode(ED)
BIG_E = f.b64url_encode((2**40 + 1).to_bytes(6, "big"))


@pytest.mark.parametrize(
    ("jwk", "reason"),
    [
        ({"kty": "OKP", "crv": "Ed25519", "x": ED_X, "d": ED_X}, "private-key"),
        ({**f.public_key_to_jwk(_rsa()), "p": "AQAB"}, "private-key"),
        ({"kty": "oct", "k": "c2VjcmV0"}, "private-key"),
        ({"kty": "oct"}, "unsupported-key-type"),
        ({"kty": "OKP", "crv": "X25519", "x": ED_X}, "unsupported-key-type"),
        ({"kty": "EC", "crv": "secp256k1", "x": ED_X, "y": ED_X}, "unsupported-key-type"),
        ({"kty": "EC", "crv": "P-521", "x": ED_X, "y": ED_X}, "unsupported-key-type"),
        ({"crv": "Ed25519", "x": ED_X}, "unsupported-key-type"),
        ({"kty": "OKP", "crv": "Ed25519"}, "jwk"),
        ({"kty": "OKP", "crv": "Ed25519", "x": 5}, "jwk"),
        ({"kty": "OKP", "crv": "Ed25519", "x": ED_X + "="}, "jwk"),
        ({"kty": "OKP", "crv": "Ed25519", "x": f.b64url_encode(ED[:31])}, "key-length"),
        ({"kty": "OKP", "crv": "Ed25519", "x": f.b64url_encode(bytes(32))}, "small-order"),
        (_ec_jwk(x=f.b64url_encode(bytes(31) + b"\x01")), "point"),
        (_ec_jwk(y=f.b64url_encode(bytes(31))), "key-length"),
        (_ec_jwk(crv="P-384"), "key-length"),
        ({**f.public_key_to_jwk(_rsa()), "e": "AAEAAQ"}, "jwk"),  # leading zero octet
        ({**f.public_key_to_jwk(_rsa()), "e": "Ag"}, "jwk"),  # even exponent
        ({**f.public_key_to_jwk(_rsa()), "e": BIG_E}, "rsa-exponent"),
        ({"kty": "RSA", "n": f.b64url_encode(b"\xc1" * 128), "e": "AQAB"}, "rsa-size"),  # 1024 bits
        ({"kty": "RSA", "n": f.b64url_encode(b"\xc1" * 1025), "e": "AQAB"}, "rsa-size"),  # 8200 bits
    ],
)
def test_jwk_refuses(jwk: dict[str, object], reason: str) -> None:
    with pytest.raises(KeyResolutionError) as info:
        f.jwk_to_public_key(jwk)
    assert info.value.reason == reason


def test_jwk_must_be_an_object() -> None:
    with pytest.raises(KeyResolutionError) as info:
        f.jwk_to_public_key(["kty", "RSA"])  # type: ignore[arg-type]
    assert info.value.reason == "jwk"


# --- PEM and key checks -------------------------------------------------------------------------


def test_pem_vector_key1(vectors: Path) -> None:
    pem = json.loads((vectors / KEY1).read_text())["publicKeyPem"]
    key = f.load_pem_public_key(pem)
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 2048
    assert _same(f.load_pem_public_key(f.dump_pem_public_key(key).encode()), key)


@pytest.mark.parametrize("make", [_ed, lambda: _p(ec.SECP384R1()), _rsa])
def test_pem_round_trip(make: object) -> None:
    key = make()  # type: ignore[operator]
    pem = f.dump_pem_public_key(key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert _same(f.load_pem_public_key(pem), key)


def test_pem_refuses() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pkcs1 = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    priv_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    spki = f.dump_pem_public_key(private.public_key())
    cases: list[str | bytes] = [
        pkcs1,  # "BEGIN RSA PUBLIC KEY": not SPKI
        priv_pem,
        spki + spki,  # two blocks
        "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n",
        "hello",
        b"-----BEGIN PUBLIC KEY-----" + b"A" * f.MAX_PEM_BYTES,
    ]
    for pem in cases:
        with pytest.raises(KeyResolutionError) as info:
            f.load_pem_public_key(pem)
        assert info.value.reason == "pem"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (_rsa(1024), "rsa-size"),
        (_p(ec.SECP256K1()), "unsupported-curve"),
        (_p(ec.SECP521R1()), "unsupported-curve"),
        (x25519.X25519PrivateKey.generate().public_key(), "unsupported-key-type"),
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "unsupported-key-type"),
        ("not a key", "unsupported-key-type"),
    ],
)
def test_check_public_key_refuses(key: object, reason: str) -> None:
    with pytest.raises(KeyResolutionError) as info:
        f.check_public_key(key)
    assert info.value.reason == reason


def test_pem_refuses_unsupported_key_inside() -> None:
    pem = _p(ec.SECP256K1()).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KeyResolutionError) as info:
        f.load_pem_public_key(pem)
    assert info.value.reason == "unsupported-curve"


def test_a_pem_is_loaded_once_and_a_refusal_is_never_remembered() -> None:
    key = _rsa(2048)
    pem = f.dump_pem_public_key(key)
    first = f.load_pem_public_key(pem)
    assert f.load_pem_public_key(pem.encode() + b"\n") is first  # the same bytes once stripped
    assert f.check_public_key(first) is first  # remembered as checked
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    weak = _rsa(1024).public_bytes(serialization.Encoding.PEM, spki)
    for _ in range(2):
        with pytest.raises(KeyResolutionError) as info:
            f.load_pem_public_key(weak)
        assert info.value.reason == "rsa-size"


def test_checked_keys_are_bounded() -> None:
    keys = [_p(ec.SECP256R1()) for _ in range(f._MAX_CHECKED_KEYS + 8)]
    for key in keys:
        assert f.check_public_key(key) is key
    assert len(f._CHECKED_KEYS) <= f._MAX_CHECKED_KEYS
    with pytest.raises(KeyResolutionError):
        f.check_public_key(_rsa(1024))  # a refused key is never remembered
