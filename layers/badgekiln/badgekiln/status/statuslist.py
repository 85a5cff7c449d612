"""Bitstring Status List (W3C REC) and legacy StatusList2021 entries: check them, issue them.

Checking an entry follows the REC's validation algorithm, in this order, each step raising
:class:`~badgekiln.errors.StatusError` with the ``reason`` given (see
:data:`badgekiln.status.REASONS`):

1. the entry itself (``entry``, ``unsupported-type``, ``purpose``);
2. fetch ``statusListCredential`` through the injected ``fetch_json`` (``retrieval``, ``list``):
   a JSON object with an embedded proof, or a VC-JWT (:class:`~badgekiln.status.result.CompactToken`);
3. verify the list credential through the injected ``verify_credential`` (``verification``) —
   before anything in it is believed, so a tampered list fails on its proof; for a VC-JWT the
   credential read is the one the verified token secures;
4. its types (``type``), validity window (``not-yet-valid``, ``expired``), issuer (``issuer``)
   and purpose (``purpose``);
5. decode ``encodedList`` (``encoding``, ``too-large``), check the length (``length``, or a
   warning — :class:`~badgekiln.status.StatusPolicy`) and the index (``range``), read the value.

Issuers use :func:`build_status_entry` for each credential and :func:`build_status_list_credential`
for the (unsigned) list they sign and publish.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from badgekiln.errors import StatusError
from badgekiln.model.dates import DateTime, stamp
from badgekiln.model.ob3 import Credential, Subject
from badgekiln.model.status import StatusEntry
from badgekiln.status.bitstring import MAX_LIST_BYTES, MAX_STATUS_SIZE, MIN_LIST_ENTRIES, StatusBitstring
from badgekiln.status.result import (
    PURPOSES,
    FetchJson,
    StatusPolicy,
    StatusResult,
    VerifyCredential,
    fetch_list,
    open_list,
)

__all__ = [
    "ENTRY_TYPES",
    "VC2_CONTEXT",
    "build_status_entry",
    "build_status_list_credential",
    "check_status_list_entry",
]

VC2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
#: Longest ``statusListIndex`` string read: 10 digits already address 10**10 entries, far past
#: the largest list :data:`~badgekiln.status.bitstring.MAX_LIST_BYTES` allows.
_MAX_INDEX_DIGITS: Final = 10
_INDEX: Final = re.compile(rf"[0-9]{{1,{_MAX_INDEX_DIGITS}}}")
_STATUS_HEX: Final = re.compile(r"0x[0-9a-fA-F]{1,2}")
#: Longest ``statusMessage[].message`` kept (characters): a sentence for a report, not a document.
_MAX_MESSAGE_CHARS: Final = 1000


@dataclass(frozen=True)
class _Method:
    name: str
    credential_type: str
    subject_type: str
    purposes: frozenset[str]
    multibit: bool


_METHODS: Final = {
    "BitstringStatusListEntry": _Method(
        "BitstringStatusList", "BitstringStatusListCredential", "BitstringStatusList", PURPOSES, True
    ),
    # W3C CCG StatusList2021 (superseded by the REC): one bit per entry, revocation/suspension.
    "StatusList2021Entry": _Method(
        "StatusList2021",
        "StatusList2021Credential",
        "StatusList2021",
        frozenset({"revocation", "suspension"}),
        False,
    ),
}
#: credentialStatus types :func:`check_status_list_entry` handles.
ENTRY_TYPES: Final = frozenset(_METHODS)


def _entry_error(message: str, **details: Any) -> StatusError:
    return StatusError(message, reason="entry", **details)


def _method(entry: StatusEntry) -> _Method:
    entry_type = entry.type
    method = _METHODS.get(entry_type) if isinstance(entry_type, str) else None
    if method is None:
        raise StatusError(
            f"credentialStatus type {entry_type!r} is not one badgekiln can check here "
            f"({', '.join(sorted(_METHODS))})",
            reason="unsupported-type",
            type=str(entry_type)[:100],
        )
    return method


def _index(entry: StatusEntry, warnings: list[str]) -> int:
    raw = entry.index
    if isinstance(raw, str) and _INDEX.fullmatch(raw):
        return int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 10**_MAX_INDEX_DIGITS:
        # The REC says a base-10 string; 1EdTech's validator fixture writes a JSON number.
        warnings.append(f"statusListIndex is the JSON number {raw}; the specification requires a string")
        return raw
    shown = repr(raw)[:40]
    raise _entry_error(
        f"statusListIndex must be a non-negative base-10 integer string of at most "
        f"{_MAX_INDEX_DIGITS} digits, not {shown}",
        field="statusListIndex",
    )


def _status_size(entry: StatusEntry, method: _Method) -> int:
    raw = entry.size
    if not method.multibit:
        if not isinstance(raw, int) or isinstance(raw, bool) or raw != 1:
            raise _entry_error(f"{method.name} entries have one bit; statusSize {raw!r} is not allowed")
        return 1
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_STATUS_SIZE:
        raise _entry_error(
            f"statusSize must be an integer between 1 and {MAX_STATUS_SIZE}, not {repr(raw)[:40]}",
            field="statusSize",
            limit=MAX_STATUS_SIZE,
        )
    return raw


def _messages(entry: StatusEntry, size: int) -> dict[int, str]:
    raw = entry.messages
    if raw is None:
        if size > 1:  # REC: statusMessage MUST be present when statusSize > 1
            raise _entry_error("statusMessage is required when statusSize is greater than 1")
        return {}
    if not isinstance(raw, list) or len(raw) > 1 << size:
        raise _entry_error(
            f"statusMessage must be a list of at most {1 << size} entries for statusSize {size}",
            field="statusMessage",
        )
    messages: dict[int, str] = {}
    for position, item in enumerate(raw):
        status, text = StatusEntry.message_of(item)
        if not (isinstance(status, str) and _STATUS_HEX.fullmatch(status) and isinstance(text, str)):
            raise _entry_error(
                f"statusMessage[{position}] must be {{'status': '0x…', 'message': '…'}}",
                field="statusMessage",
            )
        value = int(status, 16)
        if value >= 1 << size or value in messages:
            raise _entry_error(
                f"statusMessage[{position}] status {status} is repeated or does not fit in {size} bit(s)",
                field="statusMessage",
            )
        messages[value] = text[:_MAX_MESSAGE_CHARS]
    return messages


def _subject(document: Credential, method: _Method, url: str) -> Subject:
    declared = document.types
    if "VerifiableCredential" not in declared or method.credential_type not in declared:
        raise StatusError(
            f"the status list {url} is not a VerifiableCredential and {method.credential_type} (its type is "
            f"{repr(document.type)[:100]})",
            reason="type",
            url=url,
            expected=method.credential_type,
        )
    subject = document.subject
    if subject is None:
        raise StatusError(
            f"the status list {url} has no single credentialSubject object", reason="list", url=url
        )
    if method.subject_type not in subject.types:
        raise StatusError(
            f"the status list {url} has a credentialSubject that is not a {method.subject_type}",
            reason="type",
            url=url,
            expected=method.subject_type,
        )
    return subject


def _instant(moment: DateTime, url: str) -> datetime:
    """The instant a list credential's date-time member names.

    Raises:
        StatusError: ``reason="list"``: not a date-time with a time zone.
    """
    if moment.value is None:
        raise StatusError(
            f"the status list's {moment.field} is {moment.error}", reason="list", field=moment.field, url=url
        )
    return moment.value


def _check_window(document: Credential, url: str, now: datetime, policy: StatusPolicy) -> None:
    for moment in (document.valid_from, document.issuance_date):
        if moment is not None and _instant(moment, url) - now > policy.clock_skew:
            # a difference: now + skew can overflow
            raise StatusError(
                f"the status list {url} is not valid before {moment.raw}",
                reason="not-yet-valid",
                url=url,
                field=moment.field,
            )
    for moment in (document.valid_until, document.expiration_date):
        if moment is not None and now - _instant(moment, url) > policy.clock_skew:
            raise StatusError(
                f"the status list {url} expired at {moment.raw}",
                reason="expired",
                url=url,
                field=moment.field,
            )


def _check_issuer(
    document: Credential, url: str, issuer: str, policy: StatusPolicy, warnings: list[str]
) -> None:
    list_issuer = document.issuer_id
    if list_issuer == issuer:
        return
    shown = repr(list_issuer)[:200]
    if policy.require_same_issuer:
        raise StatusError(
            f"the status list {url} was issued by {shown}, not by the credential's issuer {issuer}",
            reason="issuer",
            url=url,
        )
    warnings.append(f"the status list was issued by {shown}, not by the credential's issuer")


def _check_purpose(subject: Subject, purpose: str, url: str) -> None:
    # The REC writes one purpose per list; a list of purposes is read as "any of these".
    if purpose not in subject.purposes:
        raise StatusError(
            f"the entry's statusPurpose {purpose!r} does not match the status list's "
            f"{repr(subject.purpose)[:100]}",
            reason="purpose",
            url=url,
        )


def check_status_list_entry(
    entry: Mapping[str, Any] | StatusEntry,
    *,
    issuer: str,
    fetch_json: FetchJson,
    verify_credential: VerifyCredential,
    policy: StatusPolicy = StatusPolicy(),  # noqa: B008  # frozen, so one shared default is safe
    at: datetime | None = None,
) -> StatusResult:
    """Check one ``BitstringStatusListEntry`` or ``StatusList2021Entry`` of a credential.

    ``issuer`` is the credential's issuer id; ``at`` (aware) is the instant the list's validity
    window is judged at, default now. The result says what the entry holds; whether that makes
    the credential invalid is :attr:`StatusResult.invalidates`.

    Raises:
        StatusError: the entry cannot be checked or the list cannot be trusted or read; ``reason``
            is one of :data:`badgekiln.status.REASONS` (steps in the module docstring).
        ValueError: ``at`` is naive (a bad call).

    Example::

        result = check_status_list_entry(
            credential["credentialStatus"], issuer=issuer_id,
            fetch_json=fetcher.get_json, verify_credential=verify_list_credential,
        )
        if result.invalidates: ...
    """
    if at is not None and at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if not isinstance(entry, StatusEntry):
        if not isinstance(entry, Mapping):
            raise _entry_error("credentialStatus must be a JSON object")
        entry = StatusEntry(entry)
    method = _method(entry)
    purpose = entry.purpose
    if not isinstance(purpose, str) or purpose not in method.purposes:
        raise StatusError(
            f"statusPurpose {repr(purpose)[:60]} is not one of {', '.join(sorted(method.purposes))}",
            reason="purpose",
        )
    warnings: list[str] = []
    index = _index(entry, warnings)
    size = _status_size(entry, method)
    messages = _messages(entry, size) if method.multibit else {}
    url = entry.list_url
    if not isinstance(url, str) or not url:
        raise _entry_error(
            "statusListCredential must be the list credential's URL", field="statusListCredential"
        )

    fetched = fetch_list(url, fetch_json, "status list")
    document = Credential(open_list(fetched, url, verify_credential, "status list"))
    subject = _subject(document, method, url)
    _check_window(document, url, at or datetime.now(UTC), policy)
    _check_issuer(document, url, issuer, policy, warnings)
    _check_purpose(subject, purpose, url)
    if document.declared_id != url:
        warnings.append(
            f"the status list credential's id {repr(document.declared_id)[:200]} is not its URL {url}"
        )

    encoded = subject.encoded_list
    if encoded is None:
        raise StatusError(f"the status list {url} has no encodedList string", reason="list", url=url)
    bits = StatusBitstring.decode(encoded, status_size=size)
    entries = len(bits)
    if entries < policy.min_entries:
        if policy.short_list == "fail":
            raise StatusError(
                f"the status list {url} has {entries} entries, fewer than the minimum {policy.min_entries}",
                reason="length",
                url=url,
                limit=policy.min_entries,
            )
        warnings.append(
            f"the status list has {entries} entries, fewer than the {policy.min_entries} the "
            "specification requires for privacy"
        )
    if index >= entries:
        raise StatusError(
            f"statusListIndex {index} is outside the status list {url} (0..{entries - 1})",
            reason="range",
            url=url,
            index=index,
        )
    value = bits.get(index)
    return StatusResult(
        method=method.name,
        purpose=purpose,
        value=value,
        set=value != 0,
        list_url=url,
        index=index,
        message=messages.get(value),
        warnings=tuple(warnings),
    )


# --- issuing ----------------------------------------------------------------------------------


def build_status_entry(
    *,
    list_url: str,
    index: int,
    purpose: str = "revocation",
    status_size: int = 1,
    messages: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """The ``credentialStatus`` for the credential at ``index`` of the list published at ``list_url``.

    ``messages`` (value → text) becomes ``statusMessage``; it is required for ``status_size`` > 1.

    Raises:
        ValueError: an unknown purpose, an index or status size out of range, or messages that
            do not fit the status size.

    Example::

        credential["credentialStatus"] = build_status_entry(list_url=url, index=41)
    """
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {sorted(PURPOSES)}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_LIST_BYTES * 8:
        raise ValueError("index must be an int inside the largest list")
    if (
        isinstance(status_size, bool)
        or not isinstance(status_size, int)
        or not 1 <= status_size <= MAX_STATUS_SIZE
    ):
        raise ValueError(f"status_size must be between 1 and {MAX_STATUS_SIZE}")
    if status_size > 1 and not messages:
        raise ValueError("messages are required when status_size > 1")
    entry: dict[str, Any] = {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    if status_size > 1:
        entry["statusSize"] = status_size
    if messages:
        if any(not 0 <= value < 1 << status_size for value in messages):
            raise ValueError(f"message values must fit in {status_size} bit(s)")
        entry["statusMessage"] = [
            {"status": f"0x{value:x}", "message": text} for value, text in sorted(messages.items())
        ]
    return entry


def build_status_list_credential(
    *,
    list_url: str,
    issuer: str | Mapping[str, Any],
    purpose: str,
    bitstring: StatusBitstring,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    ttl: int | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` (VC 2.0) to sign and publish at ``list_url``.

    ``valid_from`` defaults to now; ``ttl`` (milliseconds) tells verifiers how long they may
    cache the list. Sign it with the issuer's key (e.g.
    :func:`badgekiln.proofs.dataintegrity.create_proof`) before publishing.

    Raises:
        ValueError: an unknown purpose, naive timestamps, a window that ends before it starts, a
            non-positive ttl, or a list shorter than the REC's minimum of 131,072 entries.

    Example::

        unsigned = build_status_list_credential(
            list_url=url, issuer=issuer_id, purpose="revocation", bitstring=bits
        )
    """
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {sorted(PURPOSES)}")
    if len(bitstring) < MIN_LIST_ENTRIES:
        raise ValueError(
            f"a published list must hold at least {MIN_LIST_ENTRIES} entries (REC, herd privacy)"
        )
    start = valid_from or datetime.now(UTC)
    document: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": dict(issuer) if isinstance(issuer, Mapping) else issuer,
        "validFrom": stamp(start),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": bitstring.encode(),
        },
    }
    if valid_until is not None:
        if valid_until.tzinfo is not None and valid_until <= start:
            raise ValueError("valid_until must be after valid_from")
        document["validUntil"] = stamp(valid_until)
    if ttl is not None:
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
            raise ValueError("ttl must be a positive number of milliseconds")
        document["credentialSubject"]["ttl"] = ttl
    return document
