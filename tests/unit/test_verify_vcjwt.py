"""VC-JWT: header rules, key sources, the VC 1.1 and 2.0 forms, and claims agreement."""

from __future__ import annotations

import json
from typing import Any

import pytest

import badgekiln
from badgekiln.keys.formats import did_key_encode, public_key_to_jwk
from badgekiln.keys.local import LocalSigner
from badgekiln.verification import Report
from tests.verify_support import TestIssuer, as_bytes, check_of, outcome


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer.https_jwks()


def _verify(token: str, documents: dict[str, bytes]) -> Report:
    return badgekiln.verify(token, offline=True, documents=documents)


KID = {"kid": "key-1"}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, ("passed", None)),
        ({"typ": "JWT"}, ("passed", None)),
        ({"typ": "jwt"}, ("passed", None)),
        ({"typ": "vc+jwt"}, ("warning", "typ")),
        ({"typ": "application/vc+ld+jwt"}, ("warning", "typ")),
        ({"typ": "at+jwt"}, ("failed", "header")),
        ({"typ": 1}, ("failed", "header")),
        ({"x5u": "https://evil.example/cert"}, ("failed", "header")),
        ({"jku": "https://evil.example/jwks"}, ("failed", "header")),
    ],
)
def test_header_rules(issuer: TestIssuer, extra: dict[str, Any], expected: tuple[str, str | None]) -> None:
    token = issuer.sign_jwt(issuer.credential(), header={**KID, **extra})
    report = _verify(token, issuer.documents)
    assert outcome(report, "signature") == expected
    assert report.valid is (expected[0] != "failed")


def test_a_header_without_kid_or_jwk(issuer: TestIssuer) -> None:
    token = issuer.sign_jwt(issuer.credential(), header={"typ": "JWT"})
    assert outcome(_verify(token, issuer.documents), "signature") == ("failed", "header")


def test_vc_1_1_form(issuer: TestIssuer) -> None:
    credential = issuer.credential(
        **{
            "@context": [
                "https://www.w3.org/2018/credentials/v1",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ]
        },
        issuanceDate="2024-01-01T00:00:00Z",
        expirationDate="2999-01-01T00:00:00Z",
    )
    del credential["validFrom"]
    report = _verify(issuer.sign_jwt(credential, header=KID, form="vc"), issuer.documents)
    assert report.valid, [c.to_dict() for c in report.checks]
    assert check_of(report, "structure").message == "a well-formed OpenBadgeCredential (VC 1.1)"
    assert report.credential is not None
    assert report.credential.expires == "2999-01-01T00:00:00Z"


def test_did_key_issuer_with_a_did_key_kid() -> None:
    signer = LocalSigner.generate("ed25519", "unused")
    did = did_key_encode(signer.public_key())  # type: ignore[arg-type]
    holder = TestIssuer(did, signer)
    token = holder.sign_jwt(holder.credential(), header={"kid": f"{did}#{did[8:]}"})
    report = _verify(token, {})
    assert report.valid
    assert (report.proof, check_of(report, "issuer").message) == (
        "vc-jwt EdDSA",
        f"the key's controller is the issuer ({did})",
    )


def test_did_web_kid(issuer: TestIssuer) -> None:
    holder = TestIssuer.did_web(kind="p256")
    report = _verify(
        holder.sign_jwt(holder.credential(), header={"kid": holder.signer.key_id}), holder.documents
    )
    assert report.valid
    assert report.proof == "vc-jwt ES256"


def test_https_kid_naming_a_jwk_document(issuer: TestIssuer) -> None:
    kid_url = "https://issuer.example/keys/1"
    documents = {**issuer.documents, kid_url: as_bytes(public_key_to_jwk(issuer.signer.public_key()))}
    report = _verify(issuer.sign_jwt(issuer.credential(), header={"kid": kid_url}), documents)
    assert report.valid
    assert check_of(report, "issuer").message.startswith("the key is in the issuer's JWK Set")


def test_bare_kid_missing_from_the_jwk_set(issuer: TestIssuer) -> None:
    report = _verify(issuer.sign_jwt(issuer.credential(), header={"kid": "key-9"}), issuer.documents)
    assert outcome(report, "signature") == ("failed", "kid")


@pytest.mark.parametrize("kid", ["did:example:123#k", "urn:x:key", "http://issuer.example/keys/1"])
def test_unresolvable_kid_schemes(issuer: TestIssuer, kid: str) -> None:
    report = _verify(issuer.sign_jwt(issuer.credential(), header={"kid": kid}), issuer.documents)
    assert outcome(report, "signature")[0] == "failed"


def test_jwk_header_carrying_a_private_key(issuer: TestIssuer) -> None:
    private = {**public_key_to_jwk(issuer.signer.public_key()), "d": "AAAA"}
    token = issuer.sign_jwt(issuer.credential(), header={"jwk": private})
    assert outcome(_verify(token, issuer.documents), "signature")[0] == "failed"


@pytest.mark.parametrize(
    ("members", "claims", "expected"),
    [
        ({}, {"sub": None}, ("warning", "no-sub")),
        ({}, {"nbf": None}, ("failed", "claims")),
        ({}, {"jti": None}, ("failed", "claims")),
        ({}, {"iss": None}, ("failed", "claims")),
        ({"validUntil": "2999-01-01T00:00:00Z"}, {"exp": None}, ("failed", "claims")),
        ({}, {"exp": 32503680000}, ("passed", None)),  # exp alone sets the end of validity
        ({"validFrom": "2024-01-01T00:00:00.250Z"}, {}, ("passed", None)),  # NumericDate has whole seconds
        ({}, {"nbf": "yesterday"}, ("failed", "claims")),
        ({}, {"nbf": True}, ("failed", "claims")),
    ],
)
def test_claims_agreement(
    issuer: TestIssuer, members: dict[str, Any], claims: dict[str, Any], expected: tuple[str, str | None]
) -> None:
    token = issuer.sign_jwt(issuer.credential(**members), header=KID, claims=claims)
    assert outcome(_verify(token, issuer.documents), "claims") == expected


def test_exp_in_the_past_expires_the_credential(issuer: TestIssuer) -> None:
    token = issuer.sign_jwt(issuer.credential(), header=KID, claims={"exp": 1717200000})
    assert outcome(_verify(token, issuer.documents), "expiry") == ("failed", "expired")


def test_registered_claims_are_not_credential_properties(issuer: TestIssuer) -> None:
    # iat and aud are JWT claims, not undefined credential terms
    token = issuer.sign_jwt(
        issuer.credential(), header=KID, claims={"iat": 1704067200, "aud": "did:example:ann"}
    )
    report = _verify(token, issuer.documents)
    assert outcome(report, "context") == ("passed", None)
    assert json.dumps(report.to_dict())
