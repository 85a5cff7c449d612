"""badgekiln.web.claims: what a page shows of a badge, read through the model from its documents
without trusting them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from badgekiln.model.claims import Lookup
from badgekiln.model.ob2 import Assertion
from badgekiln.model.ob3 import Credential
from badgekiln.model.reader import read
from badgekiln.web.claims import Claims, Recipient, shown_claims
from badgekiln.web.safety import MAX_LONG_TEXT


def read_claims(document: Mapping[str, Any], spec: Literal["ob2", "ob3"], lookup: Lookup) -> Claims:
    """The page's claims of a JSON document (read as the spec says, as the pages do)."""
    badge = Credential(document) if spec == "ob3" else Assertion(document)
    return shown_claims(badge, lookup, spec)


def nothing(url: str) -> Mapping[str, Any] | None:
    return None


def ob3(**members: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "https://badges.example/issuers/acme/credentials/1.json",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:key:z6Mk", "type": ["Profile"], "name": "Acme", "url": "https://acme.example"},
        "validFrom": "2026-05-01T12:00:00Z",
        "validUntil": "2030-05-01T12:00:00Z",
        "name": "Teamwork credential",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": "sha256$" + "ab" * 32,
                }
            ],
            "achievement": {
                "id": "https://badges.example/issuers/acme/achievements/teamwork/achievement.json",
                "type": ["Achievement"],
                "name": "Teamwork",
                "description": "Works well with others.",
                "criteria": {"narrative": "Nominated by peers.", "id": "https://acme.example/criteria"},
                "image": {"id": "https://badges.example/image.png", "type": "Image"},
            },
        },
    }
    document.update(members)
    return document


def test_an_ob3_credential() -> None:
    claims = read_claims(ob3(), "ob3", nothing)
    assert claims.spec == "ob3"
    assert (claims.name, claims.description, claims.criteria) == (
        "Teamwork",
        "Works well with others.",
        "Nominated by peers.",
    )
    assert claims.criteria_url == "https://acme.example/criteria"
    assert claims.image == "https://badges.example/image.png"
    assert (claims.issuer_id, claims.issuer_name, claims.issuer_url) == (
        "did:key:z6Mk",
        "Acme",
        "https://acme.example",
    )
    assert claims.issuer_source == "embedded"
    assert claims.issued == datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert claims.expires == datetime(2030, 5, 1, 12, tzinfo=UTC)
    assert claims.recipient == Recipient(
        "e-mail address", "hidden (SHA-256 hash); only its owner can confirm it", True, True
    )


def test_hostile_values_are_dropped_not_shown() -> None:
    document = ob3(
        issuer={"id": "did:key:z6Mk", "name": ["<b>list</b>"], "url": "javascript:alert(1)"},
        validFrom="yesterday",
        validUntil="2030-05-01T12:00:00",  # no zone: ambiguous, not shown
    )
    achievement = document["credentialSubject"]["achievement"]
    achievement["criteria"] = {"id": "data:text/html,<script>alert(1)</script>", "narrative": 7}
    achievement["image"] = "vbscript:msgbox"
    achievement["description"] = "d" * (MAX_LONG_TEXT * 3)
    claims = read_claims(document, "ob3", nothing)
    assert claims.issuer_name is None
    assert claims.issuer_url is None
    assert (claims.criteria, claims.criteria_url, claims.image) == (None, None, None)
    assert claims.issued is None
    assert claims.expires is None
    assert claims.description is not None
    assert len(claims.description) == MAX_LONG_TEXT


def test_dates_without_a_utc_day_are_dropped() -> None:
    # valid ISO 8601 with an offset, but outside datetime's range once in UTC (shown in UTC)
    claims = read_claims(
        ob3(validFrom="0001-01-01T00:00:00+05:00", validUntil="9999-12-31T23:00:00-05:00"), "ob3", nothing
    )
    assert (claims.issued, claims.expires) == (None, None)
    shifted = read_claims(ob3(validFrom="2026-05-01T01:00:00+02:00"), "ob3", nothing).issued
    assert shifted is not None
    assert (shifted, shifted.tzinfo) == (datetime(2026, 4, 30, 23, tzinfo=UTC), UTC)


