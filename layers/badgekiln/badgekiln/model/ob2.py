"""Open Badges 2.0: the Assertion and the nodes it names (BadgeClass, issuer Profile, key).

An :class:`Assertion` names its :class:`BadgeClass` by URL or embeds it; the BadgeClass names its
issuer :class:`Profile` the same way; a signed assertion's key is a :class:`CryptographicKey`.
Open Badges 0.5, 1.0 and 1.1 assertions are read as the 2.0 model (:class:`LegacyAssertion`),
the way the 1EdTech validator-core upgrades them: most members kept their names, and the view
answers the rest (``verify``, 0.5's ``issued_on`` and bare recipient, 1.x dates) under 2.0's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal

from badgekiln.model import ob3
from badgekiln.model.dates import DateTime, parse_legacy
from badgekiln.model.node import (
    Node,
    as_list,
    criteria_of,
    id_of,
    is_object,
    member,
    non_empty,
    ref_of,
    remembered,
    string,
)

__all__ = [
    "OB1_CONTEXT",
    "OB1_VERIFICATION_TYPES",
    "OB2_CONTEXTS",
    "Assertion",
    "BadgeClass",
    "CryptographicKey",
    "IdentityObject",
    "LegacyAssertion",
    "LegacyVersion",
    "Profile",
]

#: The OB 2.0 context, at its canonical URL and at the alias the spec also publishes.
OB2_CONTEXTS: Final = frozenset(
    {"https://w3id.org/openbadges/v2", "https://openbadgespec.org/v2/context.json"}
)
OB1_CONTEXT: Final = "https://w3id.org/openbadges/v1"
#: The Open Badges versions a :class:`LegacyAssertion` may be.
LegacyVersion = Literal["0.5", "1.0", "1.1"]
#: 1.x VerificationType: "Can be either 'hosted' or 'signed'" (1.1 specification).
OB1_VERIFICATION_TYPES: Final = frozenset({"hosted", "signed"})
# a hashed 0.5 recipient: algorithm, dollar, hex digest (the 0.5 schema's HashString)
_HASHED: Final = re.compile(r"(?i:(sha1|sha256|md5)\$[0-9a-f]+)")


def _strings(value: Any) -> list[str]:
    return [entry for entry in as_list(value) if isinstance(entry, str)]


_ENDORSEMENTS_DOC: Final = "The ``endorsement`` entries as written (Endorsement URLs, or embedded ones)."


def _policy(key: str) -> Callable[[Any], list[str]]:
    """A reader of one member (a list of strings) of a profile's ``verification`` object."""
    return lambda value: _strings(value.get(key)) if is_object(value) else []


@dataclass(frozen=True, eq=False)
class IdentityObject(ob3.IdentityObject):
    """The assertion's ``recipient``: the IdentityObject OB 3.0 kept, under 2.0's names (``type``
    for the identity type, ``identity`` for the hash or the identity)."""

    identity_type = member("type")
    identity = member("identity", doc="``identity``: the hash, or the identity when not hashed.")


@dataclass(frozen=True, eq=False)
class Profile(Node):
    """An issuer Profile: who it is, the keys it lists, its revocation list and hosting policy."""

    public_keys = member(
        "publicKey",
        lambda value: [id_of(entry) for entry in as_list(value)],
        "The ids of the ``publicKey`` entries (``None`` for an entry without a usable one).",
    )
    revocation_list = member("revocationList", doc="``revocationList``: a URL, an embedded list, or None.")
    starts_with = member(
        "verification", _policy("startsWith"), "``verification.startsWith``: prefixes hosted assertions need."
    )
    allowed_origins = member(
        "verification",
        lambda value: [origin.lower() for origin in _policy("allowedOrigins")(value)],
        "``verification.allowedOrigins``, lower-cased: the hosts hosted assertions may live on.",
    )
    origin = member("origin", string, "An Open Badges 0.5 issuer's ``origin`` (scheme, host and port).")
    declared_origin = member("origin", doc="``origin`` exactly as written (for messages).")
    endorsement_refs = member("endorsement", as_list, _ENDORSEMENTS_DOC)


