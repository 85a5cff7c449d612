"""The status-list publisher: SQS FIFO messages naming a list whose changes are pending.

Each message is ``{"issuer": slug, "list": n}``, sent by
:class:`badgekiln.issue.statusqueue.QueueNotifier` when a revocation, suspension or
reinstatement made the list due, or by the previous tick of the list while changes keep coming.
The message group is the list, so one publish of a list runs at a time; each publishes every
change pending by then, signing each list once (:func:`badgekiln.issue.statusqueue.publish_message`).

Metrics: ``StatusChangesPublished``, and ``StatusListRebuilt`` (alarmed) when a hosted list was
not what badgekiln last published and was rebuilt from the credential records. What fails a
message (and is retried, then dead-lettered): the store or a signer failing. A malformed message
or an unknown issuer is logged and dropped: retrying cannot change it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

from badgekiln.errors import InvalidField, NotFound
from badgekiln.http import observability
from badgekiln.http.environment import store
from badgekiln.http.observability import end_invocation
from badgekiln.issue.statusqueue import QUEUE_ENV, QueueNotifier, notifier, publish_message

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

obs = observability("publisher")
# a failed message fails the rest of its batch too (they go back in order), as FIFO requires
processor = SqsFifoPartialProcessor()
processor.raise_on_entire_batch_failure = False  # report every failed message instead of raising


def record_handler(record: SQSRecord) -> None:
    """Publish the list one message names.

    Raises:
        Conflict, StoreError, SigningError: transient: the message goes back to the queue.
    """
    queue = notifier()
    if not isinstance(queue, QueueNotifier):
        raise RuntimeError(f"{QUEUE_ENV} is not set: the publisher queues each list's next tick")
    try:
        published = publish_message(store(), record.body, queue)
    except (InvalidField, NotFound) as exc:
        obs.logger.warning(
            "dropped a status message", extra={"message_id": record.message_id, "error": exc.message}
        )
        return
    details = {"issuer": published.issuer, "list": published.number, "changes": published.changes}
    obs.logger.info("status list published", extra={**details, "written": list(published.written)})
    obs.count("StatusChangesPublished", published.changes)
    if published.rebuilt:
        obs.logger.error(
            "status list was not what badgekiln last published: rebuilt from the records",
            extra={**details, "rebuilt": [f"{purpose}: {why}" for purpose, why in published.rebuilt]},
        )
        obs.count("StatusListRebuilt", len(published.rebuilt))


@obs.logger.inject_lambda_context(clear_state=True, log_event=False)  # the event holds recipients
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        end_invocation(obs)
