"""Events: credential issued, revoked, suspended, reinstated; batch and upload completed.

On EventBridge (moto: a rule on the bus forwards what it matches to an SQS queue, as a pipeline
would subscribe), to a JSON Lines file (``badgekiln serve``), and what happens when sending
fails: the operation stands, the loss is logged whole and counted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from badgekiln.issue import create_achievement, create_issuer, issue_credential, reinstate, revoke, suspend
from badgekiln.issue import events as ev
from badgekiln.issue import uploads as up
from badgekiln.issue.batch import issue_request_batch
from badgekiln.issue.registry import get_credential
from badgekiln.store import LocalStore
from tests.aws_support import mocked_aws
from tests.issue_support import small_png

PUBLIC_URL = "https://badges.example.org"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(str(tmp_path / "store"))
    data = {"name": "Acme", "url": "https://acme.example", "slug": "acme", "suspension": True}
    create_issuer(store, PUBLIC_URL, data)
    achievement = {"name": "Teamwork", "slug": "teamwork", "description": "d", "criteria": "c"}
    create_achievement(store, "acme", achievement, small_png())
    return store


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(ev.BUS_ENV, raising=False)
    monkeypatch.delenv(ev.FILE_ENV, raising=False)
    ev._bus.cache_clear()
    ev.take_unpublished()
    yield
    ev._bus.cache_clear()


@pytest.fixture
def subscribed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A bus in moto with a rule on ``source: badgekiln`` whose target is an SQS queue."""
    import boto3

    with mocked_aws(monkeypatch):
        events = boto3.client("events", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        bus = events.create_event_bus(Name="stack-events")["EventBusArn"]
        url = sqs.create_queue(QueueName="pipeline")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(
            Name="all", EventBusName="stack-events", EventPattern=json.dumps({"source": [ev.SOURCE]})
        )
        events.put_targets(Rule="all", EventBusName="stack-events", Targets=[{"Id": "queue", "Arn": arn}])
        monkeypatch.setenv(ev.BUS_ENV, bus)

        def received() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            while True:
                batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not batch:
                    return found
                found += [json.loads(m["Body"]) for m in batch]
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                    ],
                )

        yield received


def test_a_pipeline_hears_every_change_of_a_credential_on_eventbridge(
    store: LocalStore, subscribed: Any
) -> None:
    issued = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "external_id": "o-1"}
    )
    suspend(store, "acme", issued.name, reason="under review")
    reinstate(store, "acme", issued.name)
    revoke(store, "acme", issued.name, reason="fraud")
    revoke(store, "acme", issued.name)  # no change (the first reason stands): no event
    heard = subscribed()
    assert [e["detail-type"] for e in heard] == [
        "Credential Issued",
        "Credential Suspended",
        "Credential Reinstated",
        "Credential Revoked",
    ]
    assert {e["source"] for e in heard} == {"badgekiln"}
    first = heard[0]["detail"]
    assert first["version"] == ev.SCHEMA_VERSION
    assert first["issuer"] == "acme"
    assert first["time"] == issued.issued
    credential = first["credential"]
    assert credential["name"] == issued.name
    assert credential["external_id"] == "o-1"
    assert credential["urls"]["verify"] == issued.verify_url
    assert "recipient" not in credential
    # the recipient's address, not "ada": random hex ids may hold those three letters
    assert "ada@" not in json.dumps(heard)
    last = heard[-1]["detail"]["credential"]
    assert (last["state"], last["reason"]) == ("revoked", "fraud")
    # the credential of the event is what reading it back answers, less the recipient
    now = get_credential(store, "acme", issued.name).to_dict()
    assert last == {k: v for k, v in now.items() if k not in ("recipient", "recipient_type")}
    assert ev.take_unpublished() == 0


def test_a_batch_sends_each_credential_then_its_completion(store: LocalStore, subscribed: Any) -> None:
    body = b"email,name,external id\nada@example.org,Ada,e-1\nnot-an-address,Bob,e-2\n"
    outcome = issue_request_batch(store, "acme", {"achievement": "teamwork"}, body, media_type="text/csv")
    assert outcome.summary.issued == 1
    row = outcome.results[0].to_dict()
    assert row["verify_url"].startswith(f"{PUBLIC_URL}/v/acme/")
    assert row["external_id"] == "e-1"
    heard = subscribed()
    assert [e["detail-type"] for e in heard] == ["Credential Issued", "Batch Completed"]
    assert heard[1]["detail"]["summary"] == {"rows": 2, "issued": 1, "replayed": 0, "failed": 1}
    assert heard[1]["detail"]["achievement"] == "teamwork"


class Refusing:
    """An EventBridge client that refuses entries: the first ``times`` calls, or always."""

    def __init__(self, times: int | None) -> None:
        self.times = times
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        if self.times is not None and len(self.calls) > self.times:
            return {"FailedEntryCount": 0, "Entries": [{"EventId": "x"} for _ in Entries]}
        # the first entry is refused as throttled, the others go through
        results = [{"ErrorCode": "ThrottlingException"}] + [{"EventId": "x"} for _ in Entries[1:]]
        return {"FailedEntryCount": 1, "Entries": results}


def _events(n: int) -> list[ev.Event]:
    return [ev.Event.of("Batch Completed", {"issuer": "acme", "n": i}) for i in range(n)]


