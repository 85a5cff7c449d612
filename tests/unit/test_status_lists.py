"""Bitstring Status List / StatusList2021 checks: the vectors end to end, and every failure reason.

Status list credentials are served from pinned documents by an offline Fetcher and their proofs
are verified through proofs.dataintegrity via the injected callback, as the engine will do. The
1EdTech test list is signed by the OB 3.0 spec key under an HTTPS verification method whose
controller document is not in the vectors, so a stand-in listing exactly that key is pinned
(as tests/unit/test_dataintegrity_vectors.py does).
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from badgekiln.errors import InvalidSignature, KeyResolutionError, StatusError
from badgekiln.fetch import Fetcher, FetchPolicy
from badgekiln.keys.formats import did_key_encode
from badgekiln.keys.local import LocalSigner
from badgekiln.proofs.dataintegrity import create_proof, verify_proof
from badgekiln.proofs.did import resolve_verification_method
from badgekiln.status import (
    MIN_LIST_ENTRIES,
    REASONS,
    StatusBitstring,
    StatusPolicy,
    StatusResult,
    build_status_entry,
    build_status_list_credential,
    check_credential_status,
    check_status_list_entry,
)
from tests.conftest import VECTORS

OB30 = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
DCC = "digitalcredentials-vc-test-fixtures"
DCC_PREFIX = "https://digitalcredentials.github.io/vc-test-fixtures/"
CORE_LIST = (
    "https://raw.githubusercontent.com/digitalcredentials/verifier-core/refs/heads/main/"
    "src/test-fixtures/status/e5WK8CbZ1GjycuPombrj"
)
TESTLIST_URL = (
    "https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/main/"
    "inspector-vc/src/test/resources/ob30/bit-string-list/testlist"
)
STRICT = StatusPolicy()
SPEC_KEY_VM = "https://1edtech.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


@cache
def _vector_documents() -> dict[str, bytes]:
    """statusListCredential URL → bytes, for every list the vectors reference, plus key documents."""
    documents = {
        f"{DCC_PREFIX}statusLists/didkey-ed25519Signature2020/{path.name}": path.read_bytes()
        for path in (VECTORS / DCC / "statusLists/didkey-ed25519Signature2020").iterdir()
    }
    documents[CORE_LIST] = (
        VECTORS / "digitalcredentials-verifier-core/src/test-fixtures/status/e5WK8CbZ1GjycuPombrj"
    ).read_bytes()
    documents[TESTLIST_URL] = (VECTORS / OB30 / "bit-string-list/testlist").read_bytes()
    controller, _, key = SPEC_KEY_VM.partition("#")
    stand_in = {
        "id": controller,
        "verificationMethod": [
            {"id": SPEC_KEY_VM, "type": "Multikey", "controller": controller, "publicKeyMultibase": key}
        ],
        "assertionMethod": [SPEC_KEY_VM],
    }
    documents[controller] = json.dumps(stand_in).encode()
    return documents


def fetcher_for(documents: Mapping[str, bytes] | None = None) -> Fetcher:
    return Fetcher(FetchPolicy(offline=True), documents={**_vector_documents(), **(documents or {})})


def di_verifier(fetcher: Fetcher) -> Callable[[Mapping[str, Any]], None]:
    """What the engine injects: every proof verifies with a key its issuer controls."""

    def verify(document: Mapping[str, Any]) -> None:
        issuer = document.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
        proofs = document.get("proof")
        for proof in proofs if isinstance(proofs, list) else [proofs]:
            method = resolve_verification_method(proof["verificationMethod"], fetch_json=fetcher.get_json)
            if method.controller != issuer_id:
                raise KeyResolutionError("the key is not the issuer's", reason="controller")
            verify_proof(document, proof, method.public_key)

    return verify


def check_vector(credential: Mapping[str, Any], policy: StatusPolicy = STRICT) -> tuple[StatusResult, ...]:
    fetcher = fetcher_for()
    return check_credential_status(
        credential, fetch_json=fetcher.get_json, verify_credential=di_verifier(fetcher), policy=policy
    )


def load(rel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / rel).read_text("utf-8"))
    return data


# --- the 1EdTech vector -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["credential-status-revoked.json", "credential-status-revoked-blank-nodes.json"]
)
def test_1edtech_revoked_credential_is_revoked_at_index_23(name: str) -> None:
    credential = load(f"{OB30}/bit-string-list/{name}")
    (result,) = check_vector(credential)
    assert (result.method, result.purpose, result.index, result.value, result.set) == (
        "BitstringStatusList",
        "revocation",
        23,
        1,
        True,
    )
    assert result.invalidates
    assert result.list_url == TESTLIST_URL
    # the index is a JSON number there: accepted, with a warning the report can show
    assert any("JSON number 23" in warning for warning in result.warnings)
    assert not any("fewer than" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    ("index", "revoked"), [("22", False), ("23", True), ("24", False), ("131071", False)]
)
def test_1edtech_list_neighbours_of_bit_23(index: str, revoked: bool) -> None:
    credential = load(f"{OB30}/bit-string-list/credential-status-revoked.json")
    credential["credentialStatus"]["statusListIndex"] = index
    (result,) = check_vector(credential)
    assert result.set is revoked
    assert result.warnings == (
        "the status list credential's id 'https://example.com/credentials/status/3' is not its URL "
        + TESTLIST_URL,
    )


def test_1edtech_list_index_past_the_end_is_a_range_error() -> None:
    credential = load(f"{OB30}/bit-string-list/credential-status-revoked.json")
    credential["credentialStatus"]["statusListIndex"] = str(MIN_LIST_ENTRIES)
    with pytest.raises(StatusError) as caught:
        check_vector(credential)
    assert caught.value.reason == "range"


# --- the DCC corpus -----------------------------------------------------------------------------

DCC_EXPECTED_FAILURES = {
    "legacy-expiredStatus-noExpiry.json": "expired",
    "legacy-notYetValidStatus-noExpiry.json": "not-yet-valid",
    "legacy-missingTypeStatus-noExpiry.json": "type",
    "legacy-tamperedStatus-noExpiry.json": "verification",
}


def _dcc_with_status() -> list[str]:
    return sorted(
        path.relative_to(VECTORS).as_posix()
        for path in (VECTORS / DCC / "verifiableCredentials").rglob("*.json")
        if "credentialStatus" in json.loads(path.read_text("utf-8"))
    )


def test_the_dcc_corpus_has_the_status_fixtures_we_expect() -> None:
    names = [rel.rpartition("/")[2] for rel in _dcc_with_status()]
    assert len(names) == 39
    assert set(DCC_EXPECTED_FAILURES) <= set(names)


@pytest.mark.parametrize("rel", _dcc_with_status())
def test_dcc_fixture_status_with_the_issuer_check_relaxed(rel: str) -> None:
    # GIVEN a DCC fixture; its lists are signed by the DCC test key, not the credential's issuer
    credential = load(rel)
    name = rel.rpartition("/")[2]
    policy = StatusPolicy(require_same_issuer=False)
    if name in DCC_EXPECTED_FAILURES:
        # THEN the broken lists fail for their own reason
        with pytest.raises(StatusError) as caught:
            check_vector(credential, policy)
        assert caught.value.reason == DCC_EXPECTED_FAILURES[name]
        return
    # THEN revoked fixtures are revoked (index 6 or 8) and valid ones are not (index 7)
    (result,) = check_vector(credential, policy)
    revoked = "revoked" in name.lower()
    assert result.set is revoked
    assert result.index in ((6, 8) if revoked else (7,))
    # AND the 100,000-entry list is read, with the shortfall reported
    assert any("100000 entries, fewer than the 131072" in warning for warning in result.warnings)


def test_dcc_revoked_fixture_fails_the_default_issuer_check() -> None:
    credential = load(
        f"{DCC}/verifiableCredentials/v2/dataIntegrityProof/didKey/oidf-revokedStatus-noExpiry.json"
    )
    with pytest.raises(StatusError) as caught:
        check_vector(credential)
    assert caught.value.reason == "issuer"


def test_dcc_short_list_fails_under_the_strict_length_policy() -> None:
    credential = load(f"{DCC}/verifiableCredentials/v2/ed25519/didKey/legacy-expiredStatus-noExpiry.json")
    credential["credentialStatus"]["statusListCredential"] = CORE_LIST
    policy = StatusPolicy(require_same_issuer=False, short_list="fail")
    with pytest.raises(StatusError) as caught:
        check_vector(credential, policy)
    assert caught.value.reason == "length"
    assert caught.value.details["limit"] == MIN_LIST_ENTRIES


def test_dcc_expired_list_passes_when_judged_at_a_time_inside_its_window() -> None:
    credential = load(f"{DCC}/verifiableCredentials/v2/ed25519/didKey/legacy-expiredStatus-noExpiry.json")
    fetcher = fetcher_for()
    (result,) = check_credential_status(
        credential,
        fetch_json=fetcher.get_json,
        verify_credential=di_verifier(fetcher),
        at=datetime(2020, 6, 1, tzinfo=UTC),
    )
    assert (result.index, result.set) == (7, False)


# --- synthetic lists: every reason, one case per line ---------------------------------------------

LIST_URL = "https://issuer.example/status/1"
ISSUER = "https://issuer.example/"


def encoded(
    *set_bits: int, entries: int = MIN_LIST_ENTRIES, size: int = 1, values: Mapping[int, int] | None = None
) -> str:
    bits = StatusBitstring(entries, status_size=size)
    for index in set_bits:
        bits.set(index)
    for index, value in (values or {}).items():
        bits.set(index, value)
    return bits.encode()


def status_list(**changes: Any) -> dict[str, Any]:
    """A BitstringStatusListCredential with bit 5 set; ``changes`` override members (None deletes)."""
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER,
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded(5),
        },
    }
    subject = changes.pop("subject", {})
    for members, target in ((changes, document), (subject, document["credentialSubject"])):
        for key, value in members.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
    return document


def entry(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": LIST_URL,
    }
    for key, member in changes.items():
        if member is None:
            value.pop(key, None)
        else:
            value[key] = member
    return value


class Recorder:
    """A verify_credential that accepts everything and records what it was shown (or raises)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.seen: list[Mapping[str, Any]] = []
        self.error = error

    def __call__(self, document: Mapping[str, Any]) -> None:
        self.seen.append(document)
        if self.error is not None:
            raise self.error


