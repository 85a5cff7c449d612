"""The storage interface every backend implements, its key rules and its two namespaces.

Keys are relative, ``/``-separated paths that start with one of two namespaces:

* ``public/…``  served to anyone (issuer profiles, achievements, credentials, keys, DID
  documents, status lists, baked images), each stored with its ``Content-Type`` and
  ``Cache-Control``;
* ``private/…`` never served (API-key hashes, local private keys, idempotency records, uploads).

Build keys with :func:`public_path` / :func:`private_path`; the public HTTP layer maps a request
path to a key with :func:`require_public`, which refuses anything outside ``public/``.

Writes are conditional: ``if_none_match=True`` creates only, ``if_match=<etag>`` replaces only
that version; a failed precondition raises :class:`~badgekiln.errors.Conflict`.
:meth:`Store.update` builds a compare-and-swap loop on top, so concurrent writers never lose an
update.
"""

from __future__ import annotations

import abc
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from badgekiln.errors import Conflict, InputTooLarge, InvalidField, NotFound, StoreError

__all__ = [
    "DEFAULT_RETRY",
    "MAX_KEY_LENGTH",
    "MAX_OBJECT_BYTES",
    "MAX_PRESIGN_SECONDS",
    "MAX_RANGE_BYTES",
    "MAX_UPLOAD_BYTES",
    "PRIVATE",
    "PUBLIC",
    "UPLOADS",
    "ObjectInfo",
    "ObjectRange",
    "RetryPolicy",
    "Store",
    "StoredObject",
    "Updater",
    "Write",
    "normalise_etag",
    "private_path",
    "public_path",
    "require_public",
    "validate_body",
    "validate_etag",
    "validate_headers",
    "validate_key",
    "validate_prefix",
    "validate_write",
]

logger = logging.getLogger(__name__)

#: Namespace of documents anyone may fetch.
PUBLIC = "public/"
#: Namespace of material that is never served.
PRIVATE = "private/"
#: Where presigned batch uploads land (inside the private namespace).
UPLOADS = "private/uploads/"

#: Longest key (bytes). S3 allows 1024; half leaves room for a bucket prefix and stays well under
#: PATH_MAX on the local backend.
MAX_KEY_LENGTH = 512
#: Longest path segment: under the 255-byte NAME_MAX of common file systems, with room for the
#: local backend's file suffix.
MAX_SEGMENT_LENGTH = 200
#: Deepest key, in segments: our layout needs five or six; the cap bounds directory walks.
MAX_KEY_DEPTH = 16
#: Largest object either backend stores or returns (bytes). Badge documents are kilobytes and
#: baked images a few MB; Lambda cannot return more than 6 MB anyway. Bounds memory per request.
MAX_OBJECT_BYTES = 64 * 1024 * 1024
#: Longest ranged read (bytes, :meth:`Store.get_range`): a window into an object, bounded as a
#: whole read is.
MAX_RANGE_BYTES = 8 * 1024 * 1024
#: Largest batch file a presigned upload admits (bytes). Batches are read row by row, so this only
#: bounds storage cost and the run time of one batch.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
#: Longest validity of a presigned upload (seconds): long enough for a slow link, short enough
#: that a leaked form is soon useless.
MAX_PRESIGN_SECONDS = 3600
#: Caps on user metadata: S3 allows 2 KB in total; names are lower-case because S3 folds them.
MAX_METADATA_ITEMS = 16
MAX_METADATA_BYTES = 2048

# Safe characters only: unreserved in URLs, plain in S3 and on every file system. Free-form
# identifiers (idempotency keys, e-mail addresses) must be hashed into a segment by the caller.
_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
_CONTENT_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}"
    r"(?:; ?[A-Za-z0-9_-]{1,32}=[A-Za-z0-9_.-]{1,64}){0,4}"
)
_HEADER_VALUE = re.compile(r"[\x20-\x7e]{1,256}")
_METADATA_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_METADATA_VALUE = re.compile(r"[\x20-\x7e]{0,512}")
#: Retry jitter from os.urandom (see RetryPolicy.delay).
_JITTER = random.SystemRandom()


