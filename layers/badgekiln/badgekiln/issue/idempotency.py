"""Idempotent issuance: one record per (issuer, Idempotency-Key), created exactly once.

The first request *creates* ``private/issuers/<i>/idempotency/<sha256(key)>.json`` (create-only,
so exactly one of many concurrent requests wins) with the request's hash and a lease. The
winner records its plan (credential name, status index, salt, timestamps) before it writes
anything public, and marks the record ``done`` last. Everyone else:

* a different request body under the same key → :class:`~badgekiln.errors.Conflict`
  (``reason="idempotency-mismatch"``);
* the same request, ``done`` → the first result is returned;
* the same request, still ``pending`` → waits (polling with backoff) for it to finish; if the
  lease runs out first (the winner crashed), takes the job over by compare-and-swap and
  finishes it with the recorded plan, so the retry produces the very same credential.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from badgekiln.errors import BadgeKilnError, Conflict, InvalidField, NotFound
from badgekiln.issue.records import RECORD_HEADERS, dump, idempotency_path, load, parse_stamp, stamp
from badgekiln.store.base import Store, StoredObject

__all__ = ["LEASE", "MAX_KEY_CHARS", "WAIT", "Claim", "claim", "finish", "let_go", "peek", "save_plan"]

logger = logging.getLogger(__name__)

#: How long a pending request owns its key. Issuing one credential takes well under a second
#: (KMS included); a request silent this long is taken to have crashed, and short enough that a
#: retry through API Gateway (30 s) can still take the job over.
LEASE = timedelta(seconds=15)
#: How long a duplicate waits for the first request before giving up with Conflict.
WAIT = timedelta(seconds=25)
#: Longest Idempotency-Key accepted (characters); it is hashed into the record's name.
MAX_KEY_CHARS: Final = 255
_POLL_MIN, _POLL_MAX = 0.02, 0.5


@dataclass(frozen=True)
class Claim:
    """What :func:`claim` found: ``result`` when the job is done, else ``token`` and ``plan``
    for the caller (who now owns the job) to run with. ``etag`` is the record's version."""

    key: str
    token: str
    etag: str
    plan: Mapping[str, Any] | None
    result: Mapping[str, Any] | None


def check_key(idempotency_key: str) -> str:
    """Return the key if usable: 1–255 printable ASCII characters.

    Raises:
        InvalidField: (``field="idempotency_key"``) it is not.
    """
    if (
        not isinstance(idempotency_key, str)
        or not 0 < len(idempotency_key) <= MAX_KEY_CHARS
        or not idempotency_key.isascii()
        or not idempotency_key.isprintable()
    ):
        raise InvalidField(
            f"an idempotency key is 1–{MAX_KEY_CHARS} printable ASCII characters",
            field="idempotency_key",
        )
    return idempotency_key


def _parse_time(value: Any) -> datetime:
    try:
        return parse_stamp(str(value))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def claim(
    store: Store,
    issuer: str,
    idempotency_key: str,
    request: str,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    wait: timedelta = WAIT,
) -> Claim:
    """Own the job for ``idempotency_key``, or get its finished result.

    Raises:
        Conflict: the key was used for a different request (``reason="idempotency-mismatch"``),
            or the first request neither finished nor let its lease lapse within ``wait``
            (``reason="in-progress"``).
        InvalidField: a malformed key.
        StoreError: the store failed.
    """
    key = idempotency_path(issuer, check_key(idempotency_key))
    token = secrets.token_hex(16)
    deadline = clock() + wait
    delay = _POLL_MIN
    while True:
        now = clock()
        record = {"request": request, "state": "pending", "owner": token, "lease": stamp(now + LEASE)}
        try:
            etag = store.create(key, dump(record), **RECORD_HEADERS)
            return Claim(key, token, etag, None, None)
        except Conflict:
            pass
        try:
            current = store.get(key)
        except NotFound:
            continue  # deleted in between (never by badgekiln): try to create it again
        data = load(current)
        if data.get("owner") == token:
            # our own create or take-over, whose answer was lost (botocore's retry of an applied
            # conditional write fails its condition): the job is ours
            plan = data.get("plan")
            return Claim(key, token, current.etag, plan if isinstance(plan, dict) else None, None)
        if data.get("request") != request:
            raise _mismatch()
        if data.get("state") == "done" and isinstance(data.get("result"), dict):
            return Claim(key, "", current.etag, data.get("plan"), data["result"])
        if _parse_time(data.get("lease")) <= now:
            taken = _take_over(store, key, current, data, token=token, now=now)
            if taken is not None:
                return taken
            continue
        if now >= deadline:
            raise Conflict(
                "the first request with this idempotency key is still running; retry later",
                field="idempotency_key",
                reason="in-progress",
            )
        sleep(delay)
        delay = min(_POLL_MAX, delay * 2)