def check(
    status_entry: Any,
    document: Any = None,
    *,
    body: bytes | None = None,
    policy: StatusPolicy = STRICT,
    at: datetime | None = None,
    verify: Recorder | None = None,
) -> StatusResult:
    served = (
        body if body is not None else json.dumps(status_list() if document is None else document).encode()
    )
    fetcher = Fetcher(FetchPolicy(offline=True), documents={LIST_URL: served})
    return check_status_list_entry(
        status_entry,
        issuer=ISSUER,
        fetch_json=fetcher.get_json,
        verify_credential=verify or Recorder(),
        policy=policy,
        at=at or datetime(2025, 1, 1, tzinfo=UTC),
    )


def test_synthetic_list_reads_the_set_bit_and_verifies_the_list_first() -> None:
    recorder = Recorder()
    result = check(entry(), verify=recorder)
    assert result == StatusResult("BitstringStatusList", "revocation", 1, True, LIST_URL, 5)
    assert recorder.seen == [status_list()]
    assert not check(entry(statusListIndex="4")).set


@pytest.mark.parametrize(("status_entry", "reason"), [
    ("not an object", "entry"),
    (entry(type="RevocationList2020Status"), "unsupported-type"),
    (entry(type=["BitstringStatusListEntry"]), "unsupported-type"),
    (entry(statusPurpose="revoked"), "purpose"),
    (entry(statusPurpose=None), "purpose"),
    (entry(statusListIndex="-1"), "entry"),
    (entry(statusListIndex="1.5"), "entry"),
    (entry(statusListIndex="+5"), "entry"),
    (entry(statusListIndex=" 5"), "entry"),
    (entry(statusListIndex=""), "entry"),
    (entry(statusListIndex="0x5"), "entry"),
    (entry(statusListIndex="12345678901"), "entry"),
    (entry(statusListIndex=-1), "entry"),
    (entry(statusListIndex=5.0), "entry"),
    (entry(statusListIndex=True), "entry"),
    (entry(statusListIndex=None), "entry"),
    (entry(statusSize=0), "entry"),
    (entry(statusSize=10**9), "entry"),
    (entry(statusSize="2"), "entry"),
    (entry(statusSize=2), "entry"),                         # statusMessage is then required
    (entry(statusMessage="revoked"), "entry"),
    (entry(statusMessage=[{"status": "0x2", "message": "x"}]), "entry"),   # does not fit one bit
    (entry(statusMessage=[{"status": "0x0", "message": "a"}, {"status": "0x0", "message": "b"}]), "entry"),
    (entry(statusMessage=[{"status": "0", "message": "x"}]), "entry"),
    (entry(statusListCredential=None), "entry"),
    (entry(statusListCredential=["https://issuer.example/status/1"]), "entry"),
    (entry(type="StatusList2021Entry", statusSize=2), "entry"),
    (entry(type="StatusList2021Entry", statusSize=1.0), "entry"),
    (entry(statusPurpose=["revocation"]), "purpose"),
    (entry(type={"id": "x"}), "unsupported-type"),
    (entry(type="StatusList2021Entry", statusPurpose="message"), "purpose"),
    (entry(statusListIndex=str(MIN_LIST_ENTRIES)), "range"),
    (entry(statusListIndex="9999999999"), "range"),
    (entry(statusPurpose="suspension"), "purpose"),           # the list is a revocation list
    (entry(type="StatusList2021Entry"), "type"),              # a Bitstring list is not a 2021 list
])  # fmt: skip
def test_bad_entries(status_entry: Any, reason: str) -> None:
    with pytest.raises(StatusError) as caught:
        check(status_entry)
    assert type(caught.value) is StatusError
    assert caught.value.reason == reason


