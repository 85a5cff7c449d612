"""Status lists an issuer keeps: OB 3.0 bitstring lists (signed) and the OB 2.0 RevocationList.

OB 3.0: each issuer allocates indices from its current list number ``n``; every credential gets
a random, unused index of it. An issuer keeps one ``revocation`` list per number and, with
``suspension`` on, a ``suspension`` list beside it (same index in both). Lists hold 131,072
entries (the Bitstring Status List minimum, for herd privacy); a full list is never reused and
the issuer moves on to ``n + 1``. Which indices are taken is recorded privately (a bitstring
of its own), under compare-and-swap, so two issuances never share an index.

Changing a bit re-signs the whole list credential (``eddsa-rdfc-2022`` with the issuer's current
Ed25519 key) inside one compare-and-swap update of the published object: concurrent changes to
one list are retried, never lost.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import weakref
import zlib
from dataclasses import replace
from datetime import datetime
from typing import Final

from badgekiln.errors import Conflict, NotFound, StoreError
from badgekiln.hosting import layout as paths
from badgekiln.hosting.layout import Layout, Purpose
from badgekiln.issue.publish import document_bytes, publish_bytes, update_hosted
from badgekiln.issue.records import (
    RECORD_HEADERS,
    IssuerRecord,
    dump,
    issuer_record_path,
    load,
    status_allocation_path,
)
from badgekiln.issue.signing import load_signer
from badgekiln.status import (
    MIN_LIST_ENTRIES,
    StatusBitstring,
    add_revoked_assertion,
    build_ob2_revocation_list,
    build_status_list_credential,
    remove_revoked_assertion,
)
from badgekiln.store.base import RetryPolicy, Store, StoredObject

__all__ = [
    "LIST_ENTRIES",
    "STATUS_RETRY",
    "allocate_index",
    "ensure_lists",
    "ensure_ob2_revocation_list",
    "purposes",
    "serial_writer",
    "set_ob2_revoked",
    "set_status",
]

#: Entries per list: the REC minimum. Bigger lists would only make every verifier download more.
LIST_ENTRIES: Final = MIN_LIST_ENTRIES
#: Random probes for a free index before scanning for one (a list fills up long before probing
#: gets expensive: at 97 % full, 32 probes still find a free index 62 % of the time).
_PROBES: Final = 32
#: Lists one allocation may roll over (each roll means a full list; more means a bug or a race).
_MAX_ROLLS: Final = 4
#: Hundreds of revocations hitting one list at once need more rounds than the store's default.
STATUS_RETRY: Final = RetryPolicy(attempts=200, base_delay=0.02, max_delay=1.0)

# Lists known to be published, per store object, so issuance checks each one once per process
# (a published list is never deleted).
_published: weakref.WeakKeyDictionary[Store, set[str]] = weakref.WeakKeyDictionary()
_published_lock = threading.Lock()
# One writer per object and store object in this process: threads queue here instead of racing
# each other's compare-and-swap (each losing round re-signs a list); other processes still race
# through compare-and-swap, which is what keeps their updates too.
_writers: weakref.WeakKeyDictionary[Store, dict[str, threading.Lock]] = weakref.WeakKeyDictionary()


def serial_writer(store: Store, key: str) -> threading.Lock:
    """The in-process lock serialising read-modify-write of ``key`` through ``store``."""
    with _published_lock:
        locks = _writers.setdefault(store, {})
        lock = locks.get(key)
        if lock is None:
            lock = locks[key] = threading.Lock()
        return lock


def purposes(issuer: IssuerRecord) -> tuple[Purpose, ...]:
    """The status purposes new OB 3.0 credentials of ``issuer`` get entries for."""
    return ("revocation", "suspension") if issuer.suspension else ("revocation",)


def _sign_list(
    store: Store,
    where: Layout,
    issuer: IssuerRecord,
    *,
    number: int,
    purpose: Purpose,
    bits: StatusBitstring,
    now: datetime,
) -> bytes:
    from badgekiln.proofs.dataintegrity import create_proof

    url = where.url(paths.status_list(issuer.slug, number, purpose))
    unsigned = build_status_list_credential(
        list_url=url, issuer=issuer.id, purpose=purpose, bitstring=bits, valid_from=now
    )
    signer = load_signer(store, issuer.active_key("ed25519"))
    return document_bytes(create_proof(unsigned, signer, verification_method=signer.key_id, created=now))


def ensure_lists(store: Store, where: Layout, issuer: IssuerRecord, number: int, *, now: datetime) -> None:
    """Make sure list ``number``'s credentials exist (created empty and signed if not).

    Raises:
        StoreError, SigningError: the store or the signer failed.
    """
    for purpose in purposes(issuer):
        hosted = paths.status_list(issuer.slug, number, purpose)
        with _published_lock:
            if hosted.key in _published.get(store, ()):
                continue
        try:
            store.head(hosted.key)
        except NotFound:
            empty = StatusBitstring(LIST_ENTRIES)
            body = _sign_list(store, where, issuer, number=number, purpose=purpose, bits=empty, now=now)
            publish_bytes(store, hosted, body, create_only=True)
        with _published_lock:
            _published.setdefault(store, set()).add(hosted.key)


def _taken(bits: bytearray, index: int) -> bool:
    return bool(bits[index >> 3] & (0x80 >> (index & 7)))


def _pick(bits: bytearray) -> int | None:
    for _ in range(_PROBES):
        index = secrets.randbelow(LIST_ENTRIES)
        if not _taken(bits, index):
            return index
    start = secrets.randbelow(len(bits))
    for offset in range(len(bits)):
        position = (start + offset) % len(bits)
        if bits[position] != 0xFF:
            free = [i for i in range(8) if not bits[position] & (0x80 >> i)]
            return position * 8 + free[secrets.randbelow(len(free))]
    return None


def _allocation(current: StoredObject | None) -> tuple[bytearray, int]:
    """The allocation record: which indices are taken (a raw bitstring, zlib level 1: the record
    is rewritten by every issuance, so it favours speed over the published lists' gzip -9)."""
    size = LIST_ENTRIES // 8
    if current is None:
        return bytearray(size), 0
    data = load(current)
    encoded, count = data.get("bits"), data.get("count")
    corrupt = StoreError(f"stored record {current.key!r} is not an allocation", reason="corrupt-record")
    if not isinstance(encoded, str) or not isinstance(count, int) or len(encoded) > 4 * size:
        raise corrupt
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(encoded, validate=True), size + 1)
    except (binascii.Error, zlib.error) as exc:
        raise corrupt from exc
    if len(raw) != size or not inflater.eof:
        raise corrupt
    return bytearray(raw), count


