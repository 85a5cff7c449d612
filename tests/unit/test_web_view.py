"""badgekiln.web.view: the badge view model, and the LinkedIn "Add to profile" link."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from badgekiln.verification.report import Check, Report, Summary
from badgekiln.web.claims import Claims
from badgekiln.web.view import LINKEDIN_ADD_URL, Picture, build_view, linkedin_url
from tests.web_support import verify_page

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


def test_conformance_deviations_are_listed_apart_from_the_verdict() -> None:
    # GIVEN a valid report with one conformance deviation (a warning)
    deviation = Check("structure", "warning", "the credential has no id (OB 3.0 requires one)", "no-id")
    report = Report("ob3", "json", (*VALID, deviation), conformance=(deviation,))
    view = build_view(report, CLAIMS, Picture(None, "x"))
    # THEN the badge is valid and the page lists the deviation under Conformance
    assert view.verdict.word == "Valid"
    assert [(row.title, row.sentence) for row in view.conformance] == [
        ("Required information", "The credential has no id (OB 3.0 requires one).")
    ]
    body = _page(view)
    assert '<h2 id="conformance-title">Conformance</h2>' in body
    assert "do not affect whether the badge is genuine and in force" in body
    assert "Required information: The credential has no id (OB 3.0 requires one)." in body
    # AND in strict mode the page says they made it not valid
    failed = Check("structure", "failed", deviation.message, "no-id")
    strict = Report("ob3", "json", (*VALID, failed), conformance=(failed,), strict=True)
    strict_view = build_view(strict, CLAIMS, Picture(None, "x"))
    assert strict_view.verdict.word == "Not valid"
    assert "Checked strictly: these deviations" in _page(strict_view)
    # AND a report without deviations has no such section
    assert "conformance-title" not in _page(
        build_view(Report("ob3", "json", VALID), CLAIMS, Picture(None, "x"))
    )


def _page(view: object) -> str:
    return verify_page(view, PAGE)


def test_issuer_identity_is_shown_and_self_declared_names_are_flagged() -> None:
    from badgekiln.verification.report import IssuerIdentity

    def page(identity: IssuerIdentity | None) -> tuple[str, str]:
        view = build_view(Report("ob3", "json", VALID, issuer_identity=identity), CLAIMS, Picture(None, "x"))
        return view.issuer.identity, verify_page(view, PAGE)

    confirmed = IssuerIdentity(
        "domain",
        "did:web:acme.example",
        domain="acme.example",
        message="issuer identity confirmed for acme.example",
    )
    shown, body = page(confirmed)
    assert shown == "Identity confirmed for acme.example"
    assert (
        'id="issuer-identity"><span aria-hidden="true">✓</span> Identity confirmed for acme.example' in body
    )
    assert "Issuer identity confirmed for acme.example." in body  # the verifier's sentence, folded
    self_declared = IssuerIdentity(
        "none",
        "did:key:z6Mk",
        message="issuer identity not verified: the issuer's name is self-declared (a did:key issuer names "
        "only a key, not an organisation)",
    )
    shown, body = page(self_declared)
    assert shown == "Self-declared: not confirmed"
    assert '<span class="identity identity-self" id="issuer-identity">' in body
    assert "Issuer identity not verified: the issuer&#39;s name is self-declared" in body
    shown, _ = page(None)  # a report made without verify()
    assert shown == "Self-declared: not confirmed"


def test_narratives_are_markdown_rendered_safely() -> None:
    claims = replace(
        CLAIMS,
        description="Fire **one** pot in `the kiln`.\n\n<script>alert(1)</script>",
        criteria="# Steps\n\n1. [Read](https://acme.example/guide)\n2. [Run](javascript:alert(1))\n\n![x](https://evil.example/p.png)",
    )
    view = build_view(Report("ob3", "json", VALID), claims, Picture(None, "Badge image"))
    assert view.description_html == (
        "<p>Fire <strong>one</strong> pot in <code>the kiln</code>.</p>\n"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )
    criteria = str(view.criteria_html)
    assert "<h3>Steps</h3>" in criteria
    assert '<a href="https://acme.example/guide" rel="nofollow noopener noreferrer">Read</a>' in criteria
    assert "javascript:" not in criteria.replace(
        "[Run](javascript:alert(1))", ""
    )  # left as text, never a link
    assert "<img" not in criteria


def test_identity_words_and_unverified_claims() -> None:
    from badgekiln.verification.report import IssuerIdentity
    from badgekiln.web.view import identity_words

    def words(identity: IssuerIdentity | None) -> tuple[bool, str]:
        return identity_words(Report("ob3", "json", VALID, issuer_identity=identity))[:2]

    assert words(IssuerIdentity("domain", "did:web:acme.example", domain="acme.example")) == (
        True,
        "Identity confirmed for acme.example",
    )
    assert words(IssuerIdentity("registry", "did:key:z6Mk", registry="Acme registry")) == (
        True,
        "Identity confirmed: listed by Acme registry",
    )
    assert words(IssuerIdentity("key", "did:key:z6Mk")) == (
        True,
        "Identity confirmed: the issuer's key was pinned",
    )
    for self_declared in (IssuerIdentity("none", "did:key:z6Mk"), None):
        assert words(self_declared) == (False, "Self-declared: not confirmed")
    untied = Report("ob3", "json", (*VALID[:1], Check("issuer", "failed", "not tied")))
    view = build_view(untied, CLAIMS, Picture(None, "Badge image"), page_url=PAGE)
    assert view.verdict.word == "Not valid"
    assert view.unverified
    assert not build_view(Report("ob3", "json", VALID), CLAIMS, Picture(None, "Badge image")).unverified


def test_the_embed_snippet_escapes_what_it_quotes() -> None:
    view = build_view(
        Report("ob3", "json", VALID),
        replace(CLAIMS, name='A "quoted" <b>name</b>'),
        Picture("/v/acme/1/image.png", "Badge image"),
        page_url=PAGE,
    )
    assert view.embed == (
        f'<a href="{PAGE}"><img src="{PAGE}/image.png" '
        'alt="A &#34;quoted&#34; &lt;b&gt;name&lt;/b&gt;: verify this Open Badge" '
        'width="120" height="120"></a>'
    )
    assert build_view(Report("ob3", "json", VALID), CLAIMS, Picture(None, "x")).embed is None


def test_the_issuer_logo_and_unverified_marks_on_the_page() -> None:
    logo = Picture("data:image/png;base64,iVBORw0KGgo=", "Logo of Acme")
    valid = _page(
        build_view(Report("ob3", "json", VALID), CLAIMS, Picture(None, "x"), page_url=PAGE, logo=logo)
    )
    assert '<img class="issuer-logo" src="data:image/png;base64,iVBORw0KGgo=" alt="Logo of Acme"' in valid
    assert "tag-unverified" not in valid
    assert 'id="unverified-note"' not in valid
    untied = Report("ob3", "json", (*VALID[:1], Check("issuer", "failed", "not tied")))
    page = _page(build_view(untied, replace(CLAIMS, criteria="Finish"), Picture(None, "x"), page_url=PAGE))
    assert 'class="issuer-logo"' not in page
    assert 'id="unverified-note"' in page
    assert 'aria-describedby="unverified-note"' in page
    assert (
        page.count('<span class="tag-unverified">(unverified)</span>') == 4
    )  # issuer, recipient, date, criteria
