"""Endorsements: OB 2.0 ``Endorsement``s (hosted, verified as the 2.0 rules verify a hosted
assertion) and OB 3.0 ``EndorsementCredential``s (embedded, or verified on their own)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import badgekiln
from badgekiln.verification import Report
from tests.verify_support import Ob2Issuer, TestIssuer, as_bytes, check_of, outcome

OB2 = "https://w3id.org/openbadges/v2"
ASSERTION = Ob2Issuer.BASE + "assertions/1.json"
ENDORSER = "https://endorser.example/"
ENDORSER_PROFILE = ENDORSER + "profile.json"
ENDORSEMENT = ENDORSER + "endorsements/1.json"


def _endorser_documents(**members: Any) -> dict[str, bytes]:
    profile = {"@context": OB2, "type": "Issuer", "id": ENDORSER_PROFILE, "name": "Robotics Guild"}
    endorsement = {
        "@context": OB2,
        "type": "Endorsement",
        "id": ENDORSEMENT,
        "claim": {"id": Ob2Issuer.BADGE, "endorsementComment": "A rigorous badge."},
        "issuer": ENDORSER_PROFILE,
        "issuedOn": "2024-02-01T00:00:00Z",
        "verification": {"type": "HostedBadge"},
        **members,
    }
    return {ENDORSER_PROFILE: as_bytes(profile), ENDORSEMENT: as_bytes(endorsement)}


def _verify(endorsement: Any = ENDORSEMENT, *, where: str = "assertion", **served: Any) -> Report:
    """A hosted OB 2.0 badge carrying ``endorsement`` on its assertion, BadgeClass or issuer."""
    issuer = Ob2Issuer.create()
    members = {"endorsement": [endorsement]} if where == "assertion" else {}
    _assertion, documents = issuer.hosted(ASSERTION, **members)
    if where == "badge":
        badge = json.loads(documents[Ob2Issuer.BADGE])
        documents[Ob2Issuer.BADGE] = as_bytes({**badge, "endorsement": endorsement})
    elif where == "issuer":
        documents[Ob2Issuer.PROFILE] = as_bytes({**issuer.profile, "endorsement": [endorsement]})
    documents.update(_endorser_documents(**served.pop("members", {})))
    documents.update(served)
    return badgekiln.verify(ASSERTION, documents=documents, offline=True)


@pytest.mark.parametrize("where", ["assertion", "badge", "issuer"])
def test_ob2_endorsement_is_verified(where: str) -> None:
    report = _verify(where=where)
    assert report.valid
    assert outcome(report, "endorsements") == ("passed", None)
    (sub,) = report.endorsements
    assert sub.valid, [c.to_dict() for c in sub.checks]
    assert (sub.spec, sub.proof) == ("ob2", "hosted")
    assert sub.credential is not None
    assert sub.credential.issuer == {"id": ENDORSER_PROFILE, "name": "Robotics Guild"}
    assert sub.issuer_identity is not None
    assert sub.issuer_identity.domain == "endorser.example"
    assert report.to_dict()["endorsements"][0]["valid"] is True


def test_an_embedded_endorsement_is_checked_against_its_hosted_copy() -> None:
    embedded = json.loads(_endorser_documents()[ENDORSEMENT])
    assert _verify(embedded).endorsements[0].valid
    changed = {**embedded, "claim": {"id": Ob2Issuer.BADGE, "endorsementComment": "Outstanding!"}}
    sub = _verify(changed).endorsements[0]
    assert sub.valid  # the hosted copy is authoritative
    assert outcome(sub, "hosted") == ("warning", "differs")


@pytest.mark.parametrize(
    ("served", "check", "code"),
    [
        ({ENDORSEMENT: b"[1]"}, "hosted", "hosted"),
        ({"members": {"revoked": True}}, "status", "revoked"),
        ({"members": {"id": ENDORSER + "elsewhere.json"}}, "hosted", "id-mismatch"),
        ({"members": {"expires": "2024-03-01T00:00:00Z"}}, "expiry", "expired"),
        ({"members": {"claim": "https://badges.example/"}}, "structure", "structure"),
        ({"members": {"issuedOn": "yesterday"}}, "structure", "structure"),
        ({"members": {"issuer": "https://other.example/profile.json"}}, "issuer", None),
        (
            {ENDORSER_PROFILE: as_bytes({"@context": OB2, "type": "Badge", "id": ENDORSER_PROFILE})},
            "issuer",
            "profile",
        ),
    ],
)
def test_a_bad_endorsement_never_changes_the_badge_verdict(
    served: dict[str, Any], check: str, code: str | None
) -> None:
    report = _verify(**served)
    assert report.valid
    assert outcome(report, "endorsements") == ("warning", "endorsements")
    (sub,) = report.endorsements
    assert not sub.valid
    status, found = outcome(sub, check)
    assert status == "failed" or (status == "skipped" and code is None)
    if code is not None:
        assert found == code


def test_an_endorsement_outside_its_issuer_scope() -> None:
    other = "https://mirror.example/endorsement.json"
    report = _verify(other, **{other: _endorser_documents(id=other)[ENDORSEMENT]})
    sub = report.endorsements[0]
    assert outcome(sub, "issuer") == ("failed", "scope")


def test_a_withdrawn_endorsement_is_revoked() -> None:
    from badgekiln.fetch import Fetcher, FetchPolicy, StaticTransport, TransportResponse
    from badgekiln.verification import VerifyOptions

    issuer = Ob2Issuer.create()
    _, documents = issuer.hosted(ASSERTION, endorsement=[ENDORSEMENT])
    documents.update(_endorser_documents())
    del documents[ENDORSEMENT]

    gone = TransportResponse(410, {"content-type": "application/json"}, b"{}")
    fetcher = Fetcher(FetchPolicy(), documents=documents, transport=StaticTransport({ENDORSEMENT: gone}))
    report = badgekiln.verify(ASSERTION, options=VerifyOptions(fetcher=fetcher))
    sub = report.endorsements[0]
    assert outcome(sub, "hosted") == ("failed", "gone")
    assert outcome(sub, "status") == ("failed", "revoked")


def test_unverifiable_endorsements_say_why() -> None:
    signed = {"type": "Endorsement", "verification": {"type": "SignedBadge"}, "claim": {"id": "x"}}
    sub = _verify(signed).endorsements[0]
    assert outcome(sub, "signature") == ("skipped", "unsupported")
    assert not sub.valid
    assert outcome(_verify({"type": "Endorsement", "id": "urn:uuid:1"}).endorsements[0], "hosted") == (
        "failed",
        "no-url",
    )
    missing = _verify("https://endorser.example/gone.json").endorsements[0]
    assert outcome(missing, "hosted")[0] == "skipped"  # offline: could not be retrieved
    assert "could not be retrieved" in check_of(missing, "hosted").message


def test_endorsement_depth_zero_verifies_none() -> None:
    from badgekiln.verification import VerifyOptions

    issuer = Ob2Issuer.create()
    _, documents = issuer.hosted(ASSERTION, endorsement=[ENDORSEMENT])
    documents.update(_endorser_documents())
    report = badgekiln.verify(
        ASSERTION, options=VerifyOptions(documents=documents, offline=True, endorsement_depth=0)
    )
    assert report.valid
    assert outcome(report, "endorsements") == ("skipped", "depth")
    assert report.endorsements == ()


def test_signed_assertion_endorsements() -> None:
    issuer = Ob2Issuer.create()
    token = issuer.sign(issuer.assertion(endorsement=[ENDORSEMENT]))
    report = badgekiln.verify(token, documents={**issuer.documents, **_endorser_documents()}, offline=True)
    assert report.valid
    assert [sub.valid for sub in report.endorsements] == [True]


# --- OB 3.0 ---------------------------------------------------------------------------------------


def test_an_endorsement_credential_on_its_own() -> None:
    """An EndorsementCredential given as input is verified like any credential."""
    endorser = TestIssuer.did_web("endorser.example")
    endorsement = endorser.sign_di(endorser.endorsement("https://issuer.example/achievements/teamwork"))
    report = badgekiln.verify(json.dumps(endorsement), documents=endorser.documents, offline=True)
    assert report.valid
    assert check_of(report, "structure").message == "a well-formed EndorsementCredential (VC 2.0)"
    assert report.issuer_identity is not None
    assert report.issuer_identity.domain == "endorser.example"
    tampered = {**endorsement, "name": "Changed"}
    report = badgekiln.verify(json.dumps(tampered), documents=endorser.documents, offline=True)
    assert outcome(report, "signature")[0] == "failed"


def test_an_endorsement_credential_needs_its_subject_id() -> None:
    endorser = TestIssuer.did_web("endorser.example")
    document = endorser.endorsement("https://issuer.example/achievements/teamwork")
    del document["credentialSubject"]["id"]
    report = badgekiln.verify(
        json.dumps(endorser.sign_di(document)), documents=endorser.documents, offline=True
    )
    assert not report.valid
    assert outcome(report, "structure") == ("failed", "structure")
