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

**Publishing changes.** A change of a credential's state is stored as a pending change of its
list (:func:`change_path`: one object per change, so nothing is contended); :func:`publish_pending`
applies every change pending to the list at once — an OB 3.0 list re-signed (``eddsa-rdfc-2022``
with the issuer's current Ed25519 key), the OB 2.0 RevocationList (:data:`OB2`) rewritten — by
compare-and-swap, and deletes the changes it applied. A hosted list is built on only if it is
byte for byte what badgekiln last published (a private copy keeps its digest), otherwise it is
rebuilt from the credential records. When publishing happens is :mod:`badgekiln.issue.statusqueue`'s
business.
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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final, Literal

from badgekiln.errors import Conflict, NotFound, StatusError, StoreError
from badgekiln.hosting import layout as paths
from badgekiln.hosting.layout import Layout, Purpose
from badgekiln.issue.publish import document_bytes, publish_bytes
from badgekiln.issue.records import (
    RECORD_HEADERS,
    CredentialRecord,
    IssuerRecord,
    credential_record_path,
    dump,
    issuer_record_path,
    load,
    load_issuer,
    status_allocation_path,
)
from badgekiln.issue.signing import active_signer
from badgekiln.keys.signer import Signer
from badgekiln.model.node import id_of
from badgekiln.status import (
    MIN_LIST_ENTRIES,
    StatusBitstring,
    build_ob2_revocation_list,
    build_status_list_credential,
)
from badgekiln.store.base import RetryPolicy, Store, StoredObject, private_path

logger = logging.getLogger(__name__)

__all__ = [
    "BLOCK",
    "BLOCKS",
    "LIST_ENTRIES",
    "OB2",
    "STATUS_RETRY",
    "ListId",
    "Published",
    "allocate_index",
    "change_path",
    "credential_records",
    "ensure_lists",
    "ensure_ob2_revocation_list",
    "list_signers",
    "ob2_entry",
    "pending_prefix",
    "permute",
    "publish_pending",
    "purposes",
    "rebuild_bits",
    "trigger_path",
]

#: The list id of an issuer's OB 2.0 RevocationList (its OB 3.0 lists are numbered).
OB2: Final = "ob2"
#: Which list a pending change waits for.
ListId = int | Literal["ob2"]
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
#: Requests one publish has in flight at once (see :func:`publish_pending`).
_PUBLISH_THREADS: Final = 7

# Lists known to be published, per store object, so issuance checks each one once per process
# (a published list is never deleted).
_published: weakref.WeakKeyDictionary[Store, set[str]] = weakref.WeakKeyDictionary()
_published_lock = threading.Lock()
# Each list's allocator, per store object (one per execution environment on Lambda).
_allocators: weakref.WeakKeyDictionary[Store, dict[tuple[str, int], object]] = weakref.WeakKeyDictionary()


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
    signer: Signer | None = None,
) -> bytes:
    from badgekiln.proofs.dataintegrity import create_proof

    url = where.url(paths.status_list(issuer.slug, number, purpose))
    unsigned = build_status_list_credential(
        list_url=url, issuer=issuer.id, purpose=purpose, bitstring=bits, valid_from=now
    )
    signer = signer or active_signer(store, issuer, "ed25519")
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
        record = load_issuer(current, slug)
        if record.status_list != full:
            return None  # another issuance rolled already
        return dump(replace(record, status_list=full + 1, revision=record.revision + 1).to_dict())

    stored = store.update(issuer_record_path(slug), bump, **RECORD_HEADERS)
    return IssuerRecord.from_dict(load(stored), stored.key).status_list


# --- publishing changes ------------------------------------------------------------------------


def _list_dir(slug: str, number: ListId) -> str:
    if number == OB2:
        return private_path("issuers", slug, "ob2", "-")[:-1]
    return private_path("issuers", slug, "status", str(number), "-")[:-1]


def _mirror_path(slug: str, number: int, purpose: Purpose) -> str:
    return f"{_list_dir(slug, number)}{purpose}.json"


def pending_prefix(slug: str, number: ListId) -> str:
    """Where the changes of list ``number`` wait to be published (one object per change)."""
    return f"{_list_dir(slug, number)}pending/"


