"""Fault injection for S3, KMS and SQS: every AWS call of issuing, batch issuance, the upload
worker, revocation and status publishing, failed in every way AWS fails.

::

    python -m fuzz.faults                       # the bounded sample `make test` runs too
    python -m fuzz.faults --full --json .fuzz/results/faults.json --document docs/reliability.md
    python -m fuzz.faults --full --scenario issue --json .fuzz/results/faults-issue.json   # one part
    python -m fuzz.faults --combine .fuzz/results/faults-*.json --document docs/reliability.md

**How.** moto answers every AWS call in-process (botocore's ``before-send`` event), whichever
client the library made, with the library's own retry configuration; the :class:`Injector`
wraps that answer: a fault *before* fails a request the service never sees, a fault *after*
one the service has applied (the answer is lost). A *site* is one logical AWS call of a
scenario — the n-th call of a fault-free run, counted over botocore's retry attempts — so every
injection is reproducible.
Each scenario is first run fault-free to list its sites, then once per site and fault kind
(:data:`KINDS`): throttling (S3 ``SlowDown``, KMS/SQS ``ThrottlingException``) and 500s, once
(botocore's retries absorb them) or on every attempt (the library sees them); a connection reset
before the request is sent and a read timeout after it was applied, likewise; and the process
dying before a call or after it took effect (:class:`Crash`, a ``BaseException`` no code
catches; every later call of that process dies too).

**Recovery** is what the deployment does: the client repeats its request (API Gateway's 5xx,
or no answer at all) with the same ``Idempotency-Key``; SQS delivers a message again until the
function reports it done, and delivers it once more (a duplicate) after that. Retried claims
wait for the crashed request's lease on a virtual clock (no real sleeping).

**The property**, checked on the store and the queue after recovery, fault-free:

* *lost*: a credential asked for that is not stored, published and valid; a revocation asked
  for that the published status list does not show; a status change still pending, or a
  message left in the queue;
* *duplicated*: more credential records than credentials asked for;
* *half-published*: a public credential, assertion or baked image that verifies but belongs to
  no credential a client was given;
* *not the first result*: a retry answering a different credential than the first answer did;
* *500*: an answer that is not a typed problem (the handler logged an unexpected exception).

One worker thread per batch (the sites of a run are then in a fixed order); concurrency has its
own suites (``tests/integration/test_issue_s3.py``, ``make load``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import importlib
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Final, Literal
from urllib.parse import quote

from fuzz.harnesses.handlers import LambdaContext

__all__ = [
    "KINDS",
    "SCENARIOS",
    "WRITES",
    "Crash",
    "FaultKind",
    "Injector",
    "Outcome",
    "World",
    "combine",
    "main",
    "render",
    "run_sweep",
]

REPO: Final = Path(__file__).resolve().parent.parent
PUBLIC_URL: Final = "https://badges.example.org"
REGION: Final = "us-east-1"
BEGIN: Final = "<!-- fault-results:begin (python -m fuzz.faults writes this part) -->"
END: Final = "<!-- fault-results:end -->"
#: Times a client repeats a request, or SQS delivers a message, before the run counts as stuck.
MAX_RECOVERY: Final = 4

Service = Literal["s3", "kms", "sqs"]


class Crash(BaseException):
    """The process died at this call (a ``BaseException``: no ``except Exception`` stops it)."""


# --- fault kinds ---------------------------------------------------------------------------------


class _Raw:
    """The raw body botocore reads an injected answer from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _answer(request: Any, status: int, service: str, code: str, message: str) -> Any:
    """An error answer as the service sends it (S3: XML; KMS and SQS: JSON)."""
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    if service == "s3":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}'
            "</Message><RequestId>FAULT</RequestId></Error>"
        ).encode()
        headers = {"content-type": "application/xml", "x-amz-request-id": "FAULT"}
    else:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "FAULT"}
    if request.method == "HEAD":
        body = b""
    fields = HTTPHeaders()
    for name, value in headers.items():
        fields[name] = value
    return AWSResponse(request.url, status, fields, _Raw(body))


def _throttle(request: Any, service: str) -> Any:
    if service == "s3":
        return _answer(request, 503, service, "SlowDown", "Please reduce your request rate.")
    return _answer(request, 400, service, "ThrottlingException", "Rate exceeded")


def _server_error(request: Any, service: str) -> Any:
    code = {"s3": "InternalError", "kms": "KMSInternalException", "sqs": "InternalError"}[service]
    return _answer(request, 500, service, code, "We encountered an internal error. Please try again.")


def _reset(request: Any, service: str) -> Any:
    from botocore.exceptions import ConnectionClosedError

    raise ConnectionClosedError(endpoint_url=request.url)


def _timeout(request: Any, service: str) -> Any:
    from botocore.exceptions import ReadTimeoutError

    raise ReadTimeoutError(endpoint_url=request.url)


def _crash(request: Any, service: str) -> Any:
    raise Crash(f"process died at {service} {request.method} {request.url}")


