"""Getting pending status-list changes published: in-process, or through an SQS FIFO queue.

A revocation, suspension or reinstatement is durable once its credential record and its pending
change (:func:`~badgekiln.issue.statuslists.change_path`) are stored. Then :func:`notifier`'s
choice makes sure the list gets published:

* :class:`InlinePublisher` (``badgekiln serve``, the CLI, any store without a queue): publishes
  at once, in the caller's thread. Callers of one list in one process queue on a lock; whoever
  gets it publishes every change pending by then, so the others find nothing left to do.
* :class:`QueueNotifier` (Lambda, ``BADGEKILN_STATUS_QUEUE`` set): a list with changes waiting
  is *due*: its due object exists and one message for it is queued or being handled (FIFO, one
  message group per list, so one publish of a list runs at a time). A change reads the due
  object and, only when there is none, creates it (create-only) and sends the message. The
  publisher function (:meth:`QueueNotifier.publish`) publishes every change pending (one tick:
  each list signed once), and again while changes keep coming, for up to
  :data:`TICKS_SECONDS`; then it queues the next message itself, so while changes keep arriving
  the due object stays and revocations only read it. A tick that finds nothing deletes the due
  object and lists once more, making the list due again if a change slipped in meanwhile.

So no object is written by every change: the due object is written once per message by the
publisher (and once per burst by a change). A due object older than :data:`STALE_SECONDS` (its
message was lost, or the publish kept failing) is renewed and sent again by the next change, so
no change waits forever.

Between the due object and its message a request can die, or lose the answer to its write (S3
applied it; botocore's retry then finds the object taken). The due object names the request
that wrote it, so a taken create that is the request's own still sends; and a change repeated
(``again``: its client retrying a request that got no answer) sends even while the list is due,
since the request it repeats may have died before sending (found by fault injection,
docs/reliability.md). A duplicate message costs one tick that finds nothing.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
import uuid
import weakref
from collections.abc import Mapping
from typing import Any, Final, Protocol, TypeGuard

from badgekiln.errors import Conflict, InvalidField, NotFound, StoreError
from badgekiln.extras import requires
from badgekiln.hosting.layout import SLUG
from badgekiln.issue.records import RECORD_HEADERS, dump, load
from badgekiln.issue.statuslists import OB2, ListId, Published, pending_prefix, publish_pending, trigger_path
from badgekiln.store.base import Store

__all__ = [
    "QUEUE_ENV",
    "STALE_SECONDS",
    "TICKS_SECONDS",
    "InlinePublisher",
    "Notifier",
    "QueueNotifier",
    "notifier",
    "publish_message",
]

#: Environment variable naming the SQS FIFO queue (its URL) that publishes status lists.
QUEUE_ENV: Final = "BADGEKILN_STATUS_QUEUE"
#: Age (seconds) after which a due object is taken as lost and its message sent again.
STALE_SECONDS: Final = 60.0
#: How long one message keeps publishing a busy list, tick after tick, before the next message
#: takes over (well under the publisher's timeout and :data:`STALE_SECONDS`).
TICKS_SECONDS: Final = 10.0


class Notifier(Protocol):
    """Makes sure list ``number`` of issuer ``slug`` gets published after a change was stored."""

    def notify(self, store: Store, slug: str, number: ListId, *, again: bool = False) -> None: ...


class InlinePublisher:
    """Publish in the caller's thread, coalescing the callers of one list in this process."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[Store, dict[tuple[str, ListId], threading.Lock]] = (
            weakref.WeakKeyDictionary()
        )
        self._guard = threading.Lock()

    def notify(self, store: Store, slug: str, number: ListId, *, again: bool = False) -> None:
        """Raises: Conflict, StoreError, SigningError: as :func:`publish_pending`."""
        with self._guard:
            lock = self._locks.setdefault(store, {}).setdefault((slug, number), threading.Lock())
        with lock:
            publish_pending(store, slug, number)