def _allocation_bytes(bits: bytearray, count: int) -> bytes:
    return dump({"bits": base64.b64encode(zlib.compress(bytes(bits), 1)).decode("ascii"), "count": count})


def allocate_index(store: Store, where: Layout, issuer: IssuerRecord, *, now: datetime) -> tuple[int, int]:
    """A random index no other credential has, in the issuer's current list: ``(list, index)``.

    The list's credentials are published before the index is handed out.

    Raises:
        Conflict: the allocation lost too many compare-and-swap rounds, or lists kept filling.
        StoreError, SigningError: the store or the signer failed.
    """
    number = issuer.status_list
    chosen: list[int] = []

    def take(current: StoredObject | None) -> bytes | None:
        bits, count = _allocation(current)
        index = _pick(bits) if count < LIST_ENTRIES else None
        chosen[:] = [] if index is None else [index]
        if index is None:
            return None if current is not None else _allocation_bytes(bits, count)
        bits[index >> 3] |= 0x80 >> (index & 7)
        return _allocation_bytes(bits, count + 1)

    for _ in range(_MAX_ROLLS):
        path = status_allocation_path(issuer.slug, number)
        with serial_writer(store, path):
            store.update(path, take, retry=STATUS_RETRY, **RECORD_HEADERS)
        if chosen:
            ensure_lists(store, where, issuer, number, now=now)
            return number, chosen[0]
        number = _roll(store, issuer.slug, number)
    raise Conflict(f"issuer {issuer.slug!r}: status lists kept filling up", reason="status-full")