@dataclass(frozen=True, eq=False)
class BadgeClass(Node):
    """What the badge is: name, description, criteria, image, and the issuer it names."""

    criteria = member(
        "criteria", criteria_of, "(narrative, URL): a Criteria object, or (as 2.0 allows) a URL."
    )
    issuer = member("issuer", doc="``issuer`` as written: a URL, an embedded Profile, or anything else.")
    issuer_ref = member(
        "issuer", lambda value: ref_of(value, Profile), "The issuer as embedded (a view) or named (its URL)."
    )
    endorsement_refs = member("endorsement", as_list, _ENDORSEMENTS_DOC)


@dataclass(frozen=True, eq=False)
class CryptographicKey(Node):
    """A signed assertion's key document: ``publicKeyPem`` and its ``owner``."""

    public_key_pem = member("publicKeyPem", string)
    owner = member("owner")


def _nested_contexts(raw: Mapping[str, Any]) -> list[Any]:
    found: list[Any] = []
    # strings (most member values) hold no context: they are never stacked
    stack: list[Any] = [value for key, value in raw.items() if key != "@context" and type(value) is not str]
    while stack:  # bounded: parsed JSON is depth- and size-capped
        node = stack.pop()
        if isinstance(node, list):
            stack.extend([value for value in node if type(value) is not str])
        elif is_object(node):
            if "@context" in node:
                found.extend(as_list(node["@context"]))
            stack.extend(
                [value for key, value in node.items() if key != "@context" and type(value) is not str]
            )
    return found


@dataclass(frozen=True, eq=False)
class Assertion(Node):
    """An OB 2.0 assertion: the award of one BadgeClass to one recipient.

    ``issued_on`` is always read (the member is required, so an absent one is an error to
    report); ``expires`` is ``None`` when absent.
    """

    spec: ClassVar[Literal["ob1", "ob2"]] = "ob2"

    issued_on: DateTime = field(init=False)
    expires: DateTime | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "issued_on", DateTime.read(self.raw.get("issuedOn"), "issuedOn"))
        object.__setattr__(self, "expires", DateTime.member(self.raw, "expires"))

    recipient = remembered(
        "recipient", IdentityObject.of, "The ``recipient`` IdentityObject, when an object."
    )
    declared_recipient = member("recipient", doc="``recipient`` exactly as written.")
    badge = member("badge", doc="``badge`` as written: the BadgeClass URL, an embedded one, or anything.")
    badge_class = member("badge", BadgeClass.of, "The embedded BadgeClass, when ``badge`` is an object.")
    badge_ref = member(
        "badge", lambda value: ref_of(value, BadgeClass), "The BadgeClass as embedded (a view) or named."
    )
    creator = member(
        "verification",
        lambda value: string(value.get("creator")) if is_object(value) else None,
        "``verification.creator``: the URL of the key a signed assertion names.",
    )
    revoked = member("revoked", lambda value: value is True, "Whether it declares itself revoked.")
    revocation_reason = member("revocationReason", string)
    uid = member("uid", string, "The deprecated ``uid``, when it is a string.")
    salt = member("salt", doc="``salt`` as written (0.5: beside a hashed bare recipient).")
    endorsement_refs = member("endorsement", as_list, _ENDORSEMENTS_DOC)
    # an Endorsement is read as an assertion (it is verified as one); these members are its own
    claim = member("claim", Node.of, "An Endorsement's ``claim``, when an object.")
    endorser = member(
        "issuer", doc="An Endorsement's ``issuer`` as written: the endorser's profile URL or object."
    )

    @property
    def issued(self) -> DateTime:
        return self.issued_on

    @property
    def verification_type(self) -> Any:
        """``verification.type`` (or the 1.x ``verify.type``): ``HostedBadge`` or ``SignedBadge``."""
        declared = self.raw.get("verification", self.raw.get("verify"))
        return declared.get("type") if is_object(declared) else None  # asked twice per verification

    @property
    def nested_contexts(self) -> list[Any]:
        """Every ``@context`` entry below the top level (extension nodes carry their own)."""
        return _nested_contexts(self.raw)

    @property
    def extensions(self) -> list[str]:
        """The names of the extension members (``extensions:…``), sorted."""
        # one search of the names joined first: most assertions have none (a name holding
        # "\0extensions:" inside only means the names are then looked at one by one)
        if "\0extensions:" not in "\0".join(["", *self.raw]):
            return []
        return sorted([name for name in self.raw if name.startswith("extensions:")])