@pytest.mark.parametrize(("document", "reason"), [
    (status_list(type=["VerifiableCredential"]), "type"),
    (status_list(type="BitstringStatusListCredential"), "type"),
    (status_list(type=[{"not": "hashable"}, ["nor this"]]), "type"),
    (status_list(subject={"type": [{}]}), "type"),
    (status_list(subject={"type": "StatusList2021"}), "type"),
    (status_list(credentialSubject="https://issuer.example/status/1#list"), "list"),
    (status_list(credentialSubject=[]), "list"),
    (status_list(issuer="https://someone-else.example/"), "issuer"),
    (status_list(issuer={"id": "https://someone-else.example/"}), "issuer"),
    (status_list(issuer=None), "issuer"),
    (status_list(validFrom="2026-01-01T00:00:00Z"), "not-yet-valid"),
    (status_list(issuanceDate="2026-01-01T00:00:00Z"), "not-yet-valid"),
    (status_list(validUntil="2024-12-31T00:00:00Z"), "expired"),
    (status_list(expirationDate="2024-12-31T23:50:00+00:00"), "expired"),
    (status_list(validFrom="2024-01-01"), "list"),
    (status_list(validFrom="2024-01-01T00:00:00"), "list"),             # no time zone
    (status_list(validFrom="2024-02-30T00:00:00Z"), "list"),
    (status_list(validUntil=20250101), "list"),
    (status_list(validFrom="0001-01-01T00:00:00+01:00"), "list"),  # before year 1 in UTC
    (status_list(subject={"statusPurpose": "suspension"}), "purpose"),
    (status_list(subject={"statusPurpose": None}), "purpose"),
    (status_list(subject={"encodedList": None}), "list"),
    (status_list(subject={"encodedList": "uH4sI!!"}), "encoding"),
    (status_list(subject={"encodedList": "u" + base64.urlsafe_b64encode(b"plain").decode()}), "encoding"),
    (status_list(subject={"encodedList": encoded(entries=8)}), "range"),   # short: warned, then read
    ([status_list()], "list"),
    ("a string", "list"),
])  # fmt: skip
def test_bad_lists(document: Any, reason: str) -> None:
    if reason == "range":  # the 8-entry list holds index 5: use an index past it
        with pytest.raises(StatusError) as caught:
            check(entry(statusListIndex="8"), document)
    else:
        with pytest.raises(StatusError) as caught:
            check(entry(), document)
    assert type(caught.value) is StatusError
    assert caught.value.reason == reason


