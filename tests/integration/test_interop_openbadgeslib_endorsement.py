"""Signed (JWS) Open Badges 2.0 endorsements made by an independent signer: openbadgeslib's OB 2.0
JWS signer (``OB2Signer``, the pinned 4.6.3). openbadgeslib has no Endorsement model, so its signer
is handed the Endorsement document in place of an Assertion (``sign`` takes any object's
``to_dict()`` as the payload); its header (``{"alg": …}`` with spaces) and signature encoding are
its own. badgekiln must verify those endorsements with the endorser's listed key, and refuse them
when the key is not the endorser's or the payload was changed.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

import badgekiln
from badgekiln.keys.local import LocalSigner
from badgekiln.verification import Report
from tests.verify_support import Ob2Endorser, Ob2Issuer, outcome

pytestmark = pytest.mark.interop

ob2 = pytest.importorskip("openbadgeslib.ob2")

SERVED_AT = Ob2Endorser.BASE + "endorsements/obl.jws"
ALGORITHMS = {"p256": "ES256", "rsa2048": "RS256", "ed25519": "EdDSA"}


class _Document:
    """What OB2Signer.sign reads of an Assertion: its ``to_dict()``."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def to_dict(self) -> dict[str, Any]:
        return self.document


def _endorser(kind: str) -> tuple[Ob2Endorser, bytes]:
    """An endorser whose private key (PKCS #8 PEM) both signers are given."""
    private: Any = {
        "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "rsa2048": lambda: rsa.generate_private_key(65537, 2048),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
    }[kind]()
    pem: bytes = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Ob2Endorser.create(signer=LocalSigner.from_pem(pem, Ob2Endorser.KEY)), pem


def _theirs(pem: bytes, kind: str, document: dict[str, Any]) -> str:
    token: str = ob2.OB2Signer(pem, ALGORITHMS[kind]).sign(_Document(document))
    return token


def _verify(endorser: Ob2Endorser, token: str) -> Report:
    issuer = Ob2Issuer.create()
    badge = issuer.sign(issuer.assertion(endorsement=[SERVED_AT]))
    documents = {**issuer.documents, **endorser.documents, SERVED_AT: token.encode()}
    (sub,) = badgekiln.verify(badge, documents=documents, offline=True).endorsements
    return sub


@pytest.mark.parametrize("kind", list(ALGORITHMS))
def test_an_endorsement_signed_by_openbadgeslib_verifies(kind: str) -> None:
    endorser, pem = _endorser(kind)
    token = _theirs(pem, kind, endorser.endorsement())
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==")) == {"alg": ALGORITHMS[kind]}
    sub = _verify(endorser, token)
    assert sub.valid, [c.to_dict() for c in sub.checks]
    assert sub.proof == f"jws {ALGORITHMS[kind]}"
    assert outcome(sub, "issuer") == ("passed", None)


def test_openbadgeslib_endorsements_by_another_key_or_changed_fail() -> None:
    endorser, pem = _endorser("p256")
    _, stranger = _endorser("p256")  # another key at the same URLs: the profile served lists the first
    sub = _verify(endorser, _theirs(stranger, "p256", endorser.endorsement()))
    assert outcome(sub, "signature") == ("failed", "signature")
    head, _, signature = _theirs(pem, "p256", endorser.endorsement()).split(".")
    changed = endorser.endorsement(claim={"id": Ob2Issuer.BADGE, "endorsementComment": "Best ever."})
    body = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    sub = _verify(endorser, f"{head}.{body}.{signature}")
    assert outcome(sub, "signature") == ("failed", "signature")
