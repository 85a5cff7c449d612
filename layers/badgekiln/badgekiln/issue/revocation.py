"""Revoke, suspend and reinstate issued credentials.

==========  =========================================  ============================================
            OB 3.0 (bitstring status lists)            OB 2.0 (RevocationList, hosted assertion)
==========  =========================================  ============================================
revoke      set the ``revocation`` bit (final)         listed with the reason; hosted assertion
                                                       gets ``"revoked": true`` (served as 410)
suspend     set the ``suspension`` bit (issuers with   listed as ``Suspended: <reason>``, hosted
            ``suspension`` on; see docs/issuing.md)    assertion revoked likewise (OB 2.0 has no
                                                       suspension of its own)
reinstate   clear the ``suspension`` bit; a revoked    unlisted; hosted assertion restored
            OB 3.0 credential stays revoked (the REC
            makes revocation irreversible)
==========  =========================================  ============================================

The credential's private record moves first, by compare-and-swap (so the state machine holds
under concurrency; each change bumps its ``version``). A change without a reason keeps the
reason already recorded for that state.

OB 3.0: the change is durable once the record and a pending-change object (named by index,
version and wanted bits; one per change, so nothing is contended) are stored; the lists are then
published by :mod:`badgekiln.issue.statusqueue` — at once in-process, or by the publisher
function within a tick, each list signed once for every change pending (see
:func:`badgekiln.issue.statuslists.publish_pending`). OB 2.0: the RevocationList and the hosted
assertion are made to match the record, and the record is read again: if another change landed
meanwhile, they are brought in line with that one too. Every step is idempotent, so re-running
a command after a failure completes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final, Literal

from badgekiln.errors import InvalidField, NotFound, StoreError
from badgekiln.hosting import layout as paths
from badgekiln.issue import events
from badgekiln.issue.issuers import get_issuer
from badgekiln.issue.models import MAX_REASON_CHARS, StatusChange, check_text, parse
from badgekiln.issue.publish import document_bytes, update_hosted
from badgekiln.issue.records import (
    RECORD_HEADERS,
    CredentialRecord,
    CredentialState,
    IssuerRecord,
    credential_record_path,
    dump,
    load,
    stamp,
)
from badgekiln.issue.registry import CredentialView, credential_name
from badgekiln.issue.statuslists import OB2, STATUS_RETRY, ListId, change_path, ob2_entry
from badgekiln.issue.statusqueue import Notifier, notifier
from badgekiln.store.base import Store, StoredObject

__all__ = ["Action", "change_status", "credential_status", "reinstate", "revoke", "suspend"]

#: Times the public lists are re-aligned when changes keep landing concurrently.
_MAX_ALIGN: Final = 5

Action = Literal["revoke", "suspend", "reinstate"]


def _check_reason(reason: str | None) -> str | None:
    return None if reason is None else check_text(reason, field="reason", limit=MAX_REASON_CHARS)


def _read(store: Store, issuer: IssuerRecord, name: str) -> CredentialRecord:
    try:
        obj = store.get(credential_record_path(issuer.slug, name))
    except NotFound:
        raise NotFound(f"issuer {issuer.slug!r} has no credential {name!r}", credential=name) from None
    return CredentialRecord.from_dict(load(obj), obj.key)


def _next_state(record: CredentialRecord, action: Action) -> CredentialState:
    if action == "revoke":
        return "revoked"
    if action == "suspend":
        if record.state == "revoked":
            raise InvalidField(
                "the credential is revoked; it cannot be suspended", field="credential", reason="revoked"
            )
        if record.spec == "ob3" and "suspension" not in record.purposes:
            raise InvalidField(
                "this credential has no suspension status entry (its issuer was created without "
                "suspension); revoke it instead",
                field="credential",
                reason="no-suspension-entry",
            )
        return "suspended"
    if record.state == "revoked" and record.spec == "ob3":
        raise InvalidField(
            "a revoked OB 3.0 credential cannot be reinstated (revocation is final); issue a new one",
            field="credential",
            reason="revoked-final",
        )
    return "active"


def _transition(
    store: Store, issuer: IssuerRecord, name: str, *, action: Action, reason: str | None, when: str
) -> tuple[CredentialRecord, bool]:
    """The record after ``action``, and whether this call changed it."""
    path = credential_record_path(issuer.slug, name)
    moved: list[CredentialRecord] = []
    changed = [False]

    def move(current: StoredObject | None) -> bytes | None:
        if current is None:
            raise NotFound(f"issuer {issuer.slug!r} has no credential {name!r}", credential=name)
        data = load(current)
        record = CredentialRecord.from_dict(data, current.key)
        state = _next_state(record, action)
        if state == "active":
            new_reason = None
        elif reason is None and record.state == state:
            new_reason = record.reason  # again without a reason: the first one stands
        else:
            new_reason = reason
        if record.state == state and record.reason == new_reason:
            moved[:], changed[0] = [record], False
            return None
        updated = replace(record, state=state, reason=new_reason, changed=when, version=record.version + 1)
        moved[:], changed[0] = [updated], True
        return dump({**data, **updated.to_dict()})

    store.update(path, move, **RECORD_HEADERS)
    return moved[0], changed[0]


def _apply(
    store: Store, issuer: IssuerRecord, record: CredentialRecord, notify: Notifier, *, again: bool
) -> None:
    """Store the pending change of ``record`` and get its list published (``again``: the record
    was so already, this repeats an earlier request that may have died before the notifier
    sent anything); make an OB 2.0 hosted assertion say what ``record.state`` says (idempotent)."""
    target: ListId
    if record.spec == "ob2":
        target = OB2
    elif record.status_list is None:
        raise StoreError(f"credential {record.name!r} has no status entry recorded", reason="corrupt-record")
    else:
        target = record.status_list
    store.put(change_path(issuer.slug, record), b"{}", **RECORD_HEADERS)
    notify.notify(store, issuer.slug, target, again=again)
    if record.spec == "ob2" and record.format == "hosted":
        entry = ob2_entry(record)
        _mark_hosted(
            store, issuer, record, entry is not None, None if entry is None else entry.get("revocationReason")
        )


def _mark_hosted(
    store: Store, issuer: IssuerRecord, record: CredentialRecord, revoked: bool, reason: str | None
) -> None:
    hosted = paths.assertion(issuer.slug, record.name)

    def mark(current: StoredObject | None) -> bytes | None:
        if current is None:
            raise NotFound(f"hosted assertion {hosted.key!r} is missing", credential=record.name)
        document = load(current)
        updated = {k: v for k, v in document.items() if k not in ("revoked", "revocationReason")}
        if revoked:
            updated["revoked"] = True
            if reason:
                updated["revocationReason"] = reason
        if updated == document and (current.metadata.get("revoked") == "true") == revoked:
            return None
        return document_bytes(updated)

    update_hosted(store, hosted, mark, retry=STATUS_RETRY, metadata={"revoked": "true"} if revoked else None)


def _change(
    store: Store,
    issuer_ref: str,
    credential: str,
    *,
    action: Action,
    reason: str | None,
    now: datetime | None,
    notify: Notifier | None,
) -> dict[str, Any]:
    reason = _check_reason(reason)
    when = now or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    issuer = get_issuer(store, issuer_ref)
    name = credential_name(issuer, credential)
    record, changed = _transition(store, issuer, name, action=action, reason=reason, when=stamp(when))
    again = not changed  # a repeated request: the first may have died before its list was sent
    if record.spec == "ob3" or record.format != "hosted":
        # every change has its own pending object, published in order of versions: nothing to re-align
        _apply(store, issuer, record, notify or notifier(), again=again)
    else:
        # the hosted assertion is made to match the record: read it again, in case another
        # change of this credential landed meanwhile
        for _ in range(_MAX_ALIGN):
            _apply(store, issuer, record, notify or notifier(), again=again)
            latest = _read(store, issuer, name)
            if (latest.state, latest.reason) == (record.state, record.reason):
                break
            record, again = latest, False
    if changed:  # the change is durable and its list on its way: tell the subscribers
        kind = events.STATE_CHANGED[record.state]
        events.publish([events.credential_event(kind, CredentialView(record, issuer))])
    return credential_status(record)


def credential_status(record: CredentialRecord) -> dict[str, Any]:
    """A credential's record as the CLI and API show it."""
    return {
        "id": record.id,
        "name": record.name,
        "spec": record.spec,
        "format": record.format,
        "state": record.state,
        "reason": record.reason,
        "changed": record.changed,
        "issued": record.issued,
    }


