"""The upload check: verify what a visitor dropped or pasted, and build the page's view of it.

Verification runs in-process with :func:`badgekiln.verify` (the pages function needs no second
Lambda hop, and its fetcher answers this site's own URLs from the store). What the page shows
about the badge is read from the same payload and the documents the verifier fetched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from badgekiln.errors import BadgeKilnError, MalformedPayload, NotABadgeImage
from badgekiln.verification.report import Report
from badgekiln.web.claims import Claims, shown_claims
from badgekiln.web.forms import CheckForm
from badgekiln.web.images import picture_from_data_uri, picture_from_upload
from badgekiln.web.site import RecordingFetcher
from badgekiln.web.verdict import sentence
from badgekiln.web.view import BadgeView, Picture, build_view

if TYPE_CHECKING:
    from badgekiln.model.reader import Badge

__all__ = ["alt_text", "badge_document", "check_badge", "claims_of", "parse_payload", "view_of"]


def parse_payload(text: str) -> Badge | None:
    """The credential or assertion a payload carries (JSON, or the claims of a JWT/JWS), read by
    the model; ``None`` for a URL.

    Raises:
        MalformedPayload, InputTooLarge: not a payload at all, or not a badge.
    """
    from badgekiln.model.jwt import VcJwt
    from badgekiln.model.reader import read, read_jwt
    from badgekiln.proofs.jws import parse_compact
    from badgekiln.sniff import classify_payload
    from badgekiln.strictjson import loads_object, loads_strict

    kind = classify_payload(text)
    if kind == "json":
        value = loads_strict(text.strip().encode("utf-8"), source="the badge JSON")
        return read(value) if isinstance(value, dict) else None
    if kind == "jws":
        signed = read_jwt(loads_object(parse_compact(text.strip()).payload, source="JWT payload"))
        return signed.credential if isinstance(signed, VcJwt) else signed
    return None


def badge_document(data: bytes | str, report: Report, fetcher: RecordingFetcher) -> Badge | None:
    """The credential (OB 3.0) or assertion (OB 2.0) behind ``data``, for display; ``None`` when
    it cannot be had (the report then carries all there is)."""
    try:
        if report.format in ("png", "svg"):
            from badgekiln.baking import extract

            raw = data.encode("utf-8") if isinstance(data, str) else data
            text = extract(raw).payload
        else:
            text = data if isinstance(data, str) else data.decode("utf-8")
        stripped = text.strip()
        if report.format == "url" or stripped.startswith(("http://", "https://")):
            from badgekiln.model.reader import read

            document = fetcher.document(stripped)
            return read(document) if document is not None else None
        return parse_payload(stripped)
    except (BadgeKilnError, UnicodeDecodeError):
        return None


def claims_of(report: Report, badge: Badge | None, fetcher: RecordingFetcher) -> Claims:
    """The displayable claims of ``badge`` (empty claims when there is none)."""
    spec: Literal["ob2", "ob3"] = "ob3" if report.spec == "ob3" else "ob2"
    return shown_claims(badge, fetcher.document, spec)


def alt_text(claims: Claims) -> str:
    """The ``alt`` of the badge image: what it shows, in words."""
    return f"Badge image: {claims.name}" if claims.name else "Badge image"


def view_of(
    report: Report,
    claims: Claims,
    fetcher: RecordingFetcher,
    picture: Picture | None = None,
    **extra: Any,
) -> BadgeView:
    """The view of ``report`` with ``claims`` and ``picture`` (by default the badge's own
    embedded image, when it has one) and the issuer's logo (read through ``fetcher``'s mounts
    when this site hosts it); ``extra`` goes to :func:`~badgekiln.web.view.build_view`."""
    from badgekiln.web.images import issuer_logo

    if picture is None:
        picture = picture_from_data_uri(claims.image, alt_text(claims))
    logo = issuer_logo(claims.issuer_image, claims.issuer_name or "the issuer", fetcher)
    return build_view(report, claims, picture, logo=logo, **extra)


def check_badge(form: CheckForm, fetcher: RecordingFetcher) -> BadgeView:
    """Verify the badge in ``form`` and return its view.

    A badge that fails checks is an answer (the view says "Not valid" and why); input that is no
    badge at all raises.

    Raises:
        NotABadgeImage: a file that is neither a badge image nor a badge file (JSON, JWT, URL).
        MalformedImage, AmbiguousBadge, UnsupportedEncoding, NoBadgeData: an unusable image.
        MalformedPayload: pasted text (or a file's) that is not a badge.
        InputTooLarge: over a size or nesting cap.
    """
    from badgekiln.verification import verify

    data: bytes | str
    if form.file is not None:
        data = form.file
        name = form.filename or "The file"
        try:
            report = verify(data, recipient=form.recipient, fetcher=fetcher)
        except NotABadgeImage as exc:
            raise NotABadgeImage(f"{name}: {sentence(exc.message)}", **exc.details) from exc
        except MalformedPayload as exc:
            if exc.reason not in ("unknown", "empty", "json", "jws"):
                raise
            raise NotABadgeImage(
                f"{name} is not a badge: it is neither a PNG or SVG badge image nor a badge "
                "JSON, JWT or URL.",
                reason="not-a-badge",
            ) from exc
    else:
        data = form.payload or ""
        report = verify(data, recipient=form.recipient, fetcher=fetcher)
    claims = claims_of(report, badge_document(data, report, fetcher), fetcher)
    picture = None
    if report.format in ("png", "svg") and isinstance(data, bytes):
        picture = picture_from_upload(data, report.format, alt_text(claims))
    return view_of(report, claims, fetcher, picture)
