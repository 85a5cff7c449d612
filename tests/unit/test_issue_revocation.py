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

from badgekiln.errors import NotFound
from badgekiln.hosting import layout as paths
from badgekiln.issue import create_achievement, create_issuer, issue_credential, reinstate, revoke, suspend
from badgekiln.issue.credentials import Issued
from badgekiln.issue.statuslists import OB2, Published, pending_prefix, publish_pending, trigger_path
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


# --- OB 2.0: the RevocationList -------------------------------------------------------------------------

OB2_LIST = paths.ob2_revocation_list("acme").key


def _issue_ob2(store: Store, n: int = 0, *, signed: bool = False) -> Issued:
    request = {"achievement": "teamwork", "recipient": f"o{n}@example.org", "spec": "ob2", "signed": signed}
    return issue_credential(store, "acme", request)


def _ob2_entries(store: Store) -> list[Any]:
    entries: list[Any] = json.loads(store.get(OB2_LIST).body)["revokedAssertions"]
    return entries


def test_ob2_changes_coalesce_into_one_revocation_list_write(
    store: LocalStore, queue: tuple[Any, str]
) -> None:
    sqs, url = queue
    via_queue = QueueNotifier(url, client=sqs)
    hosted, signed = _issue_ob2(store, 0), _issue_ob2(store, 1, signed=True)
    paused, lifted = _issue_ob2(store, 2), _issue_ob2(store, 3)
    suspend(store, "acme", lifted.id)  # in-process: listed already
    before = store.get(OB2_LIST).etag
    # WHEN four changes land through the queue
    revoke(store, "acme", hosted.id, reason="fraud", notify=via_queue)
    revoke(store, "acme", signed.id, notify=via_queue)
    suspend(store, "acme", paused.id, reason="review", notify=via_queue)
    reinstate(store, "acme", lifted.id, notify=via_queue)
    # THEN they are durable and pending, the list is untouched, one message names it
    assert len(list(store.list(pending_prefix("acme", OB2)))) == 4
    assert store.get(OB2_LIST).etag == before
    messages = _receive(sqs, url)
    assert [json.loads(m["Body"]) for m in messages] == [{"issuer": "acme", "list": "ob2"}]
    # AND the hosted assertion answers at once (it is the credential's own object)
    assert json.loads(store.get(paths.assertion("acme", hosted.name).key).body)["revoked"] is True
    # WHEN the publisher handles it  THEN one write applies all four, reasons as the records say
    published = publish_message(store, messages[0]["Body"], via_queue)
    assert (published.number, published.changes, published.written, published.rebuilt) == (
        "ob2", 4, ("revocation",), ()
    )  # fmt: skip
    assert sorted(_ob2_entries(store), key=lambda e: e["id"]) == sorted(
        [
            {"id": hosted.id, "revocationReason": "fraud"},
            {"id": signed.id},
            {"id": paused.id, "revocationReason": "Suspended: review"},
        ],
        key=lambda e: e["id"],
    )
    assert list(store.list(pending_prefix("acme", OB2))) == []


def test_ob2_revocation_in_process_and_the_newest_state_wins(store: LocalStore) -> None:
    issued = _issue_ob2(store)
    revoke(store, "acme", issued.id, reason="error")
    assert _ob2_entries(store) == [{"id": issued.id, "revocationReason": "error"}]
    reinstate(store, "acme", issued.id)
    assert _ob2_entries(store) == []
    # two changes pending at once (the publisher lagging): the record's state now is published
    record_path = f"private/issuers/acme/credentials/{issued.name}.json"
    suspend(store, "acme", issued.id, notify=_Silent())
    revoke(store, "acme", issued.id, reason="fraud", notify=_Silent())
    assert len(list(store.list(pending_prefix("acme", OB2)))) == 2
    assert json.loads(store.get(record_path).body)["state"] == "revoked"
    assert publish_pending(store, "acme", OB2).changes == 1  # one credential
    assert _ob2_entries(store) == [{"id": issued.id, "revocationReason": "fraud"}]