def _check_segments(text: str, *, field_name: str, allow_partial_last: bool) -> None:
    if len(text.encode()) > MAX_KEY_LENGTH:
        raise InvalidField(
            f"{field_name} is longer than {MAX_KEY_LENGTH} bytes",
            field=field_name,
            reason="too-long",
            limit=MAX_KEY_LENGTH,
        )
    if text.startswith("/"):
        raise InvalidField(
            f"{field_name} must be relative, not start with '/'", field=field_name, reason="absolute"
        )
    if "\\" in text:
        raise InvalidField(
            f"{field_name} must use '/' separators, not '\\'", field=field_name, reason="backslash"
        )
    segments = text.split("/")
    if allow_partial_last:
        segments = segments[:-1] + ([segments[-1]] if segments[-1] else [])
    if len(segments) > MAX_KEY_DEPTH:
        raise InvalidField(
            f"{field_name} has more than {MAX_KEY_DEPTH} segments",
            field=field_name,
            reason="too-deep",
            limit=MAX_KEY_DEPTH,
        )
    for segment in segments:
        if not segment:
            raise InvalidField(
                f"{field_name} {text[:80]!r} has an empty segment", field=field_name, reason="empty-segment"
            )
        if segment in (".", ".."):
            raise InvalidField(
                f"{field_name} {text[:80]!r} has a '{segment}' segment",
                field=field_name,
                reason="dot-segment",
            )
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise InvalidField(
                f"{field_name} has a segment longer than {MAX_SEGMENT_LENGTH} characters",
                field=field_name,
                reason="too-long",
                limit=MAX_SEGMENT_LENGTH,
            )
        if not _SEGMENT.fullmatch(segment):
            raise InvalidField(
                f"{field_name} {text[:80]!r} has characters outside A-Z a-z 0-9 . _ -",
                field=field_name,
                reason="characters",
            )


def validate_key(key: str) -> str:
    """Return ``key`` if it names an object: ``public/…`` or ``private/…``, safe characters only.

    Raises:
        InvalidField: (``field="key"``) absolute, ``..``/``.``/empty segments, backslashes,
            characters outside ``A-Za-z0-9._-``, too long or deep, or outside both namespaces.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be str, not {type(key).__name__}")
    _check_segments(key, field_name="key", allow_partial_last=False)
    if not key.startswith((PUBLIC, PRIVATE)):
        raise InvalidField(
            f"key {key[:80]!r} is outside the '{PUBLIC}' and '{PRIVATE}' namespaces",
            field="key",
            reason="namespace",
        )
    return key


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it can start keys: ``""``, ``"public/"``, ``"public/issuers/ac"`` …

    Raises:
        InvalidField: (``field="prefix"``) by the same rules as :func:`validate_key`.
    """
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be str, not {type(prefix).__name__}")
    if not prefix:
        return prefix
    _check_segments(prefix, field_name="prefix", allow_partial_last=True)
    if not (prefix.startswith((PUBLIC, PRIVATE)) or PUBLIC.startswith(prefix) or PRIVATE.startswith(prefix)):
        raise InvalidField(
            f"prefix {prefix[:80]!r} is outside the '{PUBLIC}' and '{PRIVATE}' namespaces",
            field="prefix",
            reason="namespace",
        )
    return prefix


def public_path(*parts: str) -> str:
    """The key of a public document: ``public_path("issuers", "acme", "profile.json")``.

    Raises:
        InvalidField: a part breaks the key rules.
    """
    return validate_key(PUBLIC + "/".join(parts))


def private_path(*parts: str) -> str:
    """The key of private material: ``private_path("keys", "acme-1.pem")``.

    Raises:
        InvalidField: a part breaks the key rules.
    """
    return validate_key(PRIVATE + "/".join(parts))


def require_public(path: str) -> str:
    """Map a request path (``/issuers/acme/profile.json``) to its ``public/…`` key.

    The public HTTP layer calls this for every read, so nothing outside ``public/`` can be
    served, however the path is spelt.

    Raises:
        NotFound: the path is malformed or could only name something outside ``public/`` (a 404,
            so a probe learns nothing about private keys).
    """
    key = PUBLIC + path.removeprefix("/")
    try:
        validate_key(key)
    except InvalidField as exc:
        raise NotFound(f"no public document at {path[:80]!r}", key=path[:80], reason=exc.reason) from exc
    return key


def validate_etag(etag: str) -> str:
    """Return ``etag`` if it can be an ETag: 1–128 printable ASCII characters.

    Raises:
        InvalidField: (``field="if_match"``) it cannot.
    """
    if not (isinstance(etag, str) and len(etag) <= 128 and _HEADER_VALUE.fullmatch(etag)):
        raise InvalidField("an ETag must be 1–128 printable ASCII characters", field="if_match")
    return etag