def trigger_path(slug: str, number: ListId) -> str:
    """The object saying a publish of list ``number`` is due (see :mod:`badgekiln.issue.statusqueue`)."""
    return f"{_list_dir(slug, number)}due.json"


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _mirror_bytes(bits: StatusBitstring | None, published: bytes, previous: bytes | None) -> bytes:
    """The private copy of a list: the SHA-256 of what was published (and before), and the bits
    of a bitstring list (an OB 2.0 list is its own copy: it is plain JSON)."""
    copy = {"published": _digest(published), "previous": None if previous is None else _digest(previous)}
    return dump(copy if bits is None else {"bits": bits.encode(), **copy})


@dataclass(frozen=True)
class _Mirror:
    bits: StatusBitstring | None
    published: str
    previous: str | None
    etag: str

    def vouches_for(self, public: StoredObject | None) -> bool:
        """Whether ``public`` is what badgekiln last published (or, after a publish that died
        between its two writes, the one before)."""
        return public is not None and _digest(public.body) in (self.published, self.previous)


def _read_mirror(store: Store, path: str) -> _Mirror | None:
    try:
        obj = store.get(path)
    except NotFound:
        return None
    corrupt = StoreError(f"stored record {path!r} is not a status list copy", reason="corrupt-record")
    data = load(obj)
    bits, published, previous = data.get("bits"), data.get("published"), data.get("previous")
    if (
        not isinstance(bits, str | None)
        or not isinstance(published, str)
        or not isinstance(previous, str | None)
    ):
        raise corrupt
    decoded = None
    if bits is not None:
        try:
            decoded = StatusBitstring.decode(bits)
        except StatusError as exc:
            raise corrupt from exc
        if len(decoded) != LIST_ENTRIES:
            raise corrupt
    return _Mirror(decoded, published, previous, obj.etag)


def change_path(slug: str, record: CredentialRecord) -> str:
    """The pending-change object of ``record``'s current state.

    OB 3.0: its name says everything the publisher needs (no read per change): the index, the
    record's version (the newest version of an index wins) and the wanted bits, revocation then
    suspension. OB 2.0: the credential's name and the record's version; the publisher reads the
    record (the reason is no part of a name).

    Raises:
        StoreError: an OB 3.0 record without a status entry.
    """
    if record.spec == "ob2":
        return f"{pending_prefix(slug, OB2)}{record.name}-{record.version:010d}.json"
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
_OB2_CHANGE = re.compile(r"([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)-(\d{10})\.json")


@dataclass(frozen=True)
class Published:
    """What one :func:`publish_pending` did (or several in a row, :meth:`then`): changes read,
    lists written, lists rebuilt (and why)."""

    issuer: str
    number: ListId
    changes: int
    written: tuple[Purpose, ...] = ()
    #: Lists that were not what badgekiln last published, rebuilt from the credential records.
    rebuilt: tuple[tuple[Purpose, str], ...] = ()
    #: Publishes this sums up.
    ticks: int = 1

    def then(self, later: Published) -> Published:
        """This and ``later`` (a later publish of the same list) summed up."""
        return Published(
            self.issuer,
            self.number,
            self.changes + later.changes,
            tuple(dict.fromkeys(self.written + later.written)),
            self.rebuilt + later.rebuilt,
            self.ticks + later.ticks,
        )


