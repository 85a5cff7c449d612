"""What a page shows of a badge's claims: the model's claims, made safe to display.

The verification :class:`~badgekiln.verification.Report` says whether to trust a badge; the model
(:func:`badgekiln.model.claims_of`) reads what the badge says, following its references through
the documents the verifier fetched. This module keeps only what a page may show of that: text
clipped, links http(s) only, the recipient masked. A member of the wrong type is simply not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from badgekiln.model.claims import Source, claims_of
from badgekiln.web.safety import MAX_LONG_TEXT, http_url, mask_email, mask_identifier, mask_telephone, text

if TYPE_CHECKING:
    from badgekiln.model.claims import Claims as BadgeClaims
    from badgekiln.model.claims import Lookup
    from badgekiln.model.reader import Badge

__all__ = ["Claims", "Recipient", "shown_claims"]

_EMAIL_TYPES: Final = frozenset({"email", "emailAddress"})
_TELEPHONE_TYPES: Final = frozenset({"telephone", "ext:telephone", "phone"})
_URL_TYPES: Final = frozenset({"url", "identifier"})
_HASHES: Final = {"sha256": "SHA-256 hash", "md5": "MD5 hash"}
#: Longest id shown (characters); ids are shown whole, so a longer one is not shown at all.
_MAX_ID_CHARS: Final = 1000


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
    issuer_image: str | None = None  # the issuer's logo: an http(s) URL or a data: URI
    issuer_source: Source = "missing"
    recipient: Recipient | None = None
    issued: datetime | None = None
    expires: datetime | None = None


def _image(value: str) -> str | None:
    return value if value.startswith("data:image/") else http_url(value)


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


def _shown_recipient(claims: BadgeClaims) -> Recipient | None:
    identity = claims.recipient
    if identity is not None:
        return _recipient(identity.identity_type, identity.identity, identity.hashed)
    subject_id = claims.subject_id
    if subject_id is not None and subject_id.startswith("mailto:"):
        return _recipient("emailAddress", subject_id.removeprefix("mailto:"), False)
    return _recipient("id", subject_id, False)


def shown_claims(badge: Badge | None, lookup: Lookup, spec: Literal["ob2", "ob3"]) -> Claims:
    """What a page shows of ``badge`` (empty claims of ``spec`` when there is none).

    ``lookup`` answers URLs the badge names (BadgeClass, issuer profile, achievement) with the
    documents the verifier fetched, so a page shows exactly what was verified.
    """
    if badge is None:
        return Claims(spec=spec)
    claims = claims_of(badge, lookup)
    narrative, criteria_url = claims.criteria
    issuer = claims.issuer
    issued, expires = claims.issued, claims.expires
    return Claims(
        spec="ob3" if claims.spec == "ob3" else "ob2",
        id=text(claims.id, _MAX_ID_CHARS),
        name=text(claims.name),
        description=text(claims.description, MAX_LONG_TEXT),
        criteria=text(narrative, MAX_LONG_TEXT),
        criteria_url=http_url(criteria_url),
        image=next((shown for image in claims.images if (shown := _image(image))), None),
        issuer_id=text(claims.issuer_id, _MAX_ID_CHARS),
        issuer_name=text(claims.issuer_name),
        issuer_url=http_url(issuer.url) if issuer is not None else None,
        issuer_image=_image(issuer.image) if issuer is not None and issuer.image else None,
        issuer_source=claims.issuer_source,
        recipient=_shown_recipient(claims),
        issued=issued.value if issued is not None else None,
        expires=expires.value if expires is not None else None,
    )