def test_refused_entries_are_sent_again_ten_a_request() -> None:
    client = Refusing(times=1)
    sink = ev.EventBridgeSink("bus", client=client, pause=0)
    assert sink.send(_events(12)) == []
    # 10 + the refused one again, then the last 2
    assert [len(call) for call in client.calls] == [10, 1, 2]
    assert json.loads(client.calls[1][0]["Detail"])["n"] == 0
    assert {entry["EventBusName"] for call in client.calls for entry in call} == {"bus"}


def test_what_is_never_sent_is_logged_whole_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    sink = ev.EventBridgeSink("bus", client=Refusing(times=None), pause=0)
    with caplog.at_level(logging.WARNING, logger="badgekiln.events"):
        assert ev.publish(_events(3), sink=sink) == 1
    assert ev.take_unpublished() == 1
    assert ev.take_unpublished() == 0
    assert '"n": 0' in caplog.text
    assert "refused" in caplog.text


class Broken:
    def send(self, events: Sequence[ev.Event]) -> Sequence[ev.Event]:
        raise ConnectionError("the bus is unreachable")


def test_a_failing_bus_never_loses_the_credential(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(ev, "event_sink", lambda environ=None: Broken())
    with caplog.at_level(logging.WARNING, logger="badgekiln.events"):
        issued = issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})
        revoke(store, "acme", issued.name, reason="fraud")
    assert get_credential(store, "acme", issued.name).record.state == "revoked"
    assert ev.take_unpublished() == 2
    assert "ConnectionError" in caplog.text
    assert issued.name in caplog.text


def test_without_a_bus_or_file_nothing_is_sent(store: LocalStore) -> None:
    assert ev.event_sink({}) is None
    assert isinstance(ev.event_sink({ev.BUS_ENV: "b", ev.FILE_ENV: "f"}), ev.EventBridgeSink)
    issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})
    assert ev.take_unpublished() == 0


class PresigningStore(LocalStore):
    def _presign_upload(self, key: str, content_type: str, max_bytes: int, expires: int) -> dict[str, Any]:
        return {"url": "https://s3.example/bucket", "fields": {"key": key, "Content-Type": content_type}}


def test_the_local_sink_appends_json_lines_and_an_upload_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PresigningStore(str(tmp_path / "store"))
    create_issuer(store, PUBLIC_URL, {"name": "Acme", "url": "https://acme.example", "slug": "acme"})
    create_achievement(
        store, "acme", {"name": "T", "slug": "teamwork", "description": "d", "criteria": "c"}, small_png()
    )
    log = tmp_path / "events.jsonl"
    monkeypatch.setenv(ev.FILE_ENV, str(log))
    upload = up.start_upload(store, "acme", {"achievement": "teamwork", "format": "csv"})
    store.put(upload.fields["key"], b"email\nada@example.org\nbad\n", content_type="text/csv")
    job = up.process_upload(store, upload.fields["key"])
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line["detail-type"] for line in lines] == ["Credential Issued", "Upload Completed"]
    done = lines[1]["detail"]
    assert done["upload"] == upload.id
    assert done["state"] == "done"
    assert done["summary"] == job["summary"] == {"rows": 2, "issued": 1, "replayed": 0, "failed": 1}
    assert done["results"] == f"/issuers/acme/uploads/{upload.id}/results"


def test_serve_appends_events_beside_a_local_store(tmp_path: Path) -> None:
    from badgekiln_server.serve import make_server

    template = Path(__file__).resolve().parent.parent.parent / "template.yaml"
    server = make_server(template, port=0, store=str(tmp_path / "store"))
    try:
        variables = {name: dict(function.environment) for name, function in server.gateway.functions.items()}
    finally:
        server.server_close()
    issue = next(env for env in variables.values() if env.get("POWERTOOLS_SERVICE_NAME") == "issue")
    assert issue[ev.BUS_ENV] == ""  # the template's bus is not used locally
    assert issue[ev.FILE_ENV] == str((tmp_path / "store").absolute() / "events.jsonl")
    assert isinstance(ev.event_sink(issue), ev.JsonLinesSink)


class FailingAfter(Refusing):
    """Accepts every entry of the first ``sent`` calls, then fails as botocore does."""

    def __init__(self, sent: int) -> None:
        super().__init__(times=0)
        self.sent = sent

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        if len(self.calls) >= self.sent:
            self.calls.append(Entries)
            raise ConnectionError("the bus went away")
        return super().put_events(Entries)


def test_a_bus_failing_midway_reports_only_the_events_not_sent(caplog: pytest.LogCaptureFixture) -> None:
    # 25 events, the first request of ten accepted, the second raises: 15 were never sent
    sink = ev.EventBridgeSink("bus", client=FailingAfter(sent=1), pause=0)
    with caplog.at_level(logging.WARNING, logger="badgekiln.events"):
        assert ev.publish(_events(25), sink=sink) == 15
    assert ev.take_unpublished() == 15
    assert "ConnectionError" in caplog.text
    # a failure before anything was sent still raises (publish counts all of them)
    with pytest.raises(ConnectionError):
        ev.EventBridgeSink("bus", client=FailingAfter(sent=0), pause=0).send(_events(3))