class QueueNotifier:
    """Send the list to the publisher through an SQS FIFO queue, once per tick (see module)."""

    def __init__(self, queue_url: str, *, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    def _sqs(self) -> Any:
        if self._client is None:
            from badgekiln.awsclients import client

            with requires("aws", "the status queue (SQS)"):
                self._client = client("sqs")
        return self._client

    def notify(self, store: Store, slug: str, number: ListId, *, again: bool = False) -> None:
        """Make list ``number`` due unless it is (called after a change was stored); ``again``:
        the change was stored by an earlier request this one repeats, make it due in any case.

        Raises: StoreError: the store or the queue failed (the change stays pending).
        """
        due = trigger_path(slug, number)
        try:
            current = store.get(due)
        except NotFound:
            current = None
        if current is not None and not again:
            stamp = load(current).get("at")
            if isinstance(stamp, int | float) and time.time() - stamp < STALE_SECONDS:
                return  # a publish is due already and will see this change
        writer = uuid.uuid4().hex
        try:
            store.put(
                due,
                dump({"at": time.time(), "by": writer}),
                if_match=None if current is None else current.etag,
                if_none_match=current is None,
                **RECORD_HEADERS,
            )
        except Conflict:
            try:
                mine = load(store.get(due)).get("by") == writer  # a retry of our own write found it
            except NotFound:
                mine = False
            if not mine:
                return  # another change made it due just now
        self._send(store, slug, number)

    def publish(self, store: Store, slug: str, number: ListId) -> Published:
        """Publish list ``number`` tick after tick while changes keep coming (the publisher
        function, for each message), for up to :data:`TICKS_SECONDS`; then queue the next
        message, or, at the first tick that finds nothing, let the list go quiet.

        Raises:
            NotFound: no such issuer.
            Conflict, StoreError, SigningError: as :func:`publish_pending`, or the queue failed
                (the message is retried; the changes stay pending).
        """
        deadline = time.monotonic() + TICKS_SECONDS
        done = tick = publish_pending(store, slug, number)
        while tick.changes and time.monotonic() < deadline:
            tick = publish_pending(store, slug, number)
            done = done.then(tick)
        if tick.changes:
            # still flowing: the list stays due and the next message takes over
            store.put(trigger_path(slug, number), dump({"at": time.time()}), **RECORD_HEADERS)
            self._send(store, slug, number)
            return done
        with contextlib.suppress(NotFound):
            store.delete(trigger_path(slug, number))
        # a change stored before the delete may have seen the due object and sent nothing
        if next(iter(store.list(pending_prefix(slug, number))), None) is not None:
            self.notify(store, slug, number)
        return done

    def _send(self, store: Store, slug: str, number: ListId) -> None:
        try:
            self._sqs().send_message(
                QueueUrl=self.queue_url,
                MessageBody=json.dumps({"issuer": slug, "list": number}),
                MessageGroupId=f"{slug}.{number}",
                MessageDeduplicationId=uuid.uuid4().hex,
            )
        except Exception as exc:  # botocore's errors: the change stays pending, due again at once
            try:
                store.delete(trigger_path(slug, number))
            finally:
                raise StoreError(f"could not queue list {number} of {slug!r}: {exc}", reason="queue") from exc


_INLINE: Final = InlinePublisher()


def notifier(environ: Mapping[str, str] | None = None) -> Notifier:
    """The queue named by ``BADGEKILN_STATUS_QUEUE``, else publishing in-process.

    One :class:`QueueNotifier` per queue URL per process: its SQS client (made on first use) is
    reused by every later change and tick of this execution environment.
    """
    import os

    url = (environ if environ is not None else os.environ).get(QUEUE_ENV)
    return _queue(url) if url else _INLINE


@functools.lru_cache(maxsize=4)
def _queue(url: str) -> QueueNotifier:
    return QueueNotifier(url)


def publish_message(store: Store, body: str, queue: QueueNotifier) -> Published:
    """Publish the list a queue message names (``{"issuer": slug, "list": n}``, or ``"ob2"`` for
    the issuer's OB 2.0 RevocationList): one tick of
    :meth:`QueueNotifier.publish`.

    Raises:
        InvalidField: the message is not such an object.
        NotFound: no such issuer.
        Conflict, StoreError, SigningError: as :meth:`QueueNotifier.publish` (the message is
            retried).
    """
    try:
        message = json.loads(body)
    except ValueError:
        message = None
    slug = message.get("issuer") if isinstance(message, dict) else None
    number = message.get("list") if isinstance(message, dict) else None
    if not isinstance(slug, str) or not SLUG.fullmatch(slug) or not _is_list_id(number):
        raise InvalidField("a status message is {'issuer': slug, 'list': number or 'ob2'}", field="message")
    return queue.publish(store, slug, number)


def _is_list_id(value: object) -> TypeGuard[ListId]:
    if isinstance(value, str):
        return value == OB2
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9
