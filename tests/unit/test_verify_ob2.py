"""OB 2.0: hosted copies, hosted scope, signed keys, revocation lists, dates and recipients."""

from __future__ import annotations

import json
from typing import Any

import pytest

import badgekiln
from badgekiln.fetch import Fetcher, FetchPolicy, StaticTransport, TransportResponse
from badgekiln.keys.formats import dump_pem_public_key
from badgekiln.keys.local import LocalSigner
from badgekiln.proofs.jws import sign_compact
from badgekiln.verification import Report
from tests.verify_support import Ob2Issuer, as_bytes, check_of, outcome

URL = Ob2Issuer.BASE + "assertions/1.json"


def _verify(data: str, documents: dict[str, bytes], **options: Any) -> Report:
    return badgekiln.verify(data, offline=True, documents=documents, **options)


@pytest.fixture(scope="module")
def issuer() -> Ob2Issuer:
    return Ob2Issuer.create(revoked=())


def test_hosted_from_its_url_or_a_baked_copy(issuer: Ob2Issuer) -> None:
    assertion, documents = issuer.hosted(URL)
    for data in (URL, json.dumps(assertion)):
        report = _verify(data, documents, recipient="ann@example.org")
        assert report.valid, [c.to_dict() for c in report.checks]
        assert [c.id for c in report.checks] == [
            "context",
            "structure",
            "hosted",
            "issuer",
            "status",
            "issued",
            "expiry",
            "recipient",
        ]
    summary = report.credential
    assert summary is not None
    assert (summary.issuer["name"], summary.achievement["name"], summary.recipient) == (
        "Badges Example",
        "Robotics",
        "ann@example.org",
    )


def test_hosted_copy_must_call_itself_by_its_url(issuer: Ob2Issuer) -> None:
    assertion, documents = issuer.hosted(URL)
    documents[URL] = as_bytes({**assertion, "id": Ob2Issuer.BASE + "assertions/2.json"})  # misnamed
    assert outcome(_verify(URL, documents), "hosted") == ("failed", "id-mismatch")


def test_hosted_copy_must_be_hosted_verification(issuer: Ob2Issuer) -> None:
    _, documents = issuer.hosted(URL, verification={"type": "SignedBadge"})
    assert outcome(_verify(URL, documents), "structure") == ("failed", "structure")


def test_hosted_assertion_without_an_http_id(issuer: Ob2Issuer) -> None:
    assertion = issuer.assertion(verification={"type": "HostedBadge"})  # a urn:uuid id
    report = _verify(json.dumps(assertion), issuer.documents)
    assert outcome(report, "hosted") == ("failed", "no-url")


@pytest.mark.parametrize(
    ("policy", "assertion_url", "expected"),
    [
        ({"allowedOrigins": "cdn.example"}, "https://cdn.example/a/1.json", ("passed", None)),
        ({"allowedOrigins": ["cdn.example"]}, URL, ("failed", "scope")),
        ({"startsWith": "https://badges.example/assertions/"}, URL, ("passed", None)),
        ({"startsWith": ["https://badges.example/other/", "https://x.example/"]}, URL, ("failed", "scope")),
        (None, "https://elsewhere.example/a/1.json", ("failed", "scope")),
    ],
)
def test_hosted_scope(policy: Any, assertion_url: str, expected: tuple[str, str | None]) -> None:
    issuer = Ob2Issuer.create()
    if policy is not None:
        issuer.profile["verification"] = {"type": "VerificationObject", **policy}
        issuer.documents[Ob2Issuer.PROFILE] = as_bytes(issuer.profile)
    _, documents = issuer.hosted(assertion_url)
    assert outcome(_verify(assertion_url, documents), "issuer") == expected


def test_http_failures_and_production_policy(issuer: Ob2Issuer) -> None:
    _, documents = issuer.hosted(URL)
    transport = StaticTransport({URL: TransportResponse(404, {"content-type": "text/plain"})})
    pins = {k: v for k, v in documents.items() if k != URL}
    report = badgekiln.verify(URL, fetcher=Fetcher(FetchPolicy(), documents=pins, transport=transport))
    assert outcome(report, "hosted") == ("failed", "status")
    # an http:// assertion URL is refused by the production policy (https only)
    report = badgekiln.verify(
        "http://badges.example/a.json", fetcher=Fetcher(FetchPolicy(), transport=transport)
    )
    assert outcome(report, "hosted") == ("failed", "scheme")


def test_signed_with_and_without_creator(issuer: Ob2Issuer) -> None:
    assert _verify(issuer.sign(issuer.assertion()), issuer.documents).valid
    # no creator: every key the profile lists is tried
    report = _verify(issuer.sign(issuer.assertion(verification={"type": "signed"})), issuer.documents)
    assert report.valid
    assert report.proof == "jws RS256"