def test_unparseable_body_is_a_list_error_and_a_missing_list_a_retrieval_error() -> None:
    with pytest.raises(StatusError) as caught:
        check(entry(), body=b"{not json")
    assert caught.value.reason == "list"
    fetcher = Fetcher(FetchPolicy(offline=True))
    with pytest.raises(StatusError) as caught:
        check_status_list_entry(
            entry(), issuer=ISSUER, fetch_json=fetcher.get_json, verify_credential=Recorder()
        )
    assert caught.value.reason == "retrieval"
    assert caught.value.details["cause"] == "offline"  # the engine reports this as "not checked"
    assert caught.value.details["url"] == LIST_URL


def test_a_list_whose_proof_fails_is_not_read() -> None:
    recorder = Recorder(InvalidSignature("the Data Integrity signature does not verify", reason="signature"))
    broken = status_list(subject={"encodedList": "uH4sI!!"})  # would fail decoding, but is never decoded
    with pytest.raises(StatusError) as caught:
        check(entry(), broken, verify=recorder)
    assert caught.value.reason == "verification"
    assert caught.value.details["cause"] == "invalid-signature"
    assert caught.value.details["cause_reason"] == "signature"
    assert isinstance(caught.value.__cause__, InvalidSignature)


def test_foreign_errors_from_the_callback_are_not_swallowed() -> None:
    with pytest.raises(RuntimeError):
        check(entry(), verify=Recorder(RuntimeError("bug in the caller")))


