"""The upload worker: SQS events carrying S3 notifications, Powertools partial batch responses.

The store is an S3 bucket in in-process moto; the uploaded file is written where the presigned
POST would put it (the real POST is exercised end to end in tests/e2e/test_flow_moto.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from worker import worker_handler

from badgekiln.errors import StoreError
from badgekiln.issue import uploads
from badgekiln.issue.uploads import get_upload, results_key, start_upload, upload_key
from badgekiln.store import LocalStore, S3Store, Store, open_store
from tests.aws_support import mocked_aws
from tests.integration.conftest import Context, load_event
from tests.integration.issuing import BADGE_SVG
from tests.issue_support import seed_acme

BUCKET = "badgekiln-bucket"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A moto bucket with issuer acme and achievement teamwork, named by BADGEKILN_STORE."""
    monkeypatch.setenv("BADGEKILN_STORE", f"s3://{BUCKET}")
    with mocked_aws(monkeypatch):
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        store = open_store(f"s3://{BUCKET}")
        seed_acme(store, BADGE_SVG)
        # the handler opens its own store per location and process: a fresh one for this bucket
        monkeypatch.setattr(worker_handler, "store", lambda: store)
        yield store


def uploaded(store: Store, body: bytes, fmt: str = "csv") -> str:
    upload = start_upload(store, "acme", {"achievement": "teamwork", "format": fmt})
    key = upload_key("acme", upload.id)
    store.put(key, body, content_type="text/csv")
    return key


def sqs(*keys: str, bucket: str = BUCKET) -> dict[str, Any]:
    event = load_event("worker-sqs.json")
    template = event["Records"][0]
    records = []
    for number, key in enumerate(keys):
        record = json.loads(json.dumps(template))
        notification = json.loads(record["body"])
        notification["Records"][0]["s3"]["object"]["key"] = key.replace(" ", "+")
        notification["Records"][0]["s3"]["bucket"]["name"] = bucket
        record["body"] = json.dumps(notification)
        record["messageId"] = f"message-{number}"
        records.append(record)
    event["Records"] = records
    return event


def test_uploaded_csv_is_issued_and_results_written_beside_it(s3: Store, context: Context) -> None:
    # GIVEN an upload of three rows, one of them bad
    key = uploaded(s3, b"recipient,name\nada@example.org,Ada\nnope,Bob\ngrace@example.org,Grace\n")
    # WHEN its S3 event arrives through SQS
    response = worker_handler.handler(sqs(key), context)
    # THEN nothing is retried, the job is done, and every row has a result
    assert response == {"batchItemFailures": []}
    upload_id = key.rsplit("/", 1)[1].removesuffix(".upload")
    job = get_upload(s3, "acme", upload_id)
    assert job["state"] == "done"
    assert job["summary"] == {"rows": 3, "issued": 2, "replayed": 0, "failed": 1}
    assert [f["line"] for f in job["failures"]] == [2]
    lines = [json.loads(line) for line in s3.get(results_key("acme", upload_id)).body.decode().splitlines()]
    assert [(r["line"], r["ok"]) for r in lines] == [(1, True), (2, False), (3, True)]
    # a redelivered event does not issue again
    assert worker_handler.handler(sqs(key), context) == {"batchItemFailures": []}
    assert get_upload(s3, "acme", upload_id)["summary"]["issued"] == 2


def test_a_file_unusable_as_a_whole_fails_its_job_not_the_message(s3: Store, context: Context) -> None:
    key = uploaded(s3, b"name\nAda\n")
    assert worker_handler.handler(sqs(key), context) == {"batchItemFailures": []}
    job = get_upload(s3, "acme", key.rsplit("/", 1)[1].removesuffix(".upload"))
    assert (job["state"], job["error"]["field"]) == ("failed", "columns")


def test_only_the_failed_message_is_reported(
    s3: Store, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN two uploads, the second of which meets a store outage
    good = uploaded(s3, b"recipient\nada@example.org\n")
    bad = uploaded(s3, b"recipient\nbob@example.org\n")
    real = uploads.process_upload

    def flaky(store: Store, key: str, **kwargs: Any) -> dict[str, Any]:
        if key == bad:
            raise StoreError("S3 is unreachable", reason="connection")
        return real(store, key, **kwargs)

    monkeypatch.setattr(uploads, "process_upload", flaky)
    # THEN only its message goes back to the queue (and, after maxReceiveCount, to the DLQ)
    assert worker_handler.handler(sqs(good, bad), context) == {
        "batchItemFailures": [{"itemIdentifier": "message-1"}]
    }


def test_rows_the_store_failed_send_the_message_back_until_its_last_delivery(
    s3: Store, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgekiln.issue import batch

    key = uploaded(s3, b"recipient\nada@example.org\n")
    monkeypatch.setattr(worker_handler, "WORKERS", 1)

    def throttled(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("S3 write failed: SlowDown", aws_code="SlowDown")

    monkeypatch.setattr(batch, "issue_credential", throttled)
    event = sqs(key)
    for delivery in (1, 2):  # S3 throttled the row past botocore's retries: the message comes back
        event["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(delivery)
        answer = worker_handler.handler(event, context)
        assert answer == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}
        assert get_upload(s3, *uploads.parse_upload_key(key))["state"] == "running"
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(worker_handler.LAST_DELIVERY)
    assert worker_handler.handler(event, context) == {"batchItemFailures": []}  # the last one records it
    job = get_upload(s3, *uploads.parse_upload_key(key))
    assert (job["state"], job["summary"]["failed"]) == ("done", 1)


def test_the_last_delivery_is_the_upload_queue_s_max_receive_count() -> None:
    template = (Path(__file__).resolve().parents[2] / "template.yaml").read_text("utf-8")
    queue = template.split("UploadQueue:", 1)[1].split("UploadDeadLetterQueue:", 1)[0]
    assert f"maxReceiveCount: {worker_handler.LAST_DELIVERY}" in queue


@pytest.mark.parametrize(
    "event",
    [
        sqs("private/uploads/acme/0123456789abcdef0123456789abcdef.upload", bucket="someone-elses-bucket"),
        sqs("private/uploads/acme/0123456789abcdef0123456789abcdef.results.jsonl"),
        sqs("public/issuers/acme/profile.json"),
        sqs("private/uploads/acme/not-an-id.upload"),
        sqs("private/uploads/acme/0123456789abcdef0123456789abcdef.upload"),  # no job: not made by the API
        {"Records": [{**load_event("worker-sqs.json")["Records"][0], "body": "not json"}]},
        {
            "Records": [
                {**load_event("worker-sqs.json")["Records"][0], "body": json.dumps({"Event": "s3:TestEvent"})}
            ]
        },
    ],
    ids=["other-bucket", "results-file", "public-object", "bad-id", "no-job", "not-json", "s3-test-event"],
)
def test_events_that_retrying_cannot_change_are_dropped(
    s3: Store, context: Context, event: dict[str, Any]
) -> None:
    assert worker_handler.handler(event, context) == {"batchItemFailures": []}


def test_the_store_names_its_own_objects_of_a_notification(tmp_path: Path) -> None:
    target = S3Store(BUCKET, "team/a", client=object())  # the client is never called
    assert target.key_of(BUCKET, "team/a/private/uploads/x.upload") == "private/uploads/x.upload"
    assert target.key_of(BUCKET, "team/b/private/uploads/x.upload") is None
    assert target.key_of("other", "team/a/private/uploads/x.upload") is None
    assert target.key_of(BUCKET, "team/a/../b/private/x") is None  # not a key
    assert LocalStore(tmp_path).key_of(BUCKET, "private/uploads/x.upload") is None  # no buckets
