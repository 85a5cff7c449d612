"""proofs.jws: OB 2.0 and OB 3.0 fixtures, round trips for every algorithm, algorithm confusion."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from badgekiln.errors import (
    InputTooLarge,
    InvalidSignature,
    KeyResolutionError,
    MalformedPayload,
    SigningError,
    UnsupportedAlgorithm,
)
from badgekiln.keys.formats import b64url_encode, jwk_to_public_key, load_pem_public_key
from badgekiln.keys.signer import JoseAlgorithm, PublicKey
from badgekiln.proofs.jws import (
    ALLOWED_ALGORITHMS,
    MAX_HEADER_CHARS,
    MAX_TOKEN_CHARS,
    parse_compact,
    sign_compact,
    verify_compact,
)
from badgekiln.strictjson import loads_object

RESOURCES = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources"
OB20 = f"{RESOURCES}/ob20"
OB30 = f"{RESOURCES}/ob30"
_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

# --- keys and raw signing (independent of the code under test) ----------------------------------

_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_P256 = ec.generate_private_key(ec.SECP256R1())
_P384 = ec.generate_private_key(ec.SECP384R1())
_ED = ed25519.Ed25519PrivateKey.generate()
_PRIVATE: dict[str, Any] = {
    "RS256": _RSA,
    "RS384": _RSA,
    "RS512": _RSA,
    "ES256": _P256,
    "ES384": _P384,
    "EdDSA": _ED,
}
_HASH: dict[str, Any] = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}


def _raw_sign(alg: str, message: bytes, private: Any = None) -> bytes:
    key = private if private is not None else _PRIVATE[alg]
    if alg.startswith("RS"):
        signature: bytes = key.sign(message, padding.PKCS1v15(), _HASH[alg]())
        return signature
    if alg.startswith("ES"):
        size = 32 if alg == "ES256" else 48
        digest = hashes.SHA256() if alg == "ES256" else hashes.SHA384()
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(digest)))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    signed: bytes = key.sign(message)
    return signed


def _token(
    header: dict[str, Any], payload: bytes = b'{"iss":"https://example.org"}', *, sign: Any = None
) -> str:
    h = b64url_encode(json.dumps(header).encode())
    p = b64url_encode(payload)
    signature = sign(f"{h}.{p}".encode()) if sign else _raw_sign(header["alg"], f"{h}.{p}".encode())
    return f"{h}.{p}.{b64url_encode(signature)}"


def _parts(header: str, payload: str = "e30", signature: str = "AAAA") -> str:
    return f"{header}.{payload}.{signature}"


def _h(obj: Any) -> str:
    return b64url_encode(json.dumps(obj).encode() if not isinstance(obj, bytes) else obj)


class _Signer:
    def __init__(self, private: Any, algorithm: JoseAlgorithm, *, der: bool = False) -> None:
        self._private, self._algorithm, self._der = private, algorithm, der

    @property
    def algorithm(self) -> JoseAlgorithm:
        return self._algorithm

    @property
    def key_id(self) -> str:
        return "https://example.org/keys/1"

    def public_key(self) -> PublicKey:
        key: PublicKey = self._private.public_key()
        return key

    def sign(self, message: bytes) -> bytes:
        if self._der:  # the classic ES256 mistake: DER instead of raw r‖s
            der: bytes = self._private.sign(message, ec.ECDSA(hashes.SHA256()))
            return der
        return _raw_sign(self._algorithm, message, self._private)


class _OtherKeySigner(_Signer):
    def public_key(self) -> PublicKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()


# --- fixtures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "key"),
    [
        ("simple.jwt", "key1.json"),
        ("simple-not-revoked.jwt", "key2.json"),
        ("simple-revoked.jwt", "key3.json"),
    ],
)
def test_ob20_signed_badges(vectors: Path, token: str, key: str) -> None:
    text = (vectors / OB20 / token).read_text().strip()
    pem = json.loads((vectors / OB20 / "assets" / key).read_text())["publicKeyPem"]
    jws = parse_compact(text)
    assert jws.alg == "RS256"
    verify_compact(jws, load_pem_public_key(pem), algorithms={"RS256"})
    assert json.loads(jws.payload)["verification"]["type"] == "signed"


def test_ob20_wrong_key(vectors: Path) -> None:
    text = (vectors / OB20 / "simple.jwt").read_text().strip()
    pem = json.loads((vectors / OB20 / "assets" / "key2.json").read_text())["publicKeyPem"]
    with pytest.raises(InvalidSignature) as info:
        verify_compact(text, load_pem_public_key(pem))
    assert info.value.reason == "signature"


@pytest.mark.parametrize(
    "name", ["simple-jwt.png", "simple-jwt_v1.png", "simple-jwt.svg", "simple-jwt_v1.svg"]
)
def test_ob30_vc_jwt_fixtures(vectors: Path, name: str) -> None:
    # GIVEN the JWT baked in the fixture (found by its shape; the baking engine is tested
    # elsewhere), WHEN verified with the key of its `jwk` header, THEN RS256 verifies.
    match = _JWT.search((vectors / OB30 / name).read_bytes())
    assert match is not None
    jws = parse_compact(match.group().decode())
    assert jws.alg == "RS256"
    verify_compact(jws, jwk_to_public_key(jws.header["jwk"]))
    payload = loads_object(jws.payload, source="payload")
    assert "OpenBadgeCredential" in (payload.get("vc") or payload)["type"]


@pytest.mark.parametrize("name", ["simple.jwt", "velocity.jwt"])
def test_ob30_jwts_without_offline_keys_parse(vectors: Path, name: str) -> None:
    jws = parse_compact((vectors / OB30 / name).read_text().strip())
    assert jws.alg == "RS256"
    assert jws.signing_input.count(b".") == 1


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", sorted(ALLOWED_ALGORITHMS))
def test_every_algorithm_round_trips(alg: str) -> None:
    token = _token({"alg": alg, "kid": "k"})
    verify_compact(token, _PRIVATE[alg].public_key())
    verify_compact(token, _PRIVATE[alg].public_key(), algorithms={alg})
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises((InvalidSignature, MalformedPayload)):
        verify_compact(tampered, _PRIVATE[alg].public_key())


@pytest.mark.parametrize(
    ("alg", "private"),
    [("EdDSA", _ED), ("ES256", _P256), ("RS256", _RSA)],
)
def test_sign_compact_round_trip(alg: JoseAlgorithm, private: Any) -> None:
    signer = _Signer(private, alg)
    payload = json.dumps({"vc": {"id": "urn:uuid:1"}}).encode()
    token = sign_compact({"typ": "JWT", "kid": signer.key_id}, payload, signer)
    jws = parse_compact(token)
    assert list(jws.header) == ["alg", "typ", "kid"]
    assert jws.header["alg"] == alg
    assert jws.payload == payload
    verify_compact(token, private.public_key(), algorithms={alg})


def test_sign_compact_refusals() -> None:
    signer = _Signer(_ED, "EdDSA")
    with pytest.raises(ValueError, match="does not match"):
        sign_compact({"alg": "RS256"}, b"{}", signer)
    with pytest.raises(ValueError, match="crit"):
        sign_compact({"crit": ["exp"]}, b"{}", signer)
    with pytest.raises(SigningError) as info:
        sign_compact({}, b"{}", _Signer(_P256, "ES256", der=True))
    assert info.value.reason == "self-check"
    with pytest.raises(SigningError):
        sign_compact({}, b"{}", _OtherKeySigner(_RSA, "RS256"))


# --- algorithm confusion ------------------------------------------------------------------------


def _hs256_with_public_pem() -> str:
    # The classic attack: HMAC keyed with the verifier's RSA public key PEM.
    secret = _RSA.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _token({"alg": "HS256"}, sign=lambda m: hmac.new(secret, m, hashlib.sha256).digest())


@pytest.mark.parametrize(
    ("token", "key", "reason"),
    [
        (_hs256_with_public_pem(), _RSA.public_key(), "alg"),
        (_token({"alg": "none"}, sign=lambda m: b""), _RSA.public_key(), "alg"),
        (_token({"alg": "None"}, sign=lambda m: b""), _ED.public_key(), "alg"),
        (_token({"alg": "HS512"}, sign=lambda m: b"x" * 64), _P256.public_key(), "alg"),
        (_token({"alg": "PS256"}, sign=lambda m: b"x" * 256), _RSA.public_key(), "alg"),
        (_token({"alg": "ES256K"}, sign=lambda m: b"x" * 64), _P256.public_key(), "alg"),
        (_token({"alg": "ES512"}, sign=lambda m: b"x" * 132), _P256.public_key(), "alg"),
        (_token({"alg": "rs256"}, sign=lambda m: b"x" * 256), _RSA.public_key(), "alg"),
        (_token({"alg": "RS256"}), _P256.public_key(), "key-type"),
        (_token({"alg": "RS256"}), _ED.public_key(), "key-type"),
        (_token({"alg": "ES256"}), _RSA.public_key(), "key-type"),
        (_token({"alg": "ES256"}), _P384.public_key(), "key-type"),
        (_token({"alg": "ES384"}), _P256.public_key(), "key-type"),
        (_token({"alg": "EdDSA"}), _RSA.public_key(), "key-type"),
        (_token({"alg": "EdDSA"}), _P256.public_key(), "key-type"),
    ],
)
def test_algorithm_confusion(token: str, key: Any, reason: str) -> None:
    with pytest.raises(UnsupportedAlgorithm) as info:
        verify_compact(token, key)
    assert info.value.reason == reason


def test_callers_cannot_enable_forbidden_algorithms() -> None:
    for algorithms in ({"HS256"}, {"none"}, {"RS256", "HS256"}):
        with pytest.raises(ValueError, match="allow-list"):
            verify_compact(_hs256_with_public_pem(), _RSA.public_key(), algorithms=algorithms)


def test_callers_can_narrow() -> None:
    with pytest.raises(UnsupportedAlgorithm) as info:
        verify_compact(_token({"alg": "ES256"}), _P256.public_key(), algorithms={"RS256"})
    assert info.value.reason == "alg"


def test_es_signatures_must_be_raw_r_s() -> None:
    der = _token({"alg": "ES256"}, sign=lambda m: _P256.sign(m, ec.ECDSA(hashes.SHA256())))
    with pytest.raises(InvalidSignature) as info:
        verify_compact(der, _P256.public_key())
    assert info.value.reason == "signature-length"
    zero = _token({"alg": "ES256"}, sign=lambda m: bytes(64))
    with pytest.raises(InvalidSignature):
        verify_compact(zero, _P256.public_key())


def test_weak_keys_are_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    token = _token({"alg": "RS256"}, sign=lambda m: weak.sign(m, padding.PKCS1v15(), hashes.SHA256()))
    with pytest.raises(KeyResolutionError) as info:
        verify_compact(token, weak.public_key())
    assert info.value.reason == "rsa-size"


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "jws"),
        ("a.b", "jws"),
        ("a.b.c.d", "jws"),
        ("a.b.c.d.e", "jws"),  # a JWE
        (_parts(_h({"alg": "RS256"}) + "="), "base64url"),
        (_parts(_h({"alg": "RS256"}), "e30="), "base64url"),
        (_parts(_h({"alg": "RS256"}), "e30", "AA+A"), "base64url"),
        (_parts(_h({"alg": "RS256"}) + " "), "base64url"),
        (_parts(_h(b"not json")), "json"),
        (_parts(_h(b"\xff\xfe")), "utf-8"),
        (_parts(_h(["alg", "RS256"])), "json"),
        (_parts(_h(b'{"alg":"RS256","alg":"none"}')), "duplicate-key"),
        (_parts(_h(b'{"alg":"RS256","x":NaN}')), "json"),
        (_parts(_h(b'{"alg":"RS256","x":' + b"1" * 5000 + b"}")), "number"),
        (_parts(_h(b'{"alg":"RS256","x":"\\ud800"}')), "utf-8"),
        (_parts(_h({"typ": "JWT"})), "jws"),
        (_parts(_h({"alg": 256})), "jws"),
        (_parts(_h({"alg": "RS256", "crit": ["exp"], "exp": 1})), "crit"),
        (_parts(_h({"alg": "RS256", "b64": False})), "crit"),
    ],
)
def test_parse_refusals(token: str, reason: str) -> None:
    with pytest.raises(MalformedPayload) as info:
        parse_compact(token)
    assert info.value.reason == reason


def test_parse_caps() -> None:
    with pytest.raises(InputTooLarge):
        parse_compact("a" * (MAX_TOKEN_CHARS + 1))
    with pytest.raises(InputTooLarge):
        parse_compact(_parts(_h({"alg": "RS256", "x": json.loads("[" * 100 + "]" * 100)})))
    with pytest.raises(InputTooLarge):
        parse_compact(_parts(_h({"alg": "RS256", "pad": "x" * MAX_HEADER_CHARS})))
    with pytest.raises(MalformedPayload):
        parse_compact(b"a.b.c")  # type: ignore[arg-type]


def test_parsed_header_is_read_only() -> None:
    jws = parse_compact(_token({"alg": "EdDSA"}))
    with pytest.raises(TypeError):
        jws.header["alg"] = "none"  # type: ignore[index]


def test_a_header_is_read_once_and_a_refused_one_every_time() -> None:
    header = _h({"alg": "RS256", "typ": "JWT"})
    first, second = parse_compact(_parts(header, "e30")), parse_compact(_parts(header, "e3t9"))
    assert first.header is second.header  # an issuer's tokens share it
    assert (first.payload, second.payload) == (b"{}", b"{{}")
    refused = _parts(_h({"alg": "RS256", "crit": ["exp"]}))
    for _ in range(2):
        with pytest.raises(MalformedPayload) as info:
            parse_compact(refused)
        assert info.value.reason == "crit"
