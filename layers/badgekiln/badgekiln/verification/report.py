"""The verification report: immutable, with ``valid`` derived from the checks it holds.

A :class:`Report` is a tuple of :class:`Check` results plus what the credential claims
(:class:`Summary`) and one sub-report per endorsement. ``valid`` is never stored: it is true
only when no check failed, a proof check (``signature`` or ``hosted``) passed, and none of the
checks that decide trust (proof, issuer, status) was skipped — a check that could not run
(offline, say) makes a badge *not valid*, never silently valid.

``conformance`` lists, one by one, the deviations from the Open Badges / VC data model that do
not bear on trust (a missing credential id, a schema violation …; docs/verification.md has the
list). Each also marks its check: a ``warning`` by default, ``failed`` in strict mode
(``strict``), so only a strict report is made not valid by them.

Example::

    report = badgekiln.verify(baked_png)
    if not report.valid:
        for check in report.failures:
            print(check.id, check.message)
    json.dumps(report.to_dict())
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from badgekiln.model.claims import Claims

__all__ = [
    "CHECK_IDS",
    "ESSENTIAL_CHECKS",
    "PROOF_CHECKS",
    "Check",
    "CheckStatus",
    "IdentityBasis",
    "IssuerIdentity",
    "RegistryEntry",
    "Report",
    "Summary",
]

CheckStatus = Literal["passed", "failed", "warning", "skipped"]
Spec = Literal["ob1", "ob2", "ob3"]
InputFormat = Literal["png", "svg", "json", "jwt", "url"]
IdentityBasis = Literal["registry", "domain", "key", "none"]

#: Every check id a report may hold, in the order the verifier runs them (docs/verification.md).
CHECK_IDS: Final = (
    "version",  # the Open Badges version is one badgekiln verifies (1.x is legacy)
    "context",  # JSON-LD contexts bundled and every property defined by them
    "structure",  # required properties and types of the assertion / credential
    "hosted",  # OB 2.0 hosted: the copy served at the assertion's id
    "signature",  # the proof: JWS, VC-JWT or Data Integrity
    "claims",  # VC-JWT: iss/sub/nbf/exp/jti agree with the credential
    "issuer",  # the key (or hosting origin) is tied to the issuer
    "status",  # revocation / suspension
    "issued",  # issuedOn / validFrom not in the future
    "expiry",  # expires / validUntil not passed
    "schema",  # credentialSchema JSON Schemas
    "recipient",  # the caller's identity matches the recipient
    "credentials",  # CLR 2.0: every credential the record carries (sub-reports)
    "endorsements",  # endorsement sub-reports (never change ``valid``)
)
#: A proof check that passed is required for ``valid``.
PROOF_CHECKS: Final = frozenset({"signature", "hosted"})
#: Checks whose ``skipped`` status makes a report not valid: without them trust is unknown.
ESSENTIAL_CHECKS: Final = frozenset({"signature", "hosted", "issuer", "status"})
_CHECK_ID_SET: Final = frozenset(CHECK_IDS)
_STATUSES: Final = frozenset({"passed", "failed", "warning", "skipped"})
_MARKS: Final = {"passed": "✓", "failed": "✗", "warning": "!", "skipped": "-"}


@dataclass(frozen=True, slots=True, init=False)
class Check:
    """One step of verification: ``id`` (see :data:`CHECK_IDS`), ``status``, a sentence a
    person can act on, and ``code``, a stable kebab-case reason for machines (``revoked``,
    ``expired``, ``undefined-term`` …) when the step did not simply pass.

    Raises:
        ValueError: an unknown ``id`` or ``status`` (a bad call).
    """

    id: str
    status: CheckStatus
    message: str
    code: str | None = None

    def __init__(self, id: str, status: CheckStatus, message: str, code: str | None = None) -> None:
        # by hand: a verification builds a check per finding, and setting the slots through their
        # descriptors (_SET_CHECK) costs half the generated frozen __init__'s object.__setattr__
        if id not in _CHECK_ID_SET:
            raise ValueError(f"unknown check id {id!r}")
        if status not in _STATUSES:
            raise ValueError(f"unknown check status {status!r}")
        set_id, set_status, set_message, set_code = _SET_CHECK
        set_id(self, id)
        set_status(self, status)
        set_message(self, message)
        set_code(self, code)

    @property
    def mark(self) -> str:
        """A one-character mark for the human form: ✓ passed, ✗ failed, ! warning, - skipped."""
        return _MARKS[self.status]

    def to_dict(self) -> dict[str, str]:
        """``{"id", "status", "message"}`` plus ``"code"`` when there is one."""
        out = {"id": self.id, "status": self.status, "message": self.message}
        if self.code is not None:
            out["code"] = self.code
        return out


#: The slot setters of :class:`Check`, in field order (its __init__ unpacks them: a field added
#: without its setter fails every check built).
_SET_CHECK: Final[tuple[Any, ...]] = tuple(getattr(Check, each.name).__set__ for each in fields(Check))


@dataclass(frozen=True, slots=True)
class Summary:
    """What the badge *claims* (trust it only when the report is valid).

    ``issuer`` and ``achievement`` are ``{"id", "name"}`` maps (values may be ``None``);
    ``recipient`` is the subject id, or the identity (hash) the badge names; ``issued`` and
    ``expires`` are the date-time strings as written.
    """

    id: str | None = None
    type: tuple[str, ...] = ()
    issuer: Mapping[str, str | None] = field(default_factory=dict)
    achievement: Mapping[str, str | None] = field(default_factory=dict)
    recipient: str | None = None
    issued: str | None = None
    expires: str | None = None

    @classmethod
    def of(cls, claims: Claims) -> Summary:
        """The summary of a badge's claims (:func:`badgekiln.model.claims_of`)."""
        achievement, issued, expires = claims.achievement, claims.issued, claims.expires
        return cls(  # positional: keywords cost a third more, and every verification builds one
            claims.id,
            claims.types,
            {"id": claims.issuer_id, "name": claims.issuer_name},
            {"id": claims.achievement_id, "name": achievement.name if achievement else None},
            claims.recipient_text,
            issued.text if issued else None,
            expires.text if expires else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, keys in a fixed order."""
        return {
            "id": self.id,
            "type": list(self.type),
            "issuer": {"id": self.issuer.get("id"), "name": self.issuer.get("name")},
            "achievement": {"id": self.achievement.get("id"), "name": self.achievement.get("name")},
            "recipient": self.recipient,
            "issued": self.issued,
            "expires": self.expires,
        }


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """An issuer as a trusted-issuer registry lists it (DCC format: each member may be absent)."""

    name: str | None = None
    url: str | None = None
    location: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """``{"name", "url", "location"}``."""
        return {"name": self.name, "url": self.url, "location": self.location}


@dataclass(frozen=True, slots=True, init=False)
class IssuerIdentity:
    """What the issuer's identity rests on (:mod:`badgekiln.verification.identity`).

    ``basis``: ``registry`` (a configured trusted-issuer registry lists the issuer id),
    ``domain`` (a did:web's or https issuer URL's domain vouches for it), ``key`` (the caller
    pinned the key) or ``none`` (self-declared, or the issuer check did not pass). ``issuer``
    is the issuer id it is about; ``domain`` the domain when there is one (also beside a
    registry entry); ``registry`` and ``registered`` the registry's name and its entry;
    ``message`` one line for people ("issuer identity confirmed for acme.example", "issuer
    identity not verified: …").
    """

    basis: IdentityBasis
    issuer: str | None
    domain: str | None = None
    registry: str | None = None
    registered: RegistryEntry | None = None
    message: str = ""

    def __init__(  # noqa: PLR0917 -- by hand, as Check's (with _SET_IDENTITY): one per report
        self,
        basis: IdentityBasis,
        issuer: str | None,
        domain: str | None = None,
        registry: str | None = None,
        registered: RegistryEntry | None = None,
        message: str = "",
    ) -> None:
        set_basis, set_issuer, set_domain, set_registry, set_registered, set_message = _SET_IDENTITY
        set_basis(self, basis)
        set_issuer(self, issuer)
        set_domain(self, domain)
        set_registry(self, registry)
        set_registered(self, registered)
        set_message(self, message)

    @property
    def verified(self) -> bool:
        """Whether anything beyond the issuer's own claims vouches for its identity."""
        return self.basis != "none"

    def to_dict(self) -> dict[str, Any]:
        """``{"verified", "basis", "issuer", "domain", "registry", "message"}``; ``registry`` is
        ``None`` or ``{"name", "entry": {"name", "url", "location"}}``."""
        registry = None
        if self.registry is not None:
            entry = (self.registered or RegistryEntry()).to_dict()
            registry = {"name": self.registry, "entry": entry}
        return {
            "verified": self.verified,
            "basis": self.basis,
            "issuer": self.issuer,
            "domain": self.domain,
            "registry": registry,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True, init=False)
class Report:
    """The immutable result of :func:`badgekiln.verify`.

    ``spec`` is ``"ob2"``/``"ob3"`` (``"ob1"`` for a legacy 1.x badge), ``format`` how the input
    came (``png``, ``svg``, ``json``, ``jwt`` or ``url``), ``proof`` the proof method met
    (``eddsa-rdfc-2022``, ``vc-jwt RS256``, ``jws RS256``, ``hosted`` …) or ``None``.
    ``endorsements`` holds one sub-report per endorsement verified; they never change ``valid``.
    ``conformance`` holds each conformance deviation found (its ``id`` is the check it marks;
    ``warning``, or ``failed`` when ``strict``). ``issuer_identity`` says what the issuer's
    identity rests on (set by :func:`badgekiln.verify`; it never changes ``valid``).
    ``credentials`` holds, for a CLR 2.0 ``ClrCredential``, one sub-report per credential it
    carries (their verdict is the ``credentials`` check).
    """

    spec: Spec
    format: InputFormat
    checks: tuple[Check, ...]
    credential: Summary | None = None
    proof: str | None = None
    endorsements: tuple[Report, ...] = ()
    conformance: tuple[Check, ...] = ()
    strict: bool = False
    issuer_identity: IssuerIdentity | None = None
    credentials: tuple[Report, ...] = ()

    # by hand, as Check's (with _SET_REPORT): every verification builds a report at least, and
    # the fields stay positional, as the dataclass would have them
    def __init__(  # noqa: PLR0917
        self,
        spec: Spec,
        format: InputFormat,
        checks: tuple[Check, ...],
        credential: Summary | None = None,
        proof: str | None = None,
        endorsements: tuple[Report, ...] = (),
        conformance: tuple[Check, ...] = (),
        strict: bool = False,
        issuer_identity: IssuerIdentity | None = None,
        credentials: tuple[Report, ...] = (),
    ) -> None:
        # loops, not all(genexpr): a report is built by every verification
        for check in (*checks, *conformance):
            if not isinstance(check, Check):
                raise TypeError("checks and conformance must be Check instances")
        for sub in (*endorsements, *credentials):
            if not isinstance(sub, Report):
                raise TypeError("endorsements and credentials must be Report instances")
        if issuer_identity is not None and not isinstance(issuer_identity, IssuerIdentity):
            raise TypeError("issuer_identity must be an IssuerIdentity")
        (
            set_spec,
            set_format,
            set_checks,
            set_credential,
            set_proof,
            set_endorsements,
            set_conformance,
            set_strict,
            set_identity,
            set_credentials,
        ) = _SET_REPORT
        set_spec(self, spec)
        set_format(self, format)
        set_checks(self, checks)
        set_credential(self, credential)
        set_proof(self, proof)
        set_endorsements(self, endorsements)
        set_conformance(self, conformance)
        set_strict(self, strict)
        set_identity(self, issuer_identity)
        set_credentials(self, credentials)

    @property
    def valid(self) -> bool:
        """True only when no check failed, a proof check passed (perhaps with a warning), and no
        essential check was skipped."""
        proven = False
        for check in self.checks:
            if check.status == "failed":
                return False
            if check.status == "skipped" and check.id in ESSENTIAL_CHECKS:
                return False
            if check.status in ("passed", "warning") and check.id in PROOF_CHECKS:
                proven = True
        return proven

    @property
    def failures(self) -> tuple[Check, ...]:
        """The failed checks, in order."""
        return tuple(check for check in self.checks if check.status == "failed")

    @property
    def warnings(self) -> tuple[Check, ...]:
        """The checks that passed with a warning."""
        return tuple(check for check in self.checks if check.status == "warning")

    def check(self, check_id: str) -> Check | None:
        """The check with ``check_id``, or ``None`` when the report has none."""
        return next((check for check in self.checks if check.id == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``valid``, ``spec``, ``format``, ``proof``, ``credential``, ``checks``,
        ``endorsements``, ``conformance`` (``{"strict", "deviations"}``), ``issuer_identity``
        (:meth:`IssuerIdentity.to_dict` or ``None``), ``credentials`` (CLR sub-reports), in that
        order (stable for diffs and golden files)."""
        return {
            "valid": self.valid,
            "spec": self.spec,
            "format": self.format,
            "proof": self.proof,
            "credential": None if self.credential is None else self.credential.to_dict(),
            "checks": [check.to_dict() for check in self.checks],
            "endorsements": [sub.to_dict() for sub in self.endorsements],
            "conformance": {
                "strict": self.strict,
                "deviations": [deviation.to_dict() for deviation in self.conformance],
            },
            "issuer_identity": None if self.issuer_identity is None else self.issuer_identity.to_dict(),
            "credentials": [sub.to_dict() for sub in self.credentials],
        }


#: The slot setters of :class:`IssuerIdentity` and :class:`Report`, in field order (as :data:`_SET_CHECK`).
_SET_IDENTITY: Final[tuple[Any, ...]] = tuple(
    getattr(IssuerIdentity, each.name).__set__ for each in fields(IssuerIdentity)
)
_SET_REPORT: Final[tuple[Any, ...]] = tuple(getattr(Report, each.name).__set__ for each in fields(Report))