class _Silent:
    """A notifier that publishes nothing (the publisher is late)."""

    def notify(self, store: Store, slug: str, number: Any, *, again: bool = False) -> None:
        pass


@pytest.mark.parametrize("case", ["emptied", "garbage", "deleted", "no-copy"])
def test_a_tampered_ob2_list_is_rebuilt_from_the_records(
    store: LocalStore, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    first, second, third = (_issue_ob2(store, n) for n in range(3))
    revoke(store, "acme", first.id, reason="fraud")
    suspend(store, "acme", second.id)
    hosted = paths.ob2_revocation_list("acme")
    if case == "deleted":
        store.delete(OB2_LIST)
    elif case == "no-copy":  # an issuer from before this scheme
        store.delete("private/issuers/acme/ob2/revocations.json")
    else:
        document = json.loads(store.get(OB2_LIST).body)
        tampered = {**document, "revokedAssertions": []} if case == "emptied" else {"not": "a list"}
        store.put(OB2_LIST, json.dumps(tampered).encode(), content_type=hosted.content_type)
    with caplog.at_level(logging.WARNING, logger="badgekiln.issue.statuslists"):
        revoke(store, "acme", third.id, notify=_Silent())
        published = publish_pending(store, "acme", OB2)
    why = {"emptied": "modified", "garbage": "modified", "deleted": "missing", "no-copy": "no-copy"}[case]
    assert published.rebuilt == (("revocation", why),)
    assert sorted(_ob2_entries(store), key=lambda e: e["id"]) == sorted(
        [{"id": first.id, "revocationReason": "fraud"}, {"id": second.id, "revocationReason": "Suspended"},
         {"id": third.id}],
        key=lambda e: e["id"],
    )  # fmt: skip
    assert f"is not what badgekiln last published ({why})" in caplog.text
    assert publish_pending(store, "acme", OB2).rebuilt == ()  # trusted again from now on


def test_a_new_issuer_s_ob2_list_is_trusted_from_the_start(store: LocalStore) -> None:
    issued = _issue_ob2(store)
    revoke(store, "acme", issued.id, notify=_Silent())
    assert publish_pending(store, "acme", OB2).rebuilt == ()


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
    # WHEN the publisher handles it  THEN one signature publishes all five, and a second tick
    # finds nothing more: the list goes quiet (no longer due, nothing queued)
    published = publish_message(store, messages[0]["Body"], via_queue)
    assert (published.changes, published.written, published.ticks) == (5, ("revocation",), 2)
    assert all(_bits(store).get(_index(c)) for c in issued)
    assert list(store.list(pending_prefix("acme", 0))) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    assert _receive(sqs, url) == []
    with pytest.raises(NotFound):
        store.head(trigger_path("acme", 0))
    # AND the next change makes it due again
    revoke(store, "acme", _issue(store, 9).id, notify=via_queue)
    assert len(_receive(sqs, url)) == 1


def test_a_busy_list_hands_over_to_the_next_message(
    store: LocalStore, queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgekiln.issue import statusqueue

    monkeypatch.setattr(statusqueue, "TICKS_SECONDS", 0.0)  # every message's time is up after one tick
    sqs, url = queue
    via_queue = QueueNotifier(url, client=sqs)
    revoke(store, "acme", _issue(store).id, notify=via_queue)
    first = _receive(sqs, url)
    assert publish_message(store, first[0]["Body"], via_queue).changes == 1
    # changes were flowing: the list stays due, the publisher queued the next message itself
    # (delivered once this one is done: FIFO group), so a change meanwhile only reads the due object
    store.head(trigger_path("acme", 0))
    latecomer = _issue(store, 9)
    revoke(store, "acme", latecomer.id, notify=via_queue)
    assert _receive(sqs, url) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    follow = _receive(sqs, url)
    assert len(follow) == 1
    assert publish_message(store, follow[0]["Body"], via_queue).changes == 1
    assert _bits(store).get(_index(latecomer)) == 1
    # the message after that finds nothing: the list goes quiet
    sqs.delete_message(QueueUrl=url, ReceiptHandle=follow[0]["ReceiptHandle"])
    last = _receive(sqs, url)
    assert publish_message(store, last[0]["Body"], via_queue).changes == 0
    sqs.delete_message(QueueUrl=url, ReceiptHandle=last[0]["ReceiptHandle"])
    assert _receive(sqs, url) == []
    with pytest.raises(NotFound):
        store.head(trigger_path("acme", 0))


def test_a_change_landing_as_the_list_goes_quiet_makes_it_due_again(
    store: LocalStore, queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgekiln.issue import statusqueue

    sqs, url = queue
    via_queue = QueueNotifier(url, client=sqs)
    issued = _issue(store)
    revoke(store, "acme", issued.id, notify=via_queue)
    message = _receive(sqs, url)[0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    publish_pending(store, "acme", 0)  # (an earlier tick published it)
    # GIVEN a tick that lists nothing, and a change stored right after its listing, whose
    # revocation still saw the due object and so sent nothing
    real = statusqueue.publish_pending

    def late(store: Store, slug: str, number: int) -> Published:
        published = real(store, slug, number)
        store.put(f"{pending_prefix(slug, number)}{_index(issued):06d}-0000000009-10.json", b"{}",
                  content_type="application/json")  # fmt: skip
        return published

    monkeypatch.setattr(statusqueue, "publish_pending", late)
    assert publish_message(store, message["Body"], via_queue).changes == 0
    # THEN the quiet tick finds it after deleting the due object: due again, one message queued
    store.head(trigger_path("acme", 0))
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
    assert publish_message(store, messages[0]["Body"], via_queue).changes == 3


class _Died(BaseException):
    """The process died (no ``except Exception`` stops it)."""


def test_a_revocation_repeated_after_its_request_died_before_sending_is_published(
    store: LocalStore, queue: tuple[Any, str]
) -> None:
    sqs, url = queue

    class Dying:
        def send_message(self, **_: Any) -> None:
            raise _Died  # between the due object and its message

    issued = _issue(store)
    with pytest.raises(_Died):
        revoke(store, "acme", issued.id, notify=QueueNotifier(url, client=Dying()))
    store.head(trigger_path("acme", 0))  # due, fresh, and no message on its way
    # WHEN the client repeats the request that never answered  THEN the list is sent again
    assert revoke(store, "acme", issued.id, notify=QueueNotifier(url, client=sqs))["state"] == "revoked"
    messages = _receive(sqs, url)
    assert len(messages) == 1
    assert publish_message(store, messages[0]["Body"], QueueNotifier(url, client=sqs)).changes == 1
    assert _bits(store).get(_index(issued)) == 1


def test_a_due_object_whose_write_answer_was_lost_still_gets_its_message(
    store: LocalStore, queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgekiln.errors import Conflict

    sqs, url = queue
    put = store.put

    def answer_lost(key: str, body: bytes, **options: Any) -> str:
        etag = put(key, body, **options)
        if key == trigger_path("acme", 0):
            # S3 applied the create; the answer timed out and botocore's retry found it taken
            raise Conflict("exists", key=key, reason="precondition")
        return etag

    issued = _issue(store)
    monkeypatch.setattr(store, "put", answer_lost)
    revoke(store, "acme", issued.id, notify=QueueNotifier(url, client=sqs))
    assert len(_receive(sqs, url)) == 1


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
    [
        "",
        "[]",
        '{"issuer": "acme"}',
        '{"issuer": "ACME", "list": 0}',
        '{"issuer": "acme", "list": true}',
        '{"issuer": "acme", "list": "ob3"}',
        '{"issuer": "acme", "list": -1}',
    ],
)
def test_a_malformed_message_is_invalid(store: LocalStore, body: str) -> None:
    from badgekiln.errors import InvalidField

    with pytest.raises(InvalidField):
        publish_message(store, body, QueueNotifier("https://queue.example"))


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
                ticks.append(publish_message(store, message["Body"], via_queue).changes)
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