@dataclass(frozen=True, eq=False)
class LegacyAssertion(Assertion):
    """An Open Badges 0.5/1.0/1.1 assertion, read as the 2.0 model.

    ``version`` says which: the v1 context is 1.1; without a context, an embedded BadgeClass, or
    neither ``verify`` nor ``uid``, is 0.5 (the Mozilla validator's rule), else 1.0. 1.x dates
    are read as 1.x wrote them (a date alone, a Unix timestamp:
    :func:`~badgekiln.model.dates.parse_legacy`); 0.5's ``issued_on`` is ``issued_on``, its
    bare recipient (an email or a salted hash, ``salt`` beside it) an :class:`IdentityObject` of
    type ``email``. The VerificationObject is 1.x's ``verify`` (``hosted`` or ``signed``, with
    ``url``: the hosted copy, or the public key).
    """

    spec: ClassVar[Literal["ob1", "ob2"]] = "ob1"

    def __post_init__(self) -> None:
        raw = self.raw
        issued = "issued_on" if self.version == "0.5" and "issuedOn" not in raw else "issuedOn"
        object.__setattr__(self, "issued_on", DateTime.read(raw.get(issued), issued, parse_legacy))
        expires = DateTime.read(raw["expires"], "expires", parse_legacy) if "expires" in raw else None
        object.__setattr__(self, "expires", expires)

    verify = member("verify", Node.of, "The 1.x VerificationObject ``verify``, when an object.")

    @property
    def version(self) -> LegacyVersion:
        """``1.1`` (the v1 context), ``0.5`` (an embedded BadgeClass, or neither 1.0's ``verify``
        nor its ``uid``) or ``1.0``."""
        if OB1_CONTEXT in as_list(self.raw.get("@context")):
            return "1.1"
        if is_object(self.raw.get("badge")) or not ({"verify", "uid"} & set(self.raw)):
            return "0.5"
        return "1.0"

    @property
    def id(self) -> str | None:
        """``id`` (1.1), else the URL of the hosted copy (``verify.url`` of a hosted badge)."""
        return non_empty(self.raw.get("id")) or self.hosted_url

    @property
    def verification_type(self) -> Any:
        """``verify.type`` as written (1.x: ``hosted`` or ``signed``; 2.0's ``verification`` is
        not a 1.x term)."""
        verify = self.verify
        return verify.raw.get("type") if verify is not None else None

    @property
    def verify_url(self) -> str | None:
        """``verify.url`` when it is a string: the hosted copy, or a signed badge's public key."""
        verify = self.verify
        return string(verify.raw.get("url")) if verify is not None else None

    @property
    def hosted_url(self) -> str | None:
        """Where the hosted copy lives: a 1.1 assertion's HTTP(S) ``id``, else ``verify.url``;
        ``None`` for a signed badge (its ``verify.url`` is the key)."""
        kind = self.verification_type
        if kind == "signed":
            return None
        declared = non_empty(self.raw.get("id"))
        if self.version == "1.1" and declared is not None and declared.startswith(("https://", "http://")):
            return declared
        return self.verify_url  # an untyped verify names the hosted copy (the structure check says so)

    @property
    def key_url(self) -> str | None:
        """A signed badge's public key URL (``verify.url``)."""
        return self.verify_url if self.verification_type == "signed" else None

    @property
    def recipient(self) -> IdentityObject | None:  # type: ignore[override]
        """The ``recipient`` IdentityObject; for 0.5, the bare identity read as one."""
        value = self.raw.get("recipient")
        if isinstance(value, str) and self.version == "0.5":
            fields: dict[str, Any] = {
                "type": "email",
                "identity": value,
                "hashed": bool(_HASHED.fullmatch(value)),
            }
            if "salt" in self.raw:
                fields["salt"] = self.raw["salt"]
            return IdentityObject(fields)
        return IdentityObject.of(value)
