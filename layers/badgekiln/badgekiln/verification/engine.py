"""``verify()``: read the input, tell what it is, and hand it to the OB 2.0 or OB 3.0 verifier.

Input is detected by content: a PNG or SVG image (its baked payload is verified), a JSON
document (OB 3.0 credential, OB 2.0 or 0.5/1.x assertion), a compact JWS/JWT (OB 3.0 VC-JWT,
OB 2.0 or 1.x signed assertion) or an http(s) URL (what it serves: an OB 3.0 credential, a baked
image, or an OB 2.0 or 1.x hosted assertion). Input that is none of these,
or is not a badge at all, raises a typed error; a badge that fails a check returns a report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from badgekiln.errors import BadgeKilnError, MalformedPayload, NotABadgeImage
from badgekiln.fetch import Fetcher
from badgekiln.model.ob2 import Assertion, LegacyAssertion
from badgekiln.model.ob3 import Credential
from badgekiln.model.reader import read, read_jwt
from badgekiln.png import PNG_SIGNATURE
from badgekiln.sniff import COMPACT_JWS, classify_payload
from badgekiln.strictjson import loads_object, loads_strict
from badgekiln.verification import legacy, ob2, ob3  # every verification dispatches to them
from badgekiln.verification._session import Session
from badgekiln.verification.identity import with_identity
from badgekiln.verification.options import VerifyOptions
from badgekiln.verification.report import InputFormat, Report
from badgekiln.verification.vcjwt import from_parts, parse_signed

__all__ = ["verify"]

_LEADING: Final = b" \t\r\n\xef\xbb\xbf"  # whitespace and a UTF-8 byte-order mark before XML
#: verify()'s keyword defaults: any other value given beside ``options`` is a bad call.
_DEFAULTS: Final = (None, None, False, None, None, None, False)


def _read(data: bytes | str) -> tuple[InputFormat | None, str]:
    """(image format or None, payload text) of the input.

    Raises:
        NotABadgeImage, MalformedImage, AmbiguousBadge, UnsupportedEncoding, NoBadgeData,
        InputTooLarge, MalformedPayload: from extraction, or input that is no text at all.
    """
    if isinstance(data, str):
        try:
            # ASCII text (every JWS, most JSON) holds no lone surrogate: no copy needed to know it
            encoded = b"" if data.isascii() else data.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate, e.g. from a surrogate-escaped source
            raise MalformedPayload(
                f"the input is not valid Unicode text (a lone surrogate at character {exc.start})",
                reason="utf-8",
                offset=exc.start,
            ) from exc
        if not data.lstrip(" \t\r\n\ufeff").startswith("<"):
            return None, data
        data = encoded or data.encode("utf-8")
    elif not isinstance(data, bytes | bytearray):
        raise TypeError(f"data must be bytes or str, not {type(data).__name__}")
    raw = bytes(data)
    if raw.startswith(PNG_SIGNATURE) or raw[1:4] == b"PNG" or raw.lstrip(_LEADING).startswith(b"<"):
        from badgekiln.baking import extract

        found = extract(raw)
        return found.format, found.payload
    try:
        return None, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotABadgeImage(
            "the input is neither a PNG or SVG image nor a UTF-8 badge payload (JSON, JWT or URL)"
        ) from exc


def _verify_text(session: Session, image: InputFormat | None, text: str) -> Report:
    payload = text.strip(" \t\r\n")
    # a compact JWS is parsed (strictly) below; anything else is classified by the sniffer
    kind = "jws" if COMPACT_JWS.fullmatch(payload) else classify_payload(text)
    if kind == "url":
        if image is None:
            return _verify_url(session, payload)
        # a URL baked into an image is an OB 2.0 hosted assertion (OB 3.0 bakes no URLs)
        return ob2.verify_hosted(session, image, url=payload)
    if kind == "json":
        document = loads_strict(payload.encode("utf-8"), source="the badge JSON")
        if not isinstance(document, dict):
            raise MalformedPayload("the badge JSON must be an object", reason="json")
        fmt: InputFormat = image or "json"
        badge = read(document)
        if isinstance(badge, Credential):
            return ob3.verify_credential(session, badge, fmt)
        if isinstance(badge, LegacyAssertion):
            return legacy.verify_given(session, badge, fmt)
        return ob2.verify_hosted(session, fmt, baked=badge)
    parsed = parse_signed(payload)
    signed = read_jwt(loads_object(parsed.payload, source="JWT payload"))
    fmt = image or "jwt"
    if isinstance(signed, LegacyAssertion):
        if signed.verification_type == "hosted":  # as for 2.0: the VerificationObject picks
            return legacy.verify_given(session, signed, fmt)
        return legacy.verify_signed(session, parsed, signed, fmt)
    if isinstance(signed, Assertion):
        if ob2.is_hosted(signed):  # the VerificationObject, not the envelope, picks the procedure
            return ob2.verify_hosted(session, fmt, baked=signed, jws=parsed)
        return ob2.verify_signed(session, parsed, signed, fmt)
    return ob3.verify_credential_jwt(session, from_parts(parsed, signed), fmt)


def _verify_url(session: Session, url: str) -> Report:
    """Verify whatever ``url`` serves: an OB 3.0 credential (JSON or VC-JWT), a baked image, or
    an OB 2.0 hosted assertion (whose fetch failures, 410 Gone among them, the OB 2.0 verifier
    reports as checks)."""
    from badgekiln.baking import extract
    from badgekiln.fetch import IMAGE_TYPES, JSON_TYPES, JWT_TYPES

    try:
        response = session.fetch(url, accept=(*JSON_TYPES, *JWT_TYPES, *IMAGE_TYPES))
    except BadgeKilnError as exc:
        return ob2.verify_hosted(session, "url", url=url, prefetched=exc)
    if response.content_type in IMAGE_TYPES:
        found = extract(response.body)
        return _verify_text(session, found.format, found.payload)
    if response.content_type in JWT_TYPES:
        try:
            text = response.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPayload(f"{url} serves a token that is not UTF-8", reason="jws") from exc
        return _verify_text(session, "url", text)
    document = response.json()
    if isinstance(document, Mapping):
        badge = read(document)  # what is not a badge at all is said so here
        if isinstance(badge, Credential):
            return ob3.verify_credential(session, badge, "url")
    return ob2.verify_hosted(session, "url", url=url, prefetched=response)


def verify(
    data: bytes | str,
    *,
    recipient: str | None = None,
    at: datetime | None = None,
    offline: bool = False,
    documents: Mapping[str, bytes] | None = None,
    key: bytes | str | None = None,
    fetcher: Fetcher | None = None,
    strict: bool = False,
    options: VerifyOptions | None = None,
) -> Report:
    """Verify a badge: a baked PNG/SVG, a JSON credential or assertion, a JWT/JWS, or a URL.

    ``recipient`` (email, URL, phone, DID …) must match the badge's recipient; ``at`` (aware)
    judges validity at another instant; ``offline`` forbids every fetch and ``documents``
    answers URLs from local bodies; ``key`` pins the issuer's public key (PEM or JWK);
    ``fetcher`` shares a configured :class:`~badgekiln.fetch.Fetcher`; ``strict`` makes
    conformance deviations (schema, OB-profile rules that do not bear on trust) fail instead of
    warn (``report.conformance`` lists them either way). ``options`` gives all of
    these at once as a :class:`VerifyOptions` (then leave the other keywords unset).

    A badge that fails a check is not an error: the :class:`Report` says which check and why,
    and ``report.valid`` is false. Checks that cannot run (offline without the documents they
    need) are *skipped*, which also makes the report not valid. ``report.issuer_identity`` says
    what the issuer's identity rests on (a domain, a trusted-issuer registry — those of
    ``options.issuer_registries``, else those configured in ``BADGEKILN_ISSUER_REGISTRIES`` —,
    a pinned key, or nothing: self-declared).

    Raises:
        NotABadgeImage, MalformedImage, AmbiguousBadge, UnsupportedEncoding, NoBadgeData:
            an image that cannot be read, or carries no badge.
        MalformedPayload: JSON, JWS or URL that is malformed, or not a badge at all
            (``reason="not-a-badge"``).
        InputTooLarge: over a size or nesting cap.
        InvalidField: ``key`` is not a usable public key, or ``recipient`` cannot be matched (too
            long, not valid text).
        TypeError, ValueError: bad arguments (naive ``at``, ``fetcher`` with ``offline`` …).

    Example::

        report = badgekiln.verify(png_bytes, recipient="ann@example.org", offline=True,
                                  documents={"https://issuer.example/jwks.json": jwks})
        print(report.valid, [c.id for c in report.failures])
    """
    if options is None:
        options = VerifyOptions(
            recipient=recipient,
            at=at,
            offline=offline,
            documents=documents,
            key=key,
            fetcher=fetcher,
            strict=strict,
        )
    elif (recipient, at, offline, documents, key, fetcher, strict) != _DEFAULTS:
        raise TypeError("pass either options or the individual keywords, not both")

    session = Session.start(options)
    image, text = _read(data)
    report = _verify_text(session, image, text)
    if report.issuer_identity is None and session.registries is not None:  # not built by a collector
        report = with_identity(report, session.registries.get(), pinned=options.pinned_key is not None)
    return report
