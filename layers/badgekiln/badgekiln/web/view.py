"""The view model of a badge page: everything a template shows, already decided and made safe.

Templates only lay out a :class:`BadgeView`; they make no decisions about trust, and every value
in it is plain text (escaped by Jinja2) or a URL checked by :mod:`badgekiln.web.safety`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final
from urllib.parse import urlencode

from badgekiln.verification.report import Report
from badgekiln.web.claims import Claims, Recipient
from badgekiln.web.safety import http_url, short_date, text
from badgekiln.web.verdict import CheckRow, Verdict, check_rows, conformance_rows, sentence, verdict

if TYPE_CHECKING:
    from markupsafe import Markup

__all__ = [
    "LINKEDIN_ADD_URL",
    "BadgeView",
    "IssuerView",
    "Link",
    "Picture",
    "build_view",
    "linkedin_url",
]

#: LinkedIn's "Add to profile" form for licences and certifications (startTask=CERTIFICATION_NAME).
LINKEDIN_ADD_URL: Final = "https://www.linkedin.com/profile/add"

_SPECS: Final = {"ob3": "Open Badges 3.0", "ob2": "Open Badges 2.0", "ob1": "Open Badges 1.x (legacy)"}
_FORMATS: Final = {
    "png": "a PNG image with the badge baked in",
    "svg": "an SVG image with the badge baked in",
    "json": "a JSON document",
    "jwt": "a signed token (JWT)",
    "url": "a hosted badge URL",
}


@dataclass(frozen=True, slots=True)
class Link:
    """A link the page offers; ``download`` names the file when it is a download."""

    label: str
    href: str
    download: str | None = None


@dataclass(frozen=True, slots=True)
class Picture:
    """The badge image as shown: ``src`` is a ``data:image/png`` URI we produced or a same-site
    path, never a badge-supplied URL; ``note`` says why there is none when ``src`` is empty."""

    src: str | None
    alt: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class IssuerView:
    """Who issued the badge and whether that checked out (``key``, ``profile``: one sentence
    each); ``identity`` says in plain words whether anything beyond the issuer's own word — a
    domain, a trusted registry, a pinned key — confirms who it is (``identity_confirmed``;
    ``identity_detail`` is the verifier's sentence), and ``logo`` is its picture when one may be
    shown."""

    name: str
    url: str | None
    id: str | None
    key: str
    profile: str
    identity: str = "Self-declared: not confirmed"
    identity_confirmed: bool = False
    identity_detail: str | None = None
    logo: Picture | None = None


@dataclass(frozen=True, slots=True)
class BadgeView:
    """A verified badge, ready to render."""

    verdict: Verdict
    title: str
    description: str | None
    criteria: str | None
    criteria_url: str | None
    picture: Picture
    image_url: str | None
    issuer: IssuerView
    recipient: Recipient | None
    issued: str | None
    issued_iso: str | None
    expires: str | None
    expires_iso: str | None
    expired: bool
    checks: tuple[CheckRow, ...]
    spec: str
    received_as: str
    proof: str | None
    credential_id: str | None
    links: tuple[Link, ...] = ()
    linkedin: str | None = None
    endorsements: int = 0
    conformance: tuple[CheckRow, ...] = ()
    strict: bool = False
    description_html: Markup | None = None
    criteria_html: Markup | None = None
    unverified: bool = False
    page_url: str | None = None
    embed: str | None = None


def identity_words(report: Report) -> tuple[bool, str, str | None]:
    """(confirmed, plain words, the verifier's sentence) for the issuer's identity, from the
    report's ``issuer_identity`` (:mod:`badgekiln.verification.identity`): "Identity confirmed
    for acme.example" when a domain, a trusted registry or a pinned key vouches for the issuer,
    else "Self-declared: not confirmed"."""
    identity = report.issuer_identity
    if identity is None:  # a report made without verify()
        return False, "Self-declared: not confirmed", None
    detail = sentence(identity.message) if identity.message else None
    if not identity.verified:
        return False, "Self-declared: not confirmed", detail
    if identity.basis == "registry" and identity.registry:
        where = f" for {identity.domain}" if identity.domain else ""
        return True, f"Identity confirmed{where}: listed by {identity.registry}", detail
    if identity.domain:
        return True, f"Identity confirmed for {identity.domain}", detail
    if identity.basis == "key":
        return True, "Identity confirmed: the issuer's key was pinned", detail
    return True, "Identity confirmed", detail


def _issuer(report: Report, claims: Claims, logo: Picture | None) -> IssuerView:
    check = report.check("issuer")
    if check is None:
        key = "Not checked."
    elif check.status == "failed":
        key = f"Failed: {sentence(check.message)}"
    else:  # passed and warning messages say what held; skipped ones start "not checked"
        key = sentence(check.message)
    signed = any(c.id in ("signature", "hosted") and c.status in ("passed", "warning") for c in report.checks)
    if claims.issuer_source == "fetched":
        profile = "Fetched from the issuer's own address during verification."
    elif claims.issuer_source == "embedded" and signed:
        profile = "Carried inside the badge and covered by its proof."
    elif claims.issuer_source == "embedded":
        profile = "Carried inside the badge, but its proof did not check out."
    else:
        profile = "Not available: the badge names its issuer only by an address that was not fetched."
    name = claims.issuer_name or (report.credential.issuer.get("name") if report.credential else None)
    confirmed, identity, identity_detail = identity_words(report)
    return IssuerView(
        name=text(name) or "Unnamed issuer",
        url=claims.issuer_url,
        id=claims.issuer_id,
        key=key,
        profile=profile,
        identity=identity,
        identity_confirmed=confirmed,
        identity_detail=identity_detail,
        logo=logo,
    )


def linkedin_url(
    *,
    name: str,
    organisation: str,
    issued: datetime | None,
    expires: datetime | None,
    url: str,
    cert_id: str | None,
) -> str:
    """The "Add to LinkedIn profile" link with the certification fields filled.

    Parameters as LinkedIn's Add to Profile form takes them: ``startTask=CERTIFICATION_NAME``,
    ``name``, ``organizationName``, ``issueYear``/``issueMonth``, ``expirationYear``/
    ``expirationMonth``, ``certUrl`` and ``certId``.
    """
    params: list[tuple[str, str]] = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", name),
        ("organizationName", organisation),
    ]
    if issued is not None:
        params += [("issueYear", str(issued.year)), ("issueMonth", str(issued.month))]
    if expires is not None:
        params += [("expirationYear", str(expires.year)), ("expirationMonth", str(expires.month))]
    params.append(("certUrl", url))
    if cert_id:
        params.append(("certId", cert_id))
    return f"{LINKEDIN_ADD_URL}?{urlencode(params)}"


def build_view(
    report: Report,
    claims: Claims,
    picture: Picture,
    *,
    links: tuple[Link, ...] = (),
    page_url: str | None = None,
    logo: Picture | None = None,
) -> BadgeView:
    """The view of a verified badge.

    ``page_url`` is the badge's own verify page (hosted badges): with it the view offers the
    page's link and an embed snippet, and for a valid badge the LinkedIn link (LinkedIn's
    "credential URL" is that page). ``logo`` is the issuer's logo, when one may be shown.
    """
    from badgekiln.web.markdown import markdown_html

    found = verdict(report, expires=claims.expires)
    summary = report.credential
    title = claims.name or text(summary.achievement.get("name") if summary else None) or "Unnamed badge"
    issuer = _issuer(report, claims, logo)
    linkedin = None
    safe_page = http_url(page_url)
    if safe_page is not None and found.word == "Valid":
        linkedin = linkedin_url(
            name=title,
            organisation=issuer.name,
            issued=claims.issued,
            expires=claims.expires,
            url=safe_page,
            cert_id=claims.id,
        )
    expiry = report.check("expiry")
    return BadgeView(
        verdict=found,
        title=title,
        description=claims.description,
        criteria=claims.criteria,
        criteria_url=claims.criteria_url,
        picture=picture,
        image_url=http_url(claims.image),
        issuer=issuer,
        recipient=claims.recipient,
        issued=short_date(claims.issued) if claims.issued else None,
        issued_iso=claims.issued.isoformat() if claims.issued else None,
        expires=short_date(claims.expires) if claims.expires else None,
        expires_iso=claims.expires.isoformat() if claims.expires else None,
        expired=expiry is not None and expiry.status == "failed",
        checks=check_rows(report, issued=claims.issued, expires=claims.expires),
        spec=_SPECS[report.spec],
        received_as=_FORMATS[report.format],
        proof=report.proof,
        credential_id=claims.id,
        links=links,
        linkedin=linkedin,
        endorsements=len(report.endorsements),
        conformance=conformance_rows(report),
        strict=report.strict,
        description_html=markdown_html(claims.description) if claims.description else None,
        criteria_html=markdown_html(claims.criteria) if claims.criteria else None,
        unverified=found.word == "Not valid",
        page_url=safe_page,
        embed=embed_snippet(safe_page, title, has_image=picture.src is not None) if safe_page else None,
    )


def embed_snippet(page_url: str, title: str, *, has_image: bool) -> str:
    """HTML a holder pastes into a web page: the badge's image (when it has one) linking to its
    verify page. Plain text here; the page shows it escaped, to copy."""
    from markupsafe import escape

    label = escape(f"{title}: verify this Open Badge")
    href = escape(page_url)
    if has_image:
        return f'<a href="{href}"><img src="{href}/image.png" alt="{label}" width="120" height="120"></a>'
    return f'<a href="{href}">{label}</a>'