@dataclass(frozen=True)
class FaultKind:
    """One way an AWS call fails: ``when`` the service saw the request (``before``: never;
    ``after``: applied, the answer lost), and on which attempts (``persistent``: every one of
    botocore's, so the library sees the failure)."""

    name: str
    what: str
    when: Literal["before", "after"]
    persistent: bool
    fail: Callable[[Any, str], Any]

    @property
    def crash(self) -> bool:
        return self.fail is _crash


KINDS: Final = (
    FaultKind("throttle", "SlowDown (S3 503) / ThrottlingException, once", "before", False, _throttle),
    FaultKind("throttle-all", "the same on every attempt", "before", True, _throttle),
    FaultKind("500", "500 InternalError / KMSInternalException, once", "before", False, _server_error),
    FaultKind("500-all", "the same on every attempt", "before", True, _server_error),
    FaultKind("reset", "connection reset before the request was sent, once", "before", False, _reset),
    FaultKind("reset-all", "the same on every attempt", "before", True, _reset),
    FaultKind("timeout", "read timeout after the service applied it, once", "after", False, _timeout),
    FaultKind("timeout-all", "the same on every attempt (each one applied)", "after", True, _timeout),
    FaultKind("crash-before", "the process dies before the call", "before", True, _crash),
    FaultKind("crash-after", "the process dies after the call took effect", "after", True, _crash),
)
_KIND: Final = {kind.name: kind for kind in KINDS}


# --- the injector --------------------------------------------------------------------------------


class Injector:
    """Wraps moto's request handler: counts logical calls, fails the planned one.

    ``plan`` is ``(site, kind)``: the 0-based logical call to fail. ``calls`` lists the calls of
    the current run (``"s3.PutObject"``…); ``dead`` is set once a :class:`Crash` was raised.
    """

    def __init__(self) -> None:
        self.plan: tuple[int, FaultKind] | None = None
        self.calls: list[str] = []
        self.injected = 0
        self.dead = False
        self.enabled = False
        self._site = 0

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Every request moto answers in this process goes through :meth:`answer` first."""
        from moto.core.botocore_stubber import BotocoreStubber

        original = BotocoreStubber.__call__

        def call(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            return self.answer(lambda: original(stubber, event_name, request, **kwargs), event_name, request)

        BotocoreStubber.__call__ = call  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            BotocoreStubber.__call__ = original  # type: ignore[method-assign]

    def reset(self, plan: tuple[int, FaultKind] | None = None) -> None:
        self.plan, self.calls, self.injected, self.dead = plan, [], 0, False

    @contextlib.contextmanager
    def active(self, plan: tuple[int, FaultKind] | None = None) -> Iterator[None]:
        self.reset(plan)
        self.enabled = True
        try:
            yield
        finally:
            self.enabled = False

    def answer(self, service_answer: Callable[[], Any], event_name: str, request: Any) -> Any:
        """moto's answer to ``request``, unless the plan fails it before or after moto applied it."""
        if not self.enabled:
            return service_answer()
        if self.dead:
            raise Crash("the process is dead")
        attempt = 1
        for part in str(request.headers.get("amz-sdk-request", b"attempt=1"), "ascii").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "attempt" and value.isdigit():
                attempt = int(value)
        _, service, operation = event_name.split(".", 2)
        if attempt == 1:  # botocore's retries of one call are one site
            self._site = len(self.calls)
            self.calls.append(f"{service}.{operation}")
        kind = None
        if self.plan is not None and self.plan[0] == self._site and (attempt == 1 or self.plan[1].persistent):
            kind = self.plan[1]
        if kind is not None and kind.when == "before":
            self.injected += 1
            self.dead = kind.crash
            return kind.fail(request, service)
        answer = service_answer()
        if kind is not None:
            self.injected += 1
            self.dead = kind.crash
            kind.fail(request, service)
        return answer


# --- the world: moto, the bucket, the queue, the handlers ---------------------------------------