def revoke(
    store: Store,
    issuer: str,
    credential: str,
    *,
    reason: str | None = None,
    now: datetime | None = None,
    notify: Notifier | None = None,
) -> dict[str, Any]:
    """Revoke ``credential`` (its id, URL or name) of ``issuer`` (slug or id); see the module doc.

    Revoking again is harmless (a new ``reason`` replaces the old one; none keeps it). ``notify``
    gets the lists published (default :func:`badgekiln.issue.statusqueue.notifier`).

    Raises:
        NotFound: no such issuer or credential.
        InvalidField: a bad reason or credential reference.
        Conflict: the lists kept losing compare-and-swap rounds past their retry budget.
        SigningError, StoreError: the signer or the store failed (re-run to complete).
    """
    return _change(store, issuer, credential, action="revoke", reason=reason, now=now, notify=notify)


def suspend(
    store: Store,
    issuer: str,
    credential: str,
    *,
    reason: str | None = None,
    now: datetime | None = None,
    notify: Notifier | None = None,
) -> dict[str, Any]:
    """Suspend ``credential`` until :func:`reinstate`; see the module doc.

    Raises:
        InvalidField: the credential is revoked, or (OB 3.0) has no suspension entry.
        NotFound, Conflict, SigningError, StoreError: as :func:`revoke`.
    """
    return _change(store, issuer, credential, action="suspend", reason=reason, now=now, notify=notify)


def reinstate(
    store: Store,
    issuer: str,
    credential: str,
    *,
    now: datetime | None = None,
    notify: Notifier | None = None,
) -> dict[str, Any]:
    """Lift a suspension (or an OB 2.0 revocation); see the module doc.

    Raises:
        InvalidField: a revoked OB 3.0 credential (``reason="revoked-final"``).
        NotFound, Conflict, SigningError, StoreError: as :func:`revoke`.
    """
    return _change(store, issuer, credential, action="reinstate", reason=None, now=now, notify=notify)


def change_status(
    store: Store,
    issuer: str,
    credential: str,
    action: Action,
    change: StatusChange | Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    notify: Notifier | None = None,
) -> dict[str, Any]:
    """:func:`revoke`, :func:`suspend` or :func:`reinstate` ``credential``, with the reason
    ``change`` gives (a :class:`~badgekiln.issue.models.StatusChange` or a mapping of it).

    Raises:
        InvalidField: a bad change, or a reason given to ``reinstate``.
        NotFound, Conflict, SigningError, StoreError: as :func:`revoke`.
    """
    if action not in ("revoke", "suspend", "reinstate"):
        raise ValueError(f"action must be revoke, suspend or reinstate, not {action!r}")
    reason = parse(StatusChange, change if change is not None else {}).reason
    if action == "reinstate" and reason is not None:
        raise InvalidField("reinstate takes no reason", field="reason")
    return _change(store, issuer, credential, action=action, reason=reason, now=now, notify=notify)
