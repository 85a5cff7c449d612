"""Endorsements: OB 2.0 ``Endorsement``s (hosted, verified as the 2.0 rules verify a hosted
assertion) and OB 3.0 ``EndorsementCredential``s (embedded, or verified on their own)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import badgekiln
from badgekiln.keys.formats import b64url_encode, dump_pem_public_key
from badgekiln.keys.local import KeyKind, LocalSigner
from badgekiln.verification import Report
from tests.verify_support import Ob2Endorser, Ob2Issuer, TestIssuer, as_bytes, check_of, outcome

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
    assert outcome(sub, "signature") == ("skipped", "no-jws")  # no id to fetch its JWS from
    assert "no HTTP(S) id" in check_of(sub, "signature").message
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


# --- OB 2.0 signed (JWS) endorsements ------------------------------------------------------------

SIGNED_AT = Ob2Endorser.BASE + "endorsements/2.jws"
SIGNED_ID = Ob2Endorser.ENDORSEMENT_ID
ENDORSER_KEY = Ob2Endorser.KEY


def _verify_signed(
    token: str | bytes | None = None,
    *,
    endorser: Ob2Endorser | None = None,
    ref: Any = SIGNED_AT,
    key: bytes | None = None,
    depth: int | None = None,
    drop: tuple[str, ...] = (),
    **members: Any,
) -> Report:
    """A signed OB 2.0 badge whose assertion names ``ref``, the endorsement JWS served at
    SIGNED_AT (``token``, else the endorser's signature over its endorsement with ``members``)."""
    from badgekiln.verification import VerifyOptions

    endorser = endorser or Ob2Endorser.create()
    issuer = Ob2Issuer.create()
    badge = issuer.sign(issuer.assertion(endorsement=[ref]))
    served = endorser.sign(endorser.endorsement(**members)) if token is None else token
    documents = {**issuer.documents, **endorser.documents}
    documents[SIGNED_AT] = served.encode() if isinstance(served, str) else served
    for url in drop:
        del documents[url]
    options = VerifyOptions(documents=documents, offline=True, key=key)
    if depth is not None:
        options = VerifyOptions(documents=documents, offline=True, endorsement_depth=depth)
    return badgekiln.verify(badge, options=options)


@pytest.mark.parametrize("kind", ["p256", "rsa2048", "ed25519"])
def test_a_signed_endorsement_is_verified_with_the_endorsers_key(kind: KeyKind) -> None:
    report = _verify_signed(endorser=Ob2Endorser.create(kind=kind))
    assert report.valid
    assert outcome(report, "endorsements") == ("passed", None)
    (sub,) = report.endorsements
    assert sub.valid, [c.to_dict() for c in sub.checks]
    alg = {"p256": "ES256", "rsa2048": "RS256", "ed25519": "EdDSA"}[kind]
    assert (sub.spec, sub.proof) == ("ob2", f"jws {alg}")
    assert check_of(sub, "signature").message == f"{alg} signature verified with {ENDORSER_KEY}"
    assert outcome(sub, "issuer") == ("passed", None)
    assert [c.id for c in sub.checks] == ["structure", "signature", "issuer", "issued", "expiry"]
    assert sub.credential is not None
    assert sub.credential.id == SIGNED_ID
    assert sub.credential.issuer == {"id": ENDORSER_PROFILE, "name": "Robotics Guild"}
    assert sub.issuer_identity is not None
    assert sub.issuer_identity.domain == "endorser.example"
    assert report.to_dict()["endorsements"][0]["proof"] == f"jws {alg}"


def test_without_a_creator_every_key_the_endorser_lists_is_tried() -> None:
    endorser = Ob2Endorser.create()
    other = LocalSigner.generate("p256", ENDORSER + "keys/0.json")
    endorser.profile["publicKey"] = [ENDORSER + "keys/0.json", ENDORSER_KEY]
    endorser.documents[ENDORSER_PROFILE] = as_bytes(endorser.profile)
    endorser.documents[ENDORSER + "keys/0.json"] = as_bytes(
        {
            "@context": OB2,
            "type": "CryptographicKey",
            "id": ENDORSER + "keys/0.json",
            "owner": ENDORSER_PROFILE,
            "publicKeyPem": dump_pem_public_key(other.public_key()),
        }
    )
    sub = _verify_signed(endorser=endorser, verification={"type": "SignedBadge"}).endorsements[0]
    assert sub.valid, [c.to_dict() for c in sub.checks]
    assert check_of(sub, "signature").message.endswith(f"verified with {ENDORSER_KEY}")


def test_an_embedded_signed_endorsement_is_checked_against_the_jws_at_its_id() -> None:
    endorser = Ob2Endorser.create()
    document = endorser.endorsement(id=SIGNED_AT)
    sub = _verify_signed(endorser.sign(document), endorser=endorser, ref=document).endorsements[0]
    assert sub.valid, [c.to_dict() for c in sub.checks]
    assert outcome(sub, "structure") == ("passed", None)
    changed = {**document, "claim": {"id": Ob2Issuer.BADGE, "endorsementComment": "Outstanding!"}}
    sub = _verify_signed(endorser.sign(document), endorser=endorser, ref=changed).endorsements[0]
    assert sub.valid  # the signed payload is what is verified
    assert outcome(sub, "structure") == ("warning", "differs")


def test_a_tampered_signed_endorsement_fails() -> None:
    endorser = Ob2Endorser.create()
    head, _, signature = endorser.sign(endorser.endorsement()).split(".")
    forged = endorser.endorsement(claim={"id": Ob2Issuer.BADGE, "endorsementComment": "The best."})
    body = b64url_encode(json.dumps(forged).encode())
    report = _verify_signed(f"{head}.{body}.{signature}", endorser=endorser)
    assert report.valid  # an endorsement never changes the badge's verdict
    assert outcome(report, "endorsements") == ("warning", "endorsements")
    sub = report.endorsements[0]
    assert not sub.valid
    assert outcome(sub, "signature") == ("failed", "signature")
    assert outcome(sub, "issuer") == ("skipped", None)


def test_a_key_the_endorser_does_not_list_is_not_tied() -> None:
    endorser = Ob2Endorser.create()
    intruder = LocalSigner.generate("p256", "https://intruder.example/key.json")
    endorser.documents["https://intruder.example/key.json"] = as_bytes(
        {
            "@context": OB2,
            "type": "CryptographicKey",
            "id": "https://intruder.example/key.json",
            "owner": ENDORSER_PROFILE,  # claims the endorser: the profile's publicKey decides
            "publicKeyPem": dump_pem_public_key(intruder.public_key()),
        }
    )
    document = endorser.endorsement(
        verification={"type": "SignedBadge", "creator": "https://intruder.example/key.json"}
    )
    sub = _verify_signed(endorser.sign(document, intruder), endorser=endorser).endorsements[0]
    assert outcome(sub, "signature")[0] == "passed"
    assert outcome(sub, "issuer") == ("failed", "not-tied")
    assert not sub.valid
    assert sub.issuer_identity is not None
    assert sub.issuer_identity.basis == "none"


def test_the_pinned_issuer_key_never_vouches_for_an_endorsement() -> None:
    """``key=`` pins the badge issuer's key; an endorsement signed with it by someone whose
    profile does not list it is still not tied."""
    issuer = Ob2Issuer.create()
    endorser = Ob2Endorser.create()
    document = endorser.endorsement(verification={"type": "SignedBadge", "creator": Ob2Issuer.KEY})
    token = endorser.sign(document, issuer.signer)
    badge = issuer.sign(issuer.assertion(endorsement=[SIGNED_AT]))
    documents = {**issuer.documents, **endorser.documents, SIGNED_AT: token.encode()}
    pem = dump_pem_public_key(issuer.signer.public_key()).encode()
    report = badgekiln.verify(badge, documents=documents, offline=True, key=pem)
    assert report.valid
    assert check_of(report, "issuer").message == "the issuer's key was pinned by the caller"
    sub = report.endorsements[0]
    assert outcome(sub, "issuer") == ("failed", "not-tied")
    assert "pinned" not in check_of(sub, "issuer").message


@pytest.mark.parametrize(
    ("members", "check", "code"),
    [
        ({"expires": "2024-03-01T00:00:00Z"}, "expiry", "expired"),
        ({"issuedOn": "2999-01-01T00:00:00Z"}, "issued", "not-yet-valid"),
        ({"verification": {"type": "HostedBadge"}}, "structure", "structure"),
        ({"claim": "https://badges.example/"}, "structure", "structure"),
        ({"issuer": "https://other.example/profile.json"}, "issuer", "offline"),
        ({"revoked": True}, "status", "revoked"),
    ],
)
def test_a_bad_signed_endorsement(members: dict[str, Any], check: str, code: str) -> None:
    report = _verify_signed(**members)
    assert report.valid
    sub = report.endorsements[0]
    assert not sub.valid
    status, found = outcome(sub, check)
    assert (status in ("failed", "skipped"), found) == (True, code)


def test_a_signed_endorsement_revoked_in_the_endorsers_revocation_list() -> None:
    listed = Ob2Endorser.create(revoked=({"id": SIGNED_ID, "revocationReason": "withdrawn"},))
    sub = _verify_signed(endorser=listed).endorsements[0]
    assert outcome(sub, "signature")[0] == "passed"
    assert outcome(sub, "status") == ("failed", "revoked")
    assert "withdrawn" in check_of(sub, "status").message
    clean = Ob2Endorser.create(revoked=("urn:uuid:someone-else",))
    sub = _verify_signed(endorser=clean).endorsements[0]
    assert sub.valid
    assert outcome(sub, "status") == ("passed", None)


def test_offline_without_the_endorsers_documents_nothing_is_passed() -> None:
    sub = _verify_signed(drop=(SIGNED_AT,)).endorsements[0]
    assert outcome(sub, "hosted") == ("skipped", "offline")
    sub = _verify_signed(drop=(ENDORSER_PROFILE, ENDORSER_KEY)).endorsements[0]
    assert outcome(sub, "signature") == ("skipped", "offline")
    assert outcome(sub, "issuer") == ("skipped", "offline")
    assert not sub.valid
    sub = _verify_signed(drop=(ENDORSER_PROFILE,)).endorsements[0]
    assert outcome(sub, "signature")[0] == "passed"  # the creator key was there …
    assert outcome(sub, "issuer") == ("skipped", "offline")  # … but nothing ties it to the endorser
    assert not sub.valid


@pytest.mark.parametrize(
    ("served", "code"),
    [
        ("eyJub3QganNvbg.e30.AA", "json"),  # header is not JSON
        ("eyJhbGciOiJFUzI1NiJ9.WzFd.AA", "json"),  # payload is [1], not an object
        ("eyJhbGciOiJFUzI1NiJ9.e30", "jws"),  # two parts
        ("eyJhbGciOiJFUzI1NiJ9.a.b.c.d", "jws"),  # five: a JWE
        ("eyJhbGciOiJub25lIn0." + b64url_encode(b'{"type": "Endorsement"}') + ".", "alg"),
        ("eyJhbGciOiJFUzI1NiIsImNyaXQiOlsiYjY0Il19.e30.AA", "crit"),
        ("eyJ" + "A" * 300_000 + ".e30.AA", "input-too-large"),
    ],
)
def test_a_malformed_signed_endorsement_is_a_typed_failure(served: str, code: str) -> None:
    report = _verify_signed(served)
    assert report.valid
    sub = report.endorsements[0]
    assert not sub.valid
    failed = [c for c in sub.checks if c.status == "failed"]
    assert failed, [c.to_dict() for c in sub.checks]
    assert code in {c.code for c in failed}, [c.to_dict() for c in sub.checks]


def test_a_token_that_is_not_utf8_over_http() -> None:
    from badgekiln.fetch import Fetcher, FetchPolicy, StaticTransport, TransportResponse
    from badgekiln.verification import VerifyOptions

    issuer = Ob2Issuer.create()
    badge = issuer.sign(issuer.assertion(endorsement=[SIGNED_AT]))
    binary = TransportResponse(200, {"content-type": "application/jwt"}, b"eyJ\xff\xfe.x.y")
    fetcher = Fetcher(
        FetchPolicy(), documents=issuer.documents, transport=StaticTransport({SIGNED_AT: binary})
    )
    sub = badgekiln.verify(badge, options=VerifyOptions(fetcher=fetcher)).endorsements[0]
    assert outcome(sub, "signature") == ("failed", "jws")


def test_hosted_json_must_be_served_as_json() -> None:
    from badgekiln.fetch import Fetcher, FetchPolicy, StaticTransport, TransportResponse
    from badgekiln.verification import VerifyOptions

    issuer = Ob2Issuer.create()
    _, documents = issuer.hosted(ASSERTION, endorsement=[ENDORSEMENT])
    documents.update(_endorser_documents())
    body = documents.pop(ENDORSEMENT)
    for content_type, expected in (
        ("application/ld+json", ("passed", None)),
        ("text/plain", ("failed", "content-type")),
    ):
        answer = TransportResponse(200, {"content-type": content_type}, body)
        fetcher = Fetcher(
            FetchPolicy(), documents=documents, transport=StaticTransport({ENDORSEMENT: answer})
        )
        sub = badgekiln.verify(ASSERTION, options=VerifyOptions(fetcher=fetcher)).endorsements[0]
        assert outcome(sub, "hosted") == expected


def test_signed_endorsements_without_a_jws_are_skipped() -> None:
    endorser = Ob2Endorser.create()
    document = endorser.endorsement(id=SIGNED_AT)
    # an embedded signed endorsement whose id serves JSON: no JWS to check
    sub = _verify_signed(as_bytes(document), endorser=endorser, ref=document).endorsements[0]
    assert outcome(sub, "signature") == ("skipped", "no-jws")
    assert "serves it as JSON" in check_of(sub, "signature").message
    # a URL serving a JSON Endorsement that says SignedBadge
    sub = _verify_signed(as_bytes(document), endorser=endorser).endorsements[0]
    assert outcome(sub, "signature") == ("skipped", "no-jws")
    assert not sub.valid


@pytest.mark.parametrize("kind", [["SignedBadge"], {"type": "SignedBadge"}, 7, None])
def test_a_verification_type_of_any_json_shape_is_a_structure_failure(kind: Any) -> None:
    endorser = Ob2Endorser.create()
    document = endorser.endorsement(id=SIGNED_AT, verification={"type": kind})
    for served in (as_bytes(document), endorser.sign(document)):
        sub = _verify_signed(served, endorser=endorser, ref=document).endorsements[0]
        assert outcome(sub, "structure") == ("failed", "structure")
        assert not sub.valid


def test_a_jws_written_in_place_of_an_endorsement_is_no_ob2_form() -> None:
    endorser = Ob2Endorser.create()
    token = endorser.sign(endorser.endorsement())
    sub = _verify_signed(ref=token, endorser=endorser).endorsements[0]
    assert outcome(sub, "structure") == ("failed", "inline-jws")
    assert not sub.valid


def test_the_endorsement_depth_cap_holds_for_signed_endorsements() -> None:
    report = _verify_signed(depth=0)
    assert report.valid
    assert outcome(report, "endorsements") == ("skipped", "depth")
    assert report.endorsements == ()


def test_the_cli_lists_a_signed_endorsement(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from badgekiln.cli import main

    endorser = Ob2Endorser.create()
    issuer = Ob2Issuer.create()
    (tmp_path / "badge.jws").write_text(issuer.sign(issuer.assertion(endorsement=[SIGNED_AT])))
    documents = {**issuer.documents, **endorser.documents}
    documents[SIGNED_AT] = endorser.sign(endorser.endorsement()).encode()
    argv = ["verify", str(tmp_path / "badge.jws"), "--offline"]
    for number, (url, body) in enumerate(documents.items()):
        (tmp_path / f"doc{number}").write_bytes(body)
        argv.append(f"--document={url}={tmp_path / f'doc{number}'}")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"  endorsement 1 by {ENDORSER_PROFILE}: valid\n" in out
    assert main([*argv, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["endorsements"][0]["proof"] == "jws ES256"


def test_the_verify_page_renders_a_signed_endorsement() -> None:
    from badgekiln.web.claims import Claims
    from badgekiln.web.view import Picture, build_view
    from tests.web_support import verify_page

    report = _verify_signed()
    claims = Claims(spec="ob2", id="urn:uuid:x", name="Robotics", issuer_name="Badges Example")
    view = build_view(report, claims, Picture(None, "x"))
    assert view.endorsements == 1
    body = verify_page(view, "https://badges.example/v/x")
    assert "<dd>1 checked (listed under Checks)</dd>" in body
    assert "1 endorsement(s) verified" in body


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