class _VirtualClock:
    """Idempotency claims wait for a crashed request's lease: on this clock, without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> _dt.datetime:
        return _dt.datetime.now(_dt.UTC) + _dt.timedelta(seconds=self.offset)

    def sleep(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class World:
    """moto in-process (S3, KMS, SQS) with the hooks installed, and the functions' handlers."""

    injector: Injector
    clock: _VirtualClock
    sqs: Any
    s3: Any
    handlers: dict[str, ModuleType] = field(default_factory=dict)
    runs: int = 0
    bucket: str = ""
    queue: str = ""

    def handler(self, name: str) -> ModuleType:
        """The ``handler`` module of function ``name`` (functions/<name>/<name>_handler.py)."""
        if name not in self.handlers:
            functions = str(REPO / "functions")
            if functions not in sys.path:
                sys.path.insert(0, functions)
            self.handlers[name] = importlib.import_module(f"{name}.{name}_handler")
        return self.handlers[name]

    def store(self, bucket: str | None = None) -> Any:
        from badgekiln.store import S3Store

        return S3Store(bucket or self.bucket)

    def template(self, name: str) -> Any:
        """The store a scenario's template is seeded in (its own bucket)."""
        with self.paused():
            self.s3.create_bucket(Bucket=f"seed-{name}")
        return self.store(f"seed-{name}")

    def fresh(self, template: str) -> None:
        """A new run: its own bucket holding a copy of ``template``'s objects (a bucket per run
        keeps moto's listings short), its own status queue, and a restarted "process" (no store,
        queue or signer cached)."""
        self.runs += 1
        self.bucket = f"faults-{self.runs}"
        with self.paused():
            self.s3.create_bucket(Bucket=self.bucket)
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=f"seed-{template}"):
                for item in page.get("Contents", []):
                    source = {"Bucket": f"seed-{template}", "Key": item["Key"]}
                    self.s3.copy_object(Bucket=self.bucket, Key=item["Key"], CopySource=source)
        self.queue = self.sqs.create_queue(
            QueueName=f"status-{self.runs}.fifo",
            Attributes={"FifoQueue": "true", "VisibilityTimeout": "0"},
        )["QueueUrl"]
        os.environ["BADGEKILN_STORE"] = f"s3://{self.bucket}"
        os.environ["BADGEKILN_STATUS_QUEUE"] = self.queue
        restart()

    # --- what the deployment does: API Gateway, SQS --------------------------------------------

    def http(
        self, function: str, method: str, path: str, body: bytes | str = b"", **extra: Any
    ) -> dict[str, Any]:
        """Call ``function`` with the API Gateway v2 event of one request (issuer ``acme``'s key)."""
        query: dict[str, str] = extra.get("query", {})
        headers = {"content-type": "application/json", **extra.get("headers", {})}
        text = body.decode() if isinstance(body, bytes) else body
        event = {
            "version": "2.0",
            "routeKey": f"{method} {path}",
            "rawPath": path,
            "rawQueryString": "&".join(f"{k}={quote(v)}" for k, v in query.items()),
            "queryStringParameters": query or None,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "faults",
                "domainName": "badges.example.org",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
                "requestId": f"fault-{self.runs}",
                "routeKey": f"{method} {path}",
                "stage": "$default",
                "timeEpoch": int(time.time() * 1000),
                "authorizer": {"lambda": {"keyId": "0123456789abcdef", "role": "issuer", "issuer": "acme"}},
            },
            "isBase64Encoded": False,
            "body": text,
        }
        if not query:
            del event["queryStringParameters"]
        answer: dict[str, Any] = self.handler(function).handler(event, LambdaContext())
        return answer

    def deliver(self, function: str, body: str, message_id: str = "m-1", *, receive_count: int = 1) -> bool:
        """One SQS delivery of ``body`` to ``function`` (its ``receive_count``-th): whether it
        reported the message done."""
        record = {
            "messageId": message_id,
            "receiptHandle": f"r-{message_id}",
            "body": body,
            "attributes": {
                "ApproximateReceiveCount": str(receive_count),
                "SentTimestamp": "1796623200000",
                "MessageGroupId": "g",
                "MessageDeduplicationId": message_id,
                "SequenceNumber": "1",
            },
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:badgekiln-faults",
            "awsRegion": REGION,
        }
        answer = self.handler(function).handler({"Records": [record]}, LambdaContext())
        return not answer.get("batchItemFailures")

    def drain(self, *, duplicates: bool, limit: int = 12) -> int:
        """Deliver the status queue's messages to the publisher until it is empty (a message the
        publisher failed, or whose delivery crashed, comes back); ``duplicates`` delivers each
        one twice. Returns the deliveries made; raises :class:`Crash` as the publisher does."""
        deliveries = 0
        while deliveries < limit:
            with self.paused():
                got = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=1).get("Messages", [])
            if not got:
                return deliveries
            message = got[0]
            done = False
            for _ in range(2 if duplicates else 1):
                deliveries += 1
                done = self.deliver("publisher", message["Body"], message["MessageId"])
            if done:
                with self.paused():
                    self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return deliveries

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The Lambda service's own calls (receiving, deleting messages) are not the library's."""
        enabled, self.injector.enabled = self.injector.enabled, False
        try:
            yield
        finally:
            self.injector.enabled = enabled


def restart() -> None:
    """Forget what a process keeps between invocations (stores, queues, KMS signers)."""
    from badgekiln.http import environment
    from badgekiln.issue import signing, statusqueue

    environment._open.cache_clear()
    statusqueue._queue.cache_clear()
    signing._kms_signer.cache_clear()


@contextlib.contextmanager
def world() -> Iterator[World]:
    """moto for every AWS call of this process, fake credentials, the hooks on the default session.

    One worker thread per batch and per upload (the sites of a run stay in order); the
    idempotency claims on the virtual clock; nothing reaches a socket.
    """
    saved = dict(os.environ)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_KMS", "AWS_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        BADGEKILN_PUBLIC_URL=PUBLIC_URL,
        BADGEKILN_SIGNING_KEYS="kms",
        POWERTOOLS_METRICS_NAMESPACE="badgekiln-faults",
        POWERTOOLS_SERVICE_NAME="badgekiln-faults",
        POWERTOOLS_METRICS_DISABLED="true",
    )
    import boto3
    from moto import mock_aws

    from badgekiln.issue import batch, idempotency

    injector, clock = Injector(), _VirtualClock()
    claim_defaults = dict(idempotency.claim.__kwdefaults__ or {})
    request_workers = batch.REQUEST_WORKERS
    with mock_aws(), injector.installed():
        s3, sqs = boto3.client("s3", region_name=REGION), boto3.client("sqs", region_name=REGION)
        made = World(injector, clock, sqs, s3)
        idempotency.claim.__kwdefaults__ = {**claim_defaults, "clock": clock.now, "sleep": clock.sleep}
        batch.REQUEST_WORKERS = 1  # type: ignore[misc]
        worker = made.handler("worker")
        workers = worker.WORKERS
        worker.WORKERS = 1  # type: ignore[attr-defined]
        try:
            yield made
        finally:
            worker.WORKERS = workers  # type: ignore[attr-defined]
            batch.REQUEST_WORKERS = request_workers  # type: ignore[misc]
            idempotency.claim.__kwdefaults__ = claim_defaults
            restart()
            os.environ.clear()
            os.environ.update(saved)


# --- scenarios -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one run of a scenario left, after recovery."""

    lost: int = 0
    duplicated: int = 0
    half_published: int = 0
    not_first: int = 0
    errors_500: int = 0
    stuck: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.half_published
            or self.not_first
            or self.errors_500
            or self.stuck
        )


