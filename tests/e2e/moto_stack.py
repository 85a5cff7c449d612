"""The deployed shape on a laptop: ``moto_server`` (S3 + SQS) on loopback and ``badgekiln serve``
over ``BADGEKILN_STORE=s3://…``, wired like template.yaml (bucket notification → upload queue
with a dead-letter queue). Import ``stack_fixture`` to use it; it is shared by a test module.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from badgekiln.issue import create_api_key
from badgekiln.store import open_store
from badgekiln_server.serve import LocalServer, make_server
from tests.aws_support import REGION, fake_aws, moto_server

REPO = Path(__file__).resolve().parent.parent.parent
BUCKET = "badgekiln-e2e"


@dataclass
class Stack:
    """What the tests talk to."""

    api: str
    server: LocalServer
    admin_token: str
    queue_url: str
    dead_letter_url: str

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.api + path, headers=headers, timeout=60, **kwargs)

    def run_worker(self) -> dict[str, Any]:
        """Deliver the queued S3 events to the worker as Lambda's SQS poller does; its answer."""
        import boto3

        sqs = boto3.client("sqs")
        messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:uploads",
                "awsRegion": "us-east-1",
            }
            for m in messages.get("Messages", [])
        ]
        if not records:  # Lambda's poller never invokes with an empty batch
            return {"records": 0, "batchItemFailures": []}
        worker = self.server.gateway.functions["WorkerFunction"]
        result: dict[str, Any] = worker.invoke({"Records": records}, "worker-run")
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for record in records:
            if record["messageId"] not in failed:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])
        return {"records": len(records), **result}


@pytest.fixture(scope="module", name="stack")
def stack_fixture() -> Iterator[Stack]:
    with moto_server() as endpoint, pytest.MonkeyPatch.context() as monkeypatch:
        fake_aws(monkeypatch, endpoint)
        monkeypatch.setenv("AWS_REGION", REGION)
        monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        yield from _stack()


def _stack() -> Iterator[Stack]:
    """The bucket and queues as template.yaml makes them, and the server over them."""
    import boto3

    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket=BUCKET)
    dead = sqs.create_queue(QueueName="uploads-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName="uploads",
        Attributes={
            "VisibilityTimeout": "5400",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "3"}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    # as template.yaml's NotificationConfiguration
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [
                                {"Name": "prefix", "Value": "private/uploads/"},
                                {"Name": "suffix", "Value": ".upload"},
                            ]
                        }
                    },
                }
            ]
        },
    )
    sqs.purge_queue(QueueUrl=queue)  # S3's s3:TestEvent
    store_url = f"s3://{BUCKET}"
    # the first admin key, as an operator would make it (every other call goes over HTTP)
    token, _ = create_api_key(open_store(store_url), admin=True, label="e2e")
    server = make_server(REPO / "template.yaml", port=0, store=store_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Stack(server.url, server, token, queue, dead)
    finally:
        server.shutdown()
        server.server_close()
