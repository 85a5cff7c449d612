"""Issuing's image path end to end: personalise a template, render it, bake a signed OB 3.0
credential into the PNG (and the SVG), and verify what comes out."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization

import badgekiln
from badgekiln.keys.local import LocalSigner
from badgekiln.proofs.jws import sign_compact
from badgekiln.render import personalise_svg, svg_to_png
from badgekiln.verification import verify
from tests.verify_support import credential

ISSUER = "https://example.org/issuers/1"
TEMPLATE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300" viewBox="0 0 300 300">'
    b'<circle cx="150" cy="150" r="140" fill="#c2571a"/>'
    b'<text x="150" y="160" font-size="24" text-anchor="middle" fill="#fff">{{recipient_name}}</text>'
    b'<text x="150" y="200" font-size="14" text-anchor="middle" fill="#fff">{{issued_on}}</text></svg>'
)


def signed_credential(signer: LocalSigner) -> str:
    """An OB 3.0 OpenBadgeCredential as a VC-JWT (VC 2.0 style: the credential is the payload)."""
    document = credential(ISSUER)
    claims = {
        **document,
        "iss": ISSUER,
        "jti": document["id"],
        "sub": document["credentialSubject"]["id"],
        "nbf": 1704067200,  # validFrom
    }
    return sign_compact({"typ": "JWT", "kid": f"{ISSUER}#key-1"}, json.dumps(claims).encode(), signer)


def public_pem(signer: LocalSigner) -> bytes:
    return signer.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="module")
def signer() -> LocalSigner:
    return LocalSigner.generate("ed25519", f"{ISSUER}#key-1")


def test_a_rendered_personalised_badge_extracts_and_verifies(signer: LocalSigner) -> None:
    token = signed_credential(signer)
    svg = personalise_svg(TEMPLATE, {"recipient_name": "Ada <Lovelace>", "issued_on": "1 May 2026"})
    for image in (svg_to_png(svg, size=256), svg):
        baked = badgekiln.bake(image, token)
        assert badgekiln.extract(baked).payload == token
        report = verify(baked, key=public_pem(signer), offline=True)
        assert report.valid, [check for check in report.checks if check.status != "passed"]


def test_the_same_badge_fails_with_another_key(signer: LocalSigner) -> None:
    baked = badgekiln.bake(
        svg_to_png(personalise_svg(TEMPLATE, {"recipient_name": "A", "issued_on": "x"})),
        signed_credential(signer),
    )
    other = LocalSigner.generate("ed25519", f"{ISSUER}#key-2")
    report = verify(baked, key=public_pem(other), offline=True)
    assert not report.valid
    assert [check.id for check in report.checks if check.status == "failed"] == ["signature"]
