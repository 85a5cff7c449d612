"""badgekiln.verification.recipient: the spec and fixture hashes, email strictness, OB 3.0 identifiers,
malformed identity objects, and hash_identity round trips."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgekiln.errors import MalformedPayload
from badgekiln.verification.recipient import (
    MAX_IDENTIFIERS,
    RecipientMatch,
    find_ob2_recipient,
    find_ob3_recipient,
    hash_identity,
)

OB20 = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob20"
OB30 = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
DCC = "digitalcredentials-vc-test-fixtures/verifiableCredentials"

# Verified vectors (standards.md §4.1, §5.2): alg(identity ‖ salt), UTF-8.
DCPV_HASH = (
    "sha256$ecf5409f3f4b91ab60cc5ef4c02aef7032354375e70cf4d8e43f6a1d29891942"  # nobody@example.org + deadsea
)
OB3_SPEC_HASH = (
    "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"  # a@example.com + Kosher
)
MAYZE_HASH = "sha256$7a1a1b3f7d40552e4299180e346e3add12bf9a751a43d9c4ca4518febc2c60c6"  # mayze, no salt
MD5_HASH = "md5$" + hashlib.md5(b"nobody@example.orgdeadsea").hexdigest()
FIRST = "credentialSubject.identifier[0]"
GUIDE_HASH = (
    "sha256$658625b25ab3d75d613ca97d9a5a77f70e2192feca5557f4ad09a4d4f121f5fc"  # jjefferson18@… + FleurDeSel
)


def ob2(identity: str, *, type_: str = "email", hashed: bool = True, salt: Any = None) -> dict[str, Any]:
    recipient: dict[str, Any] = {"type": type_, "hashed": hashed, "identity": identity}
    if salt is not None:
        recipient["salt"] = salt
    return recipient


def ob3_identifier(
    value: str, *, identity_type: str = "emailAddress", hashed: bool = True, salt: str | None = None
) -> dict[str, Any]:
    identifier: dict[str, Any] = {
        "type": "IdentityObject",
        "identityType": identity_type,
        "hashed": hashed,
        "identityHash": value,
    }
    if salt is not None:
        identifier["salt"] = salt
    return identifier


# --- OB 2.0 -------------------------------------------------------------------------------------


def test_ob2_fixture_recipient_matches_nobody_at_example_org(vectors: Path) -> None:
    assertion = json.loads((vectors / OB20 / "basic-assertion.json").read_text())
    match = find_ob2_recipient(assertion["recipient"], "nobody@example.org", identity_type="email")
    assert match == RecipientMatch("recipient", "email", True, "sha256")
    assert find_ob2_recipient(assertion["recipient"], "somebody@example.org") is None


@pytest.mark.parametrize(("recipient", "identity", "matched"), [
    (ob2(DCPV_HASH, salt="deadsea"), "nobody@example.org", True),
    (ob2("sha256$" + DCPV_HASH[7:].upper(), salt="deadsea"), "nobody@example.org", True),  # hex case
    (ob2("SHA256$" + DCPV_HASH[7:], salt="deadsea"), "nobody@example.org", True),          # alg case
    (ob2(DCPV_HASH, salt="deadsea"), "nobody@EXAMPLE.org", True),       # the domain is case-insensitive
    (ob2(DCPV_HASH, salt="deadsea"), "Nobody@example.org", False),      # the local part is not
    (ob2(DCPV_HASH, salt="deadsea"), " nobody@example.org", False),     # no whitespace stripping
    (ob2(DCPV_HASH, salt="deadsea"), "nobody@example.org ", False),
    (ob2(DCPV_HASH, salt="DEADSEA"), "nobody@example.org", False),      # the salt is exact
    (ob2(DCPV_HASH), "nobody@example.orgdeadsea", True),                # no salt: hash of the identity alone
    (ob2(MAYZE_HASH, type_="id"), "mayze", True),
    (ob2(MAYZE_HASH, type_="id", salt=None), "Mayze", False),
    (ob2(MD5_HASH, salt="deadsea"), "nobody@example.org", True),
    (ob2("nobody@example.org", hashed=False), "nobody@example.org", True),
    (ob2("nobody@example.org", hashed=False), "nobody@Example.ORG", True),
    (ob2("Nobody@example.org", hashed=False), "nobody@example.org", False),
    (ob2("https://example.org/~nobody", type_="url", hashed=False), "https://example.org/~nobody", True),
    (ob2("https://example.org/~a", type_="url", hashed=False), "https://EXAMPLE.org/~a", False),  # urls exact
    (ob2("+15555550100", type_="telephone", hashed=False), "+15555550100", True),
])  # fmt: skip
def test_ob2_matching(recipient: dict[str, Any], identity: str, matched: bool) -> None:
    assert (find_ob2_recipient(recipient, identity) is not None) is matched


def test_ob2_type_filter() -> None:
    recipient = ob2(DCPV_HASH, salt="deadsea")
    assert find_ob2_recipient(recipient, "nobody@example.org", identity_type="url") is None
    assert find_ob2_recipient(recipient, "nobody@example.org", identity_type="email") is not None
    match = find_ob2_recipient(ob2("nobody@example.org", hashed=False), "nobody@example.org")
    assert match == RecipientMatch("recipient", "email", False, None)


@pytest.mark.parametrize(("recipient", "field"), [
    ("nobody@example.org", "recipient"),                                       # OB 1.0 style bare string
    (ob2(DCPV_HASH, type_="phone"), "recipient.type"),
    ({**ob2(DCPV_HASH), "type": ["email"]}, "recipient.type"),                  # unhashable: no TypeError
    ({"hashed": True, "identity": DCPV_HASH}, "recipient.type"),
    ({**ob2(DCPV_HASH), "hashed": "true"}, "recipient.hashed"),
    ({"type": "email", "identity": DCPV_HASH}, "recipient.hashed"),
    (ob2(""), "recipient.identity"),
    ({**ob2(DCPV_HASH), "identity": ["x"]}, "recipient.identity"),
    (ob2(DCPV_HASH, salt=7), "recipient.salt"),
    (ob2("sha256$" + "0" * 63), "recipient.identity"),                          # short digest
    (ob2("sha1$" + "0" * 40), "recipient.identity"),                            # unsupported algorithm
    (ob2("sha256$" + "g" * 64), "recipient.identity"),
    (ob2("md5$" + "0" * 64), "recipient.identity"),                             # md5 with a sha256 length
    (ob2(DCPV_HASH + "\n"), "recipient.identity"),
    (ob2("x" * 5000, hashed=False), "recipient.identity"),                      # over MAX_IDENTITY_CHARS
    (ob2("nobody@example.org\udc80", hashed=False), "recipient.identity"),      # a lone surrogate
    (ob2(DCPV_HASH, salt="dead\ud800sea"), "recipient.salt"),
])  # fmt: skip
def test_ob2_malformed_identity_objects(recipient: Any, field: str) -> None:
    with pytest.raises(MalformedPayload) as caught:
        find_ob2_recipient(recipient, "nobody@example.org")
    assert (caught.value.reason, caught.value.details["field"]) == ("recipient", field)


def test_ob2_null_salt_means_no_salt() -> None:
    assert find_ob2_recipient({**ob2(MAYZE_HASH, type_="id"), "salt": None}, "mayze") is not None


@pytest.mark.parametrize(("identity", "identity_type", "error"), [
    ("", None, ValueError),
    ("x" * 5000, None, ValueError),
    (b"x", None, TypeError),
    ("x", "phone", ValueError),
    ("nobody@example.org\udcff", None, ValueError),  # surrogate-escaped bytes from argv
])  # fmt: skip
def test_ob2_bad_calls(identity: Any, identity_type: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        find_ob2_recipient(ob2(DCPV_HASH), identity, identity_type=identity_type)


# --- OB 3.0 -------------------------------------------------------------------------------------


def test_ob3_spec_identity_hash() -> None:
    subject = {"type": ["AchievementSubject"], "identifier": [ob3_identifier(OB3_SPEC_HASH, salt="Kosher")]}
    match = find_ob3_recipient(subject, "a@example.com", identity_type="emailAddress")
    assert match == RecipientMatch("identifier", "emailAddress", True, "sha256", 0)
    assert find_ob3_recipient(subject, "a@Example.COM") is not None
    assert find_ob3_recipient(subject, "A@example.com") is None
    assert find_ob3_recipient(subject, "a@example.com", identity_type="sourcedId") is None


def test_ob3_implementation_guide_typo_email_is_read_with_a_warning() -> None:
    subject = {
        "identifier": ob3_identifier(GUIDE_HASH, identity_type="email", salt="FleurDeSel")
    }  # one object
    match = find_ob3_recipient(subject, "jjefferson18@example.com", identity_type="emailAddress")
    assert match is not None
    assert match.identity_type == "emailAddress"
    assert match.warnings == (
        'credentialSubject.identifier[0].identityType is "email"; the specification says "emailAddress"',
    )


@pytest.mark.parametrize("rel", [f"{OB30}/complete.json", "educredentials-obv3-examples/ref/full_ex.json"])
def test_ob3_fixture_plaintext_identifiers_and_subject_id(vectors: Path, rel: str) -> None:
    subject = json.loads((vectors / rel).read_text())["credentialSubject"]
    second = find_ob3_recipient(subject, "somebody@gmail.com", identity_type="emailAddress")
    assert second == RecipientMatch("identifier", "emailAddress", False, None, 1)
    assert find_ob3_recipient(subject, "did:example:ebfeb1f712ebc6f1c276e12ec21") == RecipientMatch(
        "id", "id", False
    )
    assert find_ob3_recipient(subject, "nobody@gmail.com") is None


def test_ob3_dcc_fixture_with_a_single_name_identifier(vectors: Path) -> None:
    credential = json.loads(
        (
            vectors / DCC / "v2/dataIntegrityProof/didKey/legacyRegistry-noStatus-noExpiry-identityHash.json"
        ).read_text()
    )
    match = find_ob3_recipient(credential["credentialSubject"], "Parker Pearl", identity_type="name")
    assert match == RecipientMatch("identifier", "name", False, None, 0)
    assert find_ob3_recipient(credential["credentialSubject"], "parker pearl") is None  # names are exact


@pytest.mark.parametrize(("subject_id", "identity", "identity_type", "matched"), [
    ("mailto:a@example.com", "a@example.com", None, True),
    ("mailto:a@example.com", "a@EXAMPLE.com", "emailAddress", True),
    ("mailto:a@example.com", "a@example.com", "sourcedId", False),   # mailto only for email identities
    ("did:key:z6Mk", "did:key:z6Mk", "sourcedId", True),             # an exact id always counts
    ("did:key:z6Mk", "did:key:z6mk", None, False),
])  # fmt: skip
def test_ob3_subject_id(subject_id: str, identity: str, identity_type: str | None, matched: bool) -> None:
    assert (
        find_ob3_recipient({"id": subject_id}, identity, identity_type=identity_type) is not None
    ) is matched


def test_ob3_skips_other_types_and_finds_a_later_identifier() -> None:
    subject = {"identifier": [ob3_identifier("a@example.com", identity_type="sourcedId", hashed=False),
                              ob3_identifier(OB3_SPEC_HASH, salt="Kosher")]}  # fmt: skip
    match = find_ob3_recipient(subject, "a@example.com", identity_type="emailAddress")
    assert match is not None
    assert match.index == 1
    first = find_ob3_recipient(subject, "a@example.com")
    assert first is not None
    assert (first.index, first.identity_type) == (0, "sourcedId")


@pytest.mark.parametrize(("subject", "field"), [
    ("did:example:1", "credentialSubject"),
    ({"identifier": ["a@example.com"]}, "credentialSubject.identifier[0]"),
    ({"identifier": [{**ob3_identifier(OB3_SPEC_HASH), "type": "InvalidIdentityObject"}]}, FIRST),
    ({"identifier": [{**ob3_identifier(OB3_SPEC_HASH), "hashed": None}]}, f"{FIRST}.hashed"),
    ({"identifier": [{**ob3_identifier(OB3_SPEC_HASH), "identityType": 3}]}, f"{FIRST}.identityType"),
    ({"identifier": [ob3_identifier("asdjhsadas")]}, f"{FIRST}.identityHash"),
    ({"identifier": [ob3_identifier(OB3_SPEC_HASH), {**ob3_identifier(OB3_SPEC_HASH), "salt": {}}]},
     "credentialSubject.identifier[1].salt"),
    ({"identifier": [ob3_identifier("x", hashed=False)] * (MAX_IDENTIFIERS + 1)}, "identifier"),
])  # fmt: skip
def test_ob3_malformed_subjects(subject: Any, field: str) -> None:
    with pytest.raises(MalformedPayload) as caught:
        find_ob3_recipient(subject, "someone@example.com")
    assert (caught.value.reason, caught.value.details["field"]) == ("recipient", field)


def test_ob3_fixture_with_an_invalid_identity_object_type(vectors: Path) -> None:
    subject = json.loads((vectors / OB30 / "simple-err-credential-subject-identifier-type.json").read_text())[
        "credentialSubject"
    ]
    with pytest.raises(MalformedPayload):
        find_ob3_recipient(subject, "student@1edtech.edu")


def test_ob3_subject_without_id_or_identifier_matches_nothing() -> None:
    assert find_ob3_recipient({"type": ["AchievementSubject"]}, "a@example.com") is None


# --- issuing --------------------------------------------------------------------------------------


def test_hash_identity_reproduces_the_spec_vectors() -> None:
    assert hash_identity("a@example.com", salt="Kosher") == (OB3_SPEC_HASH, "Kosher")
    assert hash_identity("nobody@example.org", salt="deadsea") == (DCPV_HASH, "deadsea")
    assert hash_identity("mayze", salt="") == (MAYZE_HASH, "")


def test_hash_identity_draws_a_fresh_salt_and_round_trips() -> None:
    first, salt = hash_identity("Ann@example.org")
    second, other_salt = hash_identity("Ann@example.org")
    assert len(salt) == 32
    assert int(salt, 16) >= 0
    assert (first, salt) != (second, other_salt)
    subject = {"identifier": [ob3_identifier(first, salt=salt)]}
    assert find_ob3_recipient(subject, "Ann@example.org") is not None
    assert find_ob2_recipient(ob2(first, salt=salt), "Ann@EXAMPLE.org") is not None
    assert find_ob2_recipient(ob2(first, salt=salt), "ann@example.org") is None


def test_hash_identity_hashes_utf8() -> None:
    identity_hash, _ = hash_identity("zoë@exämple.org", salt="sel")
    assert identity_hash == "sha256$" + hashlib.sha256("zoë@exämple.orgsel".encode()).hexdigest()
    assert find_ob2_recipient(ob2(identity_hash, salt="sel"), "zoë@EXÄMPLE.org") is not None


@pytest.mark.parametrize(("identity", "kwargs", "error"), [
    ("a@example.com", {"algorithm": "md5"}, ValueError),
    ("a@example.com", {"algorithm": "sha512"}, ValueError),
    ("a@example.com", {"salt": 5}, ValueError),
    ("a@example.com", {"salt": "s" * 5000}, ValueError),
    ("a@example.com", {"salt": "\ud800"}, ValueError),
    ("\ud800@example.com", {}, ValueError),
    ("", {}, ValueError),
    (None, {}, TypeError),
])  # fmt: skip
def test_hash_identity_refuses_bad_calls(
    identity: Any, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        hash_identity(identity, **kwargs)


# --- properties -----------------------------------------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
IDENTITY_OBJECT = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["email", "IdentityObject", ["IdentityObject"]]) | JSONISH,
        "identityType": st.sampled_from(["emailAddress", "email"]) | JSONISH,
        "hashed": st.booleans() | JSONISH,
        "identity": st.sampled_from([DCPV_HASH, "a@example.com"]) | JSONISH,
        "identityHash": st.sampled_from([OB3_SPEC_HASH, "a@example.com"]) | JSONISH,
        "salt": st.sampled_from(["Kosher", "deadsea"]) | JSONISH,
    },
)


@given(IDENTITY_OBJECT, st.one_of(IDENTITY_OBJECT, st.lists(IDENTITY_OBJECT, max_size=3), JSONISH), JSONISH)
@settings(max_examples=300)
def test_arbitrary_identity_objects_give_a_match_none_or_malformed_payload(
    recipient: Any, identifiers: Any, subject_id: Any
) -> None:
    for find, value in (
        (find_ob2_recipient, recipient),
        (find_ob3_recipient, {"id": subject_id, "identifier": identifiers}),
    ):
        try:
            outcome: Any = find(value, "a@example.com")
        except MalformedPayload as exc:
            outcome = exc
        assert outcome is None or isinstance(outcome, RecipientMatch | MalformedPayload)
