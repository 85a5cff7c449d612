"""Status and revocation lists secured as VC-JWT (#12 item 3): read only once the token verifies,
by a key tied to the credential's issuer — the same rule as the credential's own key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from badgekiln.errors import StatusError
from badgekiln.fetch import (
    JSON_TYPES,
    JWT_TYPES,
    Fetcher,
    FetchPolicy,
    MockTransport,
    TransportRequest,
    TransportResponse,
)
from badgekiln.status import (
    CompactToken,
    StatusBitstring,
    build_status_entry,
    build_status_list_credential,
    check_revocation_list_entry,
)
from badgekiln.status.result import open_list
from badgekiln.verification import verify
from tests.verify_support import TestIssuer, check_of, outcome

REVOCATION = "https://issuer.example/status/revocation.jwt"
SUSPENSION = "https://issuer.example/status/suspension.jwt"
REVOKED_IDS = "https://issuer.example/status/revoked-ids.jwt"
CREDENTIAL_ID = "urn:uuid:2f2b58e4-5a4c-4f5e-9a43-7d1f1b9a1c01"


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer.did_web(kind="p256")


def _list_jwt(
    signer: TestIssuer, url: str, purpose: str, *, set_bit: int | None = None, **members: Any
) -> bytes:
    bits = StatusBitstring()
    if set_bit is not None:
        bits.set(set_bit, 1)
    document = build_status_list_credential(list_url=url, issuer=signer.id, purpose=purpose, bitstring=bits)
    document["validFrom"] = "2024-01-01T00:00:00Z"
    document.update(members)
    return signer.sign_jwt(document).encode()


def _badge(issuer: TestIssuer) -> str:
    statuses = [
        build_status_entry(list_url=REVOCATION, index=3, purpose="revocation"),
        build_status_entry(list_url=SUSPENSION, index=5, purpose="suspension"),
    ]
    return issuer.sign_jwt(issuer.credential(credentialStatus=statuses))


def _verify(issuer: TestIssuer, lists: Mapping[str, bytes], badge: str | None = None) -> Any:
    return verify(badge or _badge(issuer), offline=True, documents={**issuer.documents, **lists})


def test_vc_jwt_lists_by_the_issuer_are_read(issuer: TestIssuer) -> None:
    # GIVEN revocation and suspension lists secured as VC-JWT by the issuer's key, bits clear
    lists = {
        REVOCATION: _list_jwt(issuer, REVOCATION, "revocation"),
        SUSPENSION: _list_jwt(issuer, SUSPENSION, "suspension"),
    }
    report = _verify(issuer, lists)
    # THEN both are read and the badge is valid
    assert report.valid, [c.message for c in report.failures]
    assert outcome(report, "status")[0] in ("passed", "warning")
    assert "not revoked" in check_of(report, "status").message
    assert "not suspension set" in check_of(report, "status").message


@pytest.mark.parametrize(
    ("purpose", "url", "code"),
    [("revocation", REVOCATION, "revoked"), ("suspension", SUSPENSION, "suspended")],
)
def test_a_set_bit_in_a_vc_jwt_list_invalidates(
    issuer: TestIssuer, purpose: str, url: str, code: str
) -> None:
    index = 3 if purpose == "revocation" else 5
    lists = {
        REVOCATION: _list_jwt(issuer, REVOCATION, "revocation"),
        SUSPENSION: _list_jwt(issuer, SUSPENSION, "suspension"),
    }
    lists[url] = _list_jwt(issuer, url, purpose, set_bit=index)
    report = _verify(issuer, lists)
    assert not report.valid
    assert outcome(report, "status") == ("failed", code)


def _one_list(issuer: TestIssuer, body: bytes) -> Any:
    badge = issuer.sign_jwt(
        issuer.credential(credentialStatus=build_status_entry(list_url=REVOCATION, index=3))
    )
    return _verify(issuer, {REVOCATION: body}, badge)


def test_a_vc_jwt_list_signed_by_a_key_the_issuer_does_not_control_fails(issuer: TestIssuer) -> None:
    # GIVEN a list that claims the issuer (iss, issuer) but is signed by another key it carries
    intruder = TestIssuer.did_web("intruder.example", kind="p256")
    document = build_status_list_credential(
        list_url=REVOCATION, issuer=issuer.id, purpose="revocation", bitstring=StatusBitstring()
    )
    from badgekiln.keys.formats import public_key_to_jwk

    jwk = public_key_to_jwk(intruder.signer.public_key())
    forged = intruder.sign_jwt(document, header={"typ": "JWT", "alg": "ES256", "jwk": jwk}).encode()
    report = _one_list(issuer, forged)
    # THEN the status cannot be trusted: the key is not the issuer's
    assert outcome(report, "status") == ("failed", "verification")
    assert "does not verify" in check_of(report, "status").message
    assert not report.valid


def test_a_vc_jwt_list_of_another_issuer_fails(issuer: TestIssuer) -> None:
    other = TestIssuer.did_web("other.example", kind="p256")
    report = verify(
        issuer.sign_jwt(issuer.credential(credentialStatus=build_status_entry(list_url=REVOCATION, index=3))),
        offline=True,
        documents={
            **issuer.documents,
            **other.documents,
            REVOCATION: _list_jwt(other, REVOCATION, "revocation"),
        },
    )
    assert outcome(report, "status") == ("failed", "issuer")


def test_a_tampered_vc_jwt_list_fails(issuer: TestIssuer) -> None:
    head, _, signature = _list_jwt(issuer, REVOCATION, "revocation").decode().split(".")
    other_payload = _list_jwt(issuer, REVOCATION, "revocation", set_bit=9).decode().split(".")[1]
    report = _one_list(issuer, f"{head}.{other_payload}.{signature}".encode())
    assert outcome(report, "status") == ("failed", "verification")


def test_an_expired_vc_jwt_list_fails(issuer: TestIssuer) -> None:
    body = _list_jwt(issuer, REVOCATION, "revocation", validUntil="2024-06-01T00:00:00Z")
    assert outcome(_one_list(issuer, body), "status") == ("failed", "expired")


def test_claims_that_disagree_with_the_list_fail(issuer: TestIssuer) -> None:
    document = build_status_list_credential(
        list_url=REVOCATION, issuer=issuer.id, purpose="revocation", bitstring=StatusBitstring()
    )
    document["validFrom"] = "2024-01-01T00:00:00Z"
    body = issuer.sign_jwt(document, claims={"iss": "did:web:someone.else"}).encode()
    report = _one_list(issuer, body)
    assert outcome(report, "status") == ("failed", "verification")
    assert "iss" in check_of(report, "status").message


def test_a_vc_jwt_list_served_over_the_network_as_vc_jwt(issuer: TestIssuer) -> None:
    served = {url: ("application/json", body) for url, body in issuer.documents.items()}
    served[REVOCATION] = ("application/vc+jwt", _list_jwt(issuer, REVOCATION, "revocation", set_bit=3))
    served[SUSPENSION] = ("application/jwt", b"\xff\xfe not a token")

    def answer(request: TransportRequest) -> TransportResponse:
        media, body = served[request.url]
        return TransportResponse(200, {"content-type": media}, body)

    transport = MockTransport(answer)
    report = verify(_badge(issuer), fetcher=Fetcher(FetchPolicy(), transport=transport))
    # THEN the revocation list is read, and the broken suspension list is a typed failure
    assert outcome(report, "status") == ("failed", "list")
    assert "serves a token that is not UTF-8" in check_of(report, "status").message
    assert {r.url for r in transport.requests} >= {REVOCATION, SUSPENSION}
    # AND with a sound suspension list, the revocation list served as application/vc+jwt revokes
    served[SUSPENSION] = ("application/jwt", _list_jwt(issuer, SUSPENSION, "suspension"))
    report = verify(_badge(issuer), fetcher=Fetcher(FetchPolicy(), transport=MockTransport(answer)))
    assert outcome(report, "status") == ("failed", "revoked")


def test_a_1edtech_revocation_list_secured_as_vc_jwt(issuer: TestIssuer) -> None:
    # GIVEN a 1EdTechRevocationList served as a VC-JWT by the issuer
    revoked = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": REVOKED_IDS,
        "type": ["VerifiableCredential"],
        "issuer": issuer.id,
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": f"{REVOKED_IDS}#list"},
        "revokedCredentials": [{"id": CREDENTIAL_ID, "revocationReason": "issued in error"}],
    }
    entry = {"id": REVOKED_IDS, "type": "1EdTechRevocationList"}
    badge = issuer.sign_jwt(issuer.credential(credentialStatus=entry))
    report = _verify(issuer, {REVOKED_IDS: issuer.sign_jwt(revoked).encode()}, badge)
    # THEN it is verified, then read: revoked, with its reason
    assert outcome(report, "status") == ("failed", "revoked")
    assert "issued in error" in check_of(report, "status").message
    # AND the same list by a key the issuer does not control is not believed
    intruder = TestIssuer.did_web("intruder.example", kind="p256")
    from badgekiln.keys.formats import public_key_to_jwk

    jwk = public_key_to_jwk(intruder.signer.public_key())
    forged = intruder.sign_jwt(
        {**revoked, "revokedCredentials": []}, header={"typ": "JWT", "alg": "ES256", "jwk": jwk}
    )
    report = _verify(issuer, {REVOKED_IDS: forged.encode()}, badge)
    assert outcome(report, "status") == ("failed", "verification")


# --- the status package's seams -------------------------------------------------------------------


def test_a_token_without_a_verifier_is_not_read_as_a_plain_list() -> None:
    def fetch(url: str) -> Any:
        return CompactToken("eyJ.e30.")

    with pytest.raises(StatusError) as info:
        check_revocation_list_entry(
            {"id": REVOKED_IDS, "type": "1EdTechRevocationList"},
            credential_id=CREDENTIAL_ID,
            issuer="did:web:issuer.example",
            fetch_json=fetch,
        )
    assert (info.value.reason, info.value.details["url"]) == ("list", REVOKED_IDS)


def test_a_verifier_that_opens_no_token_does_not_pass_one() -> None:
    with pytest.raises(StatusError) as info:
        open_list(CompactToken("eyJ.e30."), REVOCATION, lambda document: None, "status list")
    assert info.value.reason == "verification"
    # a JSON list is the credential itself
    assert open_list({"id": REVOCATION}, REVOCATION, lambda document: None, "status list") == {
        "id": REVOCATION
    }


def test_a_pinned_token_is_served_as_the_jwt_type_asked_for() -> None:
    fetcher = Fetcher(FetchPolicy(offline=True), documents={REVOCATION: b" eyJhbGciOiJFUzI1NiJ9.e30.c2ln\n"})
    assert fetcher.get(REVOCATION, accept=(*JSON_TYPES, *JWT_TYPES)).content_type == "application/vc+jwt"
    # asked for JSON only, it is offered as JSON (and then fails to parse as JSON)
    assert fetcher.get(REVOCATION, accept=JSON_TYPES).content_type == "application/ld+json"


def test_a_status_list_2021_credential_secured_as_vc_jwt(issuer: TestIssuer) -> None:
    # GIVEN the legacy StatusList2021 (VC 1.1, the vc claim) secured as a VC-JWT by the issuer
    bits = StatusBitstring()
    bits.set(3, 1)
    status_list = {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
        "id": REVOCATION,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": issuer.id,
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{REVOCATION}#list",
            "type": "StatusList2021",
            "statusPurpose": "revocation",
            "encodedList": bits.encode(),
        },
    }
    entry = {
        "id": f"{REVOCATION}#3",
        "type": "StatusList2021Entry",
        "statusPurpose": "revocation",
        "statusListIndex": "3",
        "statusListCredential": REVOCATION,
    }
    badge = issuer.sign_jwt(issuer.credential(credentialStatus=entry))
    report = _verify(issuer, {REVOCATION: issuer.sign_jwt(status_list, form="vc").encode()}, badge)
    # THEN the token is verified, its vc claim read: revoked
    assert outcome(report, "status") == ("failed", "revoked")
    assert "StatusList2021" in check_of(report, "status").message