def publish_pending(store: Store, slug: str, number: ListId, *, now: datetime | None = None) -> Published:
    """Publish every pending change of list ``number`` of issuer ``slug``: each list signed once
    (``number`` :data:`OB2`: the OB 2.0 RevocationList, updated once).

    A hosted list is trusted only if it is byte for byte what badgekiln last published (its
    SHA-256 is kept in a private copy with the bits). Anything else — a proof that does not
    verify, an older list signed by the issuer (a rollback), a deleted list — is never
    re-signed: the list is rebuilt from the credential records, logged, and reported in
    :attr:`Published.rebuilt`.

    The reads run at once (the issuer record, the listing of the changes, each list's private
    copy and hosted list — both purposes', before the issuer record says which it keeps — and
    the signing key), so a publish takes four round trips to the store (the reads; the private
    copies; the lists; deleting the changes, 1,000 a request), plus the signature.

    Raises:
        NotFound: no such issuer.
        Conflict: lost the lists' compare-and-swap rounds past :data:`_PUBLISH_RETRY`.
        StoreError, SigningError: the store or the signer failed (the changes stay pending).
    """
    from concurrent.futures import ThreadPoolExecutor

    if isinstance(number, str):
        return _publish_ob2(store, slug)
    when = now or datetime.now(UTC)
    prefix = pending_prefix(slug, number)
    with ThreadPoolExecutor(_PUBLISH_THREADS) as pool:
        found = pool.submit(_issuer, store, slug)
        listing = pool.submit(lambda: list(store.list(prefix)))
        reads = {
            purpose: (
                pool.submit(_read_mirror, store, _mirror_path(slug, number, purpose)),
                pool.submit(_read_public, store, paths.status_list(slug, number, purpose).key),
            )
            for purpose in ("revocation", "suspension")
        }
        issuer = found.result()
        signer = pool.submit(active_signer, store, issuer, "ed25519")
        keys: list[str] = []
        latest: dict[int, tuple[int, bool, bool]] = {}
        for key in listing.result():
            match = _CHANGE.fullmatch(key[len(prefix) :])
            if match is None:
                continue
            keys.append(key)
            index, version = int(match.group(1)), int(match.group(2))
            if index < LIST_ENTRIES and (index not in latest or latest[index][0] < version):
                latest[index] = (version, match.group(3) == "1", match.group(4) == "1")
        runs = {
            purpose: pool.submit(
                _publish_list,
                _ListJob(store, issuer, number, purpose, latest, when, signer.result()),
                _State(reads[purpose][0].result(), reads[purpose][1].result()),
            )
            for purpose in purposes(issuer)
        }
        outcomes = {purpose: run.result() for purpose, run in runs.items()}
    store.delete_many(keys)
    return Published(
        issuer.slug,
        number,
        len(latest),
        tuple(purpose for purpose, outcome in outcomes.items() if outcome.wrote),
        tuple((purpose, outcome.rebuilt) for purpose, outcome in outcomes.items() if outcome.rebuilt),
    )


def _issuer(store: Store, slug: str) -> IssuerRecord:
    from badgekiln.issue.issuers import get_issuer

    return get_issuer(store, slug)


@dataclass(frozen=True)
class _Outcome:
    wrote: bool
    rebuilt: str


@dataclass(frozen=True)
class _State:
    """One list as a publish finds it: the private copy and the hosted list."""

    mirror: _Mirror | None
    public: StoredObject | None


def list_signers(store: Store, issuer: IssuerRecord) -> frozenset[str]:
    """The verification methods whose proofs ``issuer``'s published status lists carry now (a
    key rotation keeps those keys published: every credential on a list needs it to verify).
    One read per list and purpose; a list that is missing or not JSON names none.

    Raises:
        StoreError: the store failed.
    """
    methods: set[str] = set()
    for number in range(issuer.status_list + 1):
        for purpose in ("revocation", "suspension"):
            obj = _read_public(store, paths.status_list(issuer.slug, number, purpose).key)
            if obj is None:
                continue
            try:
                proofs = load(obj).get("proof")
            except StoreError:  # not a JSON object: it verifies with no key
                continue
            for proof in proofs if isinstance(proofs, list) else [proofs]:
                method = proof.get("verificationMethod") if isinstance(proof, dict) else None
                if isinstance(method, str):
                    methods.add(method)
    return frozenset(methods)


def _read_public(store: Store, key: str) -> StoredObject | None:
    try:
        return store.get(key)
    except NotFound:
        return None


def _read_state(store: Store, issuer: IssuerRecord, number: int, purpose: Purpose) -> _State:
    return _State(
        _read_mirror(store, _mirror_path(issuer.slug, number, purpose)),
        _read_public(store, paths.status_list(issuer.slug, number, purpose).key),
    )


@dataclass(frozen=True)
class _ListJob:
    """One list to publish with the pending changes ``latest`` (index → version, bits)."""

    store: Store
    issuer: IssuerRecord
    number: int
    purpose: Purpose
    latest: Mapping[int, tuple[int, bool, bool]]
    when: datetime
    signer: Signer


def _publish_list(job: _ListJob, state: _State) -> _Outcome:
    """Write one list with the changes applied, starting from ``state``; when another writer got
    in first, read again and retry (see :data:`_PUBLISH_RETRY`)."""
    for attempt in range(_PUBLISH_RETRY.attempts):
        if attempt:
            time.sleep(_PUBLISH_RETRY.delay(attempt - 1))
            state = _read_state(job.store, job.issuer, job.number, job.purpose)
        try:
            return _write_list(job, state)
        except Conflict:
            continue
    raise Conflict(f"gave up publishing list {job.number} of {job.issuer.slug!r}", reason="contention")


