"""Revocation at scale: durable per-credential changes, coalesced publishing, tampered lists rebuilt.

* in-process (LocalStore, ``badgekiln serve``, the CLI): the hosted list shows a change when
  ``revoke`` returns; concurrent callers of one list coalesce;
* through an SQS FIFO queue (moto): one message per publish, not per change; the publisher
  signs each list once with every pending change;
* a hosted list that is not what badgekiln last published (garbage, an older list the issuer
  signed, deleted) is never re-signed: it is rebuilt from the credential records, and reported.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badgekiln.hosting import layout as paths
from badgekiln.issue import create_achievement, create_issuer, issue_credential, reinstate, revoke, suspend
from badgekiln.issue.credentials import Issued
from badgekiln.issue.statuslists import pending_prefix, publish_pending, trigger_path
from badgekiln.issue.statusqueue import QueueNotifier, notifier, publish_message
from badgekiln.status import StatusBitstring
from badgekiln.store import LocalStore, Store
from badgekiln.verification import verify
from tests.aws_support import mocked_aws
from tests.issue_support import public_documents, small_png

PUBLIC_URL = "https://badges.example.org"
LIST = paths.status_list("acme", 0, "revocation").key
SUSPENSION = paths.status_list("acme", 0, "suspension").key


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(str(tmp_path))
    data = {"name": "Acme", "url": "https://acme.example", "slug": "acme", "suspension": True}
    create_issuer(store, PUBLIC_URL, data)
    achievement = {"name": "Teamwork", "slug": "teamwork", "description": "d", "criteria": "c"}
    create_achievement(store, "acme", achievement, small_png())
    return store


def _issue(store: Store, n: int = 0) -> Issued:
    return issue_credential(store, "acme", {"achievement": "teamwork", "recipient": f"r{n}@example.org"})


def _index(issued: Issued) -> int:
    assert isinstance(issued.credential, dict)
    return int(issued.credential["credentialStatus"][0]["statusListIndex"])


def _bits(store: Store, key: str = LIST) -> StatusBitstring:
    return StatusBitstring.decode(json.loads(store.get(key).body)["credentialSubject"]["encodedList"])


def _verifies(store: Store, issued: Issued) -> bool:
    assert issued.image is not None
    report = verify(issued.image, documents=public_documents(store, PUBLIC_URL), offline=True)
    failed = {check.id for check in report.failures}
    assert failed <= {"status"}, failed  # the lists are always validly signed by the issuer
    return report.valid


# --- in-process ------------------------------------------------------------------------------------


def test_a_revocation_is_published_when_revoke_returns(store: LocalStore) -> None:
    issued = _issue(store)
    assert _verifies(store, issued)
    assert revoke(store, "acme", issued.id, reason="fraud")["state"] == "revoked"
    assert _bits(store).get(_index(issued)) == 1
    assert not _verifies(store, issued)
    assert list(store.list(pending_prefix("acme", 0))) == []  # nothing left pending


def test_suspend_reinstate_and_revoke_move_both_lists(store: LocalStore) -> None:
    issued = _issue(store)
    index = _index(issued)
    suspend(store, "acme", issued.id, reason="review")
    assert (_bits(store).get(index), _bits(store, SUSPENSION).get(index)) == (0, 1)
    reinstate(store, "acme", issued.id)
    assert (_bits(store).get(index), _bits(store, SUSPENSION).get(index)) == (0, 0)
    assert _verifies(store, issued)
    suspend(store, "acme", issued.id)
    revoke(store, "acme", issued.id)
    assert (_bits(store).get(index), _bits(store, SUSPENSION).get(index)) == (1, 0)


def test_revoking_again_keeps_the_first_reason_unless_a_new_one_is_given(store: LocalStore) -> None:
    issued = _issue(store)
    assert revoke(store, "acme", issued.id, reason="issued in error")["reason"] == "issued in error"
    assert revoke(store, "acme", issued.id)["reason"] == "issued in error"
    assert revoke(store, "acme", issued.id, reason="fraud")["reason"] == "fraud"
    other = _issue(store, 1)
    suspend(store, "acme", other.id, reason="review")
    assert suspend(store, "acme", other.id)["reason"] == "review"
    assert revoke(store, "acme", other.id)["reason"] is None  # a new state: no reason carried over


def test_a_repeated_change_signs_nothing_new(store: LocalStore) -> None:
    issued = _issue(store)
    revoke(store, "acme", issued.id)
    before = store.get(LIST).etag
    revoke(store, "acme", issued.id)
    assert store.get(LIST).etag == before


def test_concurrent_revocations_in_one_process_coalesce(store: LocalStore) -> None:
    issued = [_issue(store, n) for n in range(24)]
    signed: list[int] = []
    original = store.put

    def counting_put(key: str, body: bytes, **kwargs: Any) -> str:
        if key == LIST:
            signed.append(1)
        return original(key, body, **kwargs)

    store.put = counting_put  # type: ignore[method-assign]
    barrier = threading.Barrier(24)

    def one(credential: Issued) -> None:
        barrier.wait()
        revoke(store, "acme", credential.id)

    threads = [threading.Thread(target=one, args=(c,)) for c in issued]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bits = _bits(store)
    assert all(bits.get(_index(c)) for c in issued)
    assert len(signed) < 24  # callers waiting on the list's lock find their change published


# --- tampered lists ------------------------------------------------------------------------------------


def _tamper_cases(store: Store, older: bytes) -> dict[str, Any]:
    return {
        "rolled-back": older,  # a list the issuer really signed, from before the revocation
        "garbage": b'{"not": "a list"}',
        "cleared-unsigned": json.dumps(
            {**json.loads(older), "proof": {"type": "DataIntegrityProof", "proofValue": "z1"}}
        ).encode(),
    }


@pytest.mark.parametrize("case", ["rolled-back", "garbage", "cleared-unsigned", "deleted"])
def test_a_tampered_list_is_rebuilt_from_the_records_not_re_signed(
    store: LocalStore, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN two revoked credentials and a third one active
    first, second, third, fourth = (_issue(store, n) for n in range(4))
    older = store.get(LIST).body
    revoke(store, "acme", first.id)
    suspend(store, "acme", fourth.id)
    revoke(store, "acme", second.id)
    # WHEN someone who can write public/ replaces the list (clearing both revocations)
    hosted = paths.status_list("acme", 0, "revocation")
    if case == "deleted":
        store.delete(LIST)
    else:
        store.put(LIST, _tamper_cases(store, older)[case], content_type=hosted.content_type)
    # AND the issuer's next revocation runs
    with caplog.at_level(logging.WARNING, logger="badgekiln.issue.statuslists"):
        revoke(store, "acme", third.id)
    # THEN the cleared bits were not re-signed: the list says what the records say
    bits = _bits(store)
    assert [bits.get(_index(c)) for c in (first, second, third, fourth)] == [1, 1, 1, 0]
    assert sum(bits.get(i) for i in range(len(bits))) == 3
    assert not any(_verifies(store, c) for c in (first, second, third, fourth))  # fourth: suspended
    # AND the event is logged
    reason = "missing" if case == "deleted" else "modified"
    assert f"is not what badgekiln last published ({reason})" in caplog.text


def test_publish_reports_the_rebuild(store: LocalStore) -> None:
    issued = _issue(store)
    revoke(store, "acme", issued.id)
    store.put(LIST, b"{}", content_type="application/ld+json")
    published = publish_pending(store, "acme", 0)
    assert published.rebuilt == (("revocation", "modified"),)
    assert published.written == ("revocation",)
    assert publish_pending(store, "acme", 0).rebuilt == ()  # trusted again from now on
    assert _bits(store).get(_index(issued)) == 1


def test_a_list_without_its_private_copy_is_rebuilt(store: LocalStore) -> None:
    # lists published before this scheme have no private copy: the first publish rebuilds them
    issued = _issue(store)
    revoke(store, "acme", issued.id)
    store.delete("private/issuers/acme/status/0/revocation.json")
    assert publish_pending(store, "acme", 0).rebuilt == (("revocation", "no-copy"),)
    assert _bits(store).get(_index(issued)) == 1


# --- through the queue (moto SQS FIFO) ----------------------------------------------------------------


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    import boto3

    with mocked_aws(monkeypatch):
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="status.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        yield sqs, url


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
        "Messages", []
    )
    return messages


def test_one_message_per_publish_not_per_change(store: LocalStore, queue: tuple[Any, str]) -> None:
    sqs, url = queue
    via_queue = QueueNotifier(url, client=sqs)
    issued = [_issue(store, n) for n in range(5)]
    # WHEN five revocations land before the publisher runs
    for credential in issued:
        assert revoke(store, "acme", credential.id, notify=via_queue)["state"] == "revoked"
    # THEN they are durable (records and pending changes), one message is queued, nothing is published yet
    assert len(list(store.list(pending_prefix("acme", 0)))) == 5
    messages = _receive(sqs, url)
    assert len(messages) == 1
    assert _bits(store).get(_index(issued[0])) == 0
    # WHEN the publisher handles it  THEN one signature publishes all five
    published = publish_message(store, messages[0]["Body"])
    assert (published.changes, published.written) == (5, ("revocation",))  # suspension: unchanged
    assert all(_bits(store).get(_index(c)) for c in issued)
    assert list(store.list(pending_prefix("acme", 0))) == []
    # AND the next change queues the next publish, delivered once this one is done (FIFO group)
    revoke(store, "acme", _issue(store, 9).id, notify=via_queue)
    assert _receive(sqs, url) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    assert len(_receive(sqs, url)) == 1


def test_a_due_list_whose_message_was_lost_is_sent_again(
    store: LocalStore, queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgekiln.issue import statusqueue

    sqs, url = queue
    via_queue = QueueNotifier(url, client=sqs)
    revoke(store, "acme", _issue(store).id, notify=via_queue)
    sqs.purge_queue(QueueUrl=url)  # the message is lost
    revoke(store, "acme", _issue(store, 1).id, notify=via_queue)
    assert _receive(sqs, url) == []  # due already: nothing sent
    monkeypatch.setattr(statusqueue, "STALE_SECONDS", 0.0)
    revoke(store, "acme", _issue(store, 2).id, notify=via_queue)
    messages = _receive(sqs, url)
    assert len(messages) == 1
    assert publish_message(store, messages[0]["Body"]).changes == 3


def test_a_queue_failure_leaves_the_change_pending_and_due_again(store: LocalStore) -> None:
    class Broken:
        def send_message(self, **_: Any) -> None:
            raise RuntimeError("queue unavailable")

    from badgekiln.errors import StoreError

    issued = _issue(store)
    with pytest.raises(StoreError) as caught:
        revoke(store, "acme", issued.id, notify=QueueNotifier("https://queue.example", client=Broken()))
    assert caught.value.reason == "queue"
    assert len(list(store.list(pending_prefix("acme", 0)))) == 1  # durable
    with pytest.raises(Exception):  # noqa: B017
        store.head(trigger_path("acme", 0))  # not due: the retry (or the next change) sends again
    revoke(store, "acme", issued.id)  # retried in-process
    assert _bits(store).get(_index(issued)) == 1


@pytest.mark.parametrize(
    "body",
    ["", "[]", '{"issuer": "acme"}', '{"issuer": "ACME", "list": 0}', '{"issuer": "acme", "list": true}'],
)
def test_a_malformed_message_is_invalid(store: LocalStore, body: str) -> None:
    from badgekiln.errors import InvalidField

    with pytest.raises(InvalidField):
        publish_message(store, body)


def test_the_queue_is_chosen_by_the_environment() -> None:
    chosen = notifier({"BADGEKILN_STATUS_QUEUE": "https://sqs.example/1/status.fifo"})
    assert isinstance(chosen, QueueNotifier)
    assert chosen.queue_url == "https://sqs.example/1/status.fifo"
    assert not isinstance(notifier({}), QueueNotifier)
    # `badgekiln serve` blanks the template's queue: local revocations are published in-process
    from badgekiln_server.serve import serve_environment

    assert not isinstance(notifier(serve_environment("/tmp/store", PUBLIC_URL)), QueueNotifier)


def test_publishing_is_timely_under_a_steady_stream(store: LocalStore, queue: tuple[Any, str]) -> None:
    """A publisher loop draining the queue while revocations keep coming: every change lands."""
    sqs, url = queue
    via_queue = QueueNotifier(url, client=sqs)
    issued = [_issue(store, n) for n in range(12)]
    stop = threading.Event()
    ticks: list[int] = []

    def publisher() -> None:
        while not stop.is_set():
            for message in _receive(sqs, url):
                ticks.append(publish_message(store, message["Body"]).changes)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            time.sleep(0.01)

    thread = threading.Thread(target=publisher)
    thread.start()
    try:
        for credential in issued:
            revoke(store, "acme", credential.id, notify=via_queue)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(_bits(store).get(_index(c)) for c in issued):
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    assert all(_bits(store).get(_index(c)) for c in issued)
    assert sum(ticks) >= 12
