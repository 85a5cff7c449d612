"""What a badge claims about itself: the one reader behind the report's summary and the pages.

:func:`claims_of` follows a badge's references (its achievement or BadgeClass, its issuer)
through a ``lookup`` that answers URLs with the documents already had (the ones the verifier
fetched, or a site's own store), so a summary or a page shows exactly what was verified. It
never fetches and never raises; every value may be absent. Trust the claims only when the
badge's verification report is valid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from badgekiln.model import ob2, ob3
from badgekiln.model.dates import DateTime
from badgekiln.model.node import Node, string

__all__ = ["Claims", "Lookup", "Source", "claims_of"]

#: Answers a URL with a document already had (``None`` when there is none for it).
Lookup = Callable[[str], Mapping[str, Any] | None]
#: Where a node came from: written into the badge, looked up (fetched), or neither.
Source = Literal["embedded", "fetched", "missing"]

_N = TypeVar("_N", bound=Node)
_Achievement = ob3.Achievement | ob2.BadgeClass
_Profile = ob3.Profile | ob2.Profile


@dataclass(frozen=True, eq=False)
class Claims:
    """A badge's claims: the badge's own view, and the nodes it names as far as they were had.

    ``achievement`` is the OB 3.0 Achievement or OB 2.0 BadgeClass and ``issuer`` the issuer
    Profile (``None`` when only named); ``achievement_id``/``issuer_id`` are their ids either
    way; ``issuer_source`` says whether the issuer was embedded, looked up, or neither.
    """

    badge: ob3.Credential | ob2.Assertion
    achievement: _Achievement | None = None
    achievement_id: str | None = None
    issuer: _Profile | None = None
    issuer_id: str | None = None
    issuer_source: Source = "missing"

    @property
    def spec(self) -> Literal["ob1", "ob2", "ob3"]:
        return self.badge.spec

    @property
    def id(self) -> str | None:
        return self.badge.id

    @property
    def types(self) -> tuple[str, ...]:
        return self.badge.types

    @property
    def name(self) -> str | None:
        """The achievement's name (an OB 3.0 credential's own name when the achievement has none)."""
        name = self.achievement.name if self.achievement is not None else None
        return name or (self.badge.name if isinstance(self.badge, ob3.Credential) else None)

    @property
    def description(self) -> str | None:
        """The achievement's description (or an OB 3.0 credential's own)."""
        found = self.achievement.description if self.achievement is not None else None
        return found or (self.badge.description if isinstance(self.badge, ob3.Credential) else None)

    @property
    def criteria(self) -> tuple[str | None, str | None]:
        """(narrative, URL) of the achievement's criteria."""
        return self.achievement.criteria if self.achievement is not None else (None, None)

    @property
    def images(self) -> tuple[str, ...]:
        """The image ids the badge names, best first: the achievement's, then the badge's own
        (and an OB 3.0 subject's)."""
        found = [self.achievement.image if self.achievement is not None else None, self.badge.image]
        if isinstance(self.badge, ob3.Credential):
            subject = self.badge.subject
            found.append(subject.image if subject is not None else None)
        return tuple(image for image in found if image is not None)

    @property
    def issuer_name(self) -> str | None:
        return self.issuer.name if self.issuer is not None else None

    @property
    def subject_id(self) -> str | None:
        """An OB 3.0 ``credentialSubject.id`` (a DID, a ``mailto:`` URL …)."""
        if not isinstance(self.badge, ob3.Credential):
            return None
        subject = self.badge.subject
        return subject.id if subject is not None else None

    @property
    def recipient(self) -> ob3.IdentityObject | ob2.IdentityObject | None:
        """The recipient's IdentityObject: an OB 2.0 ``recipient``, or an OB 3.0 subject's first
        ``identifier``."""
        if isinstance(self.badge, ob2.Assertion):
            return self.badge.recipient
        subject = self.badge.subject
        identifiers = subject.identifiers if subject is not None else []
        return ob3.IdentityObject.of(identifiers[0]) if identifiers else None

    @property
    def recipient_text(self) -> str | None:
        """The recipient as the badge names it: the subject id, else the identity (or its hash)."""
        recipient = self.recipient
        return self.subject_id or (string(recipient.identity) if recipient is not None else None)

    @property
    def issued(self) -> DateTime | None:
        return self.badge.issued

    @property
    def expires(self) -> DateTime | None:
        return self.badge.expires


def _resolve(
    ref: _N | str | None, view: type[_N], lookup: Lookup | None
) -> tuple[_N | None, str | None, Source]:
    """(node view or None, id, source) of a reference, looked up by its id when possible."""
    key = ref.id if isinstance(ref, Node) else ref
    found = lookup(key) if key is not None and lookup is not None else None
    if found is not None:
        node = view(found)
        return node, node.id or key, "fetched"  # a 1.0 document names no id: its URL is one
    if isinstance(ref, Node):
        return ref, key, "embedded"
    return None, ref, "missing"


def claims_of(badge: ob3.Credential | ob2.Assertion, lookup: Lookup | None = None) -> Claims:
    """The claims of ``badge``, its references answered by ``lookup`` (documents already had;
    without one, only what the badge embeds)."""
    if isinstance(badge, ob3.Credential):
        subject = badge.subject
        reference = subject.achievement_ref if subject is not None else None
        achievement, achievement_id, _ = _resolve(reference, ob3.Achievement, lookup)
        issuer, issuer_id, source = _resolve(badge.issuer_ref, ob3.Profile, lookup)
        return Claims(badge, achievement, achievement_id, issuer, issuer_id, source)
    badge_class, badge_id, _ = _resolve(badge.badge_ref, ob2.BadgeClass, lookup)
    issuer_ref = badge_class.issuer_ref if badge_class is not None else None
    profile, profile_id, source = _resolve(issuer_ref, ob2.Profile, lookup)
    return Claims(badge, badge_class, badge_id, profile, profile_id, source)