def test_gzip_bomb_in_a_signed_list_is_refused() -> None:
    from tests.unit.test_status_bitstring import gzip_bomb, u

    document = status_list(subject={"encodedList": u(gzip_bomb())})
    # the fetcher's 1 MiB body cap stops the ~1.4 MB document first …
    with pytest.raises(StatusError) as caught:
        check(entry(), document)
    assert (caught.value.reason, caught.value.details["cause"]) == ("retrieval", "too-large")
    # … and a caller with a larger cap still never inflates it
    fetcher = Fetcher(
        FetchPolicy(offline=True, max_bytes=4 << 20), documents={LIST_URL: json.dumps(document).encode()}
    )
    with pytest.raises(StatusError) as caught:
        check_status_list_entry(
            entry(), issuer=ISSUER, fetch_json=fetcher.get_json, verify_credential=Recorder()
        )
    assert caught.value.reason == "too-large"


def test_clock_skew_tolerates_a_list_that_starts_a_few_minutes_early() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    document = status_list(validFrom="2025-01-01T00:04:00Z", validUntil="2025-01-01T00:10:00Z")
    assert check(entry(), document, at=start).set
    assert check(entry(), document, at=start + timedelta(minutes=14)).set
    with pytest.raises(StatusError):
        check(entry(), document, at=start, policy=StatusPolicy(clock_skew=timedelta(0)))
    with pytest.raises(ValueError):
        check(entry(), document, at=datetime(2025, 1, 1))  # naive


def test_a_window_at_the_ends_of_the_calendar_is_judged() -> None:
    document = status_list(validFrom="0001-01-01T00:00:00Z", validUntil="9999-12-31T23:59:59Z")
    assert check(entry(), document).set
    assert check(entry(), document, at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC)).set


def test_relaxed_issuer_and_short_list_give_warnings() -> None:
    document = status_list(
        issuer="https://someone-else.example/", subject={"encodedList": encoded(5, entries=1024)}
    )
    result = check(entry(), document, policy=StatusPolicy(require_same_issuer=False))
    assert result.set
    assert result.warnings == (
        "the status list was issued by 'https://someone-else.example/', not by the credential's issuer",
        "the status list has 1024 entries, fewer than the 131072 the specification requires for privacy",
    )
    assert (
        check(entry(), document, policy=StatusPolicy(require_same_issuer=False, min_entries=1024)).warnings[
            1:
        ]
        == ()
    )