def test_signed_without_creator_by_a_later_listed_key(issuer: Ob2Issuer) -> None:
    # GIVEN a profile listing an old key first and the key that signed second, no creator named
    old_url = "https://badges.example/keys/0.json"
    old = LocalSigner.generate("rsa2048", old_url)
    key = json.loads(issuer.documents[Ob2Issuer.KEY])
    old_key = {**key, "id": old_url, "publicKeyPem": dump_pem_public_key(old.public_key())}
    profile = {**issuer.profile, "publicKey": [old_url, Ob2Issuer.KEY]}
    documents = {**issuer.documents, old_url: as_bytes(old_key), Ob2Issuer.PROFILE: as_bytes(profile)}
    token = issuer.sign(issuer.assertion(verification={"type": "SignedBadge"}))
    # THEN the key that verifies decides: the first key's mismatch is not a failed signature
    report = _verify(token, documents)
    assert report.valid, [c.to_dict() for c in report.failures]
    assert outcome(report, "signature") == ("passed", None)
    assert Ob2Issuer.KEY in check_of(report, "signature").message
    assert outcome(report, "issuer") == ("passed", None)
    # AND signed by neither listed key, each key's refusal is reported
    stranger = LocalSigner.generate("rsa2048", Ob2Issuer.KEY)
    forged = sign_compact(
        {}, json.dumps(issuer.assertion(verification={"type": "SignedBadge"})).encode(), stranger
    )
    report = _verify(forged, documents)
    assert not report.valid
    failed = check_of(report, "signature")
    assert failed.status == "failed"
    assert old_url in failed.message
    assert Ob2Issuer.KEY in failed.message


def test_signed_key_owner_mismatch_is_a_warning(issuer: Ob2Issuer) -> None:
    key = json.loads(issuer.documents[Ob2Issuer.KEY])
    documents = {**issuer.documents, Ob2Issuer.KEY: as_bytes({**key, "owner": "https://someone.example/"})}
    report = _verify(issuer.sign(issuer.assertion()), documents)
    assert report.valid
    assert outcome(report, "issuer") == ("warning", "owner")


def test_signed_ed25519_and_es256_keys() -> None:
    for kind, alg in (("ed25519", "EdDSA"), ("p256", "ES256")):
        issuer = Ob2Issuer.create(kind=kind)  # type: ignore[arg-type]
        report = _verify(issuer.sign(issuer.assertion()), issuer.documents)
        assert (report.valid, report.proof) == (True, f"jws {alg}")


def test_signed_key_document_must_be_the_key(issuer: Ob2Issuer) -> None:
    key = json.loads(issuer.documents[Ob2Issuer.KEY])
    for broken in (
        {**key, "id": "https://badges.example/keys/2.json"},
        {**key, "type": "Issuer"},
        {**key, "publicKeyPem": 3},
    ):
        report = _verify(
            issuer.sign(issuer.assertion()), {**issuer.documents, Ob2Issuer.KEY: as_bytes(broken)}
        )
        assert outcome(report, "signature")[0] == "failed"
        assert not report.valid


def test_profile_unavailable_offline(issuer: Ob2Issuer) -> None:
    documents = {k: v for k, v in issuer.documents.items() if k != Ob2Issuer.PROFILE}
    report = _verify(issuer.sign(issuer.assertion()), documents)
    assert outcome(report, "signature") == ("passed", None)  # the creator key is fetched directly
    assert outcome(report, "issuer") == ("skipped", "offline")
    assert not report.valid


def test_revocation_list_entries() -> None:
    first = "urn:uuid:7b9c0d1e-0000-4000-8000-000000000001"
    for entry in (first, {"id": first}, {"id": first, "revocationReason": "Issued in error"}):
        issuer = Ob2Issuer.create(revoked=(entry, "urn:uuid:other"))
        report = _verify(issuer.sign(issuer.assertion()), issuer.documents)
        assert outcome(report, "status") == ("failed", "revoked")
    issuer = Ob2Issuer.create(revoked=({"uid": "abc123", "revocationReason": "legacy"},))
    report = _verify(issuer.sign(issuer.assertion(uid="abc123")), issuer.documents)
    assert outcome(report, "status") == ("failed", "revoked")
    assert "legacy" in check_of(report, "status").message


def test_revocation_list_not_available_offline() -> None:
    issuer = Ob2Issuer.create(revoked=())
    documents = {k: v for k, v in issuer.documents.items() if k != Ob2Issuer.LIST}
    report = _verify(issuer.sign(issuer.assertion()), documents)
    assert outcome(report, "status") == ("skipped", "offline")
    assert not report.valid


