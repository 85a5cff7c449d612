"""Systematic tampering: every altered badge fails, on the check that names what was altered.

Badges are built here with fresh keys and the library's own proof creators (the vectors cover
few of these cases), each verified offline with its issuer's documents pinned. Each baseline is
first shown to be valid, so every failure below is caused by the tampering alone.

Counts: 168 tests — 5 baselines and bookkeeping, and 163 tamper cases of 37 kinds over OB 3.0
Data Integrity, OB 3.0 VC-JWT (each of RS256, ES256, EdDSA), OB 2.0 signed and OB 2.0 hosted
badges ("change any signed field" runs once per string of the 1EdTech ``simple.json`` fixture
and of a fresh credential: 15 + 15 paths, pinned in ``test_counts``). Every case fails, on the
check that names what was altered — except one kind that alters nothing after signing: a VC-JWT
whose issuer signed an undefined property is authentic, so the term is a conformance warning
(a failure in strict mode).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

import badgekiln
from badgekiln.keys.formats import b64url_encode, dump_pem_public_key, public_key_to_jwk
from badgekiln.keys.local import LocalSigner
from badgekiln.proofs.jws import sign_compact
from badgekiln.status import StatusBitstring, build_status_entry, build_status_list_credential
from badgekiln.verification import Report
from tests.conftest import VECTORS
from tests.verify_support import (
    OB30,
    Ob2Issuer,
    TestIssuer,
    as_bytes,
    check_of,
    deep,
    forge_jws,
    outcome,
    standin_documents,
)

LIST_URL = "https://issuer.example/status/1"


def _verify(data: bytes | str, documents: dict[str, bytes], **options: Any) -> Report:
    return badgekiln.verify(data, offline=True, documents=documents, **options)


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every string leaf (the proof excluded), so each signed field gets changed."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "proof":
                yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
    elif isinstance(value, str) and path[0] != "@context":
        yield path


def _changed(document: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    altered = deep(document)
    node: Any = altered
    for step in path[:-1]:
        node = node[step]
    value = node[path[-1]]
    # keep the change plausible: dates stay dates, IRIs stay IRIs, words stay words
    node[path[-1]] = value.replace("1", "2") if "1" in value else value + "x"
    if node[path[-1]] == value:
        node[path[-1]] = value + "x"
    return altered


def _b64json(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _with_payload(token: str, payload: dict[str, Any]) -> str:
    head, _, signature = token.split(".")
    return ".".join([head, b64url_encode(json.dumps(payload).encode()), signature])


# --- baselines -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def di() -> tuple[TestIssuer, dict[str, Any]]:
    issuer = TestIssuer.did_web()
    return issuer, issuer.sign_di(issuer.credential())


@pytest.fixture(scope="module", params=["rsa2048", "p256", "ed25519"])
def jwt(request: pytest.FixtureRequest) -> tuple[TestIssuer, str]:
    issuer = TestIssuer.https_jwks(kind=request.param)
    return issuer, issuer.sign_jwt(issuer.credential(), header={"typ": "JWT", "kid": "key-1"})


@pytest.fixture(scope="module")
def ob2() -> tuple[Ob2Issuer, str]:
    issuer = Ob2Issuer.create(revoked=())
    return issuer, issuer.sign(issuer.assertion())


def test_baselines_are_valid(
    di: tuple[TestIssuer, dict[str, Any]], jwt: tuple[TestIssuer, str], ob2: tuple[Ob2Issuer, str]
) -> None:
    assert _verify(json.dumps(di[1]), di[0].documents).valid
    assert _verify(jwt[1], jwt[0].documents).valid
    assert _verify(ob2[1], ob2[0].documents).valid


# --- change any signed field ---------------------------------------------------------------------


def _simple_json() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VECTORS / OB30 / "simple.json").read_text("utf-8"))
    return document


FIXTURE_PATHS = list(_strings(_simple_json()))
FRESH_PATHS = list(_strings(TestIssuer.did_web().credential()))


def test_simple_json_baseline_is_valid() -> None:
    assert _verify(json.dumps(_simple_json()), standin_documents(VECTORS)).valid


@pytest.mark.parametrize("path", FIXTURE_PATHS, ids=lambda p: "/".join(map(str, p)))
def test_changing_any_field_of_a_fixture_breaks_its_proof(path: tuple[Any, ...]) -> None:
    report = _verify(json.dumps(_changed(_simple_json(), path)), standin_documents(VECTORS))
    assert outcome(report, "signature")[0] == "failed"
    assert not report.valid


@pytest.mark.parametrize("path", FRESH_PATHS, ids=lambda p: "/".join(map(str, p)))
def test_changing_any_field_breaks_data_integrity(
    di: tuple[TestIssuer, dict[str, Any]], path: tuple[Any, ...]
) -> None:
    issuer, signed = di
    report = _verify(json.dumps(_changed(signed, path)), issuer.documents)
    assert outcome(report, "signature")[0] == "failed"


@pytest.mark.parametrize("path", FRESH_PATHS, ids=lambda p: "/".join(map(str, p)))
def test_changing_any_claim_breaks_the_jwt(jwt: tuple[TestIssuer, str], path: tuple[Any, ...]) -> None:
    issuer, token = jwt
    payload = _b64json(token.split(".")[1])
    report = _verify(_with_payload(token, _changed(payload, path)), issuer.documents)
    assert outcome(report, "signature") == ("failed", "signature")


@pytest.mark.parametrize("member", ["id", "issuedOn", "badge", "recipient"])
def test_changing_a_signed_ob2_assertion_breaks_the_jws(ob2: tuple[Ob2Issuer, str], member: str) -> None:
    issuer, token = ob2
    payload = _changed(
        _b64json(token.split(".")[1]), (member,) if member != "recipient" else (member, "identity")
    )
    report = _verify(_with_payload(token, payload), issuer.documents)
    assert outcome(report, "signature") == ("failed", "signature")


# --- swap the issuer or the key ------------------------------------------------------------------


def test_swapped_issuer_breaks_the_proof(di: tuple[TestIssuer, dict[str, Any]]) -> None:
    issuer, signed = di
    altered = deep(signed)
    altered["issuer"]["id"] = "did:web:other.example"
    report = _verify(json.dumps(altered), issuer.documents)
    assert outcome(report, "signature") == ("failed", "signature")


def test_attacker_signing_in_the_issuers_name_fails_issuer(di: tuple[TestIssuer, dict[str, Any]]) -> None:
    # GIVEN an attacker with a key of their own, claiming the real issuer
    issuer, _ = di
    attacker = TestIssuer.did_web("attacker.example")
    forged = attacker.sign_di(issuer.credential())
    report = _verify(json.dumps(forged), {**issuer.documents, **attacker.documents})
    # THEN the proof verifies, but the key is not the issuer's
    assert outcome(report, "signature") == ("passed", None)
    assert outcome(report, "issuer") == ("failed", "not-tied")
    assert not report.valid


def test_did_key_method_proves_nothing_alone(di: tuple[TestIssuer, dict[str, Any]]) -> None:
    from badgekiln.keys.formats import did_key_encode

    issuer, _ = di
    attacker = LocalSigner.generate("ed25519", "unused")
    did = did_key_encode(attacker.public_key())  # type: ignore[arg-type]
    forged = TestIssuer(issuer.id, attacker).sign_di(issuer.credential(), method=f"{did}#{did[8:]}")
    report = _verify(json.dumps(forged), issuer.documents)
    assert outcome(report, "signature") == ("passed", None)
    assert outcome(report, "issuer") == ("failed", "not-tied")


def test_swapped_verification_method_fails(di: tuple[TestIssuer, dict[str, Any]]) -> None:
    issuer, signed = di
    altered = deep(signed)
    altered["proof"]["verificationMethod"] = f"{issuer.id}#key-2"  # not in the DID document
    report = _verify(json.dumps(altered), issuer.documents)
    assert outcome(report, "signature") == ("failed", "not-found")


def test_swapped_to_another_key_of_the_issuer_fails(di: tuple[TestIssuer, dict[str, Any]]) -> None:
    # GIVEN a DID document listing a second key, and the proof pointed at it
    from badgekiln.keys.formats import multikey_encode
    from badgekiln.proofs.did import did_web_url

    issuer, signed = di
    second = LocalSigner.generate("ed25519", f"{issuer.id}#key-2")
    document = json.loads(issuer.documents[did_web_url(issuer.id)])
    document["verificationMethod"].append(
        {
            "id": second.key_id,
            "type": "Multikey",
            "controller": issuer.id,
            "publicKeyMultibase": multikey_encode(second.public_key()),  # type: ignore[arg-type]
        }
    )
    document["assertionMethod"].append(second.key_id)
    altered = deep(signed)
    altered["proof"]["verificationMethod"] = second.key_id
    report = _verify(json.dumps(altered), {did_web_url(issuer.id): as_bytes(document)})
    # THEN the signature does not verify with that key (and the method is signed anyway)
    assert outcome(report, "signature") == ("failed", "signature")


def test_jwk_header_with_an_unpublished_key_fails_issuer(jwt: tuple[TestIssuer, str]) -> None:
    issuer, _ = jwt
    attacker = LocalSigner.generate("rsa2048", "unused")
    header = {"typ": "JWT", "jwk": public_key_to_jwk(attacker.public_key())}
    forged = TestIssuer(issuer.id, attacker).sign_jwt(issuer.credential(), header=header)
    report = _verify(forged, issuer.documents)
    assert outcome(report, "signature") == ("passed", None)
    assert outcome(report, "issuer") == ("failed", "not-tied")


def test_jwt_kid_swapped_to_another_key_fails(jwt: tuple[TestIssuer, str]) -> None:
    issuer, token = jwt
    other = LocalSigner.generate("rsa2048", "unused")
    jwks = {
        "keys": [
            {**public_key_to_jwk(issuer.signer.public_key()), "kid": "key-1"},
            {**public_key_to_jwk(other.public_key()), "kid": "key-2"},
        ]
    }
    documents = {**issuer.documents, "https://issuer.example/.well-known/jwks.json": as_bytes(jwks)}
    head, payload, signature = token.split(".")
    header = {**_b64json(head), "kid": "key-2"}
    altered = ".".join([b64url_encode(json.dumps(header).encode()), payload, signature])
    report = _verify(altered, documents)
    assert outcome(report, "signature")[0] == "failed"


def test_ob2_key_not_listed_by_the_profile_fails_issuer(ob2: tuple[Ob2Issuer, str]) -> None:
    # GIVEN a CryptographicKey whose owner claims the issuer, but which the profile does not list
    issuer, _ = ob2
    attacker = LocalSigner.generate("rsa2048", "https://evil.example/key.json")
    key = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "CryptographicKey",
        "id": attacker.key_id,
        "owner": Ob2Issuer.PROFILE,
        "publicKeyPem": dump_pem_public_key(attacker.public_key()),
    }
    assertion = issuer.assertion(verification={"type": "SignedBadge", "creator": attacker.key_id})
    token = sign_compact({}, json.dumps(assertion).encode(), attacker)
    report = _verify(token, {**issuer.documents, attacker.key_id: as_bytes(key)})
    assert outcome(report, "issuer") == ("failed", "not-tied")
    assert not report.valid


# --- strip, truncate, replay ---------------------------------------------------------------------


def test_stripped_proof(di: tuple[TestIssuer, dict[str, Any]]) -> None:
    issuer, signed = di
    altered = deep(signed)
    del altered["proof"]
    assert outcome(_verify(json.dumps(altered), issuer.documents), "signature") == ("failed", "no-proof")


@pytest.mark.parametrize("keep", [0, 10, 80])
def test_truncated_proof_value(di: tuple[TestIssuer, dict[str, Any]], keep: int) -> None:
    issuer, signed = di
    altered = deep(signed)
    altered["proof"]["proofValue"] = altered["proof"]["proofValue"][:keep]
    assert outcome(_verify(json.dumps(altered), issuer.documents), "signature")[0] == "failed"


@pytest.mark.parametrize("keep", [0, 1, 20])
def test_stripped_or_truncated_jws_signature(jwt: tuple[TestIssuer, str], keep: int) -> None:
    issuer, token = jwt
    head, payload, signature = token.split(".")
    report = _verify(f"{head}.{payload}.{signature[:keep]}", issuer.documents)
    assert outcome(report, "signature")[0] == "failed"


def test_replayed_data_integrity_proof(di: tuple[TestIssuer, dict[str, Any]]) -> None:
    issuer, signed = di
    other = issuer.credential(id="urn:uuid:00000000-0000-4000-8000-000000000002", name="Other Badge")
    other["proof"] = signed["proof"]
    assert outcome(_verify(json.dumps(other), issuer.documents), "signature") == ("failed", "signature")


def test_replayed_jws_signature(jwt: tuple[TestIssuer, str]) -> None:
    issuer, token = jwt
    other = issuer.sign_jwt(issuer.credential(name="Other Badge"), header={"typ": "JWT", "kid": "key-1"})
    replayed = ".".join([*other.split(".")[:2], token.split(".")[2]])
    assert outcome(_verify(replayed, issuer.documents), "signature")[0] == "failed"


# --- algorithm confusion -------------------------------------------------------------------------


def test_alg_none(jwt: tuple[TestIssuer, str], ob2: tuple[Ob2Issuer, str]) -> None:
    for token, documents in ((jwt[1], jwt[0].documents), (ob2[1], ob2[0].documents)):
        payload = _b64json(token.split(".")[1])
        forged = forge_jws({"alg": "none", "typ": "JWT", "kid": "key-1"}, payload)
        assert outcome(_verify(forged, documents), "signature") == ("failed", "alg")


@pytest.mark.parametrize("secret_form", ["pem", "jwk"])
def test_hs256_with_the_public_key_as_secret(jwt: tuple[TestIssuer, str], secret_form: str) -> None:
    issuer, token = jwt
    public = issuer.signer.public_key()
    secret = (
        dump_pem_public_key(public).encode()
        if secret_form == "pem"
        else json.dumps(public_key_to_jwk(public)).encode()
    )
    header = b64url_encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "key-1"}).encode())
    payload = token.split(".")[1]
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{payload}.{b64url_encode(mac)}"
    assert outcome(_verify(forged, issuer.documents), "signature") == ("failed", "alg")


def test_hs256_on_an_ob2_assertion(ob2: tuple[Ob2Issuer, str]) -> None:
    issuer, token = ob2
    secret = dump_pem_public_key(issuer.signer.public_key()).encode()
    header = b64url_encode(json.dumps({"alg": "HS256"}).encode())
    payload = token.split(".")[1]
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    report = _verify(f"{header}.{payload}.{b64url_encode(mac)}", issuer.documents)
    assert outcome(report, "signature") == ("failed", "alg")


# --- validity window -----------------------------------------------------------------------------


def test_expired_and_not_yet_valid(
    di: tuple[TestIssuer, dict[str, Any]], jwt: tuple[TestIssuer, str]
) -> None:
    cases: list[tuple[dict[str, Any], str, tuple[str, str]]] = [
        ({"validUntil": "2024-06-01T00:00:00Z"}, "expiry", ("failed", "expired")),
        ({"validFrom": "2999-01-01T00:00:00Z"}, "issued", ("failed", "not-yet-valid")),
    ]
    for members, check, expected in cases:
        issuer = di[0]
        signed = issuer.sign_di(issuer.credential(**members))
        assert outcome(_verify(json.dumps(signed), issuer.documents), check) == expected
        jwt_issuer = jwt[0]
        token = jwt_issuer.sign_jwt(jwt_issuer.credential(**members), header={"typ": "JWT", "kid": "key-1"})
        report = _verify(token, jwt_issuer.documents)
        assert outcome(report, check) == expected
        assert outcome(report, "claims") == ("passed", None)


def test_at_moves_the_window(di: tuple[TestIssuer, dict[str, Any]]) -> None:
    issuer = di[0]
    signed = issuer.sign_di(issuer.credential(validUntil="2024-06-01T00:00:00Z"))
    before = datetime(2024, 3, 1, tzinfo=UTC)
    assert _verify(json.dumps(signed), issuer.documents, at=before).valid
    # the clock-skew tolerance: five minutes after expiry still counts, six do not
    edge = datetime(2024, 6, 1, 0, 5, tzinfo=UTC)
    assert _verify(json.dumps(signed), issuer.documents, at=edge).valid
    assert not _verify(json.dumps(signed), issuer.documents, at=edge.replace(minute=6)).valid


def test_ob2_expired_and_issued_in_the_future(ob2: tuple[Ob2Issuer, str]) -> None:
    issuer = ob2[0]
    expired = issuer.sign(issuer.assertion(expires="2024-06-01T00:00:00Z"))
    assert outcome(_verify(expired, issuer.documents), "expiry") == ("failed", "expired")
    future = issuer.sign(issuer.assertion(issuedOn="2999-01-01T00:00:00Z"))
    assert outcome(_verify(future, issuer.documents), "issued") == ("failed", "not-yet-valid")


def test_jwt_claims_that_disagree_with_the_credential(jwt: tuple[TestIssuer, str]) -> None:
    issuer = jwt[0]
    for claims in (
        {"iss": "https://evil.example/"},
        {"jti": "urn:uuid:other"},
        {"sub": "did:example:eve"},
        {"nbf": 0},
    ):
        token = issuer.sign_jwt(issuer.credential(), header={"typ": "JWT", "kid": "key-1"}, claims=claims)
        assert outcome(_verify(token, issuer.documents), "claims") == ("failed", "claims")


# --- revoked and suspended -----------------------------------------------------------------------


def _with_status(purpose: str, set_index: int | None) -> tuple[TestIssuer, dict[str, Any], dict[str, bytes]]:
    issuer = TestIssuer.did_web()
    bits = StatusBitstring()
    if set_index is not None:
        bits.set(set_index)
    unsigned = build_status_list_credential(
        list_url=LIST_URL,
        issuer=issuer.id,
        purpose=purpose,
        bitstring=bits,
        valid_from=datetime(2024, 1, 1, tzinfo=UTC),
    )
    status_list = issuer.sign_di(unsigned)
    entry = build_status_entry(list_url=LIST_URL, index=41, purpose=purpose)
    signed = issuer.sign_di(issuer.credential(credentialStatus=entry))
    return issuer, signed, {**issuer.documents, LIST_URL: as_bytes(status_list)}


@pytest.mark.parametrize(
    ("purpose", "index", "expected"),
    [
        ("revocation", 41, ("failed", "revoked")),
        ("suspension", 41, ("failed", "suspended")),
        ("revocation", 40, ("passed", None)),
        ("suspension", None, ("passed", None)),
    ],
)
def test_bitstring_status(purpose: str, index: int | None, expected: tuple[str, str | None]) -> None:
    _, signed, documents = _with_status(purpose, index)
    report = _verify(json.dumps(signed), documents)
    assert outcome(report, "status") == expected
    assert report.valid is (expected[0] == "passed")


def test_status_list_signed_by_someone_else_fails() -> None:
    # GIVEN the issuer's list re-signed by a forger who flipped nothing but the key
    _, signed, documents = _with_status("revocation", None)
    forger = TestIssuer.did_web("forger.example")
    forged = forger.sign_di(_unsigned(documents[LIST_URL]))
    report = _verify(json.dumps(signed), {**documents, **forger.documents, LIST_URL: as_bytes(forged)})
    # THEN the list is not trusted, so the status is not known
    assert outcome(report, "status") == ("failed", "verification")


def _unsigned(body: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(body)
    document.pop("proof")
    return document


def test_status_not_checkable_offline_is_not_valid() -> None:
    _, signed, documents = _with_status("revocation", None)
    del documents[LIST_URL]
    report = _verify(json.dumps(signed), documents)
    assert outcome(report, "status") == ("skipped", "offline")
    assert not report.valid


def test_unknown_status_type_fails_closed(jwt: tuple[TestIssuer, str]) -> None:
    issuer = jwt[0]
    status = {"id": "https://issuer.example/status#1", "type": "CredentialStatusList2017"}
    token = issuer.sign_jwt(issuer.credential(credentialStatus=status), header={"typ": "JWT", "kid": "key-1"})
    assert outcome(_verify(token, issuer.documents), "status") == ("failed", "unsupported-type")


def test_1edtech_revocation_list(di: tuple[TestIssuer, dict[str, Any]]) -> None:
    issuer = di[0]
    credential = issuer.credential(credentialStatus={"id": LIST_URL, "type": "1EdTechRevocationList"})
    credential["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json")
    signed = issuer.sign_di(credential)
    revocations = {"id": LIST_URL, "issuer": issuer.id, "revokedCredentials": [{"id": credential["id"]}]}
    report = _verify(json.dumps(signed), {**issuer.documents, LIST_URL: as_bytes(revocations)})
    assert outcome(report, "status") == ("failed", "revoked")
    revocations["revokedCredentials"] = [{"id": "urn:uuid:someone-else"}]
    report = _verify(json.dumps(signed), {**issuer.documents, LIST_URL: as_bytes(revocations)})
    assert outcome(report, "status") == ("passed", None)


def test_ob2_revocation_list_with_exactly_one_entry() -> None:
    issuer = Ob2Issuer.create(revoked=("urn:uuid:7b9c0d1e-0000-4000-8000-000000000001",))
    report = _verify(issuer.sign(issuer.assertion()), issuer.documents)
    assert outcome(report, "status") == ("failed", "revoked")
    kept = issuer.sign(issuer.assertion(assertion_id="urn:uuid:7b9c0d1e-0000-4000-8000-000000000002"))
    assert outcome(_verify(kept, issuer.documents), "status") == ("passed", None)


def test_ob2_hosted_revoked_true_and_410() -> None:
    from badgekiln.fetch import Fetcher, FetchPolicy, StaticTransport, TransportResponse

    issuer = Ob2Issuer.create()
    url = Ob2Issuer.BASE + "assertions/1.json"
    assertion, documents = issuer.hosted(url)
    assert _verify(json.dumps(assertion), documents).valid
    # revoked: true in the hosted copy
    gone = {
        "@context": "https://w3id.org/openbadges/v2",
        "id": url,
        "revoked": True,
        "revocationReason": "cheated",
    }
    report = _verify(json.dumps(assertion), {**documents, url: as_bytes(gone)})
    assert outcome(report, "status") == ("failed", "revoked")
    assert "cheated" in report.check("status").message  # type: ignore[union-attr]
    # HTTP 410 Gone from the issuer's server
    transport = StaticTransport({url: TransportResponse(410, {"content-type": "application/json"})})
    fetcher = Fetcher(
        FetchPolicy(), documents={k: v for k, v in documents.items() if k != url}, transport=transport
    )
    report = badgekiln.verify(json.dumps(assertion), fetcher=fetcher)
    assert outcome(report, "status") == ("failed", "revoked")
    assert outcome(report, "hosted") == ("failed", "gone")


def test_ob2_hosted_outside_the_issuers_origin_fails_issuer() -> None:
    issuer = Ob2Issuer.create()
    url = "https://evil.example/assertions/1.json"
    assertion, documents = issuer.hosted(url)
    assert outcome(_verify(json.dumps(assertion), documents), "issuer") == ("failed", "scope")


def test_ob2_baked_copy_differs_from_the_hosted_one() -> None:
    issuer = Ob2Issuer.create()
    url = Ob2Issuer.BASE + "assertions/1.json"
    assertion, documents = issuer.hosted(url)
    baked = deep(assertion)
    baked["recipient"]["identity"] = "eve@example.org"
    report = _verify(json.dumps(baked), documents, recipient="eve@example.org")
    # the hosted copy is authoritative: it was awarded to ann, not eve
    assert outcome(report, "hosted") == ("warning", "differs")
    assert outcome(report, "recipient") == ("failed", "recipient-mismatch")


# --- undefined properties ------------------------------------------------------------------------


@dataclass(frozen=True)
class Injection:
    name: str
    apply: Callable[[dict[str, Any]], None]


INJECTIONS = [
    Injection("top-level", lambda d: d.__setitem__("fooUndefined", "x")),
    Injection("subject", lambda d: d["credentialSubject"].__setitem__("grade", "A+")),
    Injection("achievement", lambda d: d["credentialSubject"]["achievement"].__setitem__("level", 3)),
    Injection("issuer", lambda d: d["issuer"].__setitem__("motto", "trust us")),
    Injection("type", lambda d: d["credentialSubject"].__setitem__("type", ["AchievementSubject", "Bogus"])),
]


@pytest.mark.parametrize("injection", INJECTIONS, ids=lambda i: i.name)
def test_undefined_property_after_signing(
    di: tuple[TestIssuer, dict[str, Any]], injection: Injection
) -> None:
    issuer, signed = di
    altered = deep(signed)
    injection.apply(altered)
    report = _verify(json.dumps(altered), issuer.documents)
    assert outcome(report, "context")[0] == "failed"
    assert outcome(report, "signature")[0] == "failed"


@pytest.mark.parametrize("injection", INJECTIONS, ids=lambda i: i.name)
def test_undefined_property_in_a_signed_jwt(jwt: tuple[TestIssuer, str], injection: Injection) -> None:
    # the issuer itself signed the undefined property: a VC-JWT signs the JSON bytes, so the
    # signature holds and the badge is authentic; the term is a conformance deviation (a
    # warning), which strict mode refuses as the 1EdTech validator does
    issuer, _ = jwt
    credential = issuer.credential()
    injection.apply(credential)
    token = issuer.sign_jwt(credential, header={"typ": "JWT", "kid": "key-1"})
    report = _verify(token, issuer.documents)
    assert outcome(report, "signature") == ("passed", None)
    assert outcome(report, "context")[0] == "warning"
    assert [d.id for d in report.conformance] == ["context"]
    strict = _verify(token, issuer.documents, strict=True)
    assert outcome(strict, "context")[0] == "failed"
    assert not strict.valid
    assert report.valid


def test_counts() -> None:
    assert (len(FIXTURE_PATHS), len(FRESH_PATHS)) == (15, 15)


@pytest.mark.parametrize(("index", "expected"), [(41, ("failed", "revoked")), (40, ("passed", None))])
def test_legacy_status_list_2021(index: int, expected: tuple[str, str | None]) -> None:
    # GIVEN a VC 1.1 credential with a StatusList2021Entry and its (signed) list, bit 41 set
    issuer = TestIssuer.did_web()
    bits = StatusBitstring()
    bits.set(41)
    contexts = ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"]
    status_list = issuer.sign_di(
        {
            "@context": [*contexts, "https://w3id.org/security/data-integrity/v1"],
            "id": LIST_URL,
            "type": ["VerifiableCredential", "StatusList2021Credential"],
            "issuer": issuer.id,
            "issuanceDate": "2024-01-01T00:00:00Z",
            "credentialSubject": {
                "id": LIST_URL + "#list",
                "type": "StatusList2021",
                "statusPurpose": "revocation",
                "encodedList": bits.encode().removeprefix("u"),
            },
        }
    )
    entry = {
        "id": f"{LIST_URL}#{index}",
        "type": "StatusList2021Entry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": LIST_URL,
    }
    credential = issuer.credential(
        **{
            "@context": [
                contexts[0],
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                contexts[1],
                "https://w3id.org/security/data-integrity/v1",
            ]
        },
        issuanceDate="2024-01-01T00:00:00Z",
        credentialStatus=entry,
    )
    del credential["validFrom"]
    signed = issuer.sign_di(credential)
    report = _verify(json.dumps(signed), {**issuer.documents, LIST_URL: as_bytes(status_list)})
    # THEN the entry is read from the legacy list
    assert outcome(report, "status") == expected
    assert "StatusList2021" in check_of(report, "status").message


def test_every_proof_of_a_status_list_must_verify() -> None:
    # GIVEN a good list carrying a second proof whose signature is broken
    _, signed, documents = _with_status("revocation", None)
    status_list = json.loads(documents[LIST_URL])
    broken = {**status_list["proof"], "proofValue": status_list["proof"]["proofValue"][:-4] + "zzzz"}
    status_list["proof"] = [status_list["proof"], broken]
    report = _verify(json.dumps(signed), {**documents, LIST_URL: as_bytes(status_list)})
    # THEN the list is not trusted (a credential would pass with one good proof; a list may not)
    assert outcome(report, "status") == ("failed", "verification")