def _write_list(job: _ListJob, state: _State) -> _Outcome:
    """One compare-and-swap round of one list (raises Conflict when another writer got in first)."""
    store, issuer, number, purpose = job.store, job.issuer, job.number, job.purpose
    hosted = paths.status_list(issuer.slug, number, purpose)
    where = Layout.parse(issuer.public_url)
    mirror, public = state.mirror, state.public
    rebuilt = _distrust(hosted.key, mirror, public)
    if mirror is not None and mirror.bits is not None and not rebuilt:
        bits = mirror.bits  # ours (or ours before a publish that crashed half-way)
    else:
        bits = rebuild_bits(store, issuer.slug, number, purpose)
    digest = None if public is None else _digest(public.body)
    changed = bool(rebuilt) or digest != (mirror.published if mirror else None)
    for index, (_, revoked, suspended) in job.latest.items():
        wanted = revoked if purpose == "revocation" else suspended
        if purpose == "revocation" and not wanted:
            continue  # a revocation bit is never cleared: revocation is final
        if bits.get(index) != wanted:
            bits.set(index, int(wanted))
            changed = True
    if not changed:
        return _Outcome(False, rebuilt)
    body = _sign_list(
        store, where, issuer, number=number, purpose=purpose, bits=bits, now=job.when, signer=job.signer
    )
    _store_list(store, hosted, body, state, copy_path=_mirror_path(issuer.slug, number, purpose), bits=bits)
    return _Outcome(True, rebuilt)