@pytest.mark.parametrize(("purpose", "invalidates"), [
    ("revocation", True), ("suspension", True), ("refresh", False), ("message", False),
])  # fmt: skip
def test_purposes(purpose: str, invalidates: bool) -> None:
    result = check(entry(statusPurpose=purpose), status_list(subject={"statusPurpose": purpose}))
    assert (result.purpose, result.set, result.invalidates) == (purpose, True, invalidates)


def test_a_list_declaring_several_purposes_serves_each() -> None:
    document = status_list(subject={"statusPurpose": ["revocation", "suspension"]})
    assert check(entry(statusPurpose="suspension"), document).set


def test_multi_bit_message_list() -> None:
    messages = [
        {"status": "0x0", "message": "valid"},
        {"status": "0x1", "message": "pending review"},
        {"status": "0x2", "message": "rejected"},
        {"status": "0x3", "message": "withdrawn"},
    ]
    document = status_list(
        subject={
            "statusPurpose": "message",
            "encodedList": encoded(entries=MIN_LIST_ENTRIES, size=2, values={5: 2, 6: 1}),
        }
    )
    by_index = {
        index: check(
            entry(statusPurpose="message", statusSize=2, statusMessage=messages, statusListIndex=str(index)),
            document,
        )
        for index in (4, 5, 6)
    }
    assert {i: (r.value, r.message) for i, r in by_index.items()} == {
        4: (0, "valid"),
        5: (2, "rejected"),
        6: (1, "pending review"),
    }


def test_statuslist2021_legacy_list_without_multibase_prefix() -> None:
    bits = StatusBitstring()
    bits.set(94_567)
    plain_base64 = base64.b64encode(gzip.compress(bits.to_bytes(), mtime=0)).decode()  # no 'u', with '+/='
    document = status_list(
        type=["VerifiableCredential", "StatusList2021Credential"],
        subject={"type": "StatusList2021", "encodedList": plain_base64},
    )
    result = check(entry(type="StatusList2021Entry", statusListIndex="94567"), document)
    assert (result.method, result.set, result.index) == ("StatusList2021", True, 94_567)


# --- check_credential_status ----------------------------------------------------------------------


def test_credential_without_status_has_no_results() -> None:
    assert (
        check_credential_status({"issuer": ISSUER}, fetch_json=_unreachable, verify_credential=_unreachable)
        == ()
    )


def _unreachable(_: Any) -> Any:
    raise AssertionError("no fetch or verification expected")


def test_credential_with_revocation_and_suspension_entries() -> None:
    suspension_url = "https://issuer.example/status/2"
    fetcher = Fetcher(
        FetchPolicy(offline=True),
        documents={
            LIST_URL: json.dumps(status_list()).encode(),
            suspension_url: json.dumps(
                status_list(
                    id=suspension_url, subject={"statusPurpose": "suspension", "encodedList": encoded()}
                )
            ).encode(),
        },
    )
    credential = {
        "issuer": {"id": ISSUER, "type": ["Profile"]},
        "credentialStatus": [entry(), entry(statusPurpose="suspension", statusListCredential=suspension_url)],
    }
    results = check_credential_status(credential, fetch_json=fetcher.get_json, verify_credential=Recorder())
    assert [(r.purpose, r.set) for r in results] == [("revocation", True), ("suspension", False)]


@pytest.mark.parametrize(("credential", "reason"), [
    ({"issuer": ISSUER, "credentialStatus": {"type": "CredentialStatusList2017"}}, "unsupported-type"),
    ({"issuer": ISSUER, "credentialStatus": [entry()] * 9}, "too-large"),
    ({"credentialStatus": entry()}, "entry"),
    ({"issuer": {"name": "no id"}, "credentialStatus": entry()}, "entry"),
    # a 1EdTech list needs the credential's id
    ({"issuer": ISSUER, "credentialStatus": {"type": "1EdTechRevocationList", "id": LIST_URL}}, "entry"),
])  # fmt: skip
def test_credential_status_failures(credential: dict[str, Any], reason: str) -> None:
    with pytest.raises(StatusError) as caught:
        check_credential_status(credential, fetch_json=_unreachable, verify_credential=_unreachable)
    assert caught.value.reason == reason