@pytest.mark.parametrize(
    ("members", "check", "expected"),
    [
        ({"issuedOn": "2016-12-31"}, "structure", ("failed", "structure")),
        ({"issuedOn": "2016-12-31T23:59:59"}, "structure", ("failed", "structure")),
        ({"expires": "2016-01-01T00:00:00Z"}, "expiry", ("failed", "expired")),  # before issuedOn
        ({"issuedOn": "2024-01-01T00:00:00+02:00"}, "issued", ("passed", None)),
        ({"expires": "9999-12-31T23:59:59Z"}, "expiry", ("passed", None)),  # "never" at datetime's end
        ({"issuedOn": "0001-01-01T00:00:00Z"}, "issued", ("passed", None)),  # at datetime's start
        ({"issuedOn": "0001-01-01T00:00:00+01:00"}, "structure", ("failed", "structure")),  # year 0 in UTC
        ({"expires": "9999-12-31T23:59:59-01:00"}, "structure", ("failed", "structure")),  # year 10000
    ],
)
def test_dates(
    issuer: Ob2Issuer, members: dict[str, Any], check: str, expected: tuple[str, str | None]
) -> None:
    report = _verify(issuer.sign(issuer.assertion(**members)), issuer.documents)
    assert outcome(report, check) == expected


@pytest.mark.parametrize(
    ("recipient", "identity", "expected"),
    [
        ({"type": "email", "hashed": False, "identity": "ann@example.org"}, "ann@example.org", "passed"),
        ({"type": "email", "hashed": False, "identity": "ann@example.org"}, "Ann@Example.org", "failed"),
        (
            {
                "type": "email",
                "hashed": True,
                "salt": "deadsea",
                "identity": "sha256$ecf5409f3f4b91ab60cc5ef4c02aef7032354375e70cf4d8e43f6a1d29891942",
            },
            "nobody@example.org",
            "passed",
        ),
        ({"type": "email", "hashed": True, "identity": "sha256$zz"}, "ann@example.org", "failed"),
    ],
)
def test_recipient(issuer: Ob2Issuer, recipient: dict[str, Any], identity: str, expected: str) -> None:
    report = _verify(issuer.sign(issuer.assertion(recipient=recipient)), issuer.documents, recipient=identity)
    assert outcome(report, "recipient")[0] == expected


# --- hosted badges delivered as a JWS (#12 item 2) ----------------------------------------------------


def test_a_jws_whose_payload_says_hosted_is_verified_as_hosted(issuer: Ob2Issuer) -> None:
    # GIVEN a hosted assertion baked as a JWS signed by the issuer's listed key (openbadgeslib -H)
    assertion, documents = issuer.hosted(URL)
    token = issuer.sign(assertion)
    report = _verify(token, documents, recipient="ann@example.org")
    # THEN the procedure follows the VerificationObject: the hosted copy, with the JWS as a note
    assert report.valid, [c.to_dict() for c in report.checks]
    assert report.proof == "hosted"
    assert outcome(report, "hosted")[0] == "passed"
    assert outcome(report, "signature")[0] == "passed"
    assert "defence in depth" in check_of(report, "signature").message


def test_the_hosted_copy_wins_over_the_jws_payload(issuer: Ob2Issuer) -> None:
    # GIVEN a JWS whose payload differs from what the issuer hosts (a later expiry was baked in)
    assertion, documents = issuer.hosted(URL, expires="2020-01-01T00:00:00Z")
    token = issuer.sign({**assertion, "expires": "2099-01-01T00:00:00Z"})
    report = _verify(token, documents)
    # THEN the mismatch is reported and the hosted copy (expired) is what is judged
    assert outcome(report, "hosted") == ("warning", "differs")
    assert outcome(report, "expiry")[0] == "failed"
    assert not report.valid


def test_the_hosted_copy_is_fetched_even_when_the_jws_verifies(issuer: Ob2Issuer) -> None:
    # GIVEN the issuer withdrew the hosted assertion (410 Gone) while the JWS still verifies
    assertion, documents = issuer.hosted(URL)
    token = issuer.sign(assertion)
    del documents[URL]
    answers = {
        url: TransportResponse(200, {"content-type": "application/json"}, body)
        for url, body in documents.items()
    }
    answers[URL] = TransportResponse(410, {"content-type": "application/json"}, b"{}")
    fetcher = Fetcher(FetchPolicy(), transport=StaticTransport(answers))
    report = badgekiln.verify(token, fetcher=fetcher)
    assert (outcome(report, "hosted"), outcome(report, "status")) == (
        ("failed", "gone"),
        ("failed", "revoked"),
    )