def _store_list(
    store: Store,
    hosted: paths.Hosted,
    body: bytes,
    state: _State,
    *,
    copy_path: str,
    bits: StatusBitstring | None,
) -> None:
    """Write a list's private copy, then the list, each on condition that it is still the
    version ``state`` read (Conflict otherwise). The copy goes first: a publish that dies
    between the two writes is recognised next time (the hosted list is the copy's previous)."""
    mirror, public = state.mirror, state.public
    store.put(
        copy_path,
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


def _distrust(key: str, mirror: _Mirror | None, public: StoredObject | None) -> str:
    """Why the hosted list under ``key`` cannot be built on ("" when it can), logged."""
    if mirror is not None and mirror.vouches_for(public):
        return ""
    why = "missing" if public is None else ("no-copy" if mirror is None else "modified")
    logger.warning(
        "status list %s is not what badgekiln last published (%s): rebuilding it from the records", key, why
    )
    return why


def rebuild_bits(store: Store, slug: str, number: int, purpose: Purpose) -> StatusBitstring:
    """List ``number``'s ``purpose`` bits as the credential records of issuer ``slug`` say.

    Reads every credential record of the issuer (the slow path, for lists that cannot be trusted).

    Raises:
        StoreError: the store failed.
    """
    bits = StatusBitstring(LIST_ENTRIES)
    for record in credential_records(store, slug):
        if record.spec != "ob3" or record.status_list != number:
            continue
        if record.status_index is None or purpose not in record.purposes:
            continue
        if record.state == ("revoked" if purpose == "revocation" else "suspended"):
            bits.set(record.status_index)
    return bits


def credential_records(
    store: Store, slug: str, names: Iterable[str] | None = None
) -> Iterator[CredentialRecord]:
    """The credential records of issuer ``slug`` (``names`` only, if given; missing ones are
    skipped), read :data:`_REBUILD_READERS` at a time.

    Raises:
        StoreError: the store failed, or a record is corrupt.
    """
    from concurrent.futures import ThreadPoolExecutor

    def read(key: str) -> CredentialRecord | None:
        try:
            obj = store.get(key)
        except NotFound:
            return None
        return CredentialRecord.from_dict(load(obj), obj.key)

    if names is None:
        keys: Iterable[str] = store.list(private_path("issuers", slug, "credentials", "-")[:-1])
    else:
        keys = (credential_record_path(slug, name) for name in names)
    with ThreadPoolExecutor(_REBUILD_READERS) as pool:
        yield from (record for record in pool.map(read, keys) if record is not None)


# --- OB 2.0 -------------------------------------------------------------------------------------


def ensure_ob2_revocation_list(store: Store, where: Layout, issuer: IssuerRecord) -> None:
    """Publish an empty RevocationList for the issuer unless one exists (with its private copy).

    Raises:
        StoreError: the store failed.
    """
    hosted = paths.ob2_revocation_list(issuer.slug)
    publish_bytes(store, hosted, document_bytes(_empty_ob2_list(where, issuer.slug)), create_only=True)
    stored = store.get(hosted.key).body  # ours, or a concurrent creator's
    with contextlib.suppress(Conflict):
        store.create(_ob2_mirror_path(issuer.slug), _mirror_bytes(None, stored, None), **RECORD_HEADERS)


def _empty_ob2_list(where: Layout, slug: str) -> dict[str, object]:
    hosted = paths.ob2_revocation_list(slug)
    return build_ob2_revocation_list(list_url=where.url(hosted), issuer_id=where.url(paths.ob2_issuer(slug)))


def _ob2_mirror_path(slug: str) -> str:
    return f"{_list_dir(slug, OB2)}revocations.json"


def ob2_entry(record: CredentialRecord) -> dict[str, str] | None:
    """The RevocationList entry ``record``'s state asks for (``None``: not listed).

    OB 2.0 has no suspension: a suspended assertion is listed as ``Suspended: <reason>``.
    """
    if record.state == "active":
        return None
    reason = record.reason
    if record.state == "suspended":
        reason = f"Suspended: {reason}" if reason else "Suspended"
    return {"id": record.id} if reason is None else {"id": record.id, "revocationReason": reason}


def _publish_ob2(store: Store, slug: str) -> Published:
    """Publish every pending change of the issuer's RevocationList: one compare-and-swap for all.

    Each change names a credential; its record says what the list must say now (a later change
    of it has its own pending object, so nothing is lost when it lands meanwhile).
    """
    from concurrent.futures import ThreadPoolExecutor

    prefix = pending_prefix(slug, OB2)
    hosted = paths.ob2_revocation_list(slug)
    with ThreadPoolExecutor(4) as pool:
        found = pool.submit(_issuer, store, slug)
        listing = pool.submit(lambda: list(store.list(prefix)))
        mirror = pool.submit(_read_mirror, store, _ob2_mirror_path(slug))
        public = pool.submit(_read_public, store, hosted.key)
        issuer = found.result()
        keys = [key for key in listing.result() if _OB2_CHANGE.fullmatch(key[len(prefix) :])]
        state = _State(mirror.result(), public.result())
    names = sorted({key[len(prefix) :].rsplit("-", 1)[0] for key in keys})
    records = [r for r in credential_records(store, slug, names) if r.spec == "ob2"]
    for attempt in range(_PUBLISH_RETRY.attempts):
        if attempt:
            time.sleep(_PUBLISH_RETRY.delay(attempt - 1))
            state = _State(_read_mirror(store, _ob2_mirror_path(slug)), _read_public(store, hosted.key))
        try:
            outcome = _write_ob2(store, issuer, records, state)
        except Conflict:
            continue
        store.delete_many(keys)
        return Published(
            slug,
            OB2,
            len(names),
            ("revocation",) if outcome.wrote else (),
            (("revocation", outcome.rebuilt),) if outcome.rebuilt else (),
        )
    raise Conflict(f"gave up publishing the RevocationList of {slug!r}", reason="contention")


def _write_ob2(
    store: Store, issuer: IssuerRecord, records: list[CredentialRecord], state: _State
) -> _Outcome:
    """One compare-and-swap round of the RevocationList (Conflict: another writer got in first)."""
    hosted = paths.ob2_revocation_list(issuer.slug)
    mirror, public = state.mirror, state.public
    rebuilt = _distrust(hosted.key, mirror, public)
    if public is not None and not rebuilt:
        document = load(public)
        entries = document.get("revokedAssertions")
        if not isinstance(entries, list):
            raise StoreError(
                f"stored RevocationList {hosted.key!r} has no revokedAssertions", reason="corrupt-record"
            )
    else:
        document = _empty_ob2_list(Layout.parse(issuer.public_url), issuer.slug)
        everyone = (r for r in credential_records(store, issuer.slug) if r.spec == "ob2")
        entries = sorted((e for e in map(ob2_entry, everyone) if e is not None), key=lambda e: e["id"])
    wanted = {record.id: ob2_entry(record) for record in records}
    updated: list[object] = []
    for entry in entries:
        listed = id_of(entry)
        if listed is None or listed not in wanted:
            updated.append(entry)
        elif (replacement := wanted.pop(listed)) is not None:
            updated.append(replacement)  # in place: the list keeps its order
    updated.extend(entry for _, entry in sorted(wanted.items()) if entry is not None)
    if updated == entries and not rebuilt:
        return _Outcome(False, rebuilt)
    body = document_bytes({**document, "revokedAssertions": updated})
    _store_list(store, hosted, body, state, copy_path=_ob2_mirror_path(issuer.slug), bits=None)
    return _Outcome(True, rebuilt)
