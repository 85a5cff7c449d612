"""Getting pending status-list changes published: in-process, or through an SQS FIFO queue.

A revocation, suspension or reinstatement is durable once its credential record and its pending
change (:func:`~badgekiln.issue.statuslists.change_path`) are stored. Then :func:`notifier`'s
choice makes sure the list gets published:

* :class:`InlinePublisher` (``badgekiln serve``, the CLI, any store without a queue): publishes
  at once, in the caller's thread. Callers of one list in one process queue on a lock; whoever
  gets it publishes every change pending by then, so the others find nothing left to do.
* :class:`QueueNotifier` (Lambda, ``BADGEKILN_STATUS_QUEUE`` set): the first change after a
  publish creates the list's *due* object (create-only) and sends one message to the FIFO queue,
  grouped by list; later changes see the due object (one read) and send nothing. The publisher
  function (:func:`publish_message`) deletes the due object, lists the pending changes, signs each
  list once and deletes the changes it published. FIFO message groups run one publish of a list
  at a time, and every publish is a tick: changes arriving meanwhile create the next message.

A due object older than :data:`STALE_SECONDS` (its message was lost, or the publish kept
failing) is renewed and sent again, so no change waits forever.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
import weakref
from collections.abc import Mapping
from typing import Any, Final, Protocol

from badgekiln.errors import Conflict, InvalidField, NotFound, StoreError
from badgekiln.hosting.layout import SLUG
from badgekiln.issue.records import RECORD_HEADERS, dump, load
from badgekiln.issue.statuslists import Published, publish_pending, trigger_path
from badgekiln.store.base import Store

__all__ = [
    "QUEUE_ENV",
    "STALE_SECONDS",
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


class Notifier(Protocol):
    """Makes sure list ``number`` of issuer ``slug`` gets published after a change was stored."""

    def notify(self, store: Store, slug: str, number: int) -> None: ...


class InlinePublisher:
    """Publish in the caller's thread, coalescing the callers of one list in this process."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[Store, dict[tuple[str, int], threading.Lock]] = (
            weakref.WeakKeyDictionary()
        )
        self._guard = threading.Lock()

    def notify(self, store: Store, slug: str, number: int) -> None:
        """Raises: Conflict, StoreError, SigningError: as :func:`publish_pending`."""
        with self._guard:
            lock = self._locks.setdefault(store, {}).setdefault((slug, number), threading.Lock())
        with lock:
            publish_pending(store, slug, number)


class QueueNotifier:
    """Send the list to the publisher through an SQS FIFO queue, once per publish (see module)."""

    def __init__(self, queue_url: str, *, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    def _sqs(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs")
        return self._client

    def notify(self, store: Store, slug: str, number: int) -> None:
        """Raises: StoreError: the store or the queue failed (the change stays pending)."""
        due = trigger_path(slug, number)
        try:
            current = store.get(due)
        except NotFound:
            current = None
        if current is not None:
            stamp = load(current).get("at")
            if isinstance(stamp, int | float) and time.time() - stamp < STALE_SECONDS:
                return  # a publish is due already and will see this change
        body = dump({"at": time.time()})
        try:
            store.put(
                due,
                body,
                if_match=None if current is None else current.etag,
                if_none_match=current is None,
                **RECORD_HEADERS,
            )
        except Conflict:
            return  # another change made it due just now
        try:
            self._sqs().send_message(
                QueueUrl=self.queue_url,
                MessageBody=json.dumps({"issuer": slug, "list": number}),
                MessageGroupId=f"{slug}.{number}",
                MessageDeduplicationId=uuid.uuid4().hex,
            )
        except Exception as exc:  # botocore's errors: the change stays pending, due again at once
            try:
                store.delete(due)
            finally:
                raise StoreError(f"could not queue list {number} of {slug!r}: {exc}", reason="queue") from exc


_INLINE: Final = InlinePublisher()


def notifier(environ: Mapping[str, str] | None = None) -> Notifier:
    """The queue named by ``BADGEKILN_STATUS_QUEUE``, else publishing in-process."""
    import os

    url = (environ if environ is not None else os.environ).get(QUEUE_ENV)
    return QueueNotifier(url) if url else _INLINE


def publish_message(store: Store, body: str) -> Published:
    """Publish the list a queue message names (``{"issuer": slug, "list": n}``).

    Raises:
        InvalidField: the message is not such an object.
        NotFound: no such issuer.
        Conflict, StoreError, SigningError: as :func:`publish_pending` (the message is retried).
    """
    try:
        message = json.loads(body)
    except ValueError:
        message = None
    slug = message.get("issuer") if isinstance(message, dict) else None
    number = message.get("list") if isinstance(message, dict) else None
    if (
        not isinstance(slug, str)
        or not SLUG.fullmatch(slug)
        or not isinstance(number, int)
        or isinstance(number, bool)
        or not 0 <= number < 10**9
    ):
        raise InvalidField("a status message is {'issuer': slug, 'list': number}", field="message")
    return publish_pending(store, slug, number)