def test_markup_in_names_is_kept_as_text_for_escaping() -> None:
    document = ob3()
    document["credentialSubject"]["achievement"]["name"] = "<script>alert(1)</script>"
    assert read_claims(document, "ob3", nothing).name == "<script>alert(1)</script>"


def test_a_subject_id_recipient_is_masked() -> None:
    document = ob3(credentialSubject={"id": "mailto:ada@example.org", "achievement": {"name": "X"}})
    assert read_claims(document, "ob3", nothing).recipient == Recipient(
        "e-mail address", "a•••@e•••.org", False, True
    )
    document = ob3(credentialSubject={"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "achievement": {}})
    recipient = read_claims(document, "ob3", nothing).recipient
    assert recipient is not None
    assert (recipient.kind, recipient.shown) == ("identifier", "did:example:ebfe…ec21")


def test_an_issuer_named_by_url_uses_the_fetched_profile() -> None:
    profile = {"id": "https://acme.example/profile", "name": "Acme (fetched)", "url": "https://acme.example"}
    fetched = {"https://acme.example/profile": profile}
    claims = read_claims(ob3(issuer="https://acme.example/profile"), "ob3", fetched.get)
    assert (claims.issuer_name, claims.issuer_source) == ("Acme (fetched)", "fetched")
    claims = read_claims(ob3(issuer="https://acme.example/profile"), "ob3", nothing)
    assert (claims.issuer_id, claims.issuer_name, claims.issuer_source) == (
        "https://acme.example/profile",
        None,
        "missing",
    )


def test_an_ob2_assertion_reads_the_fetched_badge_class_and_issuer() -> None:
    badge = {
        "id": "https://acme.example/badge",
        "type": "BadgeClass",
        "name": "Teamwork",
        "description": "Works well.",
        "criteria": "https://acme.example/criteria",
        "image": "https://acme.example/badge.png",
        "issuer": "https://acme.example/issuer",
    }
    issuer = {
        "id": "https://acme.example/issuer",
        "type": "Issuer",
        "name": "Acme",
        "url": "https://acme.example",
    }
    fetched = {badge["id"]: badge, issuer["id"]: issuer}
    assertion = {
        "id": "https://acme.example/assertions/1",
        "type": "Assertion",
        "badge": "https://acme.example/badge",
        "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
        "issuedOn": "2026-05-01T00:00:00+00:00",
        "expires": "2027-05-01T00:00:00Z",
    }
    claims = read_claims(assertion, "ob2", fetched.get)
    assert (claims.spec, claims.name, claims.description) == ("ob2", "Teamwork", "Works well.")
    assert (claims.criteria, claims.criteria_url) == (None, "https://acme.example/criteria")
    assert (claims.issuer_name, claims.issuer_source) == ("Acme", "fetched")
    assert claims.recipient == Recipient("e-mail address", "a•••@e•••.org", False, True)
    assert claims.issued == datetime(2026, 5, 1, tzinfo=UTC)


def test_a_data_uri_image_is_kept_for_the_preview() -> None:
    document = ob3()
    document["credentialSubject"]["achievement"]["image"] = {
        "id": "data:image/png;base64,iVBORw0KGgo=",
        "type": "Image",
    }
    assert read_claims(document, "ob3", nothing).image == "data:image/png;base64,iVBORw0KGgo="


def test_the_model_decides_the_spec() -> None:
    assert shown_claims(read(ob3()), nothing, "ob2").spec == "ob3"
    assert shown_claims(None, nothing, "ob2") == Claims(spec="ob2")


def test_malformed_documents_give_empty_claims() -> None:
    claims = read_claims({"credentialSubject": "nope", "issuer": 5}, "ob3", nothing)
    assert (claims.name, claims.issuer_id, claims.recipient) == (None, None, None)
    claims = read_claims({"badge": [], "recipient": "ada"}, "ob2", nothing)
    assert (claims.name, claims.recipient) == (None, None)
