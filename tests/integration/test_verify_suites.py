"""badgekiln.verify on credentials secured with every Data Integrity suite it accepts, and on
suites it does not verify.

The OB 3.0 credentials in ``tests/vectors/digitalbazaar-signed`` were signed by Digital Bazaar's
cryptosuites (the interop harness's ``di-signers``): each is *valid* — authentic, tied to its did:key
issuer, in force. A suite badgekiln recognises but does not verify (``JsonWebSignature2020``,
``ecdsa-sd-2023`` …) leaves the signature check *skipped: unsupported suite X*, never *failed*:
nothing was checked, and the report is not valid.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

import badgekiln
from badgekiln.keys.formats import b58encode, b64url_encode
from badgekiln.proofs import dataintegrity
from badgekiln.proofs.did import did_web_url
from tests.conftest import VECTORS
from tests.verify_support import check_of, outcome

SIGNED = VECTORS / "digitalbazaar-signed"
CASES = sorted(path.stem for path in SIGNED.glob("*.json"))


def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SIGNED / f"{name}.json").read_text("utf-8"))
    return document


def _verify(document: dict[str, Any], **options: Any) -> badgekiln.Report:
    return badgekiln.verify(json.dumps(document).encode(), offline=True, **options)


@pytest.mark.parametrize("case", CASES)
def test_independently_signed_credentials_are_valid(case: str) -> None:
    document = _load(case)
    report = _verify(document)
    assert report.valid, [c.to_dict() for c in report.checks if c.status != "passed"]
    proof = document["proof"]
    assert report.proof == (proof.get("cryptosuite") or proof["type"])
    assert check_of(report, "signature").message.startswith(f"{report.proof} proof verified with did:key:")
    assert outcome(report, "issuer")[0] == "passed"
    assert outcome(report, "context")[0] == "passed"


@pytest.mark.parametrize("case", CASES)
def test_a_tampered_credential_is_not_valid(case: str) -> None:
    document = _load(case)
    document["issuer"]["name"] = "Harvard University"
    report = _verify(document)
    assert not report.valid
    assert outcome(report, "signature") == ("failed", "signature")
    assert outcome(report, "issuer")[0] == "skipped"


@pytest.mark.parametrize("case", ["eddsa-jcs-2022", "ecdsa-jcs-2019-p256"])
def test_jcs_credentials_still_refuse_undefined_terms(case: str) -> None:
    # a JCS signature covers the member, but the JSON-LD contexts do not define it: refused as
    # for every Data Integrity credential (the signature itself breaks too)
    document = _load(case)
    document["credentialSubject"]["fooUndefined"] = "x"
    report = _verify(document)
    assert not report.valid
    assert outcome(report, "context") == ("failed", "undefined-term")


@pytest.mark.parametrize(
    ("proof_type", "cryptosuite", "why"),
    [
        ("JsonWebSignature2020", None, "deprecated, with no maintained signer"),
        ("DataIntegrityProof", "ecdsa-sd-2023", "selective disclosure is not supported"),
        ("DataIntegrityProof", "eddsa-rdf-2022", None),  # the OB guide's misspelling
    ],
)
def test_an_unsupported_suite_is_skipped_not_failed(
    proof_type: str, cryptosuite: str | None, why: str
) -> None:
    document = _load("eddsa-rdfc-2022")
    document["proof"]["type"] = proof_type
    document["proof"].pop("cryptosuite")
    if cryptosuite is not None:
        document["proof"]["cryptosuite"] = cryptosuite
    report = _verify(document)
    assert not report.valid
    signature = check_of(report, "signature")
    assert (signature.status, signature.code) == ("skipped", "cryptosuite")
    assert signature.message.startswith(f"unsupported suite {cryptosuite or proof_type}")
    if why:
        assert why in signature.message
    assert outcome(report, "issuer")[0] == "skipped"
    assert not [c for c in report.checks if c.status == "failed"]


def test_an_unsupported_proof_beside_a_verifying_one_is_a_warning() -> None:
    document = _load("ecdsa-rdfc-2019-p256")
    extra = {**copy.deepcopy(document["proof"]), "type": "JsonWebSignature2020", "jws": "a..b"}
    del extra["cryptosuite"], extra["proofValue"]
    document["proof"] = [extra, document["proof"]]
    report = _verify(document)
    assert report.valid
    assert outcome(report, "signature") == ("warning", "other-proofs")
    assert "unsupported suite 'JsonWebSignature2020' was ignored" in check_of(report, "signature").message


def test_the_cli_reports_an_unsupported_suite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from badgekiln.cli import main

    document = _load("eddsa-rdfc-2022")
    document["proof"]["type"] = "JsonWebSignature2020"
    del document["proof"]["cryptosuite"]
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(document))
    assert main(["verify", str(path), "--offline", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    signature = next(c for c in report["checks"] if c["id"] == "signature")
    assert signature["status"] == "skipped"
    assert signature["message"].startswith("unsupported suite JsonWebSignature2020")


# --- Ed25519Signature2018 from a did:web issuer whose DID document lists a 2018 key -------------


def _sign_2018(document: dict[str, Any], private: ed25519.Ed25519PrivateKey, method: str) -> dict[str, Any]:
    """A test-only Ed25519Signature2018 signer (badgekiln verifies this suite, never creates it)."""
    proof = {
        "type": "Ed25519Signature2018",
        "created": "2024-05-01T12:00:00Z",
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
    }
    signed = {**document, "proof": proof}
    suite = dataintegrity.SUITES["Ed25519Signature2018", None]
    unsecured, config = dataintegrity._split(signed, proof, suite)
    header = b64url_encode(b'{"alg":"EdDSA","b64":false,"crit":["b64"]}')
    signature = private.sign(header.encode() + b"." + dataintegrity._hash_data(unsecured, config, suite))
    return {**document, "proof": {**proof, "jws": f"{header}..{b64url_encode(signature)}"}}


def test_ed25519_signature_2018_through_a_did_web_document() -> None:
    did = "did:web:guild.example"
    private = ed25519.Ed25519PrivateKey.generate()
    method = f"{did}#key-2018"
    did_document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/ed25519-2018/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": method,
                "type": "Ed25519VerificationKey2018",
                "controller": did,
                "publicKeyBase58": b58encode(private.public_key().public_bytes_raw()),
            }
        ],
        "assertionMethod": [method],
    }
    unsigned = {k: v for k, v in _load("ed25519-signature-2018-vc2").items() if k != "proof"}
    unsigned["issuer"] = {**unsigned["issuer"], "id": did}
    signed = _sign_2018(unsigned, private, method)
    documents = {did_web_url(did): json.dumps(did_document).encode()}
    report = _verify(signed, documents=documents)
    assert report.valid, [c.to_dict() for c in report.checks if c.status != "passed"]
    assert report.proof == "Ed25519Signature2018"
    # the same proof with the key listed only under authentication is not the issuer's assertion key
    did_document["assertionMethod"] = []
    did_document["authentication"] = [method]
    report = _verify(signed, documents={did_web_url(did): json.dumps(did_document).encode()})
    assert not report.valid
    assert outcome(report, "signature") == ("failed", "not-authorized")
