"""What a verification may do and against what: one frozen value per call, strict by default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from badgekiln.errors import InputTooLarge, InvalidField, KeyResolutionError, MalformedPayload
from badgekiln.fetch import Fetcher, FetchPolicy
from badgekiln.keys.signer import PublicKey
from badgekiln.status.result import StatusPolicy
from badgekiln.strictjson import loads_strict
from badgekiln.verification.identity import IssuerRegistry
from badgekiln.verification.recipient import _check_identity

__all__ = [
    "CLOCK_SKEW",
    "MAX_CLOCK_SKEW",
    "MAX_CLR_CREDENTIALS",
    "MAX_ENDORSEMENTS",
    "MAX_ENDORSEMENT_DEPTH",
    "VerifyOptions",
    "parse_pinned_key",
]

#: Tolerance for clocks that disagree: a badge issued up to this far in the future is not
#: refused as "not yet valid", and one expired less than this long ago still counts. Five minutes
#: is what Kerberos and most JWT libraries allow; the status package uses the same value.
CLOCK_SKEW: Final = timedelta(minutes=5)
#: The largest skew a caller may choose: beyond a day, "expired" would stop meaning anything.
MAX_CLOCK_SKEW: Final = timedelta(days=1)
#: Endorsements of endorsements are followed this deep (1 = the badge's own endorsements only).
#: Each level multiplies fetches and proof checks; two covers every published example.
MAX_ENDORSEMENT_DEPTH: Final = 2
#: Endorsements verified per credential (embedded and JWT forms together, all places they may
#: appear); the rest are reported as not checked. Each one costs a proof verification.
MAX_ENDORSEMENTS: Final = 16
#: Credentials verified in one CLR 2.0 record (each costs a proof verification); a record
#: carrying more is not valid (``credentials`` fails ``too-many``): nothing it says is left unchecked.
MAX_CLR_CREDENTIALS: Final = 64


def parse_pinned_key(key: bytes | str) -> PublicKey:
    """Parse a pinned issuer key: an SPKI PEM block or a public JWK (JSON object).

    Raises:
        InvalidField: ``field="key"``: neither form, or a key badgekiln does not verify with
            (a private JWK, a weak RSA key …); the message says which.
        TypeError: ``key`` is neither bytes nor str.
    """
    from badgekiln.keys.formats import jwk_to_public_key, load_pem_public_key

    if isinstance(key, bytes):
        try:
            text = key.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidField("the pinned key is not UTF-8 text (PEM or JWK)", field="key") from exc
    elif isinstance(key, str):
        text = key
    else:
        raise TypeError(f"key must be bytes or str, not {type(key).__name__}")
    stripped = text.strip()
    try:
        if stripped.startswith("{"):
            try:
                jwk = loads_strict(stripped.encode("utf-8", "surrogatepass"), source="the pinned JWK")
            except (MalformedPayload, InputTooLarge) as exc:
                raise InvalidField(
                    f"the pinned key looks like a JWK but is not JSON: {exc.message}", field="key"
                ) from exc
            if not isinstance(jwk, dict):
                raise InvalidField("the pinned JWK must be a JSON object", field="key")
            return jwk_to_public_key(jwk)
        return load_pem_public_key(stripped)
    except (KeyResolutionError, MalformedPayload) as exc:
        raise InvalidField(
            f"the pinned key cannot be used: {exc.message}", field="key", reason=exc.reason
        ) from exc


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """Options of :func:`badgekiln.verify`; derive variants with :func:`dataclasses.replace`.

    * ``recipient``: an identity (email, URL, phone, DID …) the badge must have been awarded to.
    * ``at``: the instant validity is judged at (aware; default: now).
    * ``offline`` / ``documents``: forbid the network / answer URLs from these bodies. They build
      the fetcher; pass ``fetcher`` instead to share one (with its cache) between calls, in
      which case ``offline`` and ``documents`` must be left at their defaults.
    * ``key``: the issuer's public key (PEM or JWK), pinned: proofs are checked with it and it
      counts as the issuer's without any lookup.
    * ``clock_skew``: see :data:`CLOCK_SKEW`.
    * ``status_policy``: how strictly status lists are judged (:class:`~badgekiln.status.StatusPolicy`).
    * ``endorsement_depth``: how deep endorsements are verified (0 = not at all).
    * ``strict``: conformance deviations (schema, OB-profile rules that do not bear on trust;
      docs/verification.md) fail their check instead of warning, as the 1EdTech validator does.
    * ``issuer_registries``: trusted-issuer registries (:class:`~badgekiln.verification.identity.
      IssuerRegistry`, most authoritative first) the report's ``issuer_identity`` consults;
      ``None``: those the deployment configures (``BADGEKILN_ISSUER_REGISTRIES``).

    Raises:
        TypeError, ValueError: a field of the wrong type or out of range, or ``fetcher`` given
            together with ``offline``/``documents``.
        InvalidField: ``key`` is not a usable PEM or JWK public key, or ``recipient`` is empty, over
            :data:`~badgekiln.verification.recipient.MAX_IDENTITY_CHARS` characters or not valid text.
    """

    recipient: str | None = None
    at: datetime | None = None
    offline: bool = False
    documents: Mapping[str, bytes] | None = None
    key: bytes | str | None = None
    fetcher: Fetcher | None = None
    clock_skew: timedelta = CLOCK_SKEW
    status_policy: StatusPolicy = field(default_factory=StatusPolicy)
    endorsement_depth: int = MAX_ENDORSEMENT_DEPTH
    strict: bool = False
    issuer_registries: tuple[IssuerRegistry, ...] | None = None
    # derived once in __post_init__ (the fetcher to use, the parsed pinned key)
    _fetcher: Fetcher = field(init=False, repr=False, compare=False)
    _pinned: PublicKey | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.recipient is not None:
            if not isinstance(self.recipient, str):
                raise TypeError("recipient must be a str")
            if not self.recipient.strip():  # what a user typed: bad input, not a bad call
                raise InvalidField("the recipient to check is empty", field="recipient")
            try:  # here, before any fetch or proof check, not when the recipient check runs
                _check_identity(self.recipient)
            except ValueError as exc:
                raise InvalidField(f"the recipient cannot be matched: {exc}", field="recipient") from exc
        if self.at is not None and (not isinstance(self.at, datetime) or self.at.tzinfo is None):
            raise ValueError("at must be a timezone-aware datetime")
        if not isinstance(self.offline, bool):
            raise TypeError("offline must be a bool")
        if not isinstance(self.strict, bool):
            raise TypeError("strict must be a bool")
        if self.issuer_registries is not None:
            registries = tuple(self.issuer_registries)
            if not all(isinstance(registry, IssuerRegistry) for registry in registries):
                raise TypeError("issuer_registries must be IssuerRegistry instances")
            object.__setattr__(self, "issuer_registries", registries)
        if (
            not isinstance(self.clock_skew, timedelta)
            or not timedelta(0) <= self.clock_skew <= MAX_CLOCK_SKEW
        ):
            raise ValueError(f"clock_skew must be a timedelta between 0 and {MAX_CLOCK_SKEW}")
        if not isinstance(self.status_policy, StatusPolicy):
            raise TypeError("status_policy must be a StatusPolicy")
        depth = self.endorsement_depth
        if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= MAX_ENDORSEMENT_DEPTH:
            raise ValueError(f"endorsement_depth must be an int between 0 and {MAX_ENDORSEMENT_DEPTH}")
        if self.fetcher is not None:
            if not isinstance(self.fetcher, Fetcher):
                raise TypeError("fetcher must be a badgekiln.fetch.Fetcher")
            if self.offline or self.documents:
                raise ValueError(
                    "pass offline/documents through the fetcher (its policy and pinned documents), "
                    "not beside it"
                )
            fetcher = self.fetcher
        else:
            documents = dict(self.documents) if self.documents else None
            fetcher = Fetcher(FetchPolicy(offline=self.offline), documents=documents)
            if documents is not None:
                object.__setattr__(self, "documents", MappingProxyType(documents))
        object.__setattr__(self, "_fetcher", fetcher)
        object.__setattr__(self, "_pinned", None if self.key is None else parse_pinned_key(self.key))

    @property
    def active_fetcher(self) -> Fetcher:
        """The fetcher every URL of this verification goes through."""
        return self._fetcher

    @property
    def pinned_key(self) -> PublicKey | None:
        """The parsed pinned issuer key, if any."""
        return self._pinned
