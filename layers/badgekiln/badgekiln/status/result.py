"""What a status check returns, and the per-call policy that decides how strict it is."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, Literal

from badgekiln.errors import BadgeKilnError, FetchError, StatusError
from badgekiln.status.bitstring import MIN_LIST_ENTRIES

__all__ = [
    "PURPOSES",
    "REASONS",
    "CompactToken",
    "FetchJson",
    "StatusPolicy",
    "StatusResult",
    "VerifyCredential",
    "fetch_list",
    "open_list",
]


@dataclass(frozen=True, slots=True)
class CompactToken:
    """A list served as a compact JWS (a VC-JWT), not yet verified: what ``fetch_json`` returns
    for a document served as ``application/vc+jwt`` / ``application/jwt``."""

    text: str


#: ``fetch_json(url) -> Any``: the parsed JSON document at ``url``, or a :class:`CompactToken` for
#: a list secured as a VC-JWT. The verifier passes a wrapper of :meth:`badgekiln.fetch.Fetcher.get`;
#: its :class:`~badgekiln.errors.FetchError` subclasses become ``StatusError(reason="retrieval")``.
FetchJson = Callable[[str], Any]
#: ``verify_credential(document) -> Mapping | None``: verifies a list credential — a JSON object
#: with an embedded proof, or a :class:`CompactToken` — and that its key belongs to its issuer;
#: returns the credential a VC-JWT secures (``None`` for a JSON object: it is the credential);
#: raises a :class:`~badgekiln.errors.BadgeKilnError` on failure.
VerifyCredential = Callable[[Mapping[str, Any] | CompactToken], Mapping[str, Any] | None]

#: Status purposes with a defined meaning: revocation and suspension make a credential invalid
#: while the entry is set; refresh says a newer copy exists; message carries ``statusMessage``s.
PURPOSES: Final = frozenset({"revocation", "suspension", "refresh", "message"})

#: Every ``StatusError.reason`` the status package raises, with the Bitstring Status List REC
#: error it corresponds to where there is one.
REASONS: Final[Mapping[str, str]] = {
    "entry": "the credentialStatus entry is malformed (missing member, bad index, bad statusSize …)",
    "unsupported-type": "a credentialStatus type badgekiln cannot check (fails closed)",
    "retrieval": "STATUS_RETRIEVAL_ERROR: the list could not be fetched (``cause`` = fetch reason)",
    "verification": "STATUS_VERIFICATION_ERROR: the list credential's proof or VC-JWT did not verify",
    "list": "the fetched list is not a usable list document (not an object, no subject …)",
    "type": "the list document has the wrong type for the entry (e.g. no BitstringStatusListCredential)",
    "issuer": "the list was issued by someone other than the credential's issuer",
    "not-yet-valid": "the list credential's validFrom/issuanceDate is in the future",
    "expired": "the list credential's validUntil/expirationDate has passed",
    "purpose": "the entry's statusPurpose is unknown or differs from the list's",
    "encoding": "encodedList is not base64 of one complete GZIP stream",
    "too-large": "the list (encoded, inflated, or entry count) is over a documented cap",
    "length": "STATUS_LIST_LENGTH_ERROR: fewer entries than the policy's minimum",
    "range": "RANGE_ERROR: statusListIndex is outside the list",
}


@dataclass(frozen=True, slots=True)
class StatusPolicy:
    """How strictly a status list is judged; one frozen value per call, strict where it matters.

    * ``require_same_issuer``: the list's issuer must equal the credential's (otherwise anyone
      able to serve the list URL could sign "not revoked"). The DCC fixtures share a list signed
      by another key: tests of those fixtures pass ``False``, as the DCC verifiers do.
    * ``min_entries`` / ``short_list``: the REC requires lists of at least 131,072 entries for
      herd privacy. A shorter list is as authentic as a long one, so by default its bits are
      read and the shortfall is reported as a warning (DCC's deployed lists hold 100,000 bits);
      ``short_list="fail"`` raises ``StatusError(reason="length")`` as the REC's algorithm does.
    * ``clock_skew``: tolerance applied to the list credential's validity window.

    Raises:
        TypeError, ValueError: a field of the wrong type or out of range.
    """

    require_same_issuer: bool = True
    min_entries: int = MIN_LIST_ENTRIES
    short_list: Literal["warn", "fail"] = "warn"
    clock_skew: timedelta = field(default=timedelta(minutes=5))

    def __post_init__(self) -> None:
        if not isinstance(self.require_same_issuer, bool):
            raise TypeError("require_same_issuer must be a bool")
        if (
            isinstance(self.min_entries, bool)
            or not isinstance(self.min_entries, int)
            or self.min_entries < 0
        ):
            raise ValueError("min_entries must be an int >= 0")
        if self.short_list not in ("warn", "fail"):
            raise ValueError("short_list must be 'warn' or 'fail'")
        if not isinstance(self.clock_skew, timedelta) or not timedelta(0) <= self.clock_skew <= timedelta(
            days=1
        ):
            raise ValueError("clock_skew must be a timedelta between 0 and 1 day")


@dataclass(frozen=True, slots=True)
class StatusResult:
    """The outcome of one status check that could be made.

    ``method`` names the mechanism (``BitstringStatusList``, ``StatusList2021``,
    ``1EdTechRevocationList``, ``RevocationList``); ``value`` is the entry's status value
    (0/1 for one-bit lists and revocation lists) and ``set`` is ``value != 0``. What a set entry
    means depends on ``purpose``: revocation and suspension make the credential invalid,
    refresh and message do not. ``message`` is the matching ``statusMessage`` or the
    ``revocationReason``; ``warnings`` lists tolerated deviations (a numeric
    ``statusListIndex``, a short list …) that a report should show.
    """

    method: str
    purpose: str
    value: int
    set: bool
    list_url: str
    index: int | None = None
    message: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def invalidates(self) -> bool:
        """True when the credential must not be accepted: a set revocation or suspension entry."""
        return self.set and self.purpose in ("revocation", "suspension")


def fetch_list(url: str, fetch_json: FetchJson, what: str) -> Mapping[str, Any] | CompactToken:
    """The list document at ``url`` (a JSON object, or a VC-JWT not yet verified); ``what``
    names it in messages ("status list" …).

    Raises:
        StatusError: ``reason="retrieval"`` (``cause``: the fetch reason) when it cannot be
            fetched; ``reason="list"`` when it is neither a strict JSON object nor a token.
    """
    try:
        document = fetch_json(url)
    except FetchError as exc:
        raise StatusError(
            f"the {what} {url} could not be retrieved: {exc.message}",
            reason="retrieval",
            url=url,
            cause=exc.reason,
        ) from exc
    except BadgeKilnError as exc:  # fetched, but not strict JSON (or nested too deeply), nor token text
        raise StatusError(
            f"the {what} {url} is neither strict JSON nor a usable token: {exc.message}",
            reason="list",
            url=url,
        ) from exc
    if not isinstance(document, Mapping | CompactToken):
        raise StatusError(f"the {what} {url} is not a JSON object", reason="list", url=url)
    return document


def open_list(
    document: Mapping[str, Any] | CompactToken, url: str, verify_credential: VerifyCredential, what: str
) -> Mapping[str, Any]:
    """Verify a fetched list credential before anything in it is believed; return the credential
    (the JSON object itself, or what a VC-JWT secures).

    Raises:
        StatusError: ``reason="verification"`` (``cause``: the verifier's error code) when it does
            not verify; a :class:`StatusError` the verifier raised (an expired VC-JWT …) as is.
    """
    try:
        secured = verify_credential(document)
    except StatusError:
        raise
    except BadgeKilnError as exc:
        raise StatusError(
            f"the {what} credential {url} does not verify: {exc.message}",
            reason="verification",
            url=url,
            cause=exc.code,
            cause_reason=exc.reason,
        ) from exc
    if isinstance(document, Mapping):
        return document
    if not isinstance(secured, Mapping):  # a verifier that cannot open tokens must not pass one
        raise StatusError(
            f"the {what} {url} is a VC-JWT and its verifier returned no credential",
            reason="verification",
            url=url,
        )
    return secured
