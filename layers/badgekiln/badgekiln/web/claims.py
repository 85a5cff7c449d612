"""What a badge says about itself, read for display from its documents.

The verification :class:`~badgekiln.verification.Report` says whether to trust a badge; this module
reads the human parts a page shows (achievement name, description, criteria, image, issuer,
recipient, dates) from the OB 3.0 credential or OB 2.0 assertion, and from the documents the
verifier fetched for it (a BadgeClass or issuer profile named by URL). Nothing here fetches or
raises on odd values: a member of the wrong type is simply not shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from badgekiln.web.safety import MAX_LONG_TEXT, http_url, mask_email, mask_identifier, mask_telephone, text

__all__ = ["Claims", "Lookup", "Recipient", "Source", "read_claims"]

#: Looks up a document the verifier fetched, by URL (``None`` when it fetched none there).
Lookup = Callable[[str], Mapping[str, Any] | None]
#: Where a node came from: written into the badge, fetched by the verifier, or neither.
Source = Literal["embedded", "fetched", "missing"]

_EMAIL_TYPES: Final = frozenset({"email", "emailAddress"})
_TELEPHONE_TYPES: Final = frozenset({"telephone", "ext:telephone", "phone"})
_URL_TYPES: Final = frozenset({"url", "identifier"})
_HASHES: Final = {"sha256": "SHA-256 hash", "md5": "MD5 hash"}


@dataclass(frozen=True, slots=True)
class Recipient:
    """How a page may show the recipient: ``kind`` in words, ``shown`` masked (or a note that
    the identity is hashed), and ``checkable`` when a visitor may ask "is this badge for …?"."""

    kind: str
    shown: str
    hashed: bool
    checkable: bool


@dataclass(frozen=True, slots=True)
class Claims:
    """The displayable claims of one badge (every member optional, every URL http(s))."""

    spec: Literal["ob2", "ob3"]
    id: str | None = None
    name: str | None = None
    description: str | None = None
    criteria: str | None = None
    criteria_url: str | None = None
    image: str | None = None  # an http(s) URL or a data: URI, as the badge wrote it
    issuer_id: str | None = None
    issuer_name: str | None = None
    issuer_url: str | None = None
    issuer_source: Source = "missing"
    recipient: Recipient | None = None
    issued: datetime | None = None
    expires: datetime | None = None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _node(value: Any, lookup: Lookup) -> tuple[Mapping[str, Any], Source]:
    """(the object, where it came from) for an embedded node or a URL the verifier fetched."""
    value = _first(value)
    if isinstance(value, Mapping):
        found = lookup(value["id"]) if isinstance(value.get("id"), str) else None
        return (found, "fetched") if found is not None else (value, "embedded")
    if isinstance(value, str):
        found = lookup(value)
        if found is not None:
            return found, "fetched"
        return {"id": value}, "missing"
    return {}, "missing"


def _image(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, str) and value.startswith("data:image/"):
        return value
    return http_url(value)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
        # in UTC, as pages show dates; year 1 at +05:00 (or 9999-12-31 at -05:00) has no UTC day
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def _criteria(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, str):  # OB 2.0 allows the criteria URL alone
        return None, http_url(value)
    if isinstance(value, Mapping):
        return text(value.get("narrative"), MAX_LONG_TEXT), http_url(value.get("id"))
    return None, None


def _recipient(kind: Any, identity: Any, hashed: Any) -> Recipient | None:
    if not isinstance(identity, str) or not identity:
        return None
    kind = kind if isinstance(kind, str) else ""
    if kind in _EMAIL_TYPES:
        words = "e-mail address"
    elif kind in _TELEPHONE_TYPES:
        words = "telephone number"
    elif kind in _URL_TYPES:
        words = "URL"
    else:
        words = "identifier"
    if hashed is True:
        algorithm = _HASHES.get(identity.partition("$")[0].lower(), "hashed")
        return Recipient(words, f"hidden ({algorithm}); only its owner can confirm it", True, True)
    if kind in _EMAIL_TYPES:
        return Recipient(words, mask_email(identity), False, True)
    if kind in _TELEPHONE_TYPES:
        return Recipient(words, mask_telephone(identity), False, True)
    return Recipient(words, mask_identifier(identity), False, True)


def _ob3_recipient(subject: Mapping[str, Any]) -> Recipient | None:
    identifiers = subject.get("identifier")
    first = _first(identifiers)
    if isinstance(first, Mapping):
        return _recipient(first.get("identityType"), first.get("identityHash"), first.get("hashed"))
    subject_id = subject.get("id")
    if isinstance(subject_id, str) and subject_id.startswith("mailto:"):
        return _recipient("emailAddress", subject_id.removeprefix("mailto:"), False)
    return _recipient("id", subject_id, False)


def _ob3(document: Mapping[str, Any], lookup: Lookup) -> Claims:
    subject = _first(document.get("credentialSubject"))
    subject = subject if isinstance(subject, Mapping) else {}
    achievement, _ = _node(subject.get("achievement"), lookup)
    issuer, source = _node(document.get("issuer"), lookup)
    narrative, criteria_url = _criteria(achievement.get("criteria"))
    return Claims(
        spec="ob3",
        id=text(document.get("id"), 1000),
        name=text(achievement.get("name")) or text(document.get("name")),
        description=text(achievement.get("description"), MAX_LONG_TEXT)
        or text(document.get("description"), MAX_LONG_TEXT),
        criteria=narrative,
        criteria_url=criteria_url,
        image=_image(achievement.get("image"))
        or _image(document.get("image"))
        or _image(subject.get("image")),
        issuer_id=text(issuer.get("id"), 1000),
        issuer_name=text(issuer.get("name")),
        issuer_url=http_url(issuer.get("url")),
        issuer_source=source,
        recipient=_ob3_recipient(subject),
        issued=_when(document.get("validFrom") or document.get("issuanceDate")),
        expires=_when(document.get("validUntil") or document.get("expirationDate")),
    )


def _ob2(document: Mapping[str, Any], lookup: Lookup) -> Claims:
    badge, _ = _node(document.get("badge"), lookup)
    issuer, source = _node(badge.get("issuer"), lookup)
    narrative, criteria_url = _criteria(badge.get("criteria"))
    recipient = document.get("recipient")
    recipient = recipient if isinstance(recipient, Mapping) else {}
    return Claims(
        spec="ob2",
        id=text(document.get("id"), 1000),
        name=text(badge.get("name")),
        description=text(badge.get("description"), MAX_LONG_TEXT),
        criteria=narrative,
        criteria_url=criteria_url,
        image=_image(badge.get("image")) or _image(document.get("image")),
        issuer_id=text(issuer.get("id"), 1000),
        issuer_name=text(issuer.get("name")),
        issuer_url=http_url(issuer.get("url")),
        issuer_source=source,
        recipient=_recipient(recipient.get("type"), recipient.get("identity"), recipient.get("hashed")),
        issued=_when(document.get("issuedOn")),
        expires=_when(document.get("expires")),
    )


def read_claims(document: Mapping[str, Any], spec: Literal["ob2", "ob3"], lookup: Lookup) -> Claims:
    """The displayable claims of an OB 3.0 credential (``spec="ob3"``) or OB 2.0 assertion.

    ``lookup`` answers URLs the document names (BadgeClass, issuer profile, achievement) with
    the documents the verifier fetched, so a page shows exactly what was verified.
    """
    if spec == "ob3":
        return _ob3(document, lookup)
    return _ob2(document, lookup)