def normalise_etag(etag: str) -> str:
    """The ETag without surrounding quotes (S3 and HTTP quote them; comparisons must not care)."""
    return etag.strip().removeprefix("W/").strip('"')


def validate_headers(
    content_type: str, cache_control: str | None, metadata: Mapping[str, str] | None
) -> Mapping[str, str]:
    """Check a content type, cache control and metadata; return the metadata read-only.

    Raises:
        InvalidField: one of them is malformed or over its cap (``field`` names which).
    """
    if not isinstance(content_type, str) or not _CONTENT_TYPE.fullmatch(content_type):
        raise InvalidField(
            f"content type {str(content_type)[:80]!r} is not a plain media type", field="content_type"
        )
    if cache_control is not None and not (
        isinstance(cache_control, str) and _HEADER_VALUE.fullmatch(cache_control)
    ):
        raise InvalidField("Cache-Control must be 1–256 printable ASCII characters", field="cache_control")
    items = dict(metadata or {})
    if len(items) > MAX_METADATA_ITEMS:
        raise InvalidField(
            f"more than {MAX_METADATA_ITEMS} metadata entries", field="metadata", limit=MAX_METADATA_ITEMS
        )
    total = 0
    for name, value in items.items():
        if not (isinstance(name, str) and _METADATA_NAME.fullmatch(name)):
            raise InvalidField(
                f"metadata name {str(name)[:40]!r} is not lower-case a-z 0-9 -", field="metadata"
            )
        if not (isinstance(value, str) and _METADATA_VALUE.fullmatch(value)):
            raise InvalidField(
                f"metadata {name!r} must be printable ASCII up to 512 characters", field="metadata"
            )
        total += len(name) + len(value)
    if total > MAX_METADATA_BYTES:
        raise InvalidField(
            f"metadata over {MAX_METADATA_BYTES} bytes", field="metadata", limit=MAX_METADATA_BYTES
        )
    return MappingProxyType(items)


def validate_write(
    key: str,
    body: bytes,
    *,
    content_type: str,
    cache_control: str | None,
    metadata: Mapping[str, str] | None,
    if_match: str | None = None,
    if_none_match: bool = False,
) -> Mapping[str, str]:
    """Check everything a backend is asked to write; return the metadata as a read-only mapping.

    Raises:
        InvalidField: the key, content type, cache control, metadata or ETag break their rules.
        InputTooLarge: ``body`` is over :data:`MAX_OBJECT_BYTES`.
        ValueError: both ``if_match`` and ``if_none_match`` (no object can satisfy both).
    """
    if if_match is not None and if_none_match:
        raise ValueError("if_match and if_none_match exclude each other")
    validate_key(key)
    if if_match is not None:
        validate_etag(if_match)
    validate_body(body)
    return validate_headers(content_type, cache_control, metadata)


def validate_body(body: bytes) -> bytes:
    """Return ``body`` if a backend may store it.

    Raises:
        TypeError: it is not bytes.
        InputTooLarge: it is over :data:`MAX_OBJECT_BYTES`.
    """
    if not isinstance(body, bytes):
        raise TypeError(f"body must be bytes, not {type(body).__name__}")
    if len(body) > MAX_OBJECT_BYTES:
        raise InputTooLarge(
            f"object of {len(body)} bytes is over the {MAX_OBJECT_BYTES}-byte limit", limit=MAX_OBJECT_BYTES
        )
    return body


@dataclass(frozen=True)
class ObjectInfo:
    """What :meth:`Store.head` returns: everything about an object but its bytes."""

    key: str
    #: Opaque, quoted like an HTTP strong ETag; changes whenever the bytes change.
    etag: str
    size: int
    content_type: str
    cache_control: str | None = None
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def fields(self) -> dict[str, Any]:
        """These fields as keywords, to build an object or a range of this version with."""
        return {name.name: getattr(self, name.name) for name in fields(ObjectInfo)}


@dataclass(frozen=True)
class StoredObject(ObjectInfo):
    """An object and its bytes, as :meth:`Store.get` returns it."""

    body: bytes = b""


@dataclass(frozen=True)
class ObjectRange(ObjectInfo):
    """Part of an object, as :meth:`Store.get_range` returns it: ``body`` holds its bytes from
    ``start`` on; ``etag`` and ``size`` are the whole object's (the version those bytes are of)."""

    start: int = 0
    body: bytes = b""


#: ``fn`` of :meth:`Store.update`: the current object (``None`` if absent) → new bytes, or ``None``
#: to leave the object as it is.
Updater = Callable[[StoredObject | None], bytes | None]