def _roll(store: Store, slug: str, full: int) -> int:
    """Move the issuer past list ``full``; return the list to allocate from now."""

    def bump(current: StoredObject | None) -> bytes | None:
        if current is None:
            raise NotFound(f"no issuer {slug!r}", issuer=slug)
        record = IssuerRecord.from_dict(load(current), current.key)
        if record.status_list != full:
            return None  # another issuance rolled already
        return dump(replace(record, status_list=full + 1, revision=record.revision + 1).to_dict())

    stored = store.update(issuer_record_path(slug), bump, **RECORD_HEADERS)
    return IssuerRecord.from_dict(load(stored), stored.key).status_list


def set_status(
    store: Store,
    where: Layout,
    issuer: IssuerRecord,
    *,
    number: int,
    index: int,
    purpose: Purpose,
    value: bool,
    now: datetime,
) -> bool:
    """Set (``True``) or clear the entry at ``index`` of list ``number`` for ``purpose``; re-sign it.

    Returns whether the list changed (setting a set bit is a no-op, so retries are harmless).

    Raises:
        Conflict: lost :data:`STATUS_RETRY` compare-and-swap rounds in a row.
        StatusError, StoreError, SigningError: a corrupt list, the store or the signer failed.
    """
    hosted = paths.status_list(issuer.slug, number, purpose)
    changed: list[bool] = []

    def flip(current: StoredObject | None) -> bytes | None:
        if current is None:
            bits = StatusBitstring(LIST_ENTRIES)
        else:
            subject = load(current).get("credentialSubject")
            if not isinstance(subject, dict) or not isinstance(subject.get("encodedList"), str):
                raise StoreError(
                    f"stored status list {hosted.key!r} has no encodedList", reason="corrupt-record"
                )
            bits = StatusBitstring.decode(subject["encodedList"])
            if bits.get(index) == int(value):
                changed[:] = [False]
                return None
        if value:
            bits.set(index)
        else:
            bits.clear(index)
        changed[:] = [True]
        return _sign_list(store, where, issuer, number=number, purpose=purpose, bits=bits, now=now)

    with serial_writer(store, hosted.key):
        update_hosted(store, hosted, flip, retry=STATUS_RETRY)
    return bool(changed and changed[0])


# --- OB 2.0 -------------------------------------------------------------------------------------


def ensure_ob2_revocation_list(store: Store, where: Layout, issuer: IssuerRecord) -> None:
    """Publish an empty RevocationList for the issuer unless one exists.

    Raises:
        StoreError: the store failed.
    """
    hosted = paths.ob2_revocation_list(issuer.slug)
    document = build_ob2_revocation_list(
        list_url=where.url(hosted), issuer_id=where.url(paths.ob2_issuer(issuer.slug))
    )
    publish_bytes(store, hosted, document_bytes(document), create_only=True)


def set_ob2_revoked(
    store: Store, where: Layout, issuer: IssuerRecord, assertion_id: str, *, revoked: bool, reason: str | None
) -> None:
    """List (``revoked=True``, with ``reason``) or unlist ``assertion_id`` in the RevocationList.

    Raises:
        Conflict: lost :data:`STATUS_RETRY` compare-and-swap rounds in a row.
        StoreError: the store failed or the stored list is corrupt.
    """
    hosted = paths.ob2_revocation_list(issuer.slug)

    def edit(current: StoredObject | None) -> bytes | None:
        if current is None:
            base = build_ob2_revocation_list(
                list_url=where.url(hosted), issuer_id=where.url(paths.ob2_issuer(issuer.slug))
            )
        else:
            base = load(current)
        entries = base.get("revokedAssertions")
        if not isinstance(entries, list):
            raise StoreError(
                f"stored RevocationList {hosted.key!r} has no revokedAssertions", reason="corrupt-record"
            )
        wanted = {"id": assertion_id} if reason is None else {"id": assertion_id, "revocationReason": reason}
        listed = [
            e for e in entries if e == assertion_id or (isinstance(e, dict) and e.get("id") == assertion_id)
        ]
        if current is not None and (listed == [wanted] if revoked else not listed):
            return None  # already as asked: a retry, or a concurrent twin
        if revoked:
            return document_bytes(add_revoked_assertion(base, assertion_id, reason=reason))
        return document_bytes(remove_revoked_assertion(base, assertion_id))

    with serial_writer(store, hosted.key):
        update_hosted(store, hosted, edit, retry=STATUS_RETRY)