def _mismatch() -> Conflict:
    return Conflict(
        "this idempotency key was already used for a different request; use a new key "
        "(or repeat the original request exactly)",
        field="idempotency_key",
        reason="idempotency-mismatch",
    )


def peek(store: Store, issuer: str, idempotency_key: str, request: str) -> Literal["new", "done", "pending"]:
    """What :func:`claim` would find for ``idempotency_key``, read only (nothing is written):
    ``new`` (unused), ``done`` (it would replay) or ``pending`` (a request is running or crashed).

    Raises:
        Conflict: (``reason="idempotency-mismatch"``) the key was used for a different request.
        InvalidField: a malformed key.
        StoreError: the store failed.
    """
    try:
        data = load(store.get(idempotency_path(issuer, check_key(idempotency_key))))
    except NotFound:
        return "new"
    if data.get("request") != request:
        raise _mismatch()
    return "done" if data.get("state") == "done" else "pending"


def _take_over(
    store: Store, key: str, current: StoredObject, data: dict[str, Any], *, token: str, now: datetime
) -> Claim | None:
    logger.warning("idempotency record %s: lease expired, resuming the job", key)
    data = {**data, "owner": token, "lease": stamp(now + LEASE)}
    try:
        etag = store.put(key, dump(data), if_match=current.etag, **RECORD_HEADERS)
    except Conflict:
        return None  # someone else took it over or finished it: look again
    plan = data.get("plan")
    return Claim(key, token, etag, plan if isinstance(plan, dict) else None, None)


def save_plan(store: Store, owned: Claim, plan: Mapping[str, Any], *, now: datetime) -> Claim:
    """Record the job's plan (and renew the lease); only the owner may.

    Raises:
        Conflict: the job was taken over (this request was too slow and lost its lease).
        StoreError: the store failed.
    """
    return _write(store, owned, {"plan": dict(plan), "lease": stamp(now + LEASE)})


def finish(store: Store, owned: Claim, result: Mapping[str, Any]) -> None:
    """Mark the job done with its ``result`` (what a duplicate request gets back).

    Raises:
        Conflict: the job was taken over meanwhile.
        StoreError: the store failed.
    """
    _write(store, owned, {"state": "done", "result": dict(result)})


def let_go(store: Store, owned: Claim) -> None:
    """End the job's lease now, its plan kept: for a request that failed with an answer telling
    the client to repeat it, so the repeat takes the job over at once instead of waiting out
    :data:`LEASE`. Best effort: a failure is logged and the lease simply runs out."""
    try:
        _write(store, owned, {"lease": stamp(datetime.now(UTC))})
    except BadgeKilnError:
        logger.warning("idempotency record %s: could not end the lease", owned.key, exc_info=True)


def _write(store: Store, owned: Claim, changes: Mapping[str, Any]) -> Claim:
    current = store.get(owned.key)
    data = load(current)
    if data.get("owner") != owned.token:
        raise Conflict(
            "this request's idempotency lease expired and another request took the job over",
            reason="lease-lost",
        )
    data.update(changes)
    body = dump(data)
    try:
        etag = store.put(owned.key, body, if_match=current.etag, **RECORD_HEADERS)
    except Conflict:
        # S3 may have applied it and the answer been lost (botocore's retry then fails the
        # condition): done if what is stored now is what this request wrote
        stored = store.get(owned.key)
        if stored.body != body:
            raise
        etag = stored.etag
    plan = data.get("plan")
    return Claim(owned.key, owned.token, etag, plan if isinstance(plan, dict) else None, None)