# --- issuing: build, sign, publish, check ---------------------------------------------------------


def test_issued_list_signed_with_data_integrity_round_trips_through_the_checker() -> None:
    # GIVEN an issuer with a did:key and a fresh revocation list with credential 41 revoked
    private = ed25519.Ed25519PrivateKey.generate()
    did = did_key_encode(private.public_key())
    signer = LocalSigner(private, f"{did}#{did.removeprefix('did:key:')}")
    bits = StatusBitstring()
    bits.set(41)
    unsigned = build_status_list_credential(
        list_url=LIST_URL,
        issuer=did,
        purpose="revocation",
        bitstring=bits,
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
        ttl=300_000,
    )
    signed = create_proof(unsigned, signer, verification_method=signer.key_id)
    fetcher = Fetcher(FetchPolicy(offline=True), documents={LIST_URL: json.dumps(signed).encode()})
    credential = {"issuer": did, "credentialStatus": build_status_entry(list_url=LIST_URL, index=41)}
    # WHEN the verifier checks it THEN 41 is revoked and 42 is not
    (result,) = check_credential_status(
        credential, fetch_json=fetcher.get_json, verify_credential=di_verifier(fetcher)
    )
    assert (result.index, result.set, result.warnings) == (41, True, ())
    credential["credentialStatus"] = build_status_entry(list_url=LIST_URL, index=42)
    assert not check_credential_status(
        credential, fetch_json=fetcher.get_json, verify_credential=di_verifier(fetcher)
    )[0].set
    # AND reinstating 41 and re-signing clears it
    bits.clear(41)
    resigned = create_proof(
        build_status_list_credential(list_url=LIST_URL, issuer=did, purpose="revocation", bitstring=bits),
        signer,
        verification_method=signer.key_id,
    )
    fetcher = Fetcher(FetchPolicy(offline=True), documents={LIST_URL: json.dumps(resigned).encode()})
    credential["credentialStatus"] = build_status_entry(list_url=LIST_URL, index=41)
    assert not check_credential_status(
        credential, fetch_json=fetcher.get_json, verify_credential=di_verifier(fetcher)
    )[0].set
    # AND a list edited after signing fails on its proof
    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["encodedList"] = StatusBitstring().encode()
    fetcher = Fetcher(FetchPolicy(offline=True), documents={LIST_URL: json.dumps(tampered).encode()})
    with pytest.raises(StatusError) as caught:
        check_credential_status(
            credential, fetch_json=fetcher.get_json, verify_credential=di_verifier(fetcher)
        )
    assert caught.value.reason == "verification"


def test_build_status_list_credential_shape() -> None:
    document = build_status_list_credential(
        list_url=LIST_URL,
        issuer={"id": ISSUER, "type": "Profile"},
        purpose="suspension",
        bitstring=StatusBitstring(),
        valid_from=datetime(2025, 1, 1, 12, 30, 15, 999, tzinfo=UTC),
        valid_until=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    assert document == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": ISSUER, "type": "Profile"},
        "validFrom": "2025-01-01T12:30:15Z",
        "validUntil": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "suspension",
            "encodedList": StatusBitstring().encode(),
        },
    }


def test_build_status_entry_shapes() -> None:
    assert build_status_entry(list_url=LIST_URL, index=7) == {
        "id": f"{LIST_URL}#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": LIST_URL,
    }
    multi = build_status_entry(
        list_url=LIST_URL, index=7, purpose="message", status_size=2, messages={0: "ok", 3: "gone"}
    )
    assert multi["statusSize"] == 2
    assert multi["statusMessage"] == [
        {"status": "0x0", "message": "ok"},
        {"status": "0x3", "message": "gone"},
    ]