@pytest.mark.parametrize("signer", ["stranger", "tampered"])
def test_a_jws_envelope_that_does_not_verify_is_a_note_not_the_verdict(
    issuer: Ob2Issuer, signer: str
) -> None:
    # GIVEN a hosted badge whose JWS was signed by a key the issuer does not list, or altered
    assertion, documents = issuer.hosted(URL)
    if signer == "stranger":
        token = Ob2Issuer.create().sign(assertion)
    else:
        head, _, signature = issuer.sign(assertion).split(".")
        token = f"{head}.{issuer.sign({**assertion, 'narrative': 'x'}).split('.')[1]}.{signature}"
    report = _verify(token, documents)
    # THEN the hosted copy decides (valid), and the envelope gets a warning
    assert outcome(report, "signature") == ("warning", "envelope")
    assert report.valid
    # (the altered payload also differs from the hosted copy, which is said)
    assert outcome(report, "hosted")[0] == ("warning" if signer == "tampered" else "passed")


def test_a_hosted_jws_offline_without_the_key_is_a_note(issuer: Ob2Issuer) -> None:
    assertion, documents = issuer.hosted(URL)
    token = issuer.sign(assertion)
    del documents[Ob2Issuer.KEY]
    report = _verify(token, documents)
    assert outcome(report, "signature") == ("warning", "envelope")
    assert report.valid


@pytest.mark.parametrize(
    "extension_context",
    [{"grade": "https://contexts.example/#grade"}, "https://contexts.example/extra.json"],
    ids=["inline", "unbundled"],
)
def test_an_extension_context_outside_the_bundle_is_a_conformance_deviation(
    issuer: Ob2Issuer, extension_context: Any
) -> None:
    # GIVEN a signed assertion with an extension whose @context is inline, or a URL not bundled
    extension = {"@context": extension_context, "type": ["Extension", "extensions:Grade"], "grade": "A+"}
    token = issuer.sign(issuer.assertion(**{"extensions:grade": extension}))
    report = _verify(token, issuer.documents)
    # THEN it is authentic, and the context check says why it could not be read (a warning)
    code = "inline-context" if isinstance(extension_context, dict) else "unknown-context"
    assert outcome(report, "context") == ("warning", code)
    assert report.valid


@pytest.mark.parametrize("escaped", [None, 0, 1], ids=["plain", "top-escaped", "nested-escaped"])
def test_an_extension_context_is_found_however_the_member_names_are_written(
    issuer: Ob2Issuer, escaped: int | None
) -> None:
    # GIVEN a signed assertion with an unbundled extension context, one "@context" member name
    # perhaps written with a \u escape (the JSON text, not the member, differs)
    extension = {"@context": "https://contexts.example/extra.json", "type": "Extension", "grade": "A+"}
    parts = json.dumps(issuer.assertion(**{"extensions:grade": extension})).split('"@context"')
    assert len(parts) == 3
    names = ['"@context"', '"@context"']
    if escaped is not None:
        names[escaped] = '"@cont\\u0065xt"'
    token = sign_compact({}, (parts[0] + names[0] + parts[1] + names[1] + parts[2]).encode(), issuer.signer)
    # THEN the extension's context is found either way
    assert outcome(_verify(token, issuer.documents), "context") == ("warning", "unknown-context")


def test_a_string_reading_context_is_no_extension_context(issuer: Ob2Issuer) -> None:
    # GIVEN a signed assertion whose text holds "@context" as a value, not as a member name
    token = issuer.sign(issuer.assertion(alias="@context", evidence=[{"narrative": "@context"}]))
    # THEN only the top-level context is read
    assert outcome(_verify(token, issuer.documents), "context") == ("passed", None)


@pytest.mark.parametrize(
    "badge",
    [
        Ob2Issuer.BADGE,
        {"id": Ob2Issuer.BADGE, "type": "BadgeClass", "name": "Stale copy"},  # fetched again
        {"id": "urn:uuid:b", "type": "BadgeClass", "name": "Here", "issuer": Ob2Issuer.PROFILE},
        {"type": "BadgeClass", "issuer": {"type": "Issuer", "id": "urn:uuid:i", "name": "Inline"}},
        {"type": "BadgeClass", "issuer": {"type": "Issuer"}},
        Ob2Issuer.BASE + "badges/anonymous.json",  # names no id: known by its URL
        Ob2Issuer.BASE + "badges/missing.json",
    ],
)
def test_the_summary_reads_the_nodes_as_summary_of_does(issuer: Ob2Issuer, badge: Any) -> None:
    from badgekiln.model.ob2 import Assertion
    from badgekiln.verification.ob2 import summary_of

    # GIVEN a signed assertion whose BadgeClass is named, embedded, or embedded and published
    documents = {
        **issuer.documents,
        Ob2Issuer.BASE + "badges/anonymous.json": as_bytes(
            {"type": "BadgeClass", "issuer": Ob2Issuer.PROFILE}
        ),
    }
    assertion = issuer.assertion(badge=badge)
    report = _verify(issuer.sign(assertion), documents, recipient="ann@example.org")
    # THEN its summary is what summary_of reads from the documents the verifier had
    had = {url: json.loads(body) for url, body in documents.items()}
    assert report.credential == summary_of(Assertion(assertion), had)