class Scenario:
    """One operation under faults: ``seed`` the template once, ``operate`` (faults on), ``recover``
    (faults off: retries, redeliveries), ``check`` the property."""

    name: str = ""
    what: str = ""

    def seed(self, world: World) -> None:
        """Fill the template prefix ``seed-<name>`` (faults off)."""
        from badgekiln.issue import KeyOptions
        from tests.issue_support import seed_acme

        seed_acme(world.template(self.name), keys=KeyOptions(kms=True, local_kinds=frozenset({"ed25519"})))

    def prepare(self, world: World) -> dict[str, Any]:
        """Per run, before the faults (faults off)."""
        return {}

    def operate(self, world: World, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def recover(self, world: World, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def check(self, world: World, state: dict[str, Any], outcome: Outcome) -> None:
        raise NotImplementedError


def _json(answer: Mapping[str, Any]) -> Any:
    body = answer.get("body") or ""
    try:
        return json.loads(body)
    except ValueError:
        return None


def _documents(store: Any) -> dict[str, bytes]:
    from tests.issue_support import public_documents

    return public_documents(store, PUBLIC_URL)


def _valid(payload: bytes | str, documents: Mapping[str, bytes]) -> bool:
    from badgekiln.verification import verify

    return bool(verify(payload, documents=dict(documents), offline=True).valid)


def _credential_objects(store: Any) -> dict[str, list[str]]:
    """Public credential, assertion and baked-image keys, by credential name."""
    from badgekiln.hosting.layout import classify
    from badgekiln.store import PUBLIC

    found: dict[str, list[str]] = {}
    for key in store.list("public/issuers/acme/"):
        hosted = classify(key[len(PUBLIC) :])
        if hosted is not None and hosted.kind in {
            "credential",
            "credential-jwt",
            "assertion",
            "signed-assertion",
            "baked-image",
        }:
            name = key.rsplit("/", 1)[1].rsplit(".", 1)[0]
            found.setdefault(name, []).append(key)
    return found


def _records(store: Any) -> list[str]:
    prefix = "private/issuers/acme/credentials/"
    return [key[len(prefix) :].removesuffix(".json") for key in store.list(prefix)]


def _check_issued(world: World, expected: list[str], outcome: Outcome) -> None:
    """``expected`` credentials stored, published and valid; nothing else that verifies."""
    store = world.store()
    documents = _documents(store)
    objects, records = _credential_objects(store), _records(store)
    outcome.duplicated += max(0, len(records) - len(set(expected)))
    for name in expected:
        keys = objects.get(name, [])
        if name not in records or not keys or not all(_valid(store.get(key).body, documents) for key in keys):
            outcome.lost += 1
            outcome.notes.append(f"credential {name} not stored, published and valid ({len(keys)} objects)")
    for name, keys in objects.items():
        if name not in expected and any(_valid(store.get(key).body, documents) for key in keys):
            outcome.half_published += 1
            outcome.notes.append(f"credential {name} verifies but no client was given it")
    _check_queue(world, outcome)


def _check_queue(world: World, outcome: Outcome) -> None:
    """Nothing pending, nothing left in the status queue (after one fault-free drain)."""
    world.drain(duplicates=True)
    store = world.store()
    pending = [key for key in store.list("private/issuers/acme/") if "/pending/" in key]
    if pending:
        outcome.lost += len(pending)
        outcome.notes.append(f"{len(pending)} status changes still pending: {pending[:2]}")


class _HttpScenario(Scenario):
    """A request a client repeats (same Idempotency-Key) until it gets a 2xx, then once more."""

    function = "issue"

    def request(self, world: World, state: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def repeat(self, answer: Mapping[str, Any]) -> bool:
        """Whether the client repeats the request: a 5xx, or a 409 saying the first request with
        this key is still running. Any other 4xx is final (the request is refused)."""
        status = int(answer["statusCode"])
        if status == 409:
            return bool((_json(answer) or {}).get("reason") == "in-progress")
        return status >= 500

    def operate(self, world: World, state: dict[str, Any]) -> None:
        answer = self.request(world, state)
        state["answers"] = [answer]
        if answer["statusCode"] < 300:
            state["first"] = _json(answer)

    def recover(self, world: World, state: dict[str, Any]) -> None:
        answers = state.setdefault("answers", [])
        for _ in range(MAX_RECOVERY):
            if answers and not self.repeat(answers[-1]):
                break
            answers.append(self.request(world, state))
        else:
            state["stuck"] = True
            return
        if answers[-1]["statusCode"] >= 300:
            state["refused"] = answers[-1]
            return
        state.setdefault("first", _json(answers[-1]))
        answers.append(self.request(world, state))  # a retry after success: the first result again
        state["last"] = _json(answers[-1])

    def common(self, state: dict[str, Any], outcome: Outcome) -> bool:
        answers = state.get("answers", [])
        outcome.errors_500 += sum(1 for a in answers if a["statusCode"] >= 500 and a["statusCode"] != 503)
        for answer in answers:
            if answer["statusCode"] >= 500 and answer["statusCode"] != 503:
                outcome.notes.append(f"answered {answer['statusCode']}: {str(answer.get('body'))[:160]}")
        if state.get("stuck"):
            outcome.stuck += 1
            outcome.notes.append(f"no 2xx in {MAX_RECOVERY} retries: {str(answers[-1].get('body'))[:160]}")
            return False
        if state.get("refused"):
            outcome.lost += 1
            refused = state["refused"]
            outcome.notes.append(
                f"the client's own request refused: {refused['statusCode']} {str(refused.get('body'))[:160]}"
            )
            return False
        return True


class IssueScenario(_HttpScenario):
    name = "issue"
    what = "POST /issuers/acme/credentials with an Idempotency-Key: OB 3.0 VC-JWT signed by KMS (RS256)"

    def request(self, world: World, state: dict[str, Any]) -> dict[str, Any]:
        body = {"achievement": "teamwork", "recipient": "ada@example.org", "spec": "ob3", "proof": "jwt"}
        path = "/issuers/acme/credentials"
        return world.http("issue", "POST", path, json.dumps(body), headers={"idempotency-key": "order-17"})

    def check(self, world: World, state: dict[str, Any], outcome: Outcome) -> None:
        if not self.common(state, outcome):
            return
        first, last = state["first"], state["last"]
        if first.get("id") != last.get("id") or first.get("credential") != last.get("credential"):
            outcome.not_first += 1
            outcome.notes.append(f"first answer {first.get('id')}, retry answered {last.get('id')}")
        _check_issued(world, [str(first.get("name") or first["id"].rsplit("/", 1)[1].split(".")[0])], outcome)


class BatchScenario(_HttpScenario):
    name = "batch"
    what = "POST /issuers/acme/batches, two CSV rows: OB 2.0 assertions signed by KMS (RS256)"

    def request(self, world: World, state: dict[str, Any]) -> dict[str, Any]:
        query = {"achievement": "teamwork", "spec": "ob2", "signed": "true"}
        body = "recipient\nada@example.org\nbob@example.org\n"
        return world.http(
            "issue", "POST", "/issuers/acme/batches", body, query=query, headers={"content-type": "text/csv"}
        )

    def repeat(self, answer: Mapping[str, Any]) -> bool:
        """A batch answers 200 with a result per row: its client repeats it while a row failed
        because the store or a signer did, or its key's first request is still running (rows
        issued are replayed)."""
        if int(answer["statusCode"]) >= 300:
            return super().repeat(answer)
        return any(
            row.get("error", {}).get("code") in ("store-error", "signing-error")
            or row.get("error", {}).get("reason") == "in-progress"
            for row in (_json(answer) or {}).get("results", [])
        )

    def check(self, world: World, state: dict[str, Any], outcome: Outcome) -> None:
        if not self.common(state, outcome):
            return
        first, last = state["first"], state["last"]
        names = [row.get("name") for row in last.get("results", [])]
        if not all(row.get("ok") for row in last.get("results", [])) or len(names) != 2:
            outcome.lost += 2 - sum(1 for row in last.get("results", []) if row.get("ok"))
            outcome.notes.append(f"batch results: {str(last)[:200]}")
        # rows issued by the first 2xx answer keep their credential
        first_ids = [row.get("id") if row.get("ok") else None for row in first.get("results", [])]
        last_ids = [
            row.get("id") if first_ok else None
            for row, first_ok in zip(last.get("results", []), first_ids, strict=False)
        ]
        if first_ids != last_ids:
            outcome.not_first += 1
            outcome.notes.append(f"first answer {first_ids}, retry answered {last_ids}")
        _check_issued(world, [str(n) for n in names if n], outcome)


class WorkerScenario(Scenario):
    name = "worker"
    what = (
        "the upload worker: an S3 notification (SQS) for an uploaded CSV of two rows, OB 3.0 Data Integrity"
    )

    def seed(self, world: World) -> None:
        super().seed(world)
        from badgekiln.issue.uploads import start_upload, upload_key

        store = world.store(f"seed-{self.name}")
        started = start_upload(store, "acme", {"achievement": "teamwork", "format": "csv"})
        store.put(
            upload_key("acme", started.id),
            b"recipient\nada@example.org\nbob@example.org\n",
            content_type="text/csv",
        )
        self.upload_id = started.id

    def message(self, world: World) -> str:
        from badgekiln.issue.uploads import upload_key

        record = {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Post",
            "s3": {"bucket": {"name": world.bucket}, "object": {"key": upload_key("acme", self.upload_id)}},
        }
        return json.dumps({"Records": [record]})

    def operate(self, world: World, state: dict[str, Any]) -> None:
        state["deliveries"] = 1
        state["done"] = world.deliver("worker", self.message(world))

    def recover(self, world: World, state: dict[str, Any]) -> None:
        deliveries = state.setdefault("deliveries", 1)
        while not state.get("done"):  # the message comes back until the worker reports it done
            if deliveries >= MAX_RECOVERY:
                state["stuck"] = True
                return
            deliveries += 1
            state["done"] = world.deliver("worker", self.message(world), receive_count=deliveries)
        # SQS delivers at least once: a duplicate
        world.deliver("worker", self.message(world), receive_count=deliveries + 1)

    def check(self, world: World, state: dict[str, Any], outcome: Outcome) -> None:
        from badgekiln.issue.uploads import get_upload, results_key

        if state.get("stuck"):
            outcome.stuck += 1
            outcome.notes.append("the worker failed the message on every delivery")
            return
        store = world.store()
        job = get_upload(store, "acme", self.upload_id)
        rows = [
            json.loads(line)
            for line in store.get(results_key("acme", self.upload_id)).body.splitlines()
            if line
        ]
        names = [row.get("name") for row in rows if row.get("ok")]
        if job.get("state") != "done" or len(names) != 2:
            outcome.lost += 2 - len(names)
            outcome.notes.append(f"job {job.get('state')}, {len(names)} rows issued: {str(rows)[:200]}")
        _check_issued(world, [str(n) for n in names], outcome)


class RevokeScenario(Scenario):
    """Two OB 3.0 credentials issued and their lists published; one is revoked."""

    name = "revoke"
    what = "POST …/credentials/{c}/revoke (pending change, due object, SQS), then the publisher, fault-free"

    def seed(self, world: World) -> None:
        super().seed(world)
        from badgekiln.issue import issue_credential

        store = world.store(f"seed-{self.name}")
        self.issued = [
            issue_credential(store, "acme", {"achievement": "teamwork", "recipient": f"{who}@example.org"})
            for who in ("ada", "bob")
        ]

    def revoke(self, world: World) -> dict[str, Any]:
        path = f"/issuers/acme/credentials/{self.issued[0].name}/revoke"
        return world.http("issue", "POST", path, json.dumps({"reason": "fault injection"}))

    def operate(self, world: World, state: dict[str, Any]) -> None:
        state["answers"] = [self.revoke(world)]

    def recover(self, world: World, state: dict[str, Any]) -> None:
        answers = state.setdefault("answers", [])
        for _ in range(MAX_RECOVERY):
            if answers and answers[-1]["statusCode"] < 300:
                break
            answers.append(self.revoke(world))
        else:
            state["stuck"] = True

    def check(self, world: World, state: dict[str, Any], outcome: Outcome) -> None:
        answers = state.get("answers", [])
        bad = [a for a in answers if a["statusCode"] >= 500 and a["statusCode"] != 503]
        outcome.errors_500 += len(bad)
        outcome.notes += [f"answered {a['statusCode']}: {str(a.get('body'))[:160]}" for a in bad]
        if state.get("stuck"):
            outcome.stuck += 1
            outcome.notes.append(f"no 2xx in {MAX_RECOVERY} retries: {str(answers[-1].get('body'))[:160]}")
            return
        _check_queue(world, outcome)
        documents = _documents(world.store())
        revoked, kept = (issued.image for issued in self.issued)
        assert revoked is not None
        assert kept is not None
        if _valid(revoked, documents):
            outcome.lost += 1
            outcome.notes.append("the revoked credential still verifies")
        if not _valid(kept, documents):
            outcome.half_published += 1
            outcome.notes.append("the credential not revoked no longer verifies")


class PublishScenario(RevokeScenario):
    """The revocation is stored and its message queued; the publisher runs under faults."""

    name = "publish"
    what = "the status publisher: SQS FIFO deliveries of a due list (ticks, then the list goes quiet)"

    def seed(self, world: World) -> None:
        super().seed(world)
        from badgekiln.issue import revoke
        from badgekiln.issue.statusqueue import QueueNotifier

        template = world.sqs.create_queue(QueueName="seed-status.fifo", Attributes={"FifoQueue": "true"})
        notify = QueueNotifier(template["QueueUrl"], client=world.sqs)
        revoke(
            world.store(f"seed-{self.name}"),
            "acme",
            self.issued[0].name,
            reason="fault injection",
            notify=notify,
        )

    def prepare(self, world: World) -> dict[str, Any]:
        # what the revocation's notify sent, into this run's queue
        with world.paused():
            world.sqs.send_message(
                QueueUrl=world.queue,
                MessageBody=json.dumps({"issuer": "acme", "list": 0}),
                MessageGroupId="acme.0",
                MessageDeduplicationId=f"seed-{world.runs}",
            )
        return {"answers": []}

    def operate(self, world: World, state: dict[str, Any]) -> None:
        world.drain(duplicates=False)

    def recover(self, world: World, state: dict[str, Any]) -> None:
        pass  # the check drains the queue fault-free, each message delivered twice


class HandoverScenario(PublishScenario):
    """The publisher's busy branch: its time for the message is up after the first tick, so it
    keeps the list due and queues the next message (TICKS_SECONDS 0)."""

    name = "handover"
    what = "the status publisher handing a busy list over to its next message (due object, SendMessage)"

    def operate(self, world: World, state: dict[str, Any]) -> None:
        from badgekiln.issue import statusqueue

        ticks = statusqueue.TICKS_SECONDS
        statusqueue.TICKS_SECONDS = 0.0  # type: ignore[misc]
        try:
            world.drain(duplicates=False, limit=1)
        finally:
            statusqueue.TICKS_SECONDS = ticks  # type: ignore[misc]


SCENARIOS: Final[tuple[Scenario, ...]] = (
    IssueScenario(),
    BatchScenario(),
    WorkerScenario(),
    RevokeScenario(),
    PublishScenario(),
    HandoverScenario(),
)


# --- sweeps ----------------------------------------------------------------------------------


@dataclass
class Injection:
    scenario: str
    site: int
    call: str
    kind: str
    injected: int
    crashed: bool
    outcome: Outcome


def run_once(
    world: World, scenario: Scenario, plan: tuple[int, FaultKind] | None
) -> tuple[Outcome, list[str], int, bool]:
    """One run: fresh prefix and queue, the operation under ``plan``, recovery, the check."""
    world.fresh(scenario.name)
    state = scenario.prepare(world)
    crashed = False
    with world.injector.active(plan):
        try:
            scenario.operate(world, state)
        except Crash:
            crashed = True
    calls, injected = list(world.injector.calls), world.injector.injected
    if crashed:
        restart()  # a new execution environment takes the retry or the redelivery
    outcome = Outcome()
    scenario.recover(world, state)
    scenario.check(world, state, outcome)
    return outcome, calls, injected, crashed


#: Calls that change something: where a lost answer or a crash leaves the most ambiguity.
WRITES: Final = frozenset(
    {"s3.PutObject", "s3.DeleteObject", "s3.DeleteObjects", "s3.CopyObject", "sqs.SendMessage"}
)
_SAMPLE_WRITES: Final = ("timeout", "crash-after")
_SAMPLE_OTHERS: Final = ("crash-before", "throttle-all", "500-all", "reset-all")


def sample(sites: list[str]) -> list[tuple[int, str]]:
    """The bounded sample: every write with a lost answer or a crash after it (alternately);
    every KMS and SQS call, and the first call, with a crash before it or a persistent fault
    (in turn). S3 reads are left to the full sweep."""
    chosen, writes, others = [], 0, 0
    for site, call in enumerate(sites):
        if call in WRITES:
            chosen.append((site, _SAMPLE_WRITES[writes % len(_SAMPLE_WRITES)]))
            writes += 1
        elif site == 0 or not call.startswith("s3."):
            chosen.append((site, _SAMPLE_OTHERS[others % len(_SAMPLE_OTHERS)]))
            others += 1
    return chosen


def run_sweep(
    *,
    full: bool,
    scenarios: tuple[Scenario, ...] = SCENARIOS,
    kinds: tuple[FaultKind, ...] = KINDS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every site × every kind (``full``), or the bounded :func:`sample`."""
    started = time.perf_counter()
    results: list[Injection] = []
    site_lists: dict[str, list[str]] = {}
    with world() as made:
        for scenario in scenarios:
            scenario.seed(made)
            baseline, sites, _, _ = run_once(made, scenario, None)
            if not baseline.ok:
                raise AssertionError(f"{scenario.name} fails without faults: {baseline.notes}")
            site_lists[scenario.name] = sites
            if full:
                chosen = [(site, kind.name) for site in range(len(sites)) for kind in kinds]
            else:
                chosen = [(site, name) for site, name in sample(sites) if name in {k.name for k in kinds}]
            for site, name in chosen:
                kind = _KIND[name]
                outcome, _, injected, crashed = run_once(made, scenario, (site, kind))
                results.append(
                    Injection(scenario.name, site, sites[site], kind.name, injected, crashed, outcome)
                )
                if progress is not None and not outcome.ok:
                    progress(f"{scenario.name} site {site} {sites[site]} {kind.name}: {outcome.notes}")
    return {
        "full": full,
        "seconds": round(time.perf_counter() - started, 1),
        "kinds": {kind.name: kind.what for kind in kinds},
        "scenarios": {s.name: {"what": s.what, "calls": site_lists.get(s.name, [])} for s in scenarios},
        "injections": [
            {
                "scenario": r.scenario,
                "site": r.site,
                "call": r.call,
                "kind": r.kind,
                "injected": r.injected,
                "crashed": r.crashed,
                "ok": r.outcome.ok,
                "lost": r.outcome.lost,
                "duplicated": r.outcome.duplicated,
                "half_published": r.outcome.half_published,
                "not_first": r.outcome.not_first,
                "errors_500": r.outcome.errors_500,
                "stuck": r.outcome.stuck,
                "notes": r.outcome.notes,
            }
            for r in results
        ],
    }


def combine(parts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One sweep of ``parts`` (sweeps of some scenarios each, saved with ``--json``): their
    scenarios and injections joined, their seconds added up. A sample among full sweeps makes
    the whole a sample.

    Raises:
        ValueError: no parts, parts with different fault kinds, or a scenario in two parts.
    """
    if not parts:
        raise ValueError("no sweeps to combine")
    kinds = parts[0]["kinds"]
    scenarios: dict[str, Any] = {}
    for part in parts:
        if part["kinds"] != kinds:
            raise ValueError("the sweeps injected different fault kinds")
        for name, scenario in part["scenarios"].items():
            if name in scenarios:
                raise ValueError(f"scenario {name} is in two sweeps")
            scenarios[name] = scenario
    return {
        "full": all(part["full"] for part in parts),
        "seconds": round(sum(part["seconds"] for part in parts), 1),
        "kinds": kinds,
        "scenarios": scenarios,
        "injections": [injection for part in parts for injection in part["injections"]],
    }


# --- the table -----------------------------------------------------------------------------------


def render(results: Mapping[str, Any]) -> str:
    """The markdown of a sweep: sites × kinds per scenario, then the totals and any failure."""
    injections = results["injections"]
    kinds = list(results["kinds"])
    lines = [
        f"{'Full sweep' if results['full'] else 'Bounded sample'}: {len(injections):,} injections over "
        f"{sum(len(s['calls']) for s in results['scenarios'].values())} sites in {results['seconds']:.0f} s.",
        "",
        "| scenario | AWS call | sites | " + " | ".join(f"`{k}`" for k in kinds) + " |",
        "|---|---|--:|" + "--:|" * len(kinds),
    ]
    for name, scenario in results["scenarios"].items():
        calls = Counter(scenario["calls"])
        for call, count in sorted(calls.items()):
            cells = []
            for kind in kinds:
                mine = [
                    i for i in injections if i["scenario"] == name and i["call"] == call and i["kind"] == kind
                ]
                held = sum(1 for i in mine if i["ok"])
                cells.append(f"{held}/{len(mine)}" if mine else "–")
            lines.append(f"| {name} | `{call}` | {count} | " + " | ".join(cells) + " |")
    totals = {
        key: sum(i[key] for i in injections)
        for key in ("lost", "duplicated", "half_published", "not_first", "errors_500", "stuck")
    }
    lines += [
        "",
        "A cell is *injections whose property held / injections*. Totals: "
        + ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in totals.items())
        + f"; {sum(1 for i in injections if not i['injected'])} planned faults not reached "
        "(the call was not made that run).",
        "",
        "Scenarios: "
        + "; ".join(f"**{name}**: {s['what']}" for name, s in results["scenarios"].items())
        + ".",
    ]
    failures = [i for i in injections if not i["ok"]]
    if failures:
        lines.append("")
        lines += [
            f"- {i['scenario']} site {i['site']} `{i['call']}` `{i['kind']}`: {'; '.join(i['notes'])[:300]}"
            for i in failures[:30]
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="every site × every kind (else the sample)")
    parser.add_argument("--scenario", action="append", choices=[s.name for s in SCENARIOS])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--document", type=Path, help="write the table between the fault-results markers")
    parser.add_argument(
        "--combine", type=Path, nargs="+", metavar="JSON", help="run nothing: join these saved sweeps"
    )
    options = parser.parse_args(argv)
    if options.combine:
        try:
            results = combine([json.loads(path.read_text("utf-8")) for path in options.combine])
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"error: cannot combine the sweeps: {error}", file=sys.stderr)
            return 2
    else:
        chosen = tuple(s for s in SCENARIOS if not options.scenario or s.name in options.scenario)
        logging.getLogger("badgekiln").setLevel(logging.ERROR)  # leases taken over, lists rebuilt
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # the functions' JSON logs
            results = run_sweep(
                full=options.full, scenarios=chosen, progress=lambda line: print(line, file=sys.stderr)
            )
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(results, indent=1), "utf-8")
    table = render(results)
    if options.document:
        text = options.document.read_text("utf-8")
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        options.document.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", "utf-8")
    else:
        print(table)
    return 0 if all(i["ok"] for i in results["injections"]) else 1


if __name__ == "__main__":
    sys.exit(main())