def _list(**kwargs: Any) -> Any:
    arguments: dict[str, Any] = {"list_url": LIST_URL, "issuer": ISSUER, "purpose": "revocation"}
    return build_status_list_credential(**{**arguments, "bitstring": StatusBitstring(), **kwargs})


@pytest.mark.parametrize("call", [
    lambda: build_status_entry(list_url=LIST_URL, index=-1),
    lambda: build_status_entry(list_url=LIST_URL, index=1, purpose="revoked"),
    lambda: build_status_entry(list_url=LIST_URL, index=1, status_size=2),
    lambda: build_status_entry(list_url=LIST_URL, index=1, messages={2: "no"}),
    lambda: build_status_entry(list_url=LIST_URL, index=1, status_size=9, messages={0: "x"}),
    lambda: _list(bitstring=StatusBitstring(1024)),
    lambda: _list(purpose="nope"),
    lambda: _list(valid_from=datetime(2025, 1, 1)),
    lambda: _list(ttl=0),
    lambda: _list(valid_from=datetime(2025, 1, 2, tzinfo=UTC), valid_until=datetime(2025, 1, 1, tzinfo=UTC)),
])  # fmt: skip
def test_builders_refuse_bad_calls(call: Callable[[], Any]) -> None:
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("kwargs", [
    {"min_entries": -1}, {"short_list": "ignore"}, {"clock_skew": timedelta(days=2)}, {"clock_skew": 300},
])  # fmt: skip
def test_policy_refuses_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        StatusPolicy(**kwargs)
    with pytest.raises(TypeError):
        StatusPolicy(require_same_issuer="yes")  # type: ignore[arg-type]


# --- properties: whatever the entry and list hold, the answer is a result or a StatusError ----------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
ENTRY_VALUES = {
    "type": st.sampled_from(["BitstringStatusListEntry", "StatusList2021Entry"]) | JSONISH,
    "statusPurpose": st.sampled_from(["revocation", "suspension", "message"]) | JSONISH,
    "statusListIndex": st.integers(-2, 10) | st.integers(-2, 10).map(str) | JSONISH,
    "statusSize": st.integers(-1, 10) | JSONISH,
    "statusMessage": JSONISH,
}
SUBJECT_VALUES = {
    "type": st.sampled_from(["BitstringStatusList", "StatusList2021"]) | JSONISH,
    "statusPurpose": st.sampled_from(["revocation", "suspension"]) | JSONISH,
    "encodedList": st.sampled_from([encoded(5), encoded(entries=8), "uH4sI"]) | JSONISH,
}


@given(
    st.fixed_dictionaries({}, optional=ENTRY_VALUES),
    st.fixed_dictionaries({}, optional=SUBJECT_VALUES),
    st.sampled_from(["2024-01-01T00:00:00Z", "3000-01-01T00:00:00Z"]) | JSONISH,
)
@settings(max_examples=300, deadline=None)
def test_arbitrary_entries_and_lists_give_a_result_or_a_status_error(
    changes: dict[str, Any], subject: dict[str, Any], valid_from: Any
) -> None:
    document = status_list(validFrom=valid_from if valid_from is not None else "2024-01-01T00:00:00Z")
    document["credentialSubject"].update(subject)
    try:
        result: StatusResult | StatusError = check({**entry(), **changes}, document)
    except StatusError as exc:
        result = exc
    if isinstance(result, StatusError):
        assert result.reason in REASONS
    else:
        assert 0 <= result.value < 256


def test_one_timestamp_writer_for_the_library() -> None:
    # issuing, status lists and proofs all write dates through badgekiln.model.dates.stamp
    from datetime import UTC, datetime, timedelta, timezone

    from badgekiln.model.dates import parse_aware, stamp

    assert stamp(datetime(2026, 5, 1, 14, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=2)))) == (
        "2026-05-01T12:00:00Z"
    )
    assert stamp(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"  # zero-padded year
    assert parse_aware(stamp(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))).year == 9999
    with pytest.raises(ValueError, match="aware"):
        stamp(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="range"):
        stamp(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))