@dataclass(frozen=True)
class RetryPolicy:
    """How :meth:`Store.update` retries a lost compare-and-swap: capped, fully jittered backoff.

    Attempt ``n`` (from 0) that loses sleeps a uniform random time in
    ``[0, min(max_delay, base_delay * 2**n)]`` before reading again; after ``attempts`` losses
    the update gives up with :class:`~badgekiln.errors.Conflict`. The first retry waits at most
    ``base_delay``, so the common case (two writers) stays fast; the cap spreads a crowd out.
    """

    attempts: int = 24
    base_delay: float = 0.05
    max_delay: float = 2.0

    def __post_init__(self) -> None:
        if not 1 <= self.attempts <= 1000:
            raise ValueError("attempts must be between 1 and 1000")
        if not 0 <= self.base_delay <= self.max_delay <= 60:
            raise ValueError("need 0 <= base_delay <= max_delay <= 60 seconds")

    def delay(self, attempt: int) -> float:
        """Seconds to sleep after losing attempt ``attempt`` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** min(attempt, 32))
        # Jitter spreads contending writers apart. It is drawn from the OS, not from the module's
        # generator: Lambda SnapStart restores every execution environment from one snapshot, and
        # a generator seeded before it would give them all the same delays.
        return _JITTER.uniform(0, ceiling)


#: 32 threads making 200 updates to one S3 object needed at most 13 attempts each in our runs
#: (docs/storage-and-keys.md). A writer that loses every round gives up after at most 37 s of
#: waits (18 s on average).
DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class Write:
    """One write, checked by :meth:`Store.put` and handed to a backend's :meth:`Store._put`.

    ``if_none_match`` writes only if nothing is stored; ``if_match`` only if the stored ETag is
    that one (never both).
    """

    key: str
    body: bytes
    content_type: str
    cache_control: str | None = None
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    if_match: str | None = None
    if_none_match: bool = False


class Store(abc.ABC):
    """A bucket of named objects with conditional writes.

    The public methods check their arguments once (key rules, headers, ETags, sizes) and then
    call the backend's primitives, which may trust them: :meth:`_get`, :meth:`_head`,
    :meth:`_put`, :meth:`_delete` and :meth:`_list` (and :meth:`_presign_upload` for a backend
    that can hand out upload forms, :meth:`_delete_many` for one that deletes in bulk,
    :meth:`_get_range` for one that can read part of an object). A backend implements those
    five and nothing else.
    """

    # --- the interface ------------------------------------------------------------------------

    def get(self, key: str) -> StoredObject:
        """The object under ``key``.

        Raises:
            InvalidField: ``key`` breaks the key rules.
            NotFound: nothing is stored under ``key``.
            StoreError: the backend failed.
        """
        return self._get(validate_key(key))

    def get_range(self, key: str, start: int, length: int) -> ObjectRange:
        """Up to ``length`` bytes of the object under ``key`` from byte ``start`` on, and the
        ETag and size of the version they are of.

        Only those bytes are read (S3 ``Range``, a local file's ``pread``), so a window into a
        large object costs its length, not the object's. Fewer bytes come back at the object's
        end, none from ``start`` at or past it.

        Raises:
            InvalidField, NotFound, StoreError: as :meth:`get`.
            ValueError: ``start`` negative, or ``length`` not 1–:data:`MAX_RANGE_BYTES`.
        """
        validate_key(key)
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise ValueError("start must be a byte offset, 0 or more")
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= MAX_RANGE_BYTES:
            raise ValueError(f"length must be between 1 and {MAX_RANGE_BYTES} bytes")
        return self._get_range(key, start, length)

    def head(self, key: str) -> ObjectInfo:
        """The object's ETag, size and headers, without its bytes.

        Raises:
            InvalidField, NotFound, StoreError: as :meth:`get`.
        """
        return self._head(validate_key(key))

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        """Store ``body`` under ``key`` and return its new ETag.

        ``if_none_match=True`` writes only if nothing is stored; ``if_match`` only if the stored
        ETag is that one (quotes do not matter). Readers see the old object or the whole new
        one, never a mixture.

        Raises:
            InvalidField: the key, content type, cache control, metadata or ETag break their rules.
            InputTooLarge: ``body`` is over :data:`MAX_OBJECT_BYTES`.
            Conflict: a precondition failed (an object exists / the ETag moved on or is gone).
            StoreError: the backend failed.
            ValueError: both ``if_match`` and ``if_none_match``.
        """
        headers = validate_write(
            key,
            body,
            content_type=content_type,
            cache_control=cache_control,
            metadata=metadata,
            if_match=if_match,
            if_none_match=if_none_match,
        )
        return self._put(Write(key, body, content_type, cache_control, headers, if_match, if_none_match))

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        """Delete ``key``; deleting a missing object without ``if_match`` does nothing.

        Raises:
            InvalidField: ``key`` or ``if_match`` break their rules.
            Conflict: ``if_match`` is not the stored ETag, or the object is gone.
            StoreError: the backend failed.
        """
        validate_key(key)
        self._delete(key, None if if_match is None else validate_etag(if_match))

    def delete_many(self, keys: Iterable[str]) -> None:
        """Delete every one of ``keys``, unconditionally (a missing object is no error).

        For clearing out many small records at once: S3 takes up to 1,000 keys a request
        (DeleteObjects), other backends delete one at a time.

        Raises:
            InvalidField: one of ``keys`` breaks the key rules (checked before anything is deleted).
            StoreError: the backend failed; the keys before the failing one may be deleted.
        """
        checked = [validate_key(key) for key in keys]
        if checked:
            self._delete_many(checked)

    def list(self, prefix: str, *, start_after: str | None = None) -> Iterator[str]:
        """Yield the keys starting with ``prefix``, in lexicographic order, a bounded page at a time;
        with ``start_after``, only those after it (a cursor: the last key of the page before).

        Names in the backend that break the key rules (written by something else) are skipped.

        Raises:
            InvalidField: ``prefix`` or ``start_after`` break the key rules (at once, before any
                key is yielded).
            StoreError: the backend failed.
        """
        prefix = validate_prefix(prefix)
        if start_after is None:
            return self._keys(self._list(prefix))
        return self._keys(self._list_after(prefix, validate_key(start_after)))

    def _keys(self, names: Iterator[str]) -> Iterator[str]:
        for key in names:
            try:
                yield validate_key(key)
            except InvalidField:
                logger.warning("skipping foreign object %r in %r", key[:200], self)

    def create(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """Store ``body`` only if nothing is stored under ``key``; return its ETag.

        Raises:
            Conflict: an object exists under ``key`` (exactly one of many concurrent creators wins).
            InvalidField, InputTooLarge, StoreError: as :meth:`put`.
        """
        return self.put(
            key,
            body,
            content_type=content_type,
            cache_control=cache_control,
            metadata=metadata,
            if_none_match=True,
        )

    def update(
        self,
        key: str,
        fn: Updater,
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> StoredObject:
        """Read-modify-write ``key`` so that no concurrent update is ever lost.

        ``fn`` receives the current object (``None`` if there is none) and returns the new bytes,
        or ``None`` to keep the object as it is. The write is conditional on the version ``fn``
        saw; when another writer got in first, ``update`` waits (see :class:`RetryPolicy`), reads
        again and calls ``fn`` again. So ``fn`` may run several times and **must be pure**: no
        side effects, its result a function of its argument. Make it state the intent
        idempotently ("set bit 17", "add id if absent") rather than "append": a write whose reply
        was lost in transit is retried like a lost race and ``fn`` then sees its own result.
        An exception from ``fn`` aborts the update and propagates; nothing is written.

        Returns the object as stored after the update.

        Raises:
            NotFound: there is no object and ``fn`` returned ``None`` for it.
            Conflict: ``retry.attempts`` writes in a row lost to other writers.
            InvalidField, InputTooLarge, StoreError: as :meth:`put`.
        """
        validate_key(key)
        headers = validate_headers(content_type, cache_control, metadata)
        for attempt in range(retry.attempts):
            try:
                current: StoredObject | None = self._get(key)
            except NotFound:
                current = None
            body = fn(current)
            if body is None:
                if current is None:
                    raise NotFound(f"no object under {key!r} to update", key=key)
                return current
            # conditional on the version fn saw: create-only if there was none
            write = Write(
                key,
                validate_body(body),
                content_type,
                cache_control,
                headers,
                if_match=None if current is None else current.etag,
                if_none_match=current is None,
            )
            try:
                etag = self._put(write)
            except Conflict:
                if attempt + 1 < retry.attempts:
                    time.sleep(retry.delay(attempt))
                continue
            return StoredObject(
                key=key,
                etag=etag,
                size=len(body),
                content_type=content_type,
                cache_control=cache_control,
                metadata=headers,
                body=body,
            )
        logger.warning("update of %s lost %d compare-and-swap rounds", key, retry.attempts)
        raise Conflict(
            f"gave up updating {key!r}: {retry.attempts} attempts in a row lost to other writers",
            key=key,
            reason="contention",
            attempts=retry.attempts,
        )

    def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires: int = 900
    ) -> dict[str, Any]:
        """A form (``{"url", "fields"}``) for one upload of at most ``max_bytes`` to ``key``.

        The backend enforces the conditions itself: the object goes to ``key`` only, with this
        ``Content-Type`` only, between 1 and ``max_bytes`` bytes, within ``expires`` seconds.

        Raises:
            InvalidField: ``key`` is malformed or not under ``private/uploads/``, or the content
                type is malformed.
            ValueError: ``max_bytes`` or ``expires`` out of range (see :data:`MAX_UPLOAD_BYTES`,
                :data:`MAX_PRESIGN_SECONDS`).
            StoreError: this backend cannot hand out upload forms (``reason="presign-unsupported"``:
                a local directory), or it could not sign (no credentials).
        """
        validate_key(key)
        if not key.startswith(UPLOADS):
            raise InvalidField(
                f"uploads go under {UPLOADS!r}, not {key[:80]!r}", field="key", reason="namespace"
            )
        validate_headers(content_type, None, None)
        if not 1 <= max_bytes <= MAX_UPLOAD_BYTES:
            raise ValueError(f"max_bytes must be between 1 and {MAX_UPLOAD_BYTES}")
        if not 1 <= expires <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires must be between 1 and {MAX_PRESIGN_SECONDS} seconds")
        return self._presign_upload(key, content_type, max_bytes, expires)

    def key_of(self, bucket: str, name: str) -> str | None:
        """The key of this store that object ``name`` of ``bucket`` is (as S3 event notifications
        name objects, unquoted), or ``None``: another bucket, outside this store's prefix, not a
        valid key, or a backend without buckets."""
        key = self._key_of(bucket, name)
        if key is None:
            return None
        try:
            return validate_key(key)
        except InvalidField:
            return None

    # --- what a backend implements ------------------------------------------------------------

    @abc.abstractmethod
    def _get(self, key: str) -> StoredObject:
        """The object under a valid ``key``; raise :class:`NotFound` or :class:`StoreError`."""

    def _get_range(self, key: str, start: int, length: int) -> ObjectRange:
        """Bytes ``start`` to ``start + length`` of a valid ``key``; by default sliced from the
        whole object (both real backends read only the range; raise as :meth:`_get`)."""
        whole = self._get(key)
        return ObjectRange(**whole.fields(), start=start, body=whole.body[start : start + length])

    @abc.abstractmethod
    def _head(self, key: str) -> ObjectInfo:
        """The headers of the object under a valid ``key``; raise as :meth:`_get`."""

    @abc.abstractmethod
    def _put(self, write: Write) -> str:
        """Carry out a checked write atomically and return the new ETag.

        Raise :class:`Conflict` when its precondition fails, :class:`StoreError` when the
        backend does.
        """

    @abc.abstractmethod
    def _delete(self, key: str, if_match: str | None) -> None:
        """Delete a valid ``key`` (a missing object is no error unless ``if_match`` is given)."""

    def _delete_many(self, keys: Sequence[str]) -> None:
        """Delete valid ``keys`` unconditionally; by default one :meth:`_delete` each."""
        for key in keys:
            self._delete(key, None)

    @abc.abstractmethod
    def _list(self, prefix: str) -> Iterator[str]:
        """Every name under a valid ``prefix``, in lexicographic order; :meth:`list` drops any
        that are not keys."""

    def _list_after(self, prefix: str, start_after: str) -> Iterator[str]:
        """The names of :meth:`_list` after ``start_after``; by default by skipping the others
        (a backend that can start a listing anywhere, as S3 can, overrides it)."""
        return (name for name in self._list(prefix) if name > start_after)

    def _key_of(self, bucket: str, name: str) -> str | None:
        """The key ``name`` of ``bucket`` is in this store; by default the backend has no buckets."""
        return None

    def _presign_upload(self, key: str, content_type: str, max_bytes: int, expires: int) -> dict[str, Any]:
        """An upload form for checked arguments; by default the backend has none."""
        raise StoreError(
            f"{self!r} cannot take presigned uploads (a local directory); use an S3 store "
            "(BADGEKILN_STORE=s3://…), or send batches of fewer rows directly",
            reason="presign-unsupported",
        )
