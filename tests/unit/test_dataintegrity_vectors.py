"""Every Data Integrity / Ed25519Signature2020 proof in the public vectors, and a tamper suite.

Keys are resolved the way the verifier will: did:key locally, did:web through the DCC DID
documents (``dids/``) behind a dict-backed ``fetch_json``, HTTPS ids through a controller
document. The HTTPS issuers' real controller documents are not in the vectors, so stand-ins are
built here that list exactly the keys the fixtures name in their fragments (SOURCES.md and
standards.md §6.2: the OB spec test key signs those fixtures). Proofs whose key cannot be had
offline (``#key-1``, example keys that are not Multikeys) are expected to fail resolution.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from badgekiln.errors import (
    BadgeKilnError,
    FetchFailed,
    InvalidSignature,
    JsonLdError,
    KeyResolutionError,
    ProofError,
    UnsupportedAlgorithm,
)
from badgekiln.keys.formats import multikey_decode
from badgekiln.proofs.dataintegrity import VERIFY_SUITES, verify_proof
from badgekiln.proofs.did import did_web_url, resolve_verification_method
from tests.conftest import VECTORS, vector_files

DCC = "digitalcredentials-vc-test-fixtures"
OB30 = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
W3C = "w3c-vc-di-eddsa/TestVectors"
W3C_ECDSA = "w3c-vc-di-ecdsa/TestVectors"
ANY_KEY: Any = multikey_decode("z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")

# (file, proof type or cryptosuite, location of the credential in the file) -> (error, reason)
EXPECTED_FAILURES: dict[tuple[str, str], tuple[type[BadgeKilnError], str | None]] = {
    # fixtures tampered on purpose
    (f"{DCC}/statusLists/didkey-ed25519Signature2020/tampered", ""): (InvalidSignature, "signature"),
    (f"{DCC}/verifiableCredentials/v2/ed25519/didKey/legacy-noStatus-noExpiry-tampered.json", ""): (
        InvalidSignature,
        "signature",
    ),
    (f"{OB30}/simple-err-proof-value.json", ""): (InvalidSignature, "signature"),
    (f"{OB30}/endorsement-err-schema-status-refresh.json", ""): (InvalidSignature, "signature"),
    # a DID document that does not exist
    (f"{DCC}/verifiableCredentials/v2/ed25519/didWeb/badDidWeb.json", ""): (FetchFailed, None),
    # contexts the vectors do not include (never fetched)
    (
        f"{DCC}/verifiableCredentials/v1/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-oldDCCExample.json",
        "",
    ): (
        JsonLdError,
        "unknown-context",
    ),
    (f"{W3C}/eddsa-rdfc-2022/employ/signedDataInt.json", ""): (JsonLdError, "unknown-context"),
    (f"{W3C_ECDSA}/ecdsa-rdfc-2019-p256/employ/signedECDSAP256.json", ""): (JsonLdError, "unknown-context"),
    (f"{W3C_ECDSA}/ecdsa-rdfc-2019-p384/employ/signedECDSAP384.json", ""): (JsonLdError, "unknown-context"),
    # an inline context (refused: it can re-spell signed terms)
    (
        f"{DCC}/verifiableCredentials/v2/dataIntegrityProof/didKey/twoOIDF-revoked-notExpired-badSchema.json",
        "",
    ): (
        JsonLdError,
        "inline-context",
    ),
    # data edited after signing so that the contexts no longer define it
    (f"{OB30}/simple-err-context.json", ""): (JsonLdError, "undefined-term"),
    (f"{OB30}/simple-err-credential-subject-achievement-result-description-type.json", ""): (
        JsonLdError,
        "undefined-term",
    ),
    (f"{OB30}/simple-err-credential-subject-identifier-type.json", ""): (JsonLdError, "undefined-term"),
    (f"{OB30}/simple-err-credential-subject-profile-type.json", ""): (JsonLdError, "relative-iri"),
    (f"{OB30}/simple-err-credential-subject-result-type.json", ""): (JsonLdError, "undefined-term"),
    (f"{OB30}/simple-err-credential-subject-type.json", ""): (JsonLdError, "undefined-term"),
    (f"{OB30}/simple-err-evidence-type.json", ""): (JsonLdError, "undefined-term"),
    (f"{OB30}/simple-err-issuer-otheridentifier-type.json", ""): (JsonLdError, "undefined-term"),
    (f"{OB30}/simple-err-issuer-parentorg-type.json", ""): (JsonLdError, "relative-iri"),
    (f"{OB30}/simple-err-issuer-type.json", ""): (JsonLdError, "relative-iri"),
    (f"{OB30}/simple-err-type.json", ""): (JsonLdError, "relative-iri"),
    # verification methods that do not resolve
    (f"{OB30}/simple-err-proof-method-no-scheme.json", ""): (KeyResolutionError, "unsupported-method"),
    (f"{OB30}/simple-err-proof-method-unknown-did-method.json", ""): (
        KeyResolutionError,
        "unsupported-method",
    ),
    (f"{OB30}/simple-err-proof-method-unknown-scheme.json", ""): (KeyResolutionError, "unsupported-method"),
    (f"{OB30}/simple-err-proof-method.json", ""): (KeyResolutionError, "not-found"),
    (f"{OB30}/complete_v1.json", ""): (KeyResolutionError, "not-found"),  # #key-1: not offline
    (f"{OB30}/credential-status-revoked.json", ""): (FetchFailed, None),  # DID document not offline
    # suites outside the allow-list
    (f"{OB30}/simple-multiple-proofs.json", "SomeProofType"): (UnsupportedAlgorithm, "cryptosuite"),
    (f"{OB30}/sd/derivedcredential.json", ""): (UnsupportedAlgorithm, "cryptosuite"),
    (f"{W3C}/proof-set-chain/proofChainTempDoc2.json", "previousProof"): (
        UnsupportedAlgorithm,
        "proof-chain",
    ),
    (f"{W3C}/proof-set-chain/signedProofChain1.json", "previousProof"): (UnsupportedAlgorithm, "proof-chain"),
    (f"{W3C}/proof-set-chain/signedProofChain2.json", "previousProof"): (UnsupportedAlgorithm, "proof-chain"),
}


def _credentials(value: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON object with both @context and proof, nested endorsements included."""
    if isinstance(value, dict):
        proofs = value.get("proof")
        proofs = proofs if isinstance(proofs, list) else [proofs]
        if "@context" in value and all(isinstance(p, dict) and "type" in p for p in proofs):
            yield pointer, value
        for key, item in value.items():
            if key != "proof":
                yield from _credentials(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _credentials(item, f"{pointer}/{i}")


@cache
def _discover() -> tuple[tuple[str, str, int], ...]:
    """(file, pointer to the credential, proof index) for every proof in the vectors."""
    found: list[tuple[str, str, int]] = []
    for path in vector_files():
        if path.suffix in {".png", ".svg", ".txt", ".md", ".jwt", ".csv"}:
            continue
        if "schemas" in path.parts:  # JSON Schemas describe "proof"; they do not carry one
            continue
        try:
            data = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        rel = path.relative_to(VECTORS).as_posix()
        for pointer, credential in _credentials(data):
            proofs = credential["proof"] if isinstance(credential["proof"], list) else [credential["proof"]]
            found.extend((rel, pointer, i) for i in range(len(proofs)))
    return tuple(found)


def _load(rel: str, pointer: str, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    document: Any = json.loads((VECTORS / rel).read_text("utf-8"))
    for part in filter(None, pointer.split("/")):
        document = document[int(part)] if isinstance(document, list) else document[part]
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    return document, proofs[index]


def _expected(
    rel: str, pointer: str, proof: dict[str, Any]
) -> tuple[type[BadgeKilnError], str | None] | None:
    if pointer:
        # Embedded endorsements of the "complete" examples carry illustrative proofs: the
        # spec's misspelt "eddsa-rdf-2022", or keys that are not Multikeys (so no controller
        # document can be had for them).
        if (proof.get("type"), proof.get("cryptosuite")) not in VERIFY_SUITES:
            return (UnsupportedAlgorithm, "cryptosuite")
        base = str(proof.get("verificationMethod", "")).partition("#")[0]
        return (FetchFailed, None) if base.startswith("https://") and base not in _documents() else None
    for tag in (
        proof.get("type", ""),
        proof.get("cryptosuite", ""),
        "previousProof" * ("previousProof" in proof),
    ):
        if tag and (rel, tag) in EXPECTED_FAILURES:
            return EXPECTED_FAILURES[(rel, tag)]
    return EXPECTED_FAILURES.get((rel, ""))


@cache
def _documents() -> dict[str, Any]:
    """What the dict-backed fetch_json serves: DCC DID documents and HTTPS stand-ins."""
    served: dict[str, Any] = {}
    for did_json in sorted((VECTORS / DCC / "dids").glob("*/did.json")):
        document = json.loads(did_json.read_text())
        served[did_web_url(document["id"])] = document
    controllers: dict[str, list[dict[str, str]]] = {}
    for rel, pointer, index in _discover():
        vm = _load(rel, pointer, index)[1].get("verificationMethod", "")
        base, _, fragment = vm.partition("#")
        if not base.startswith("https://"):
            continue
        try:
            multikey_decode(fragment)
        except KeyResolutionError:
            continue  # "#key-1", example values: nothing to publish
        method = {"id": vm, "type": "Multikey", "controller": base, "publicKeyMultibase": fragment}
        if method not in controllers.setdefault(base, []):
            controllers[base].append(method)
    for base, methods in controllers.items():
        served[base] = {
            "id": base,
            "verificationMethod": methods,
            "assertionMethod": [m["id"] for m in methods],
        }
    return served


def _fetch_json(url: str) -> Any:
    try:
        return copy.deepcopy(_documents()[url])
    except KeyError:
        raise FetchFailed(f"no test document for {url}", url=url, reason="http-status") from None


def _verify(document: dict[str, Any], proof: dict[str, Any]) -> None:
    # the verifier's order: refuse an unaccepted suite before resolving any key
    if (proof.get("type"), proof.get("cryptosuite")) not in VERIFY_SUITES:
        verify_proof(document, proof, ANY_KEY)
    method = resolve_verification_method(proof.get("verificationMethod"), fetch_json=_fetch_json)  # type: ignore[arg-type]
    verify_proof(document, proof, method.public_key)  # type: ignore[arg-type]


CASES = _discover()
POSITIVES = [c for c in CASES if _expected(c[0], c[1], _load(*c)[1]) is None]


def _id(case: tuple[str, str, int]) -> str:
    return f"{case[0]}{case[1]}#{case[2]}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_vector_verdict(case: tuple[str, str, int]) -> None:
    document, proof = _load(*case)
    expected = _expected(case[0], case[1], proof)
    if expected is None:
        _verify(document, proof)
        return
    error, reason = expected
    with pytest.raises(error) as info:
        _verify(document, proof)
    if reason is not None:
        assert info.value.reason == reason


def test_vector_counts() -> None:
    # Pinned so that a vector silently dropping out of discovery is noticed.
    assert len(CASES) == 197
    assert len(POSITIVES) == 149
    assert all(key_rel in {c[0] for c in CASES} for key_rel, _ in EXPECTED_FAILURES)


# --- tamper suite: every positive must fail when touched ----------------------------------------


def _first_string_path(value: Any, skip: frozenset[str]) -> list[str | int] | None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in skip:
                continue
            if isinstance(item, str):
                return [key]
            sub = _first_string_path(item, skip)
            if sub is not None:
                return [key, *sub]
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                return [i]
            sub = _first_string_path(item, skip)
            if sub is not None:
                return [i, *sub]
    return None


REPLAY_TARGETS = (
    f"{OB30}/simple.json",
    f"{DCC}/verifiableCredentials/v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-alignments.json",
)


def _change_signed_field(document: dict[str, Any]) -> None:
    # the subject's first string (a name, an id, a date …): always signed data
    subject = document["credentialSubject"]
    path = _first_string_path(subject, frozenset({"type", "@context"}))
    assert path is not None
    target: Any = subject
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = target[path[-1]] + "1"


def _vocab(document: dict[str, Any]) -> bool:
    contexts = document["@context"] if isinstance(document["@context"], list) else [document["@context"]]
    return "https://www.w3.org/ns/credentials/examples/v2" in contexts


def _positive(case: tuple[str, str, int]) -> tuple[dict[str, Any], dict[str, Any], Any]:
    document, proof = _load(*case)
    method = resolve_verification_method(proof["verificationMethod"], fetch_json=_fetch_json)
    return document, proof, method.public_key


@pytest.mark.parametrize("case", POSITIVES, ids=_id)
def test_tamper_signed_field(case: tuple[str, str, int]) -> None:
    document, proof, key = _positive(case)
    _change_signed_field(document)
    with pytest.raises(InvalidSignature) as info:
        verify_proof(document, proof, key)
    assert info.value.reason == "signature"


@pytest.mark.parametrize("case", POSITIVES, ids=_id)
def test_tamper_undefined_property(case: tuple[str, str, int]) -> None:
    document, proof, key = _positive(case)
    target = document["credentialSubject"]
    (target[0] if isinstance(target, list) else target)["fooUndefined"] = "added after signing"
    # with an @vocab context the term is mapped (so signed, and the signature breaks);
    # otherwise it would be dropped unsigned, which the strict expansion refuses
    expected = InvalidSignature if _vocab(document) else JsonLdError
    with pytest.raises(expected):
        verify_proof(document, proof, key)


@pytest.mark.parametrize("case", POSITIVES, ids=_id)
def test_tamper_proof_moved_to_another_document(case: tuple[str, str, int]) -> None:
    document, proof, key = _positive(case)
    unsecured = {k: v for k, v in document.items() if k not in {"proof", "@context"}}
    for other_rel in REPLAY_TARGETS:  # the first one that is really another document
        other = json.loads((VECTORS / other_rel).read_text())
        if {k: v for k, v in other.items() if k not in {"proof", "@context"}} != unsecured:
            break
    other["@context"] = document["@context"]
    other["proof"] = proof
    with pytest.raises(ProofError) as info:
        verify_proof(other, proof, key)
    assert isinstance(info.value, InvalidSignature | JsonLdError)


@pytest.mark.parametrize("case", POSITIVES, ids=_id)
def test_tamper_truncated_proof_value(case: tuple[str, str, int]) -> None:
    document, proof, key = _positive(case)
    proof["proofValue"] = proof["proofValue"][:-4]
    with pytest.raises(InvalidSignature) as info:
        verify_proof(document, proof, key)
    assert info.value.reason == "signature-length"


@pytest.mark.parametrize("case", POSITIVES, ids=_id)
def test_tamper_cryptosuite_swapped(case: tuple[str, str, int]) -> None:
    document, proof, key = _positive(case)
    if proof["type"] == "Ed25519Signature2020":
        proof["type"], proof["cryptosuite"] = "DataIntegrityProof", "eddsa-rdfc-2022"
    else:
        proof["cryptosuite"] = {
            "eddsa-rdfc-2022": "eddsa-2022",
            "eddsa-2022": "eddsa-rdfc-2022",
            "eddsa-jcs-2022": "eddsa-rdfc-2022",
            "ecdsa-rdfc-2019": "ecdsa-jcs-2019",
            "ecdsa-jcs-2019": "ecdsa-rdfc-2019",
        }[proof["cryptosuite"]]
    # same key, but the suite name is signed (or not even defined by these contexts)
    with pytest.raises(ProofError) as info:
        verify_proof(document, proof, key)
    assert isinstance(info.value, InvalidSignature | JsonLdError)
    proof["cryptosuite"] = "ecdsa-sd-2023"
    proof["type"] = "DataIntegrityProof"
    with pytest.raises(UnsupportedAlgorithm):
        verify_proof(document, proof, key)


# --- the same credential baked into images (extracted with a few lines, not the baking engine) -


def _png_itxt(data: bytes, keyword: bytes) -> str:
    offset = 8
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        if kind == b"iTXt" and body.startswith(keyword + b"\0"):
            rest = body[len(keyword) + 3 :]  # keyword NUL, compression flag, method
            _language, _, rest = rest.partition(b"\0")
            _translated, _, text = rest.partition(b"\0")
            return text.decode("utf-8")
        offset += 12 + length
    raise AssertionError("no iTXt chunk")


def _svg_credential(data: bytes) -> str:
    text = data.decode("utf-8")
    start = text.index("<![CDATA[", text.index("<openbadges:credential")) + len("<![CDATA[")
    return text[start : text.index("]]>", start)]


@pytest.mark.parametrize(
    ("name", "extract"),
    [
        ("simple-json.png", lambda b: _png_itxt(b, b"openbadgecredential")),
        ("simple-json.svg", _svg_credential),
    ],
)
def test_baked_credentials_verify(name: str, extract: Any) -> None:
    document = json.loads(extract((VECTORS / OB30 / name).read_bytes()))
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    for proof in proofs:
        _verify(document, proof)
