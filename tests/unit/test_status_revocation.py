"""Revocation lists by id: OB 2.0 RevocationList (vectors, one-entry lists, legacy uid) and the
1EdTech Revocation List (revokedCredentials, revoked flag, the singular spelling), plus the OB 2.0
issuer helpers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from badgekiln.errors import StatusError
from badgekiln.fetch import Fetcher, FetchPolicy
from badgekiln.status import (
    StatusPolicy,
    add_revoked_assertion,
    build_ob2_revocation_list,
    check_credential_status,
    check_ob2_revocation_list,
    check_revocation_list_entry,
    remove_revoked_assertion,
)
from tests.conftest import VECTORS

ASSETS = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob20/assets"
OB2_LIST = "http://example.org/revocation-list.json"
OB2_EMPTY = "http://example.org/empty-revocation-list.json"
ISSUER = "https://example.org/organization.json"
URL = "https://issuer.example/revocations"
RELAXED = StatusPolicy(require_same_issuer=False)


def fetch_json_for(documents: dict[str, Any]) -> Any:
    fetcher = Fetcher(
        FetchPolicy(offline=True), documents={url: json.dumps(doc).encode() for url, doc in documents.items()}
    )
    return fetcher.get_json


def vector_fetch_json() -> Any:
    fetcher = Fetcher(
        FetchPolicy(offline=True),
        documents={
            OB2_LIST: (VECTORS / ASSETS / "revocation-list.json").read_bytes(),
            OB2_EMPTY: (VECTORS / ASSETS / "empty-revocation-list.json").read_bytes(),
        },
    )
    return fetcher.get_json


# --- OB 2.0 RevocationList: the vectors ---------------------------------------------------------


@pytest.mark.parametrize(("assertion_id", "revoked", "reason"), [
    ("https://example.org/beths-robotics-badge-revoked.json", True, "A good reason, for sure"),  # id+reason
    ("urn:uuid:52e4c6b3-8c13-4fa8-8482-a5cf34ef37a9", True, None),                             # {id}
    ("urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4", True, None),                             # bare string
    ("https://example.org/beths-robotics-badge.json", False, None),
    ("urn:uuid:6DEB4A00-EBCE-4B28-8CC2-AFA705EF7BE4", False, None),                            # ids are exact
])  # fmt: skip
def test_ob2_vector_revocation_list(assertion_id: str, revoked: bool, reason: str | None) -> None:
    result = check_ob2_revocation_list(
        OB2_LIST, assertion_id=assertion_id, issuer=ISSUER, fetch_json=vector_fetch_json()
    )
    assert (result.method, result.purpose, result.set, result.value, result.message) == (
        "RevocationList",
        "revocation",
        revoked,
        int(revoked),
        reason,
    )
    assert result.invalidates is revoked
    assert result.list_url == OB2_LIST
    assert result.warnings == ()


def test_ob2_vector_empty_revocation_list_revokes_nothing() -> None:
    result = check_ob2_revocation_list(
        OB2_EMPTY,
        assertion_id="https://example.org/beths-robotics-badge.json",
        issuer=ISSUER,
        fetch_json=vector_fetch_json(),
    )
    assert not result.set


# --- OB 2.0: one-entry lists, uid, embedded lists -------------------------------------------------


def ob2_list(entries: Any, **extra: Any) -> dict[str, Any]:
    return {"@context": "https://w3id.org/openbadges/v2", "id": URL, "type": "RevocationList",
            "revokedAssertions": entries, **extra}  # fmt: skip


@pytest.mark.parametrize("entries", [
    ["urn:uuid:1"],                                  # a one-element array
    "urn:uuid:1",                                    # the same, JSON-LD compacted to a value
    {"id": "urn:uuid:1", "revocationReason": "x"},   # one object, compacted
    [{"uid": "abc123"}],                             # legacy uid
    {"uid": "abc123", "revocationReason": "Issued in error."},
])  # fmt: skip
def test_ob2_list_with_exactly_one_entry_revokes_it(entries: Any) -> None:
    fetch_json = fetch_json_for({URL: ob2_list(entries)})
    result = check_ob2_revocation_list(
        URL, assertion_id="urn:uuid:1", assertion_uid="abc123", issuer=ISSUER, fetch_json=fetch_json
    )
    assert result.set
    other = check_ob2_revocation_list(
        URL, assertion_id="urn:uuid:2", assertion_uid="def456", issuer=ISSUER, fetch_json=fetch_json
    )
    assert not other.set


def test_ob2_uid_entries_match_only_when_the_assertion_has_a_uid() -> None:
    fetch_json = fetch_json_for({URL: ob2_list([{"uid": "abc123"}])})
    assert not check_ob2_revocation_list(URL, assertion_id="abc123", issuer=ISSUER, fetch_json=fetch_json).set


def test_ob2_embedded_list_is_read_without_fetching() -> None:
    def no_fetch(url: str) -> Any:
        raise AssertionError(url)

    result = check_ob2_revocation_list(
        ob2_list(["urn:uuid:1"], type=["RevocationList"]),
        assertion_id="urn:uuid:1",
        issuer=None,
        fetch_json=no_fetch,
    )
    assert (result.set, result.list_url) == (True, URL)


@pytest.mark.parametrize(("document", "reason"), [
    (ob2_list([], type="Issuer"), "type"),
    ({**ob2_list([]), "type": None}, "type"),
    ({k: v for k, v in ob2_list([]).items() if k != "revokedAssertions"}, "list"),
    (ob2_list([42]), "list"),
    (ob2_list([{"revocationReason": "no id"}]), "list"),
    (ob2_list([{"id": 7}]), "list"),
    (ob2_list(None), "list"),
    (ob2_list([], issuer="https://someone-else.example/"), "issuer"),
    (ob2_list([], issuer={"id": "https://someone-else.example/"}), "issuer"),
    (["urn:uuid:1"], "list"),
])  # fmt: skip
def test_ob2_bad_lists(document: Any, reason: str) -> None:
    with pytest.raises(StatusError) as caught:
        check_ob2_revocation_list(
            URL, assertion_id="urn:uuid:1", issuer=ISSUER, fetch_json=fetch_json_for({URL: document})
        )
    assert type(caught.value) is StatusError
    assert caught.value.reason == reason


def test_ob2_list_naming_another_issuer_is_a_warning_when_relaxed() -> None:
    fetch_json = fetch_json_for({URL: ob2_list(["urn:uuid:1"], issuer="https://someone-else.example/")})
    result = check_ob2_revocation_list(
        URL, assertion_id="urn:uuid:1", issuer=ISSUER, fetch_json=fetch_json, policy=RELAXED
    )
    assert result.set
    assert result.warnings == (
        "the revocation list belongs to 'https://someone-else.example/', not to the issuer",
    )


def test_ob2_unreachable_list_is_a_retrieval_error() -> None:
    with pytest.raises(StatusError) as caught:
        check_ob2_revocation_list(URL, assertion_id="x", issuer=ISSUER, fetch_json=fetch_json_for({}))
    assert (caught.value.reason, caught.value.details["cause"]) == ("retrieval", "offline")
    with pytest.raises(StatusError) as caught:
        check_ob2_revocation_list("", assertion_id="x", issuer=ISSUER, fetch_json=fetch_json_for({}))
    assert caught.value.reason == "entry"


def test_ob2_oversized_list_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from badgekiln.status import revocationlist

    monkeypatch.setattr(revocationlist, "MAX_REVOKED_ENTRIES", 3)
    with pytest.raises(StatusError) as caught:
        check_ob2_revocation_list(
            URL,
            assertion_id="x",
            issuer=ISSUER,
            fetch_json=fetch_json_for({URL: ob2_list(["a", "b", "c", "d"])}),
        )
    assert (caught.value.reason, caught.value.details["limit"]) == ("too-large", 3)


# --- OB 2.0: the issuer side ----------------------------------------------------------------------


def test_ob2_issuer_revokes_and_reinstates() -> None:
    # GIVEN an empty list
    empty = build_ob2_revocation_list(list_url=URL, issuer_id=ISSUER)
    assert empty == {"@context": "https://w3id.org/openbadges/v2", "id": URL, "type": "RevocationList",
                     "issuer": ISSUER, "revokedAssertions": []}  # fmt: skip
    # WHEN two assertions are revoked, one twice with a corrected reason
    one = add_revoked_assertion(empty, "urn:uuid:1", reason="Honor code violation")
    two = add_revoked_assertion(one, "urn:uuid:2")
    fixed = add_revoked_assertion(two, "urn:uuid:1", reason="Issued in error.")
    assert empty["revokedAssertions"] == []  # inputs untouched
    assert len(one["revokedAssertions"]) == 1
    assert fixed["revokedAssertions"] == [
        {"id": "urn:uuid:2"},
        {"id": "urn:uuid:1", "revocationReason": "Issued in error."},
    ]
    # THEN the verifier sees them revoked, with the reason
    fetch_json = fetch_json_for({URL: fixed})
    result = check_ob2_revocation_list(URL, assertion_id="urn:uuid:1", issuer=ISSUER, fetch_json=fetch_json)
    assert (result.set, result.message) == (True, "Issued in error.")
    # AND reinstating removes the entry; removing it again changes nothing
    reinstated = remove_revoked_assertion(fixed, "urn:uuid:1")
    assert remove_revoked_assertion(reinstated, "urn:uuid:1") == reinstated
    fetch_json = fetch_json_for({URL: reinstated})
    assert not check_ob2_revocation_list(
        URL, assertion_id="urn:uuid:1", issuer=ISSUER, fetch_json=fetch_json
    ).set
    assert check_ob2_revocation_list(URL, assertion_id="urn:uuid:2", issuer=ISSUER, fetch_json=fetch_json).set


def test_ob2_reinstating_removes_bare_string_entries_too(vectors: Any) -> None:
    document = json.loads((vectors / ASSETS / "revocation-list.json").read_text())
    updated = remove_revoked_assertion(document, "urn:uuid:6deb4a00-ebce-4b28-8cc2-afa705ef7be4")
    assert len(updated["revokedAssertions"]) == 2


@pytest.mark.parametrize("call", [
    lambda: add_revoked_assertion(build_ob2_revocation_list(list_url=URL, issuer_id=ISSUER), ""),
    lambda: add_revoked_assertion(build_ob2_revocation_list(list_url=URL, issuer_id=ISSUER), "x", reason=" "),
    lambda: add_revoked_assertion({"type": "RevocationList"}, "x"),
    lambda: remove_revoked_assertion({"revokedAssertions": "x"}, "x"),
])  # fmt: skip
def test_ob2_issuer_helpers_refuse_bad_calls(call: Any) -> None:
    with pytest.raises(ValueError):
        call()


# --- 1EdTech Revocation List ----------------------------------------------------------------------

CREDENTIAL_ID = "urn:uuid:a63a60be-f4af-491e-87fc-2c8bf3a2e4d1"


def vcrl(entries: Any = None, member: str = "revokedCredentials", **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"id": URL, "issuer": ISSUER, **extra}
    if entries is not None:
        document[member] = entries
    return document


def check_vcrl(document: Any, policy: StatusPolicy = RELAXED, credential_id: str = CREDENTIAL_ID) -> Any:
    return check_revocation_list_entry(
        {"id": URL, "type": "1EdTechRevocationList"},
        credential_id=credential_id,
        issuer=ISSUER,
        fetch_json=fetch_json_for({URL: document}),
        policy=policy,
    )


@pytest.mark.parametrize(("entries", "revoked", "reason"), [
    ([{"id": CREDENTIAL_ID}], True, None),                                           # revoked omitted: true
    ([{"id": CREDENTIAL_ID, "revoked": True, "revocationReason": "Fraud"}], True, "Fraud"),
    ([{"id": CREDENTIAL_ID, "revoked": False}], False, None),                         # listed, reinstated
    ({"id": CREDENTIAL_ID}, True, None),                                             # one entry, compacted
    ([{"id": "urn:uuid:other"}], False, None),
    ([], False, None),
    (None, False, None),                                                             # member omitted (empty)
    # any revoking entry wins
    ([{"id": CREDENTIAL_ID, "revoked": False}, {"id": CREDENTIAL_ID, "revocationReason": "x"}], True, "x"),
])  # fmt: skip
def test_1edtech_revocation_list(entries: Any, revoked: bool, reason: str | None) -> None:
    result = check_vcrl(vcrl(entries))
    assert (result.method, result.set, result.message, result.warnings) == (
        "1EdTechRevocationList",
        revoked,
        reason,
        (),
    )


def test_1edtech_singular_spelling_is_read_with_a_warning() -> None:
    result = check_vcrl(vcrl([{"id": CREDENTIAL_ID}], member="revokedCredential"))
    assert result.set
    assert result.warnings == (
        "the revocation list names its entries 'revokedCredential'; "
        "the specification says 'revokedCredentials'",
    )


@pytest.mark.parametrize(("document", "reason"), [
    (vcrl(["urn:uuid:x"]), "list"),
    (vcrl([{"id": CREDENTIAL_ID, "revoked": "yes"}]), "list"),
    (vcrl([{"revoked": True}]), "list"),
    (vcrl([], issuer="https://someone-else.example/"), "issuer"),
    ("not an object", "list"),
])  # fmt: skip
def test_1edtech_bad_lists(document: Any, reason: str) -> None:
    with pytest.raises(StatusError) as caught:
        check_vcrl(document, policy=StatusPolicy())
    assert caught.value.reason == reason


@pytest.mark.parametrize(("status_entry", "reason"), [
    ({"type": "1EdTechRevocationList"}, "entry"),
    ({"type": "1EdTechRevocationList", "id": ""}, "entry"),
    ({"type": "BitstringStatusListEntry", "id": URL}, "unsupported-type"),
    ("https://issuer.example/revocations", "unsupported-type"),
])  # fmt: skip
def test_1edtech_bad_entries(status_entry: Any, reason: str) -> None:
    with pytest.raises(StatusError) as caught:
        check_revocation_list_entry(
            status_entry, credential_id=CREDENTIAL_ID, issuer=ISSUER, fetch_json=fetch_json_for({})
        )
    assert caught.value.reason == reason


def test_1edtech_list_through_check_credential_status() -> None:
    credential = {
        "id": CREDENTIAL_ID,
        "issuer": {"id": ISSUER, "type": ["Profile"]},
        "credentialStatus": {"id": URL, "type": "1EdTechRevocationList"},
    }

    def never(_: Any) -> None:
        raise AssertionError("1EdTech lists are not verifiable credentials")

    (result,) = check_credential_status(
        credential, fetch_json=fetch_json_for({URL: vcrl([{"id": CREDENTIAL_ID}])}), verify_credential=never
    )
    assert result.invalidates


def test_1edtech_vector_credential_points_at_a_live_list_that_offline_mode_refuses(vectors: Any) -> None:
    # credential-status-revoked.json (VC 1.1) names a list on dc.1edtech.org: never fetched offline
    credential = json.loads(
        (vectors / "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30/"
         "credential-status-revoked.json").read_text()
    )  # fmt: skip
    assert credential["credentialStatus"]["type"] == "1EdTechRevocationList"
    with pytest.raises(StatusError) as caught:
        check_credential_status(credential, fetch_json=fetch_json_for({}), verify_credential=lambda _: None)
    assert (caught.value.reason, caught.value.details["cause"]) == ("retrieval", "offline")
