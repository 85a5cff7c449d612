"""badgekiln.web.view: the badge view model, and the LinkedIn "Add to profile" link."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from badgekiln.verification.report import Check, Report, Summary
from badgekiln.web.claims import Claims
from badgekiln.web.view import LINKEDIN_ADD_URL, Picture, build_view, linkedin_url

VALID = (
    Check("signature", "passed", "eddsa-rdfc-2022 proof verified"),
    Check("issuer", "passed", "the key's controller is the issuer"),
    Check("status", "passed", "not revoked"),
)
CLAIMS = Claims(
    spec="ob3",
    id="https://badges.example/issuers/acme/credentials/1.json",
    name="Teamwork",
    issuer_name="Acme",
    issuer_url="https://acme.example",
    issuer_source="embedded",
    issued=datetime(2026, 5, 1, tzinfo=UTC),
    expires=datetime(2028, 11, 30, tzinfo=UTC),
)
PAGE = "https://badges.example/v/acme/1"


def test_linkedin_link_carries_the_certification_fields() -> None:
    link = linkedin_url(
        name="Teamwork & Co",
        organisation="Acme",
        issued=datetime(2026, 5, 1, tzinfo=UTC),
        expires=datetime(2028, 11, 30, tzinfo=UTC),
        url=PAGE,
        cert_id="urn:uuid:1",
    )
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == LINKEDIN_ADD_URL
    assert parse_qsl(parts.query) == [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", "Teamwork & Co"),
        ("organizationName", "Acme"),
        ("issueYear", "2026"),
        ("issueMonth", "5"),
        ("expirationYear", "2028"),
        ("expirationMonth", "11"),
        ("certUrl", PAGE),
        ("certId", "urn:uuid:1"),
    ]


def test_a_valid_hosted_badge_offers_linkedin() -> None:
    view = build_view(Report("ob3", "json", VALID), CLAIMS, Picture(None, "Badge image"), page_url=PAGE)
    assert view.verdict.word == "Valid"
    assert view.linkedin is not None
    assert ("certUrl", PAGE) in parse_qsl(urlsplit(view.linkedin).query)
    assert (view.title, view.issuer.name, view.issued, view.expires) == (
        "Teamwork",
        "Acme",
        "1 May 2026",
        "30 November 2028",
    )
    assert view.issuer.profile == "Carried inside the badge and covered by its proof."
    assert view.issuer.key == "The key's controller is the issuer."
    assert (view.spec, view.received_as) == ("Open Badges 3.0", "a JSON document")


def test_no_linkedin_for_invalid_badges_or_without_a_page() -> None:
    revoked = (*VALID[:2], Check("status", "failed", "revoked by its issuer", "revoked"))
    assert (
        build_view(Report("ob3", "json", revoked), CLAIMS, Picture(None, "x"), page_url=PAGE).linkedin is None
    )
    assert build_view(Report("ob3", "json", VALID), CLAIMS, Picture(None, "x")).linkedin is None
    assert (
        build_view(Report("ob3", "json", VALID), CLAIMS, Picture(None, "x"), page_url="javascript:x").linkedin
        is None
    )


def test_names_fall_back_to_the_report_summary_then_to_words() -> None:
    summary = Summary(
        issuer={"id": "did:key:z", "name": "Summary Issuer"}, achievement={"name": "Summary Badge"}
    )
    view = build_view(Report("ob2", "png", VALID, summary), Claims(spec="ob2"), Picture(None, "x"))
    assert (view.title, view.issuer.name) == ("Summary Badge", "Summary Issuer")
    view = build_view(Report("ob2", "png", VALID), Claims(spec="ob2"), Picture(None, "x"))
    assert (view.title, view.issuer.name) == ("Unnamed badge", "Unnamed issuer")
    assert view.issuer.profile.startswith("Not available")


def test_a_failed_issuer_check_is_said_so() -> None:
    checks = (VALID[0], Check("issuer", "failed", "the key's owner is 'x', not the issuer y", "owner"))
    view = build_view(Report("ob3", "json", checks), CLAIMS, Picture(None, "x"))
    assert view.issuer.key == "Failed: The key's owner is 'x', not the issuer y."
    assert view.verdict.word == "Not valid"
