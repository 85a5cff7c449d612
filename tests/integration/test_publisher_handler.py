"""The status-list publisher: SQS FIFO events naming lists with pending changes (moto S3 and SQS).

Revocations go through the issue side's queue notifier into a moto FIFO queue; the messages it
receives become the publisher's event, as the event source mapping would deliver them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from publisher import publisher_handler

from badgekiln.hosting import layout as paths
from badgekiln.issue import issue_credential, revoke
from badgekiln.issue.statuslists import pending_prefix
from badgekiln.issue.statusqueue import QueueNotifier
from badgekiln.status import StatusBitstring
from badgekiln.store import Store, Write, open_store
from tests.aws_support import mocked_aws
from tests.integration.conftest import Context, load_event
from tests.issue_support import seed_acme

BUCKET = "badgekiln-bucket"
LIST = paths.status_list("acme", 0, "revocation").key


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, Any, str]]:
    """A moto bucket with issuer acme, a FIFO status queue, and the handler's store pointed at both."""
    monkeypatch.setenv("BADGEKILN_STORE", f"s3://{BUCKET}")
    with mocked_aws(monkeypatch):
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="status.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        store = open_store(f"s3://{BUCKET}")
        # moto in-process checks a write's condition and stores it in two steps, so concurrent
        # create-only writes can both win, as they never do on S3: serialise them here (the
        # moto server of the e2e tests does the same, tests.aws_support.atomic_writes)
        lock, put = threading.Lock(), store._put

        def atomic(write: Write) -> str:
            with lock:
                return put(write)

        monkeypatch.setattr(store, "_put", atomic)
        seed_acme(store)
        monkeypatch.setattr(publisher_handler, "store", lambda: store)
        monkeypatch.setattr(publisher_handler, "notifier", lambda: QueueNotifier(url, client=sqs))
        yield store, sqs, url


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []

    def count(self: object, name: str, value: int = 1, **dims: str) -> None:
        if name != "ColdStart":
            seen.append((name, value))

    monkeypatch.setattr(publisher_handler.obs.__class__, "count", count)
    return seen


def _event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    event = load_event("publisher-sqs.json")
    template = event["Records"][0]
    event["Records"] = [
        {**template, "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
        for m in messages
    ]
    return event


def _bits(store: Store) -> StatusBitstring:
    return StatusBitstring.decode(json.loads(store.get(LIST).body)["credentialSubject"]["encodedList"])


def _index(credential: Any) -> int:
    return int(credential.credential["credentialStatus"]["statusListIndex"])


def test_concurrent_revocations_are_published_by_one_message(
    aws: tuple[Store, Any, str], counted: list[tuple[str, int]]
) -> None:
    store, sqs, url = aws
    issued = [
        issue_credential(store, "acme", {"achievement": "teamwork", "recipient": f"r{n}@example.org"})
        for n in range(40)
    ]
    notify = QueueNotifier(url, client=sqs)
    barrier = threading.Barrier(40)

    def one(n: int) -> None:
        barrier.wait()  # all at once, from 40 threads
        revoke(store, "acme", issued[n].id, notify=notify)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1  # one publish due, however many changes
    assert publisher_handler.handler(_event(messages), Context()) == {"batchItemFailures": []}
    bits = _bits(store)
    assert all(bits.get(_index(c)) for c in issued)
    assert sum(bits.get(i) for i in range(len(bits))) == 40
    assert list(store.list(pending_prefix("acme", 0))) == []
    assert counted == [("StatusChangesPublished", 40)]


def test_a_tampered_list_is_rebuilt_and_counted(
    aws: tuple[Store, Any, str],
    counted: list[tuple[str, int]],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, sqs, url = aws
    first, second = (
        issue_credential(store, "acme", {"achievement": "teamwork", "recipient": f"r{n}@example.org"})
        for n in range(2)
    )
    revoke(store, "acme", first.id)  # in-process
    cleared = store.get(LIST)
    hosted = paths.status_list("acme", 0, "revocation")
    document = json.loads(cleared.body)
    document["credentialSubject"]["encodedList"] = StatusBitstring().encode()
    store.put(LIST, json.dumps(document).encode(), content_type=hosted.content_type)
    revoke(store, "acme", second.id, notify=QueueNotifier(url, client=sqs))
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert publisher_handler.handler(_event(messages), Context()) == {"batchItemFailures": []}
    bits = _bits(store)
    assert (bits.get(_index(first)), bits.get(_index(second))) == (1, 1)
    assert counted == [("StatusChangesPublished", 1), ("StatusListRebuilt", 1)]
    assert "rebuilt from the records" in capsys.readouterr().out + caplog.text  # the error log line


@pytest.mark.parametrize("body", ["not json", '{"issuer": "nobody", "list": 0}'])
def test_a_message_retrying_cannot_help_is_dropped(aws: tuple[Store, Any, str], body: str) -> None:
    event = load_event("publisher-sqs.json")
    event["Records"][0]["body"] = body
    assert publisher_handler.handler(event, Context()) == {"batchItemFailures": []}


def test_a_store_failure_sends_the_message_back(
    aws: tuple[Store, Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgekiln.errors import StoreError

    def broken(store: Store, body: str, queue: QueueNotifier) -> None:
        raise StoreError("S3 is down", reason="connection")

    monkeypatch.setattr(publisher_handler, "publish_message", broken)
    event = load_event("publisher-sqs.json")
    answer = publisher_handler.handler(event, Context())
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


def test_without_its_queue_the_publisher_fails_every_message(
    aws: tuple[Store, Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a deployment error: the publisher needs the queue to schedule a list's next tick
    from badgekiln.issue.statusqueue import notifier

    monkeypatch.setattr(publisher_handler, "notifier", lambda: notifier({}))
    event = load_event("publisher-sqs.json")
    answer = publisher_handler.handler(event, Context())
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
