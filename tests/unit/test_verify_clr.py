"""CLR 2.0: a ClrCredential's own proof and every credential it carries, reported one by one."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import badgekiln
from badgekiln.verification import Report, VerifyOptions
from badgekiln.verification import ob3 as ob3_module
from tests.verify_support import OB_V3, VC_V2, TestIssuer, check_of, outcome

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
LEARNER = "did:example:learner"


def _clr(issuer: TestIssuer, credentials: list[Any], **members: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [VC_V2, CLR_CONTEXT, OB_V3],
        "id": "urn:uuid:6e1d4a0a-0f3b-4c55-8a8f-6d6f5b0c2a11",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": "Example University"},
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "Transcript",
        "credentialSubject": {"id": LEARNER, "type": ["ClrSubject"], "verifiableCredential": credentials},
    }
    document.update(members)
    return document


@pytest.fixture(scope="module")
def university() -> TestIssuer:
    return TestIssuer.did_web("university.example")


@pytest.fixture(scope="module")
def college() -> TestIssuer:
    return TestIssuer.did_web("college.example")


def _achievement(issuer: TestIssuer, **members: Any) -> dict[str, Any]:
    document = issuer.credential(**members)
    document["credentialSubject"]["id"] = LEARNER
    return issuer.sign_di(document)


def _verify(document: dict[str, Any] | str, *issuers: TestIssuer, **options: Any) -> Report:
    documents = {url: body for issuer in issuers for url, body in issuer.documents.items()}
    data = document if isinstance(document, str) else json.dumps(document)
    return badgekiln.verify(data, options=VerifyOptions(documents=documents, offline=True, **options))


def test_a_clr_and_every_credential_it_carries(university: TestIssuer, college: TestIssuer) -> None:
    carried = [_achievement(university), _achievement(college)]
    report = _verify(university.sign_di(_clr(university, carried)), university, college)
    assert report.valid, [c.to_dict() for c in report.checks]
    assert outcome(report, "structure") == ("passed", None)
    assert check_of(report, "credentials").message == "all 2 credential(s) the record carries are valid"
    assert [sub.valid for sub in report.credentials] == [True, True]
    # each is verified on its own: its own issuer, its own identity
    assert [sub.credential.issuer["id"] for sub in report.credentials if sub.credential] == [
        "did:web:university.example",
        "did:web:college.example",
    ]
    assert [sub.issuer_identity.domain for sub in report.credentials if sub.issuer_identity] == [
        "university.example",
        "college.example",
    ]
    assert len(report.to_dict()["credentials"]) == 2


def test_a_clr_as_vc_jwt_carrying_a_vc_jwt(university: TestIssuer, college: TestIssuer) -> None:
    carried = college.sign_jwt(
        {
            **college.credential(),
            "credentialSubject": {**college.credential()["credentialSubject"], "id": LEARNER},
        }
    )
    token = university.sign_jwt(_clr(university, [carried]))
    report = _verify(token, university, college)
    assert report.valid, [c.to_dict() for c in report.checks]
    assert [(sub.format, sub.proof, sub.valid) for sub in report.credentials] == [
        ("jwt", "vc-jwt EdDSA", True)
    ]


def test_one_bad_credential_makes_the_record_not_valid(university: TestIssuer, college: TestIssuer) -> None:
    tampered = _achievement(college)
    tampered["name"] = "Doctorate"  # after signing
    report = _verify(
        university.sign_di(_clr(university, [_achievement(university), tampered])), university, college
    )
    assert not report.valid
    assert outcome(report, "signature") == ("passed", None)  # the record itself is intact
    assert outcome(report, "credentials") == ("failed", "credentials")
    assert check_of(report, "credentials").message == "1 of 2 credential(s) are not valid (#2)"
    assert [sub.valid for sub in report.credentials] == [True, False]
    assert outcome(report.credentials[1], "signature")[0] == "failed"


def test_a_tampered_record_fails_its_own_proof(university: TestIssuer) -> None:
    signed = university.sign_di(_clr(university, [_achievement(university)]))
    forged = copy.deepcopy(signed)
    forged["credentialSubject"]["verifiableCredential"].append(_achievement(university, name="Another"))
    report = _verify(forged, university)
    assert not report.valid
    assert outcome(report, "signature")[0] == "failed"


@pytest.mark.parametrize(
    ("carried", "expected"),
    [
        ([], ("failed", "structure")),  # a ClrSubject records at least one credential
        (None, ("failed", "structure")),
    ],
)
def test_a_record_without_credentials(
    university: TestIssuer, carried: Any, expected: tuple[str, str]
) -> None:
    document = _clr(university, carried)
    if carried is None:
        del document["credentialSubject"]["verifiableCredential"]
    report = _verify(university.sign_di(document), university)
    assert not report.valid
    assert outcome(report, "structure") == expected
    assert "verifiableCredential" in check_of(report, "structure").message
    assert report.credentials == ()


def test_entries_that_are_not_credentials_are_failed_sub_reports(university: TestIssuer) -> None:
    report = _verify(
        university.sign_di(_clr(university, [5, "not.a.jwt", {"name": "not a credential"}])), university
    )
    assert not report.valid
    assert outcome(report, "credentials") == ("failed", "credentials")
    assert len(report.credentials) == 3
    assert all(not sub.valid for sub in report.credentials)
    assert outcome(report.credentials[0], "structure") == ("failed", "endorsement")
    # built without a collector, an unreadable entry's sub-report still says what its issuer rests on
    identities = [sub.issuer_identity for sub in report.credentials]
    assert [(found.basis, found.issuer) if found else None for found in identities] == [("none", None)] * 3


def test_the_number_of_credentials_is_capped(university: TestIssuer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ob3_module, "MAX_CLR_CREDENTIALS", 2)
    carried = [_achievement(university) for _ in range(3)]
    report = _verify(university.sign_di(_clr(university, carried)), university)
    assert not report.valid
    assert len(report.credentials) == 2
    assert outcome(report, "credentials") == ("failed", "too-many")


def test_the_clr_context_is_expected(university: TestIssuer) -> None:
    document = _clr(university, [_achievement(university)], **{"@context": [VC_V2, OB_V3]})
    report = _verify(university.sign_jwt(document), university)  # a VC-JWT: the JSON is what is signed
    assert ("context", "clr-context") in [(d.id, d.code) for d in report.conformance]
    assert report.valid  # a conformance deviation


def test_the_cli_lists_the_credentials(
    university: TestIssuer, college: TestIssuer, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from badgekiln.cli import main

    path = tmp_path / "clr.json"
    path.write_text(json.dumps(university.sign_di(_clr(university, [_achievement(college)]))))
    argv = ["verify", str(path), "--offline"]
    for number, (url, body) in enumerate({**university.documents, **college.documents}.items()):
        file = tmp_path / f"doc{number}.json"
        file.write_bytes(body)
        argv += ["--document", f"{url}={file}"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "  ✓ credentials  all 1 credential(s) the record carries are valid\n" in out
    assert "  credential 1 by did:web:college.example: valid\n" in out


def test_records_inside_records_and_their_endorsements_are_not_followed(
    university: TestIssuer, college: TestIssuer
) -> None:
    """A record of 64 credentials costs 64 proof checks, not 64 × their endorsements, and a
    record inside a record is never followed: the work stays bounded whatever the input."""
    endorsement = college.sign_di(college.endorsement("https://issuer.example/achievements/teamwork"))
    endorsed = _achievement(university, endorsement=[endorsement])
    inner = university.sign_di(_clr(university, [_achievement(university)]))
    report = _verify(university.sign_di(_clr(university, [endorsed, inner])), university, college)
    assert not report.valid
    first, second = report.credentials
    assert first.valid
    assert outcome(first, "endorsements") == ("skipped", "depth")
    assert first.endorsements == ()
    assert not second.valid
    assert outcome(second, "credentials") == ("failed", "nested")
    assert second.credentials == ()
