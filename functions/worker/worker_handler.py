"""The upload worker: S3 ``ObjectCreated`` events for ``private/uploads/…/<id>.upload``, via SQS.

Each SQS message is one S3 event notification; :func:`badgekiln.issue.uploads.process_notification`
issues the uploads it names, row by row, writing the results beside each upload. Powertools'
``BatchProcessor`` reports the messages that failed (``ReportBatchItemFailures``): only those
return to the queue, and after ``maxReceiveCount`` deliveries they move to the dead-letter queue.

What fails a message (and is retried): the store or a signer failing, for the upload or for
some of its rows (until the last delivery, :data:`LAST_DELIVERY`, which records such rows as
failed). What does not: what retrying cannot change (logged and dropped), and files unusable as
a whole (the job ends ``failed``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from badgekiln.http import observability
from badgekiln.http.environment import store
from badgekiln.http.observability import end_invocation
from badgekiln.issue.uploads import process_notification

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

obs = observability("worker")
# every failed message is reported, even when all of them failed (instead of raising)
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

#: Rows issued at once per upload: issuing waits on S3 and KMS, not on the CPU.
WORKERS: Final = 8
#: The upload queue's maxReceiveCount (template.yaml): the delivery that finishes a job even
#: with rows the store or a signer failed (after it the message would go to the dead-letter queue).
LAST_DELIVERY: Final = 3


def record_handler(record: SQSRecord) -> None:
    """Process every upload one SQS message names.

    Raises:
        StoreError, SigningError: transient: the message goes back to the queue.
    """
    last = int(record.attributes.approximate_receive_count or 1) >= LAST_DELIVERY
    for outcome in process_notification(store(), record.body, workers=WORKERS, last=last):
        where = {"message_id": record.message_id, "bucket": outcome.bucket, "key": outcome.name}
        if outcome.job is None:
            obs.logger.warning(f"dropped {outcome.dropped}", extra=where)
            continue
        summary = outcome.job.get("summary") or {}
        obs.logger.info(
            "upload processed", extra={**where, "state": outcome.job.get("state"), "summary": summary}
        )
        if isinstance(summary.get("issued"), int) and summary["issued"]:
            obs.count("BadgesIssued", summary["issued"])


@obs.logger.inject_lambda_context(clear_state=True, log_event=False)  # the event holds recipients
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        end_invocation(obs)
