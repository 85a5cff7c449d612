"""Status lists an issuer keeps: OB 3.0 bitstring lists (signed) and the OB 2.0 RevocationList.

OB 3.0: each issuer allocates indices from its current list number ``n``; every credential gets
an index of it nobody else has, which looks random. An issuer keeps one ``revocation`` list per
number and, with ``suspension`` on, a ``suspension`` list beside it (same index in both). Lists
hold 131,072 entries (the Bitstring Status List minimum, for herd privacy); a full list is never
reused and the issuer moves on to ``n + 1``.

**Allocation without a hotspot.** List ``n`` has a secret 256-bit key (its private record,
``private/issuers/<i>/status/<n>.json``, created once). The key defines a pseudorandom
permutation of the list's entries (:func:`permute`); allocation hands out *positions* of that
permutation and the credential gets ``permute(key, position)``. Positions come in 1,024 blocks
of 128; an execution environment claims a chunk of a random block by compare-and-swap on that
block's record (``…/status/<n>/blocks/<b>.json``: how many of its positions are taken) and then
hands the chunk out from memory. Chunks double from 1 to 128 per environment, so a busy one
writes once per 128 issuances while one that dies early wastes fewer positions than it used
(lists stay well populated: herd privacy). Exhausted blocks get a marker under ``…/full/``, which
is listed only when random probes keep hitting exhausted blocks; all 1,024 marked means full.
Indices never repeat (each position is claimed once, and a permutation maps distinct positions
to distinct indices); a crash loses only unused positions of a claimed chunk.

Changing a bit re-signs the whole list credential (``eddsa-rdfc-2022`` with the issuer's current
Ed25519 key) inside one compare-and-swap update of the published object: concurrent changes to
one list are retried, never lost.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import logging
import re
import secrets
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from badgekiln.errors import Conflict, NotFound, StatusError, StoreError
from badgekiln.hosting import layout as paths
from badgekiln.hosting.layout import Layout, Purpose
from badgekiln.issue.publish import document_bytes, publish_bytes, update_hosted
from badgekiln.issue.records import (
    RECORD_HEADERS,
    CredentialRecord,
    IssuerRecord,
    dump,
    issuer_record_path,
    load,
    status_allocation_path,
)
from badgekiln.issue.signing import load_signer
from badgekiln.model.node import id_of
from badgekiln.status import (
    MIN_LIST_ENTRIES,
    StatusBitstring,
    add_revoked_assertion,
    build_ob2_revocation_list,
    build_status_list_credential,
    remove_revoked_assertion,
)
from badgekiln.store.base import RetryPolicy, Store, StoredObject, private_path

logger = logging.getLogger(__name__)

__all__ = [
    "BLOCK",
    "BLOCKS",
    "LIST_ENTRIES",
    "STATUS_RETRY",
    "Published",
    "allocate_index",
    "change_path",
    "ensure_lists",
    "ensure_ob2_revocation_list",
    "pending_prefix",
    "permute",
    "publish_pending",
    "purposes",
    "rebuild_bits",
    "serial_writer",
    "set_ob2_revoked",
    "trigger_path",
]

#: Entries per list: the REC minimum. Bigger lists would only make every verifier download more.
LIST_ENTRIES: Final = MIN_LIST_ENTRIES
#: Positions in one block: the most one environment claims at once (one write per 128 issuances).
BLOCK: Final = 128
#: Blocks of one list.
BLOCKS: Final = LIST_ENTRIES // BLOCK
#: Probes hitting exhausted blocks before the exhausted ones are listed.
_PROBES: Final = 4
#: Claim attempts (probes and lost compare-and-swap rounds) before giving up.
_MAX_CLAIMS: Final = 64
#: The allocation record's scheme (records of the former one-bitstring scheme have ``bits``).
_SCHEME: Final = "permuted-blocks/1"
_HALF_BITS: Final = (LIST_ENTRIES.bit_length() - 1 + 1) // 2
_HALF_MASK: Final = (1 << _HALF_BITS) - 1
_UNKNOWN: Final = object()
#: Lists one allocation may roll over (each roll means a full list; more means a bug or a race).
_MAX_ROLLS: Final = 4
#: Hundreds of revocations hitting one list at once need more rounds than the store's default.
STATUS_RETRY: Final = RetryPolicy(attempts=200, base_delay=0.02, max_delay=1.0)
#: Rounds a publish of one list retries when another publisher of the same list got in first.
_PUBLISH_RETRY: Final = RetryPolicy(attempts=20, base_delay=0.05, max_delay=1.0)
#: Credential records read at once when a list is rebuilt from them.
_REBUILD_READERS: Final = 16
#: Pending-change objects deleted at once after a publish.
_DELETERS: Final = 128

# Lists known to be published, per store object, so issuance checks each one once per process
# (a published list is never deleted).
_published: weakref.WeakKeyDictionary[Store, set[str]] = weakref.WeakKeyDictionary()
_published_lock = threading.Lock()
# One writer per object and store object in this process: threads queue here instead of racing
# each other's compare-and-swap (each losing round re-signs a list); other processes still race
# through compare-and-swap, which is what keeps their updates too.
_writers: weakref.WeakKeyDictionary[Store, dict[str, threading.Lock]] = weakref.WeakKeyDictionary()
# Each list's allocator, per store object (one per execution environment on Lambda).
_allocators: weakref.WeakKeyDictionary[Store, dict[tuple[str, int], object]] = weakref.WeakKeyDictionary()


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
    _allocator(store, issuer.slug, number)  # the list's key exists before anyone allocates from it
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
            stored = store.get(hosted.key).body  # ours, or a concurrent creator's
            with contextlib.suppress(Conflict):
                store.create(
                    _mirror_path(issuer.slug, number, purpose),
                    _mirror_bytes(empty, stored, None),
                    **RECORD_HEADERS,
                )
        with _published_lock:
            _published.setdefault(store, set()).add(hosted.key)


def _block_path(slug: str, number: int, block: int) -> str:
    return private_path("issuers", slug, "status", str(number), "blocks", f"{block}.json")


def _full_prefix(slug: str, number: int) -> str:
    return private_path("issuers", slug, "status", str(number), "full", "-")[:-1]


def permute(key: bytes, position: int) -> int:
    """The status index of ``position`` under list key ``key``: a pseudorandom permutation of
    ``range(LIST_ENTRIES)`` (an 8-round Feistel network over 18 bits, keyed BLAKE2b rounds,
    cycle-walking back into range)."""
    value = position
    while True:
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for round_ in range(8):
            digest = hashlib.blake2b(bytes((round_,)) + right.to_bytes(2, "big"), key=key, digest_size=2)
            left, right = right, left ^ (int.from_bytes(digest.digest(), "big") & _HALF_MASK)
        value = (left << _HALF_BITS) | right
        if value < LIST_ENTRIES:
            return value


class _Allocator:
    """One list's allocation state in one process (one execution environment): its key, the
    positions it holds but has not handed out, and the blocks it knows to be exhausted."""

    def __init__(self, slug: str, number: int, key: bytes) -> None:
        self.slug, self.number, self.key = slug, number, key
        self.lock = threading.Lock()
        self.held: list[int] = []
        self.chunk = 1
        self.exhausted: set[int] = set()

    def take(self, store: Store) -> int | None:
        """A position nobody else has, or ``None`` when every block of the list is exhausted."""
        with self.lock:
            if not self.held:
                claimed = self._claim(store, self.chunk)
                if claimed is None:
                    return None
                self.chunk = min(BLOCK, self.chunk * 2)
                self.held = claimed[::-1]
            return self.held.pop()

    def _claim(self, store: Store, size: int) -> list[int] | None:
        misses = 0
        for _ in range(_MAX_CLAIMS):
            if misses >= _PROBES:  # most blocks are exhausted: ask the store which
                prefix = _full_prefix(self.slug, self.number)
                self.exhausted.update(
                    int(name)
                    for key in store.list(prefix)
                    if (name := key[len(prefix) :].removesuffix(".json")).isdigit()
                )
                misses = 0
            candidates = [b for b in range(BLOCKS) if b not in self.exhausted]
            if not candidates:
                return None
            block = secrets.choice(candidates)
            path = _block_path(self.slug, self.number, block)
            try:
                current: StoredObject | None = store.get(path)
            except NotFound:
                current = None
            taken = 0 if current is None else _block_next(current)
            if taken >= BLOCK:
                self._exhaust(store, block)
                misses += 1
                continue
            end = min(BLOCK, taken + size)
            try:
                store.put(
                    path,
                    dump({"next": end}),
                    if_match=None if current is None else current.etag,
                    if_none_match=current is None,
                    **RECORD_HEADERS,
                )
            except Conflict:
                continue  # another environment took from this block meanwhile
            if end == BLOCK:
                self._exhaust(store, block)
            return [block * BLOCK + offset for offset in range(taken, end)]
        raise Conflict(f"issuer {self.slug!r}: no status list block could be claimed", reason="contention")

    def _exhaust(self, store: Store, block: int) -> None:
        self.exhausted.add(block)
        with contextlib.suppress(Conflict):  # marked already
            store.create(f"{_full_prefix(self.slug, self.number)}{block}.json", b"{}", **RECORD_HEADERS)


def _block_next(current: StoredObject) -> int:
    taken = load(current).get("next")
    if not isinstance(taken, int) or isinstance(taken, bool) or not 0 <= taken <= BLOCK:
        raise StoreError(f"stored record {current.key!r} is not a status block", reason="corrupt-record")
    return taken


def _allocator(store: Store, slug: str, number: int) -> _Allocator | None:
    """The process's allocator of list ``number`` (``None``: the list was allocated by the former
    single-record scheme and is closed to new indices)."""
    with _published_lock:
        cached = _allocators.setdefault(store, {}).get((slug, number), _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached  # type: ignore[return-value]
    path = status_allocation_path(slug, number)
    try:
        data = load(store.get(path))
    except NotFound:
        fresh = {"scheme": _SCHEME, "key": base64.b64encode(secrets.token_bytes(32)).decode("ascii")}
        try:
            store.create(path, dump(fresh), **RECORD_HEADERS)
            data = fresh
        except Conflict:  # another environment created it first: use theirs
            data = load(store.get(path))
    allocator: _Allocator | None
    if "bits" in data:
        allocator = None
    else:
        encoded = data.get("key")
        try:
            key = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else b""
        except binascii.Error:
            key = b""
        if data.get("scheme") != _SCHEME or len(key) != 32:
            raise StoreError(
                f"stored record {path!r} is not a status list allocation", reason="corrupt-record"
            )
        allocator = _Allocator(slug, number, key)
    with _published_lock:
        return _allocators[store].setdefault((slug, number), allocator)  # type: ignore[return-value]


def allocate_index(store: Store, where: Layout, issuer: IssuerRecord, *, now: datetime) -> tuple[int, int]:
    """A random index no other credential has, in the issuer's current list: ``(list, index)``.

    See the module doc. The list's credentials are published before the index is handed out.

    Raises:
        Conflict: no block could be claimed in many attempts, or lists kept filling.
        StoreError, SigningError: the store or the signer failed; a corrupt allocation record.
    """
    number = issuer.status_list
    for _ in range(_MAX_ROLLS):
        allocator = _allocator(store, issuer.slug, number)
        position = allocator.take(store) if allocator is not None else None
        if allocator is not None and position is not None:
            ensure_lists(store, where, issuer, number, now=now)
            return number, permute(allocator.key, position)
        number = _roll(store, issuer.slug, number)
    raise Conflict(f"issuer {issuer.slug!r}: status lists kept filling up", reason="status-full")


def _roll(store: Store, slug: str, full: int) -> int:
    """Move the issuer past list ``full``; return the list to allocate from now."""
    _allocator(store, slug, full + 1)  # its key first, so the environments moving on only read it

    def bump(current: StoredObject | None) -> bytes | None:
        if current is None:
            raise NotFound(f"no issuer {slug!r}", issuer=slug)
        record = IssuerRecord.from_dict(load(current), current.key)
        if record.status_list != full:
            return None  # another issuance rolled already
        return dump(replace(record, status_list=full + 1, revision=record.revision + 1).to_dict())

    stored = store.update(issuer_record_path(slug), bump, **RECORD_HEADERS)
    return IssuerRecord.from_dict(load(stored), stored.key).status_list


# --- publishing changes ------------------------------------------------------------------------


def _list_dir(slug: str, number: int) -> str:
    return private_path("issuers", slug, "status", str(number), "-")[:-1]


def _mirror_path(slug: str, number: int, purpose: Purpose) -> str:
    return f"{_list_dir(slug, number)}{purpose}.json"


def pending_prefix(slug: str, number: int) -> str:
    """Where the changes of list ``number`` wait to be published (one object per change)."""
    return f"{_list_dir(slug, number)}pending/"


def trigger_path(slug: str, number: int) -> str:
    """The object saying a publish of list ``number`` is due (see :mod:`badgekiln.issue.statusqueue`)."""
    return f"{_list_dir(slug, number)}due.json"


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _mirror_bytes(bits: StatusBitstring, published: bytes, previous: bytes | None) -> bytes:
    """The private copy of a list: its bits and the SHA-256 of what was published (and before)."""
    return dump(
        {
            "bits": bits.encode(),
            "published": _digest(published),
            "previous": None if previous is None else _digest(previous),
        }
    )


@dataclass(frozen=True)
class _Mirror:
    bits: StatusBitstring
    published: str
    previous: str | None
    etag: str


def _read_mirror(store: Store, path: str) -> _Mirror | None:
    try:
        obj = store.get(path)
    except NotFound:
        return None
    data = load(obj)
    bits, published, previous = data.get("bits"), data.get("published"), data.get("previous")
    if not isinstance(bits, str) or not isinstance(published, str) or not isinstance(previous, str | None):
        raise StoreError(f"stored record {path!r} is not a status list copy", reason="corrupt-record")
    try:
        decoded = StatusBitstring.decode(bits)
    except StatusError as exc:
        raise StoreError(
            f"stored record {path!r} is not a status list copy", reason="corrupt-record"
        ) from exc
    if len(decoded) != LIST_ENTRIES:
        raise StoreError(f"stored record {path!r} is not a status list copy", reason="corrupt-record")
    return _Mirror(decoded, published, previous, obj.etag)


def change_path(slug: str, record: CredentialRecord) -> str:
    """The pending-change object of ``record``'s current state.

    Its name says everything the publisher needs (no read per change): the index, the record's
    version (the newest version of an index wins) and the wanted bits, revocation then suspension.
    """
    if (
        record.status_list is None
        or record.status_index is None
        or not 0 <= record.status_index < LIST_ENTRIES
    ):
        raise StoreError(f"credential {record.name!r} has no status entry recorded", reason="corrupt-record")
    wanted = f"{int(record.state == 'revoked')}{int(record.state == 'suspended')}"
    name = f"{record.status_index:06d}-{record.version:010d}-{wanted}.json"
    return pending_prefix(slug, record.status_list) + name


_CHANGE = re.compile(r"(\d{6})-(\d{10})-([01])([01])\.json")


@dataclass(frozen=True)
class Published:
    """What one :func:`publish_pending` did: changes read, lists written, lists rebuilt (and why)."""

    issuer: str
    number: int
    changes: int
    written: tuple[Purpose, ...] = ()
    #: Lists that were not what badgekiln last published, rebuilt from the credential records.
    rebuilt: tuple[tuple[Purpose, str], ...] = ()


def publish_pending(store: Store, issuer_ref: str, number: int, *, now: datetime | None = None) -> Published:
    """Publish every pending change of list ``number``: each of its lists signed once.

    A hosted list is trusted only if it is byte for byte what badgekiln last published (its
    SHA-256 is kept in a private copy with the bits). Anything else — a proof that does not
    verify, an older list signed by the issuer (a rollback), a deleted list — is never
    re-signed: the list is rebuilt from the credential records, logged, and reported in
    :attr:`Published.rebuilt`.

    Raises:
        NotFound: no such issuer.
        Conflict: lost the lists' compare-and-swap rounds past :data:`STATUS_RETRY`.
        StoreError, SigningError: the store or the signer failed (the changes stay pending).
    """
    from badgekiln.issue.issuers import get_issuer

    when = now or datetime.now(UTC)
    issuer = get_issuer(store, issuer_ref)
    with contextlib.suppress(NotFound):
        store.delete(trigger_path(issuer.slug, number))  # before listing: later changes trigger again
    prefix = pending_prefix(issuer.slug, number)
    keys = list(store.list(prefix))
    latest: dict[int, tuple[int, bool, bool]] = {}
    for key in keys:
        match = _CHANGE.fullmatch(key[len(prefix) :])
        if match is None:
            continue
        index, version = int(match.group(1)), int(match.group(2))
        if index < LIST_ENTRIES and (index not in latest or latest[index][0] < version):
            latest[index] = (version, match.group(3) == "1", match.group(4) == "1")
    written: list[Purpose] = []
    rebuilt: list[tuple[Purpose, str]] = []
    for purpose in purposes(issuer):
        for attempt in range(_PUBLISH_RETRY.attempts):
            try:
                outcome = _publish_list(store, issuer, number, purpose, latest=latest, when=when)
            except Conflict:
                time.sleep(_PUBLISH_RETRY.delay(attempt))
                continue
            if outcome.wrote:
                written.append(purpose)
            if outcome.rebuilt:
                rebuilt.append((purpose, outcome.rebuilt))
            break
        else:
            raise Conflict(f"gave up publishing list {number} of {issuer.slug!r}", reason="contention")
    _delete_all(store, [k for k in keys if _CHANGE.fullmatch(k[len(prefix) :])])
    return Published(issuer.slug, number, len(latest), tuple(written), tuple(rebuilt))


@dataclass(frozen=True)
class _Outcome:
    wrote: bool
    rebuilt: str


def _publish_list(
    store: Store,
    issuer: IssuerRecord,
    number: int,
    purpose: Purpose,
    *,
    latest: Mapping[int, tuple[int, bool, bool]],
    when: datetime,
) -> _Outcome:
    """One compare-and-swap round of one list (raises Conflict when another writer got in first)."""
    hosted = paths.status_list(issuer.slug, number, purpose)
    where = Layout.parse(issuer.public_url)
    mirror_path = _mirror_path(issuer.slug, number, purpose)
    mirror = _read_mirror(store, mirror_path)
    try:
        public: StoredObject | None = store.get(hosted.key)
    except NotFound:
        public = None
    digest = None if public is None else _digest(public.body)
    rebuilt = ""
    if mirror is not None and digest is not None and digest in (mirror.published, mirror.previous):
        bits = mirror.bits  # ours (or ours before a publish that crashed half-way)
    else:
        rebuilt = "missing" if public is None else ("no-copy" if mirror is None else "modified")
        logger.warning(
            "status list %s is not what badgekiln last published (%s): rebuilding it from the records",
            hosted.key,
            rebuilt,
        )
        bits = rebuild_bits(store, issuer.slug, number, purpose)
    changed = bool(rebuilt) or digest != (mirror.published if mirror else None)
    for index, (_, revoked, suspended) in latest.items():
        wanted = revoked if purpose == "revocation" else suspended
        if purpose == "revocation" and not wanted:
            continue  # a revocation bit is never cleared: revocation is final
        if bits.get(index) != wanted:
            bits.set(index, int(wanted))
            changed = True
    if not changed:
        return _Outcome(False, rebuilt)
    body = _sign_list(store, where, issuer, number=number, purpose=purpose, bits=bits, now=when)
    store.put(
        mirror_path,
        _mirror_bytes(bits, body, None if public is None else public.body),
        if_match=None if mirror is None else mirror.etag,
        if_none_match=mirror is None,
        **RECORD_HEADERS,
    )
    store.put(
        hosted.key,
        body,
        content_type=hosted.content_type,
        cache_control=hosted.cache_control,
        if_match=None if public is None else public.etag,
        if_none_match=public is None,
    )
    return _Outcome(True, rebuilt)


def rebuild_bits(store: Store, slug: str, number: int, purpose: Purpose) -> StatusBitstring:
    """List ``number``'s ``purpose`` bits as the credential records of issuer ``slug`` say.

    Reads every credential record of the issuer (the slow path, for lists that cannot be trusted).

    Raises:
        StoreError: the store failed.
    """
    from concurrent.futures import ThreadPoolExecutor

    bits = StatusBitstring(LIST_ENTRIES)
    prefix = private_path("issuers", slug, "credentials", "-")[:-1]

    def read(key: str) -> CredentialRecord | None:
        try:
            obj = store.get(key)
        except NotFound:
            return None
        return CredentialRecord.from_dict(load(obj), obj.key)

    with ThreadPoolExecutor(_REBUILD_READERS) as pool:
        for record in pool.map(read, store.list(prefix)):
            if record is None or record.spec != "ob3" or record.status_list != number:
                continue
            if record.status_index is None or purpose not in record.purposes:
                continue
            if record.state == ("revoked" if purpose == "revocation" else "suspended"):
                bits.set(record.status_index)
    return bits


def _delete_all(store: Store, keys: list[str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    if len(keys) <= 1:
        for key in keys:
            store.delete(key)
        return
    with ThreadPoolExecutor(min(_DELETERS, len(keys))) as pool:
        list(pool.map(store.delete, keys))


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
        listed = [e for e in entries if id_of(e) == assertion_id]
        if current is not None and (listed == [wanted] if revoked else not listed):
            return None  # already as asked: a retry, or a concurrent twin
        if revoked:
            return document_bytes(add_revoked_assertion(base, assertion_id, reason=reason))
        return document_bytes(remove_revoked_assertion(base, assertion_id))

    with serial_writer(store, hosted.key):
        update_hosted(store, hosted, edit, retry=STATUS_RETRY)
