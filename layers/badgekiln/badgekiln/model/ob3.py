"""Open Badges 3.0 (VC Data Model 1.1 and 2.0): the credential and the nodes it carries.

A :class:`Credential` is an ``OpenBadgeCredential`` / ``AchievementCredential`` (or, for the
same reader, an ``EndorsementCredential`` or a status list credential): issuer
(:class:`Profile`), ``credentialSubject`` (:class:`Subject`, with its :class:`Achievement` and
:class:`IdentityObject` identifiers), ``credentialStatus`` (viewed by
:mod:`badgekiln.model.status`), :class:`Evidence`, embedded :class:`Proof` objects and
endorsements. Dates are read once, when the view is made.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal

from badgekiln.model.dates import DateTime
from badgekiln.model.node import (
    Node,
    as_list,
    criteria_of,
    id_of,
    member,
    non_empty,
    ref_of,
    remembered,
    single,
    string,
)

__all__ = [
    "BADGE_TYPES",
    "CLR",
    "ENDORSEMENT",
    "Achievement",
    "Credential",
    "CredentialSchema",
    "Evidence",
    "IdentityObject",
    "Profile",
    "Proof",
    "Subject",
    "credential_of",
]

#: The two names OB 3.0 gives a badge credential.
BADGE_TYPES: Final = frozenset({"OpenBadgeCredential", "AchievementCredential"})
ENDORSEMENT: Final = "EndorsementCredential"
#: A Comprehensive Learner Record (CLR 2.0): a credential carrying achievement credentials.
CLR: Final = "ClrCredential"
#: The date-time members of a credential, by the view's names for them.
_DATES: Final = (
    ("valid_from", "validFrom"),
    ("valid_until", "validUntil"),
    ("issuance_date", "issuanceDate"),
    ("expiration_date", "expirationDate"),
)
#: Members holding endorsements: credentials, or compact VC-JWTs of them.
_ENDORSEMENT_MEMBERS: Final = ("endorsement", "endorsementJwt")


def _endorsements(node: Node) -> list[Any]:
    raw = node.raw
    if "endorsement" not in raw and "endorsementJwt" not in raw:
        return []  # the usual case, told without building a comprehension
    return [item for key in _ENDORSEMENT_MEMBERS if key in raw for item in as_list(raw[key])]


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


@dataclass(frozen=True, eq=False)
class Profile(Node):
    """An issuer (or creator, or endorser) Profile."""

    endorsements = property(_endorsements, doc="The ``endorsement``, then ``endorsementJwt``, entries.")


@dataclass(frozen=True, eq=False)
class Achievement(Node):
    """What was achieved: name, description, criteria, image, creator."""

    criteria = member("criteria", criteria_of, "(narrative, URL) of ``criteria``, each when a string.")
    creator = member("creator", Profile.of, "The embedded ``creator`` Profile, when it is an object.")
    endorsements = property(_endorsements, doc="The ``endorsement``, then ``endorsementJwt``, entries.")


@dataclass(frozen=True, eq=False)
class IdentityObject(Node):
    """One ``credentialSubject.identifier``, each member exactly as written (the recipient check
    decides what it accepts)."""

    identity_type = member("identityType")
    identity = member("identityHash", doc="``identityHash``: the hash, or the identity when not hashed.")
    hashed = member("hashed")
    salt = member("salt")


@dataclass(frozen=True, eq=False)
class Subject(Node):
    """The ``credentialSubject`` (an AchievementSubject; for status lists, the list itself)."""

    has_identifier = member(
        "identifier", bool, "Whether ``identifier`` holds anything (``[]``, ``{}`` do not)."
    )
    identifiers = member("identifier", as_list, "The ``identifier`` entries as written.")
    achievement = remembered("achievement", Achievement.of, "The embedded ``achievement``, when an object.")

    @property
    def achievement_ref(self) -> Achievement | str | None:
        """The ``achievement`` as embedded (a view) or named (its URL)."""
        return self.achievement or ref_of(_first(self.raw.get("achievement")), Achievement)

    credentials = member(
        "verifiableCredential",
        lambda value: None if value is None else as_list(value),
        "A ClrSubject's ``verifiableCredential`` entries as written (credentials or VC-JWTs); "
        "``None`` when absent.",
    )
    purpose = member("statusPurpose", doc="A status list's ``statusPurpose`` as written (one, or a list).")
    purposes = member("statusPurpose", as_list, "A status list's ``statusPurpose`` entries.")
    encoded_list = member("encodedList", string, "A status list's ``encodedList``, when a string.")


@dataclass(frozen=True, eq=False)
class Evidence(Node):
    """One ``evidence`` entry: what supports the award."""

    narrative = member("narrative", string)
    genre = member("genre", string)
    audience = member("audience", string)


@dataclass(frozen=True, eq=False)
class Proof(Node):
    """One embedded Data Integrity proof (its suite, verification method and expiry)."""

    expires: DateTime | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "expires", DateTime.member(self.raw, "expires"))

    cryptosuite = member("cryptosuite")
    verification_method = member("verificationMethod")

    @property
    def suite(self) -> str:
        """The cryptosuite, or for suites without one (Ed25519Signature2020) the type."""
        cryptosuite = self.cryptosuite
        return str(cryptosuite) if cryptosuite is not None else str(self.type)


@dataclass(frozen=True, eq=False)
class CredentialSchema(Node):
    """One ``credentialSchema`` entry (``id`` and ``type``)."""


@dataclass(frozen=True, eq=False)
class Credential(Node):
    """An OB 3.0 credential: the document a proof signs, and what it says.

    ``valid_from``, ``valid_until``, ``issuance_date`` and ``expiration_date`` are the four
    date-time members (``None`` when absent) read once, when the view is made.
    """

    spec: ClassVar[Literal["ob3"]] = "ob3"

    valid_from: DateTime | None = field(init=False)
    valid_until: DateTime | None = field(init=False)
    issuance_date: DateTime | None = field(init=False)
    expiration_date: DateTime | None = field(init=False)

    def __post_init__(self) -> None:
        raw, read = self.raw, DateTime.read
        for name, key in _DATES:
            object.__setattr__(self, name, read(raw[key], key) if key in raw else None)

    issuer_id = remembered("issuer", id_of, "The issuer's id (the ``issuer`` string, or its object's id).")
    issuer = remembered("issuer", Profile.of, "The embedded issuer Profile, when ``issuer`` is an object.")
    subject = remembered(
        "credentialSubject",
        lambda value: Subject.of(single(value)),
        "The ``credentialSubject``: one object, or the only object of a one-element array.",
    )
    status_entries = member("credentialStatus", as_list, "The ``credentialStatus`` entries as written.")
    schemas = member("credentialSchema", as_list, "The ``credentialSchema`` entries as written.")
    proofs = member(
        "proof",
        lambda value: None if value is None else as_list(value),
        "The embedded ``proof`` entries as written; ``None`` when there is none (absent or null).",
    )
    evidence = member(
        "evidence",
        lambda value: tuple(item for item in map(Evidence.of, as_list(value)) if item),
        "The ``evidence`` entries that are objects.",
    )
    endorsements = property(_endorsements, doc="The ``endorsement``, then ``endorsementJwt``, entries.")

    @property
    def issuer_ref(self) -> Profile | str | None:
        """The issuer as embedded (a view) or named (its id)."""
        return self.issuer or non_empty(self.raw.get("issuer"))

    @property
    def is_endorsement(self) -> bool:
        """Whether the credential is an ``EndorsementCredential``."""
        return ENDORSEMENT in self.types

    @property
    def is_clr(self) -> bool:
        """Whether the credential is a CLR 2.0 ``ClrCredential``."""
        return CLR in self.types

    @property
    def achievement(self) -> Achievement | None:
        """The subject's embedded achievement."""
        subject = self.subject
        return subject.achievement if subject is not None else None

    @property
    def issued(self) -> DateTime | None:
        """When the credential took effect: ``validFrom`` (VC 2.0), else ``issuanceDate`` (1.1)."""
        return self.valid_from or self.issuance_date

    @property
    def expires(self) -> DateTime | None:
        """When it ends: ``validUntil`` (VC 2.0), else ``expirationDate`` (1.1)."""
        return self.valid_until or self.expiration_date

    def all_endorsements(self) -> Iterator[Any]:
        """Every endorsement the credential carries: its own, its issuer's, its achievement's."""
        yield from self.endorsements
        for holder in (self.issuer, self.achievement):
            if holder is not None:
                yield from holder.endorsements


def credential_of(value: Mapping[str, Any] | Credential) -> Credential:
    """``value`` as a :class:`Credential` view (a view is returned as it is)."""
    return value if isinstance(value, Credential) else Credential(value)
