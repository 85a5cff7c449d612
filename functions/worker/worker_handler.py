"""The upload worker: S3 ``ObjectCreated`` events for ``private/uploads/…/<id>.upload``, via SQS.

Each SQS message is one S3 event notification (``{"Records": [...]}``); each record names one
uploaded batch file, which :func:`badgekiln.issue.uploads.process_upload` issues row by row,
writing the results beside the upload. Powertools' ``BatchProcessor`` reports the messages that
failed (``ReportBatchItemFailures``): only those return to the queue, and after
``maxReceiveCount`` deliveries they move to the dead-letter queue.

What fails a message (and is retried): the store or a signer failing. What does not: S3's
``s3:TestEvent``, records of another bucket or outside the uploads prefix (logged and dropped:
retrying cannot change them), and files that are unusable as a whole (the job ends ``failed``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from badgekiln.errors import InvalidField, NotFound
from badgekiln.http import observability
from badgekiln.http.environment import store
from badgekiln.issue.uploads import UPLOAD_SUFFIX, process_upload

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from badgekiln.store.base import Store

obs = observability("worker")
# every failed message is reported, even when all of them failed (instead of raising)
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

#: Rows issued at once per upload: issuing waits on S3 and KMS, not on the CPU.
WORKERS: Final = 8
#: S3 event records looked at per message (S3 sends one; anything else is not S3's).
MAX_RECORDS: Final = 10


def store_key(target: Store, bucket: str, object_key: str) -> str | None:
    """The store key of an S3 object of ``target``'s bucket, or ``None`` if it is not ours."""
    if getattr(target, "bucket", None) != bucket:
        return None
    prefix = getattr(target, "prefix", "") or ""
    root = prefix.rstrip("/") + "/" if prefix else ""
    if not object_key.startswith(root):
        return None
    return object_key[len(root) :]


def _uploads(message: Any) -> list[tuple[str, str]]:
    """``(bucket, key)`` of each ObjectCreated record in an S3 notification (keys unquoted)."""
    records = message.get("Records") if isinstance(message, dict) else None
    if not isinstance(records, list):
        return []
    found = []
    for record in records[:MAX_RECORDS]:
        if not isinstance(record, dict) or not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        s3 = record.get("s3") or {}
        bucket = (s3.get("bucket") or {}).get("name")
        key = (s3.get("object") or {}).get("key")
        if isinstance(bucket, str) and isinstance(key, str):
            # S3 URL-encodes keys in notifications (a space is "+")
            found.append((bucket, unquote_plus(key)))
    return found


def record_handler(record: SQSRecord) -> None:
    """Process every upload one SQS message names.

    Raises:
        StoreError, SigningError: transient: the message goes back to the queue.
    """
    try:
        message = json.loads(record.body)
    except ValueError:
        obs.logger.warning("dropped a message that is not JSON", extra={"message_id": record.message_id})
        return
    target = store()
    for bucket, object_key in _uploads(message):
        key = store_key(target, bucket, object_key)
        if key is None or not key.endswith(UPLOAD_SUFFIX):
            obs.logger.warning(
                "dropped an event for another object", extra={"bucket": bucket, "key": object_key}
            )
            continue
        try:
            job = process_upload(target, key, workers=WORKERS)
        except (InvalidField, NotFound) as exc:
            # not an upload made through the API (no job): retrying cannot change that
            obs.logger.warning(
                "dropped an event for a stray object", extra={"key": key, "error": exc.message}
            )
            continue
        summary = job.get("summary") or {}
        obs.logger.info("upload processed", extra={"key": key, "state": job.get("state"), "summary": summary})
        if isinstance(summary.get("issued"), int) and summary["issued"]:
            obs.count("BadgesIssued", summary["issued"])


@obs.logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return process_partial_response(  # type: ignore[return-value]  # a TypedDict of that dict
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        if obs.metrics.metric_set:
            obs.metrics.flush_metrics()
