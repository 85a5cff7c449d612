"""Open Badges 0.5, 1.0 and 1.1: hosted and signed, verified as the 2.0 model (verification.legacy)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

import badgekiln
from badgekiln.errors import BadgeKilnError, FetchFailed
from badgekiln.fetch import (
    Fetcher,
    FetchPolicy,
    MockTransport,
    StaticTransport,
    TransportRequest,
    TransportResponse,
)
from badgekiln.verification import Report
from tests.verify_support import (
    OB1_CONTEXT,
    Ob1Issuer,
    Ob2Issuer,
    as_bytes,
    check_of,
    ob05_assertion,
    outcome,
)

URL = Ob1Issuer.BASE + "assertions/1.json"
OB05_URL = "https://old.example/assertions/05.json"


def _verify(data: str | bytes, documents: dict[str, bytes], **options: Any) -> Report:
    return badgekiln.verify(data, offline=True, documents=documents, **options)


def _not_ok(report: Report) -> dict[str, str]:
    return {check.id: check.status for check in report.checks if check.status != "passed"}


@pytest.fixture(scope="module", params=["1.0", "1.1"])
def issuer(request: pytest.FixtureRequest) -> Ob1Issuer:
    return Ob1Issuer.create(request.param)


# --- hosted ---------------------------------------------------------------------------------------


def test_hosted_from_its_url_its_json_or_a_baked_image(issuer: Ob1Issuer, vectors: Path) -> None:
    assertion, documents = issuer.hosted(URL)
    blank = vectors / "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png"
    baked = badgekiln.bake(blank.read_bytes(), json.dumps(assertion))
    for data in (URL, json.dumps(assertion), baked):
        report = _verify(data, documents, recipient="ann@example.org")
        assert (report.valid, report.spec, report.proof) == (True, "ob1", "hosted"), report.to_dict()
        assert [c.id for c in report.checks] == [
            "version",
            *(["context"] if issuer.version == "1.1" else []),
            "structure",
            "hosted",
            "issuer",
            "status",
            "issued",
            "expiry",
            "recipient",
        ]
    assert f"an Open Badges {issuer.version} assertion" in check_of(report, "version").message
    summary = report.credential
    assert summary is not None
    assert (summary.id, summary.issuer, summary.achievement["name"], summary.issued) == (
        URL,
        {"id": Ob1Issuer.ISSUER, "name": "Old Issuer"},
        "Robotics",
        "2015-04-30",
    )


def test_the_hosted_copy_is_authoritative(issuer: Ob1Issuer) -> None:
    assertion, documents = issuer.hosted(URL)
    # a given copy that differs (here: the 0.5-style bare recipient) is a warning
    report = _verify(json.dumps({**assertion, "recipient": "ann@example.org"}), documents)
    assert report.valid
    assert outcome(report, "hosted") == ("warning", "differs")
    # the served copy must name the URL it was fetched from
    misnamed = (
        {**assertion, "id": URL + "x"}
        if issuer.version == "1.1"
        else {**assertion, "verify": {"type": "hosted", "url": URL + "x"}}
    )
    report = _verify(URL, {**documents, URL: as_bytes(misnamed)})
    assert outcome(report, "hosted") == ("failed", "id-mismatch")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            TransportResponse(410, {"content-type": "application/json"}, b'{"revoked": true}'),
            {"hosted": "failed", "status": "failed"},
        ),
        (TransportResponse(404, {"content-type": "text/plain"}), {"hosted": "failed"}),
        (TransportResponse(200, {"content-type": "text/html"}, b"<html/>"), {"hosted": "failed"}),
    ],
)
def test_gone_and_missing_hosted_copies(
    issuer: Ob1Issuer, answer: TransportResponse, expected: dict[str, str]
) -> None:
    assertion, _ = issuer.hosted(URL)
    fetcher = Fetcher(FetchPolicy(), documents=issuer.documents, transport=StaticTransport({URL: answer}))
    report = badgekiln.verify(json.dumps(assertion), fetcher=fetcher)
    assert (report.spec, _not_ok(report)) == ("ob1", expected)


def test_a_retired_host_could_not_be_retrieved_not_a_refused_version(issuer: Ob1Issuer) -> None:
    assertion, _ = issuer.hosted(URL)

    def gone(request: TransportRequest) -> TransportResponse:
        raise FetchFailed(f"{request.url}: the name does not resolve", reason="dns")

    report = badgekiln.verify(
        json.dumps(assertion), fetcher=Fetcher(FetchPolicy(), transport=MockTransport(gone))
    )
    assert (report.valid, report.spec, outcome(report, "hosted")) == (False, "ob1", ("failed", "dns"))
    assert check_of(report, "hosted").message.startswith(
        f"the hosted assertion could not be retrieved from {URL}"
    )
    # offline, the same badge is not checked rather than failed
    assert outcome(_verify(json.dumps(assertion), {}), "hosted") == ("skipped", "offline")


def test_a_revoked_flag_in_the_served_copy(issuer: Ob1Issuer) -> None:
    _, documents = issuer.hosted(URL, revoked=True, revocationReason="issued in error")
    report = _verify(URL, documents)
    assert _not_ok(report) == {"hosted": "failed", "status": "failed"}
    assert check_of(report, "status").message == "revoked by its issuer (issued in error)"


@pytest.mark.parametrize(
    ("url", "badge_url", "expected"),
    [
        ("https://elsewhere.example/a/1.json", None, ("failed", "scope")),
        (URL, "https://elsewhere.example/badge.json", ("failed", "scope")),
    ],
)
def test_hosted_scope_is_the_issuers_host(url: str, badge_url: str | None, expected: tuple[str, str]) -> None:
    issuer = Ob1Issuer.create("1.0")
    members = {"badge": badge_url} if badge_url else {}
    _, documents = issuer.hosted(url, **members)
    if badge_url:
        documents[badge_url] = documents[Ob1Issuer.BADGE]
    assert outcome(_verify(url, documents), "issuer") == expected


def test_revocation_lists_of_1x_issuers() -> None:
    revoked = Ob1Issuer.create("1.0", revoked={"abc123": "Issued in error", "other": "x"})
    _, documents = revoked.hosted(URL)
    report = _verify(URL, documents)
    assert outcome(report, "status") == ("failed", "revoked")
    assert (
        "revoked by its issuer (Issued in error): listed in https://old.example/revoked.json"
        in check_of(report, "status").message
    )
    kept = Ob1Issuer.create("1.1", revoked={"someone-else": "x"})
    _, documents = kept.hosted(URL)
    assert _verify(URL, documents).valid
    # an issuer that moved to the 2.0 RevocationList is read as one, by id
    moved = Ob1Issuer.create(
        "1.1",
        revoked={
            "@context": "https://w3id.org/openbadges/v2",
            "type": "RevocationList",
            "revokedAssertions": [URL],
        },
    )
    _, documents = moved.hosted(URL)
    assert outcome(_verify(URL, documents), "status") == ("failed", "revoked")
    broken = Ob1Issuer.create("1.0", revoked={"abc123": 7})
    _, documents = broken.hosted(URL)
    assert outcome(_verify(URL, documents), "status") == ("failed", "list")


def test_a_legacy_badge_whose_host_now_serves_2_0() -> None:
    # issuers upgraded their hosting: the served 2.0 copy is verified, and differs from the baked 1.0 one
    ob2 = Ob2Issuer.create()
    url = Ob2Issuer.BASE + "assertions/upgraded.json"
    _, documents = ob2.hosted(url)
    old = Ob1Issuer.create("1.0").assertion(url)
    report = _verify(json.dumps(old), documents)
    assert (report.valid, report.spec, outcome(report, "hosted")) == (True, "ob2", ("warning", "differs"))


# --- 0.5 ------------------------------------------------------------------------------------------


def test_0_5_is_verified_where_it_is_hosted_on_its_issuers_origin() -> None:
    assertion = ob05_assertion()
    report = _verify(OB05_URL, {OB05_URL: as_bytes(assertion)}, recipient="ann@example.org")
    assert (report.valid, report.spec) == (True, "ob1"), report.to_dict()
    assert (
        "hosted on the issuer's origin https://old.example (0.5 rule)" in check_of(report, "issuer").message
    )
    assert check_of(report, "version").message.startswith("an Open Badges 0.5 assertion")
    # the 0.5 rule: "Must match the origin of the hosted assertion"
    report = _verify(OB05_URL, {OB05_URL: as_bytes(ob05_assertion("https://other.example"))})
    assert outcome(report, "issuer") == ("failed", "scope")
    report = _verify(OB05_URL, {OB05_URL: as_bytes(ob05_assertion("old.example"))})
    assert _not_ok(report) == {"structure": "failed", "issuer": "failed"}
    # given as JSON, a 0.5 badge names no URL: nothing vouches for it
    report = _verify(json.dumps(assertion), {})
    assert (report.spec, _not_ok(report)) == ("ob1", {"hosted": "failed"})
    assert outcome(report, "hosted") == ("failed", "no-url")


def test_0_5_hashed_recipients() -> None:
    from badgekiln.verification.recipient import hash_identity

    hashed, salt = hash_identity("ann@example.org", salt="sel gris")
    assertion = ob05_assertion(recipient=hashed, salt=salt)
    documents = {OB05_URL: as_bytes(assertion)}
    assert outcome(_verify(OB05_URL, documents, recipient="ann@example.org"), "recipient")[0] == "passed"
    assert outcome(_verify(OB05_URL, documents, recipient="bob@example.org"), "recipient") == (
        "failed",
        "recipient-mismatch",
    )


# --- signed ---------------------------------------------------------------------------------------


def test_signed(issuer: Ob1Issuer) -> None:
    token = issuer.sign(issuer.assertion())
    report = _verify(token, issuer.documents, recipient="ann@example.org")
    assert (report.valid, report.spec, report.proof) == (True, "ob1", "jws RS256"), report.to_dict()
    assert check_of(report, "issuer").message == (
        "the key https://old.example/public-key.pem is published on the issuer's origin https://old.example"
    )
    # the bare payload of a signed badge carries no signature
    report = _verify(json.dumps(issuer.assertion()), issuer.documents)
    assert outcome(report, "signature") == ("failed", "no-proof")


def test_signed_key_must_be_on_the_issuers_origin() -> None:
    issuer = Ob1Issuer.create("1.0")
    elsewhere = "https://keys.example/public-key.pem"
    documents = {**issuer.documents, elsewhere: issuer.documents[Ob1Issuer.KEY]}
    report = _verify(issuer.sign(issuer.assertion(verify={"type": "signed", "url": elsewhere})), documents)
    assert outcome(report, "signature")[0] == "passed"
    assert outcome(report, "issuer") == ("failed", "not-tied")
    assert not report.valid
    # a pinned key stands for the issuer
    pem = issuer.documents[Ob1Issuer.KEY]
    pinned = _verify(
        issuer.sign(issuer.assertion(verify={"type": "signed", "url": elsewhere})), documents, key=pem
    )
    assert pinned.valid
    assert check_of(pinned, "issuer").message == "the issuer's key was pinned by the caller"


def test_signed_key_documents() -> None:
    issuer = Ob1Issuer.create("1.0")
    token = issuer.sign(issuer.assertion())
    as_json_key = {
        "type": "CryptographicKey",
        "id": Ob1Issuer.KEY,
        "publicKeyPem": issuer.documents[Ob1Issuer.KEY].decode(),
    }
    assert _verify(token, {**issuer.documents, Ob1Issuer.KEY: as_bytes(as_json_key)}).valid
    for broken in (
        b'{"publicKeyPem": 5}',
        b"-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n",
        b"[]",
    ):
        report = _verify(token, {**issuer.documents, Ob1Issuer.KEY: broken})
        assert outcome(report, "signature")[0] == "failed", broken
        assert outcome(report, "issuer") == ("skipped", None)
    other = Ob1Issuer.create("1.0")
    report = _verify(other.sign(issuer.assertion()), issuer.documents)  # signed by someone else
    assert outcome(report, "signature") == ("failed", "signature")


def test_signed_revocation_list() -> None:
    issuer = Ob1Issuer.create("1.0", revoked={"abc123": "Cheated"})
    report = _verify(issuer.sign(issuer.assertion()), issuer.documents)
    assert outcome(report, "status") == ("failed", "revoked")


# --- structure, context, dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ({"recipient": "ann@example.org"}, "recipient must be an IdentityObject, not str (the 0.5 form)"),
        ({"recipient": {"identity": "ann@example.org", "hashed": False}}, "recipient.type is required"),
        (
            {"recipient": {"type": "email", "identity": "a@b.example", "hashed": "no"}},
            "recipient.hashed must be true or false",
        ),
        ({"issuedOn": "2015-04-31"}, "issuedOn is '2015-04-31', not a valid date"),
        ({"expires": "soon"}, "expires is 'soon', not an ISO 8601 date"),
        (
            {"verify": {"type": "HostedBadge", "url": URL}},
            "verify.type is 'HostedBadge', not 'hosted' or 'signed'",
        ),
    ],
)
def test_structure_problems(members: dict[str, Any], problem: str) -> None:
    issuer = Ob1Issuer.create("1.0")
    _, documents = issuer.hosted(URL, **members)
    report = _verify(URL, documents)
    assert outcome(report, "structure") == ("failed", "structure")
    assert problem in check_of(report, "structure").message
    assert not report.valid


@pytest.mark.parametrize(
    ("version", "members", "served_badge_class", "code"),
    [
        ("1.0", {"uid": None}, None, "no-uid"),
        ("1.0", {"issuedOn": None}, None, "no-start"),
        ("1.0", {}, {"issuer": Ob1Issuer.ISSUER, "type": "Issuer"}, "badgeclass-type"),
    ],
)
def test_conformance_deviations_are_warnings_unless_strict(
    version: str, members: dict[str, Any], served_badge_class: dict[str, Any] | None, code: str
) -> None:
    """What the 1.x schemas require but trust does not rest on is conformance, as for 2.0."""
    issuer = Ob1Issuer.create(version)
    _, documents = issuer.hosted(URL, **members)
    if served_badge_class is not None:
        documents[Ob1Issuer.BADGE] = as_bytes(served_badge_class)
    report = _verify(URL, documents)
    assert outcome(report, "structure") == ("warning", code)
    assert report.valid
    assert [check.code for check in report.conformance] == [code]
    strict = _verify(URL, documents, strict=True)
    assert outcome(strict, "structure") == ("failed", code)
    assert not strict.valid


def test_1_1_terms_must_be_defined_by_the_context() -> None:
    issuer = Ob1Issuer.create("1.1")
    _, documents = issuer.hosted(URL, verification={"type": "HostedBadge"}, snood="a video game")
    report = _verify(URL, documents)
    # the hosted JSON is what the issuer vouches for: an undefined term is conformance
    assert outcome(report, "context") == ("warning", "undefined-term")
    assert report.valid
    assert outcome(_verify(URL, documents, strict=True), "context") == ("failed", "undefined-term")
    # 1.0 is plain JSON: extra properties are allowed
    _, documents = Ob1Issuer.create("1.0").hosted(URL, snood="a video game")
    assert _verify(URL, documents).valid
    _, documents = issuer.hosted(URL, **{"@context": [OB1_CONTEXT, {"snood": "https://example.org/snood"}]})
    assert outcome(_verify(URL, documents), "context") == ("warning", "inline-context")


def test_1x_dates_and_expiry() -> None:
    issuer = Ob1Issuer.create("1.0")
    _, documents = issuer.hosted(URL, issuedOn=1399404880, expires="2016-01-01")
    report = _verify(URL, documents)
    assert _not_ok(report) == {"expiry": "failed"}
    assert outcome(report, "expiry") == ("failed", "expired")


# --- hostile shapes ---------------------------------------------------------------------------------

HOSTILE: list[Any] = [None, 0, True, "", "x", [], [{}], {}, {"type": None}, {"url": 5}, 1e308, "ftp://x"]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
@pytest.mark.parametrize(
    "member", ["uid", "recipient", "badge", "verify", "issuedOn", "expires", "salt", "id", "type"]
)
def test_hostile_members_give_a_report_or_a_typed_error(member: str, value: Any) -> None:
    issuer = Ob1Issuer.create("1.1") if member in ("id", "type") else HOSTILE_ISSUER
    document = {**issuer.assertion(URL), member: value}
    for data, documents in (
        (json.dumps(document), {**issuer.documents, URL: as_bytes(document)}),
        (URL, {**issuer.documents, URL: as_bytes(document)}),
    ):
        try:
            report = _verify(data, documents)
        except BadgeKilnError:
            continue
        json.dumps(report.to_dict())
    hostile_05 = ob05_assertion(**{member: value})
    with contextlib.suppress(BadgeKilnError):
        _verify(OB05_URL, {OB05_URL: as_bytes(hostile_05)})


HOSTILE_ISSUER = Ob1Issuer.create("1.0")


@pytest.mark.parametrize(
    "served",
    [
        b'{"name": "Basic Badge"}',  # the BadgeClass names no issuer
        b"[1, 2]",
        b'{"issuer": ["https://old.example/issuer.json"]}',
    ],
)
def test_broken_badge_classes(served: bytes) -> None:
    issuer = Ob1Issuer.create("1.0")
    _, documents = issuer.hosted(URL)
    report = _verify(URL, {**documents, Ob1Issuer.BADGE: served})
    assert not report.valid
    assert {"issuer", "structure"} & set(_not_ok(report))


def test_a_jws_whose_1x_payload_says_hosted_is_verified_as_hosted() -> None:
    """As for 2.0 (#12 item 2): the VerificationObject, not the envelope, picks the procedure."""
    issuer = Ob1Issuer.create("1.0")
    assertion, documents = issuer.hosted(URL)
    report = _verify(issuer.sign(assertion), documents)
    assert report.valid
    assert report.proof == "hosted"
    assert outcome(report, "hosted") == ("passed", None)


def test_a_1x_revocation_list_served_as_a_token_is_refused() -> None:
    issuer = Ob1Issuer.create("1.0", revoked={"other": "Cheated"})
    _, documents = issuer.hosted(URL)
    documents[Ob1Issuer.LIST] = b"eyJhbGciOiJFUzI1NiJ9.eyJ2YyI6e319.c2ln"
    report = _verify(URL, documents)
    assert outcome(report, "status") == ("failed", "list")  # 1.x lists predate secured lists
    assert not report.valid
