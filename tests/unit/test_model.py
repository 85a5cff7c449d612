"""badgekiln.model: frozen, tolerant views of what badges say, and the one version decision."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from badgekiln.errors import MalformedPayload
from badgekiln.model import claims_of, dates, jwt, node, ob2, ob3, read, read_jwt, status
from badgekiln.model.dates import DateTime
from badgekiln.model.node import as_list, criteria_of, id_of, image_of, single, type_names

VC2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB2 = "https://w3id.org/openbadges/v2"


def credential(**members: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [VC2, OB3],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:key:z6Mk", "type": ["Profile"], "name": "Acme"},
        "validFrom": "2026-05-01T12:00:00Z",
        "credentialSubject": {
            "id": "did:example:ada",
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": False,
                    "identityHash": "ada@example.org",
                }
            ],
            "achievement": {"id": "urn:uuid:a", "type": ["Achievement"], "name": "Teamwork"},
        },
    }
    document.update(members)
    return document


def assertion(**members: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": OB2,
        "id": "https://acme.example/assertions/1",
        "type": "Assertion",
        "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
        "badge": "https://acme.example/badge",
        "verification": {"type": "HostedBadge"},
        "issuedOn": "2026-05-01T00:00:00+00:00",
    }
    document.update(members)
    return document


# --- the helpers: one copy each --------------------------------------------------------------


def test_loose_shapes() -> None:
    assert (as_list(None), as_list("a"), as_list(["a", 1])) == ([], ["a"], ["a", 1])
    assert type_names(["A", 1, {"x": 1}, ["B"], "C"]) == ("A", "C")
    assert type_names(None) == ()
    assert (id_of("urn:x"), id_of({"id": "urn:x"}), id_of(""), id_of({"id": ""}), id_of({"id": 5})) == (
        "urn:x",
        "urn:x",
        None,
        None,
        None,
    )
    assert (single([{"a": 1}]), single([1, 2]), single("x")) == ({"a": 1}, [1, 2], "x")
    assert image_of([{"id": "https://a.example/i.png"}, "b"]) == "https://a.example/i.png"
    assert criteria_of("https://a.example/c") == (None, "https://a.example/c")
    assert criteria_of([{"narrative": "Do it", "id": "https://a.example/c"}]) == (
        "Do it",
        "https://a.example/c",
    )
    assert criteria_of({"narrative": 5}) == (None, None)
    assert criteria_of(7) == (None, None)


# --- views keep the raw document and never raise ---------------------------------------------

HOSTILE: list[Any] = [
    None,
    0,
    True,
    1.5,
    "",
    "x",
    [],
    [None],
    [1, "a", {}],
    {},
    {"id": 5},
    [{}],
    [[[]]],
    {"id": "", "type": [None]},
    "9999-12-31T23:59:59-01:00",
    -1,
    10**30,
]
MEMBERS = [
    "@context",
    "id",
    "type",
    "name",
    "description",
    "url",
    "email",
    "image",
    "issuer",
    "credentialSubject",
    "identifier",
    "achievement",
    "criteria",
    "creator",
    "endorsement",
    "endorsementJwt",
    "validFrom",
    "validUntil",
    "issuanceDate",
    "expirationDate",
    "credentialStatus",
    "credentialSchema",
    "proof",
    "evidence",
    "statusPurpose",
    "encodedList",
    "statusListIndex",
    "statusSize",
    "statusMessage",
    "statusListCredential",
    "recipient",
    "badge",
    "verification",
    "verify",
    "publicKey",
    "revocationList",
    "publicKeyPem",
    "owner",
    "revoked",
    "revocationReason",
    "uid",
    "issuedOn",
    "issued_on",
    "origin",
    "expires",
    "identityType",
    "identityHash",
    "hashed",
    "salt",
    "identity",
    "cryptosuite",
    "verificationMethod",
    "alg",
    "typ",
    "kid",
    "jwk",
    "vc",
    "iss",
    "sub",
    "jti",
    "nbf",
    "exp",
    "narrative",
    "genre",
    "audience",
    "revokedCredentials",
    "revokedAssertions",
]
VIEWS = [
    view
    for module in (node, ob2, ob3, status, jwt)
    for _, view in inspect.getmembers(module, inspect.isclass)
    if issubclass(view, node.Node) and view.__module__ == module.__name__
]


def _read_everything(view: node.Node) -> None:
    accessors = 0
    for name, accessor in inspect.getmembers(type(view)):
        if isinstance(accessor, property | node.remembered):
            getattr(view, name)
            accessors += 1
    assert accessors >= 9  # the base view's own, at least
    for name in ("entries", "message_of"):
        if hasattr(view, name):
            getattr(view, name)("revokedAssertions")
    if isinstance(view, ob3.Credential):
        list(view.all_endorsements())


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
@pytest.mark.parametrize("view", VIEWS, ids=lambda v: f"{v.__module__}.{v.__name__}")
def test_accessors_never_raise_on_hostile_shapes(view: type[node.Node], value: Any) -> None:
    document = dict.fromkeys(MEMBERS, value)
    made = view(document)
    assert made.raw is document  # never copied: proofs sign and verify exactly this object
    _read_everything(made)
    if isinstance(made, ob3.Credential | ob2.Assertion):
        claims = claims_of(made, lambda url: {"id": url, "name": value})
        for name, member in inspect.getmembers(type(claims)):
            if isinstance(member, property):
                getattr(claims, name)


def test_views_are_frozen() -> None:
    view = ob3.Credential(credential())
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.raw = {}  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.valid_from = None  # type: ignore[misc]


# --- dates: one parser, read once ---------------------------------------------------------------


def test_date_members_are_read_once_with_the_reason() -> None:
    view = ob3.Credential(credential(validUntil="2030-05-01T12:00:00", issuanceDate=5))
    assert view.valid_from == DateTime(
        "validFrom", "2026-05-01T12:00:00Z", datetime(2026, 5, 1, 12, tzinfo=UTC)
    )
    assert view.valid_until is not None
    assert view.valid_until.value is None
    assert view.valid_until.problem == (
        "validUntil is '2030-05-01T12:00:00', not a date-time with a time zone (e.g. 2025-01-09T15:20:02Z)"
    )
    assert view.issuance_date is not None
    assert view.issuance_date.text is None
    assert view.expiration_date is None  # absent, not malformed
    assert view.issued is view.valid_from
    assert view.expires is view.valid_until
    legacy = ob3.Credential(credential(validFrom=None, issuanceDate="2020-01-01T00:00:00+01:00"))
    assert legacy.issued is not None
    assert legacy.issued.field == "validFrom"


def test_an_assertion_always_reads_issued_on() -> None:
    missing = ob2.Assertion(assertion(issuedOn=None))
    assert missing.issued_on.value is None
    assert missing.issued_on.problem is not None
    assert ob2.Assertion({}).issued_on.problem == (
        "issuedOn is None, not a date-time with a time zone (e.g. 2025-01-09T15:20:02Z)"
    )
    assert ob2.Assertion(assertion()).expires is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        (1_767_225_600.5, datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        (-1, None),
        (True, None),
        ("1767225600", None),
        (253_402_300_800, None),
        (float("nan"), None),
    ],
)
def test_numeric_dates(raw: Any, value: datetime | None) -> None:
    moment = DateTime.numeric(raw, "nbf")
    assert moment.value == value
    assert (moment.error is None) == (value is not None)


def test_the_one_parser_is_shared() -> None:
    assert dates.parse_aware("2026-05-01T01:00:00+02:00") == datetime(2026, 4, 30, 23, tzinfo=UTC)
    with pytest.raises(ValueError, match=r"not a valid date-time"):
        dates.parse_aware("0001-01-01T00:00:00+05:00")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("2024-01-01T00:00:00Z", None),
        ("9999-12-31T23:59:59Z", None),
        ("2024-02-30T00:00:00Z", "not a valid date-time (day is out of range for month)"),
        ("2024-01-01T24:00:00Z", "not a valid date-time (hour must be in 0..23)"),
        ("0000-01-01T00:00:00Z", "not a valid date-time (year 0 is out of range)"),
        ("٢٠٢٤-01-01T00:00:00Z", "not a valid date-time"),  # Arabic-Indic digits: \d takes them
    ],
)
def test_the_usual_utc_form_reads_as_every_other_form(text: str, error: str | None) -> None:
    # the short path for ...Z must answer exactly as the general one (the same instant, the same words)
    general = text[:-1] + ".0+00:00"
    if error is None:
        assert dates.parse_aware(text) == dates.parse_aware(general)
        assert dates.parse_aware(text).tzinfo is UTC
    else:
        with pytest.raises(ValueError, match="^" + re.escape(error)):
            dates.parse_aware(text)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-01-01T00:00:00Z",
        "0999-12-31T23:59:59Z",
        "2024-01-01T00:00:00z",
        "2024-01-01T00:00:00.5Z",
        "2024-01-01T01:00:00+01:00",
        "2024-01-01T23:59,12Z",  # 1.x: a fraction of a minute, 20 characters
        "2024-01-01",
        "2024-02-30T00:00:00Z",
        "٢٠٢٤-01-01T00:00:00Z",
        1704067200,
        None,
    ],
)
def test_stamped_is_the_text_only_when_stamp_writes_it_so(raw: Any) -> None:
    # a message may show the member as written only when that is exactly what stamp() would write
    for moment in (DateTime.read(raw, "issuedOn"), DateTime.read(raw, "issuedOn", dates.parse_legacy)):
        if moment.value is None:
            assert moment.stamped is None
        else:
            assert moment.stamped in (None, dates.stamp(moment.value))
            assert (moment.stamped is not None) == (moment.raw == dates.stamp(moment.value))


# --- read: the one version and kind decision ------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        (credential(), ob3.Credential),
        ({"type": "EndorsementCredential"}, ob3.Credential),
        ({"@context": "https://www.w3.org/2018/credentials/v1"}, ob3.Credential),
        (assertion(), ob2.Assertion),
        ({"@context": OB2, "badge": "b", "recipient": {}}, ob2.Assertion),
        ({"@context": "https://w3id.org/openbadges/v1", "type": "Assertion"}, ob2.LegacyAssertion),
        ({"uid": "123", "badge": "https://a.example/b"}, ob2.LegacyAssertion),
        ({"badge": "b", "recipient": "ada@example.org"}, ob2.LegacyAssertion),
    ],
)
def test_read_decides_the_version(document: dict[str, Any], kind: type[node.Node]) -> None:
    badge = read(document)
    assert type(badge) is kind
    assert badge.raw is document


def test_legacy_assertions_are_read_with_the_2_0_names() -> None:
    legacy = read({"badge": "https://a.example/b", "recipient": "x", "issued_on": "2013-01-01"})
    assert isinstance(legacy, ob2.LegacyAssertion)
    assert (legacy.spec, legacy.version, legacy.id, legacy.uid) == ("ob1", "0.5", None, None)
    assert legacy.badge_ref == "https://a.example/b"
    assert legacy.issued_on == DateTime("issued_on", "2013-01-01", datetime(2013, 1, 1, tzinfo=UTC))
    with_uid = read({"uid": "abc", "badge": "https://a.example/b", "recipient": {}})
    assert isinstance(with_uid, ob2.LegacyAssertion)
    assert (with_uid.version, with_uid.uid) == ("1.0", "abc")


@pytest.mark.parametrize(
    ("document", "version", "hosted", "key"),
    [
        # 1.0: no context; the hosted copy is verify.url
        (
            {
                "uid": "1",
                "badge": "https://a.example/b",
                "recipient": {},
                "verify": {"type": "hosted", "url": "https://a.example/1"},
            },
            "1.0",
            "https://a.example/1",
            None,
        ),
        # a signed badge's verify.url is its key, not a hosted copy
        (
            {"uid": "1", "verify": {"type": "signed", "url": "https://a.example/key.pem"}},
            "1.0",
            None,
            "https://a.example/key.pem",
        ),
        # 1.1: the id is the hosted copy, whatever verify says
        (
            {
                "@context": ob2.OB1_CONTEXT,
                "type": "Assertion",
                "id": "https://a.example/2",
                "verify": {"type": "hosted"},
            },
            "1.1",
            "https://a.example/2",
            None,
        ),
        (
            {
                "@context": [ob2.OB1_CONTEXT],
                "type": "Assertion",
                "id": "urn:x",
                "verification": {"type": "hosted"},
            },
            "1.1",
            None,
            None,
        ),
        # 0.5: a bare recipient or an embedded BadgeClass; the BadgeKit hybrid still names verify.url
        (
            {
                "recipient": "a@example.org",
                "badge": {},
                "verify": {"type": "hosted", "url": "https://a.example/3"},
            },
            "0.5",
            "https://a.example/3",
            None,
        ),
        ({"badge": {"issuer": {}}, "recipient": {}}, "0.5", None, None),
    ],
)
def test_legacy_versions_and_urls(
    document: dict[str, Any], version: str, hosted: str | None, key: str | None
) -> None:
    legacy = read(document)
    assert isinstance(legacy, ob2.LegacyAssertion)
    assert (legacy.version, legacy.hosted_url, legacy.key_url) == (version, hosted, key)
    assert legacy.id == (document.get("id") or hosted)


def test_legacy_dates_and_recipients() -> None:
    legacy = ob2.LegacyAssertion(
        {"recipient": "sha256$abc", "salt": "s", "issued_on": 1399404880, "expires": "2015-04-31"}
    )
    assert legacy.issued_on.value == datetime(2014, 5, 6, 19, 34, 40, tzinfo=UTC)
    assert legacy.expires is not None
    assert (
        legacy.expires.problem == "expires is '2015-04-31', not a valid date (day is out of range for month)"
    )
    recipient = legacy.recipient
    assert recipient is not None
    assert (recipient.identity_type, recipient.identity, recipient.hashed, recipient.salt) == (
        "email",
        "sha256$abc",
        True,
        "s",
    )
    plain = ob2.LegacyAssertion({"recipient": "ada@example.org", "badge": {}})
    assert plain.recipient is not None
    assert plain.recipient.hashed is False
    # 1.0 and 1.1 need an IdentityObject: a bare string is not read as one
    broken = ob2.LegacyAssertion({"uid": "1", "recipient": "ada@example.org", "badge": "https://a.example/b"})
    assert (broken.version, broken.recipient) == ("1.0", None)
    assert (
        ob2.LegacyAssertion({"@context": ob2.OB1_CONTEXT, "recipient": "ada@example.org"}).recipient is None
    )


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2015-04-30", datetime(2015, 4, 30, tzinfo=UTC)),
        ("2016-12-31T23:59:59Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2011-06-01T10:00", datetime(2011, 6, 1, 10, tzinfo=UTC)),
        ("2013-11-05T12:00:00+0100", datetime(2013, 11, 5, 11, tzinfo=UTC)),
        ("2013-11-05T12:00:00+01", datetime(2013, 11, 5, 11, tzinfo=UTC)),
        ("2013-11-05T12:00:00.5-01:00", datetime(2013, 11, 5, 13, 0, 0, 500000, tzinfo=UTC)),
        (1399404880, datetime(2014, 5, 6, 19, 34, 40, tzinfo=UTC)),
        ("1399404880", datetime(2014, 5, 6, 19, 34, 40, tzinfo=UTC)),
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        ("2015-04-31", None),
        ("2015-4-30", None),
        ("139940488", None),
        (12_345_678_901, None),
        (-1, None),
        (True, None),
        (1399404880.5, None),
        ("0001-01-01T00:00:00+05:00", None),
        (None, None),
    ],
)
def test_legacy_dates(raw: Any, value: datetime | None) -> None:
    moment = DateTime.read(raw, "issuedOn", dates.parse_legacy)
    assert moment.value == value
    assert (moment.problem is None) == (value is not None)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"@context": OB2, "type": "BadgeClass"}, "this is an Open Badges 2.0 BadgeClass, not an Assertion"),
        (
            {"@context": OB2, "type": ["Profile", "Issuer"]},
            "this is an Open Badges 2.0 Issuer, not an Assertion",
        ),
        ({"@context": OB2}, "neither an Open Badges 3.0 credential nor an Open Badges 2.0 assertion"),
        (
            {"@context": ob2.OB1_CONTEXT, "type": "BadgeClass", "id": "x"},
            "this is an Open Badges 1.1 BadgeClass, not",
        ),
        ({"@context": [ob2.OB1_CONTEXT], "type": "IssuerOrg"}, "this is an Open Badges 1.1 IssuerOrg, not"),
        ({"@context": ob2.OB1_CONTEXT, "name": "x"}, "this is an Open Badges 1.1 document, not an Assertion"),
        (
            {"name": "Basic Badge", "criteria": "https://a.example/c", "issuer": "https://a.example/i"},
            "neither",
        ),
        ({"@context": [["nested"]], "type": {"odd": 1}}, "neither an Open Badges 3.0 credential"),
    ],
)
def test_read_says_what_is_not_a_badge(document: dict[str, Any], message: str) -> None:
    with pytest.raises(MalformedPayload, match=message) as caught:
        read(document)
    assert caught.value.reason == "not-a-badge"


def test_read_jwt_forms() -> None:
    vc11 = read_jwt({"vc": credential(), "iss": "did:key:z6Mk", "nbf": 1, "jti": "urn:uuid:1"})
    assert isinstance(vc11, jwt.VcJwt)
    assert vc11.form == "vc"
    assert vc11.credential.raw is vc11.raw["vc"]
    assert (vc11.iss, vc11.jti, vc11.sub) == ("did:key:z6Mk", "urn:uuid:1", None)
    assert vc11.not_before is not None
    assert vc11.not_before.value == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
    vc20 = read_jwt({**credential(), "iss": "did:key:z6Mk", "exp": "soon"})
    assert isinstance(vc20, jwt.VcJwt)
    assert vc20.form == "payload"
    assert "iss" not in vc20.credential.raw
    assert vc20.credential.id == "urn:uuid:1"
    assert vc20.expiry is not None
    assert vc20.expiry.error == "not a NumericDate"
    signed = read_jwt(assertion(verification={"type": "SignedBadge", "creator": "https://a.example/k"}))
    assert isinstance(signed, ob2.Assertion)
    assert signed.creator == "https://a.example/k"
    with pytest.raises(MalformedPayload):
        read_jwt({"iss": "x"})


# --- what the views read -------------------------------------------------------------------------


def test_a_credential() -> None:
    view = ob3.Credential(credential(credentialSubject=[credential()["credentialSubject"]]))
    assert view.issuer_id == "did:key:z6Mk"
    assert view.issuer is not None
    assert view.issuer.name == "Acme"
    subject = view.subject
    assert subject is not None
    assert subject.id == "did:example:ada"
    assert subject.has_identifier
    assert view.achievement is not None
    assert view.achievement.name == "Teamwork"
    assert (view.status_entries, view.schemas, view.proofs, view.evidence) == ([], [], None, ())
    assert not view.is_endorsement
    two = ob3.Credential(credential(credentialSubject=[{}, {}]))
    assert two.subject is None  # not one subject: the structure check says so


def test_endorsements_of_every_holder_in_order() -> None:
    document = credential(endorsement=[{"a": 1}], endorsementJwt="e.y.j")
    document["issuer"]["endorsement"] = {"b": 2}
    document["credentialSubject"]["achievement"]["endorsementJwt"] = ["x.y.z"]
    assert list(ob3.Credential(document).all_endorsements()) == [{"a": 1}, "e.y.j", {"b": 2}, "x.y.z"]


def test_ob2_endorsements_and_an_endorsement_s_own_members() -> None:
    embedded = {"issuer": {"name": "Org", "endorsement": "https://e.example/2"}, "endorsement": [{"id": 1}]}
    view = ob2.Assertion(assertion(badge=embedded, endorsement="https://e.example/1"))
    assert view.endorsement_refs == ["https://e.example/1"]
    badge_class = view.badge_class
    assert badge_class is not None
    assert badge_class.endorsement_refs == [{"id": 1}]
    issuer = ob2.Profile.of(badge_class.issuer)
    assert issuer is not None
    assert issuer.endorsement_refs == ["https://e.example/2"]
    assert ob2.Assertion(assertion()).endorsement_refs == []
    assert ob2.Assertion(assertion(badge="https://a.example/b")).badge_class is None
    endorsement = ob2.Assertion({"claim": {"id": 5}, "issuer": ["x"], "@context": {"inline": 1}})
    assert endorsement.claim is not None
    assert endorsement.claim.declared_id == 5
    assert endorsement.endorser == ["x"]  # as written: the structure check decides
    assert endorsement.context == {"inline": 1}
    assert ob2.Assertion({"claim": "https://c.example"}).claim is None


def test_legacy_members_as_written() -> None:
    legacy = ob2.LegacyAssertion({"recipient": ["a"], "salt": 7, "uid": ""})
    assert legacy.declared_recipient == ["a"]
    assert legacy.salt == 7
    assert legacy.uid == ""
    profile = ob2.Profile({"origin": 42})
    assert profile.origin is None
    assert profile.declared_origin == 42


def test_a_hosted_profile_policy() -> None:
    profile = ob2.Profile(
        {
            "verification": {"startsWith": ["https://a.example/", 5], "allowedOrigins": "A.Example"},
            "publicKey": ["https://a.example/k1", {"id": "https://a.example/k2"}, {}],
        }
    )
    assert profile.starts_with == ["https://a.example/"]
    assert profile.allowed_origins == ["a.example"]
    assert profile.public_keys == ["https://a.example/k1", "https://a.example/k2", None]


def test_nested_contexts_of_extensions() -> None:
    view = ob2.Assertion(
        assertion(**{"extensions:x": {"@context": "https://e.example/c", "v": [{"@context": [1]}]}})
    )
    assert sorted(map(str, view.nested_contexts)) == ["1", "https://e.example/c"]
    assert view.extensions == ["extensions:x"]
    names = {"extensions:b": 1, "a\0extensions:c": 2, "extensions:a": 3, "Extensions:d": 4}
    assert ob2.Assertion(names).extensions == ["extensions:a", "extensions:b"]
    assert ob2.Assertion({"a\0extensions:c": 2, "x": 1}).extensions == []


def test_revocation_list_entries_fail_closed_on_null() -> None:
    listed = status.RevocationList({"revokedAssertions": None, "issuer": {"id": "https://a.example/i"}})
    assert listed.entries("revokedAssertions") == [None]  # a malformed entry, never "nothing revoked"
    assert listed.entries("revokedCredentials") is None
    assert listed.issuer == "https://a.example/i"
    assert status.RevokedEntry({}).revoked is True
    assert status.StatusEntry({}).size == 1
    assert status.StatusEntry.message_of({"status": "0x1", "message": "m"}) == ("0x1", "m")
    assert status.StatusEntry.message_of("x") == (None, None)


# --- claims: the one summariser ------------------------------------------------------------------


def test_claims_follow_references_through_the_lookup() -> None:
    profile = {"id": "https://acme.example/i", "name": "Acme (fetched)"}
    badge = {"id": "https://acme.example/b", "name": "Teamwork", "issuer": profile["id"], "image": "i.png"}
    documents = {profile["id"]: profile, badge["id"]: badge}
    claims = claims_of(ob2.Assertion(assertion(badge=badge["id"])), documents.get)
    assert (claims.spec, claims.name, claims.achievement_id) == ("ob2", "Teamwork", badge["id"])
    assert (claims.issuer_id, claims.issuer_name, claims.issuer_source) == (
        profile["id"],
        "Acme (fetched)",
        "fetched",
    )
    assert claims.recipient_text == "ada@example.org"
    assert claims.images == ("i.png",)
    alone = claims_of(ob2.Assertion(assertion(badge=badge["id"])))
    assert (alone.achievement, alone.achievement_id, alone.issuer_id, alone.issuer_source) == (
        None,
        badge["id"],
        None,
        "missing",
    )


def test_ob3_claims() -> None:
    claims = claims_of(ob3.Credential(credential(issuer="https://acme.example/i", name="Credential name")))
    assert (claims.issuer_id, claims.issuer_source, claims.issuer_name) == (
        "https://acme.example/i",
        "missing",
        None,
    )
    assert claims.name == "Teamwork"  # the achievement's, before the credential's own
    assert claims.recipient_text == "did:example:ada"  # the subject id before an identifier
    recipient = claims.recipient
    assert isinstance(recipient, ob3.IdentityObject)
    assert recipient.identity == "ada@example.org"
    assert claims.issued is not None
    assert claims.issued.text == "2026-05-01T12:00:00Z"
    nameless = claims_of(
        ob3.Credential(credential(name="Credential name", credentialSubject={"id": "did:x"}))
    )
    assert (nameless.name, nameless.achievement, nameless.recipient) == ("Credential name", None, None)


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout))


def test_the_model_imports_only_the_standard_library() -> None:
    # fresh interpreters: this test process has imported everything already
    loaded = _modules_after("import badgekiln.model.reader, badgekiln.model.claims, badgekiln.model.status")
    loaded -= _modules_after("pass")  # what site and the virtualenv load anyway
    foreign = {name.split(".")[0] for name in loaded} - set(sys.stdlib_module_names) - {"badgekiln"}
    assert foreign == set()
    ours = {name for name in loaded if name.startswith("badgekiln.")}
    assert {name for name in ours if not name.startswith("badgekiln.model")} <= {
        "badgekiln._lazy",
        "badgekiln._version",
        "badgekiln.errors",
    }
