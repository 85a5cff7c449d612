"""Coordination at scale: one issuer's issuances and revocations against S3 with real latency.

Run with ``.venv/bin/python bench/bench_scale.py [--quick]`` (``make bench`` runs it).

The store is the real :class:`~badgekiln.store.S3Store` over :class:`FakeS3`, a boto3 S3 client
double: every request waits an injected latency (default uniform 30–80 ms, half before it takes
effect and half after) and is answered from one in-memory bucket with S3's conditional-write
semantics: ``If-None-Match: *`` and ``If-Match`` are checked when the write takes effect (the
first to finish wins, later ones get 412 ``PreconditionFailed``), and a conditional write
overtaken in flight by another write of its key gets 409 ``ConditionalRequestConflict``;
DeleteObjects takes many keys. Revocations are published through :class:`FakeSQS`, a FIFO queue
double (one message of a group in flight at a time, as Lambda's SQS FIFO event source delivers
them) drained by publisher threads standing in for the publisher function, one message each
(the event source's batch size).

Each worker thread is one Lambda execution environment: its own store object (so its own
in-process caches), one request at a time, blocked on S3 as a Lambda is. The bucket lives in a
server process that also keeps the latency (an environment waiting for its answer only blocks
reading it, costing its process no CPU), and the environments live in several processes, so that
one Python interpreter lock does not cap the run. Signing costs a fixed small time (a sleep: on
Lambda every environment has its own CPU). Everything else is the library's real code:
:func:`badgekiln.issue.issue_credential`, :func:`badgekiln.issue.revoke` with
:class:`~badgekiln.issue.statusqueue.QueueNotifier`, and
:func:`~badgekiln.issue.statusqueue.publish_message`.

This machine's CPU still runs every environment, the S3 double and the publisher: the CPU each
operation cost (all processes of the run) is printed, so a throughput capped by the machine
rather than by coordination shows as CPU near 100 % of the cores.

Printed for one issuer: the hottest object's write requests per issuance and per revocation,
sustained issuances/s and revocations/s, revocation-to-published latency (p50/p99/max, from the
revocation request and from its answer, when the change is durable, to the hosted list showing
it), and lost or duplicated status indices.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import heapq
import itertools
import json
import multiprocessing
import os
import random
import re
import selectors
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection, Listener
from typing import Any

from botocore.exceptions import ClientError

from badgekiln.errors import BadgeKilnError
from badgekiln.issue import create_achievement, create_issuer, issue_credential, revoke
from badgekiln.issue.statusqueue import QueueNotifier, publish_message
from badgekiln.keys.signer import Signer
from badgekiln.status import StatusBitstring
from badgekiln.store import S3Store

PUBLIC_URL = "https://badges.example.org"
BUCKET = "badgekiln-scale"
PREFIX = "bench"
QUEUE_URL = "https://sqs.example/000000000000/status.fifo"
#: Hosted status lists (the server times when each bit first shows in one).
STATUS_LIST_KEY = re.compile(rf"{PREFIX}/public/issuers/([a-z0-9-]+)/status/(\d+)/revocation\.json")
#: How long a received message stays invisible (the publisher's timeout).
VISIBILITY = 60.0

__all__ = ["Bucket", "FakeS3", "FakeSQS", "Local", "Scenario", "fixed_cost_signing", "run_scenario"]


# --- the bucket and the queue (one process owns them) ----------------------------------------------


@dataclass
class _Object:
    body: bytes
    etag: str
    content_type: str
    cache_control: str | None
    metadata: dict[str, str]


class Bucket:
    """The state behind the doubles: objects, a FIFO queue, counters. Not thread-safe: callers
    serialise (:class:`Local` with a lock, or the server's single thread)."""

    def __init__(self) -> None:
        self.objects: dict[str, _Object] = {}
        self.committed: dict[str, float] = {}  # when each key was last written or deleted
        self.writes: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.first_set: dict[tuple[int, int], float] = {}  # (list, index) → first hosted with the bit
        self._bits: dict[str, bytes] = {}
        self._messages: list[tuple[str, str, str]] = []  # (id, group, body), in order
        self._in_flight: dict[str, tuple[str, float]] = {}  # group → (message id, visible again at)

    # S3
    def get(self, key: str) -> tuple[bytes, str, str, str | None, dict[str, str]] | None:
        self.requests["get"] += 1
        found = self.objects.get(key)
        return (
            None
            if found is None
            else (found.body, found.etag, found.content_type, found.cache_control, found.metadata)
        )

    def put(self, key: str, body: bytes, headers: dict[str, Any], started: float) -> tuple[str, int] | str:
        """The new ETag, or ``(code, status)`` of a refusal."""
        self.requests["put"] += 1
        self.writes[key] += 1
        current = self.objects.get(key)
        if_match, if_none_match = headers.get("IfMatch"), headers.get("IfNoneMatch")
        if (if_match is not None or if_none_match is not None) and self.committed.get(key, -1.0) > started:
            return ("ConditionalRequestConflict", 409)
        if if_none_match is not None and current is not None:
            return ("PreconditionFailed", 412)
        if if_match is not None and current is None:
            return ("NoSuchKey", 404)
        if if_match is not None and current is not None and current.etag != if_match:
            return ("PreconditionFailed", 412)
        etag = f'"{hashlib.md5(body).hexdigest()}"'  # S3's own ETag of a single-part object
        self.objects[key] = _Object(
            body, etag, headers.get("ContentType", "binary/octet-stream"), headers.get("CacheControl"),
            dict(headers.get("Metadata", {})),
        )  # fmt: skip
        self.committed[key] = time.perf_counter()
        if STATUS_LIST_KEY.fullmatch(key):
            self._watch(key, body)
        return etag

    def delete(self, key: str, if_match: str | None) -> tuple[str, int] | None:
        self.requests["delete"] += 1
        self.writes[key] += 1
        current = self.objects.get(key)
        if if_match is not None and current is None:
            return ("NoSuchKey", 404)
        if if_match is not None and current is not None and current.etag != if_match:
            return ("PreconditionFailed", 412)
        if current is not None:
            del self.objects[key]
            self.committed[key] = time.perf_counter()
        return None

    def delete_many(self, keys: list[str]) -> None:
        self.requests["delete-many"] += 1
        for key in keys:
            self.writes[key] += 1
            if self.objects.pop(key, None) is not None:
                self.committed[key] = time.perf_counter()

    def listing(self, prefix: str, after: str, size: int) -> list[str]:
        self.requests["list"] += 1
        return sorted(k for k in self.objects if k.startswith(prefix) and k > after)[:size]

    def _watch(self, key: str, body: bytes) -> None:
        match = STATUS_LIST_KEY.fullmatch(key)
        assert match is not None
        try:
            bits = StatusBitstring.decode(json.loads(body)["credentialSubject"]["encodedList"]).to_bytes()
        except (ValueError, KeyError, TypeError, BadgeKilnError):
            return
        before = self._bits.get(key, bytes(len(bits)))
        self._bits[key] = bits
        now, number = time.perf_counter(), int(match.group(2))
        for position, (old, new) in enumerate(zip(before, bits, strict=False)):
            if new & ~old:
                for bit in range(8):
                    if new & ~old & (0x80 >> bit):
                        self.first_set.setdefault((number, position * 8 + bit), now)

    # SQS FIFO
    def send(self, group: str, body: str) -> str:
        self.requests["sqs-send"] += 1
        message = uuid.uuid4().hex
        self._messages.append((message, group, body))
        return message

    def receive(self, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` ``(receipt, body)``: the first message of each group not in flight."""
        self.requests["sqs-receive"] += 1
        now = time.perf_counter()
        taken: list[tuple[str, str]] = []
        seen: set[str] = set()
        for message, group, body in self._messages:
            if len(taken) >= limit:
                break
            if group in seen:
                continue
            seen.add(group)
            flight = self._in_flight.get(group)
            if flight is not None and flight[1] > now:
                continue
            self._in_flight[group] = (message, now + VISIBILITY)
            taken.append((f"{group}|{message}", body))
        return taken

    def remove(self, receipt: str) -> None:
        self.requests["sqs-delete"] += 1
        group, message = receipt.split("|", 1)
        self._messages = [m for m in self._messages if m[0] != message]
        if self._in_flight.get(group, ("",))[0] == message:
            del self._in_flight[group]

    # bench control
    def reset(self) -> float:
        self.writes.clear()
        self.requests.clear()
        return time.process_time()

    def counters(self) -> tuple[dict[str, int], int, float]:
        return dict(self.writes), sum(self.requests.values()), time.process_time()

    def dump(self) -> dict[str, bytes]:
        return {key: obj.body for key, obj in self.objects.items()}

    def published(self) -> dict[tuple[int, int], float]:
        return dict(self.first_set)


class Local:
    """The bucket in this process, behind a lock (tests and the seeding)."""

    def __init__(self, bucket: Bucket | None = None) -> None:
        self.bucket = bucket or Bucket()
        self._lock = threading.Lock()

    def call(self, op: str, *args: Any) -> Any:
        with self._lock:
            return getattr(self.bucket, op)(*args)

    def delayed(self, before: float, after: float, op: str, *args: Any) -> Any:
        """``call`` taking effect ``before`` seconds from now, answered ``after`` seconds later."""
        time.sleep(before)
        answer = self.call(op, *args)
        time.sleep(after)
        return answer


class Remote:
    """The bucket in the server process: one connection per thread, one round trip per call."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._local = threading.local()

    def call(self, op: str, *args: Any) -> Any:
        return self.delayed(0.0, 0.0, op, *args)

    def delayed(self, before: float, after: float, op: str, *args: Any) -> Any:
        """As :meth:`Local.delayed`; the server keeps the time, so the caller only blocks reading."""
        from multiprocessing.connection import Client

        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = Client(self.address, family="AF_UNIX")
        connection.send((before, after, op, args))
        return connection.recv()


Backend = Local | Remote


def serve(address: str) -> None:
    """Answer calls on every connection to ``address`` until a ``stop`` call.

    A call takes effect ``before`` seconds after it arrives and is answered ``after`` seconds
    after that: the injected latency is kept here, on a timer heap, so that an environment
    waiting for S3 costs its process no CPU (it blocks reading, as on a socket to S3). One thread
    applies every call, so each takes effect atomically, in time order.
    """
    bucket, listener = Bucket(), Listener(address, family="AF_UNIX")
    selector = selectors.DefaultSelector()
    accepted: list[Connection] = []
    wake_read, wake_write = multiprocessing.Pipe(duplex=False)
    selector.register(wake_read, selectors.EVENT_READ)
    timers: list[tuple[float, int, Callable[[], None]]] = []
    sequence = itertools.count()

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept())
            except OSError:
                return
            wake_write.send(None)

    def later(delay: float, action: Callable[[], None]) -> None:
        heapq.heappush(timers, (time.perf_counter() + delay, next(sequence), action))

    def answer(connection: Connection, value: Any) -> None:
        with contextlib.suppress(OSError):  # the caller is gone (the run ended)
            connection.send(value)

    def apply(connection: Connection, after: float, op: str, args: tuple[Any, ...]) -> None:
        later(after, functools.partial(answer, connection, getattr(bucket, op)(*args)))

    threading.Thread(target=accept, daemon=True).start()
    while True:
        timeout = max(0.0, timers[0][0] - time.perf_counter()) if timers else None
        for key, _ in selector.select(timeout):
            ready = key.fileobj
            if ready is wake_read:
                wake_read.recv()
                while accepted:
                    selector.register(accepted.pop(), selectors.EVENT_READ)
                continue
            assert isinstance(ready, Connection)
            try:
                before, after, op, args = ready.recv()
            except (EOFError, OSError):
                selector.unregister(ready)
                continue
            if op == "stop":
                ready.send(None)
                listener.close()  # removes the socket file
                return
            later(before, functools.partial(apply, ready, after, op, args))
        now = time.perf_counter()
        while timers and timers[0][0] <= now:
            heapq.heappop(timers)[2]()


# --- the client doubles -------------------------------------------------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, limit: int = -1) -> bytes:
        return self._data if limit < 0 else self._data[:limit]

    def close(self) -> None:
        pass


def _error(code: str, status: int, operation: str) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


class _Paginator:
    def __init__(self, client: FakeS3) -> None:
        self._client = client

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        prefix, after = kwargs.get("Prefix", ""), ""
        size = kwargs.get("PaginationConfig", {}).get("PageSize", 1000)
        while True:
            keys = self._client._call("listing", prefix, after, size)
            yield {"Contents": [{"Key": key} for key in keys]}
            if len(keys) < size:
                return
            after = keys[-1]


class FakeS3:
    """A boto3 S3 client double (the calls :class:`~badgekiln.store.S3Store` makes) with latency."""

    def __init__(self, backend: Backend, latency: tuple[float, float] | None = (0.03, 0.08)) -> None:
        self.backend = backend
        self.latency = latency

    def _call(self, op: str, *args: Any) -> Any:
        if self.latency is None:
            return self.backend.call(op, *args)
        # half the latency before the request takes effect, half after; jitter, not secrecy
        before, after = (random.uniform(*self.latency) / 2 for _ in range(2))
        return self.backend.delayed(before, after, op, *args)

    def get_paginator(self, name: str) -> _Paginator:
        assert name == "list_objects_v2"
        return _Paginator(self)

    def _read(self, key: str, operation: str) -> tuple[bytes, str, str, str | None, dict[str, str]]:
        found = self._call("get", key)
        if found is None:
            raise _error("NoSuchKey" if operation == "GetObject" else "404", 404, operation)
        return found  # type: ignore[no-any-return]

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:  # boto3's names
        body, etag, content_type, cache_control, metadata = self._read(Key, "GetObject")
        return {
            "Body": _Body(body), "ContentLength": len(body), "ETag": etag, "ContentType": content_type,
            "CacheControl": cache_control, "Metadata": dict(metadata),
        }  # fmt: skip

    def head_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        body, etag, content_type, cache_control, metadata = self._read(Key, "HeadObject")
        return {
            "ContentLength": len(body), "ETag": etag, "ContentType": content_type,
            "CacheControl": cache_control, "Metadata": dict(metadata),
        }  # fmt: skip

    def put_object(self, **params: Any) -> dict[str, Any]:
        started = time.perf_counter()
        headers = {k: v for k, v in params.items() if k not in ("Bucket", "Key", "Body")}
        answer = self._call("put", params["Key"], params["Body"], headers, started)
        if isinstance(answer, tuple):
            raise _error(answer[0], answer[1], "PutObject")
        return {"ETag": answer}

    def delete_object(self, **params: Any) -> dict[str, Any]:
        answer = self._call("delete", params["Key"], params.get("IfMatch"))
        if answer is not None:
            raise _error(answer[0], answer[1], "DeleteObject")
        return {}

    def delete_objects(self, **params: Any) -> dict[str, Any]:
        self._call("delete_many", [item["Key"] for item in params["Delete"]["Objects"]])
        return {}


class FakeSQS:
    """A boto3 SQS client double of one FIFO queue (send, receive, delete) with latency."""

    def __init__(self, backend: Backend, latency: tuple[float, float] | None = (0.01, 0.03)) -> None:
        self._s3 = FakeS3(backend, latency)

    def send_message(self, **params: Any) -> dict[str, Any]:
        return {"MessageId": self._s3._call("send", params["MessageGroupId"], params["MessageBody"])}

    def receive_message(self, **params: Any) -> dict[str, Any]:
        found = self._s3._call("receive", params.get("MaxNumberOfMessages", 1))
        return {"Messages": [{"ReceiptHandle": receipt, "Body": body} for receipt, body in found]}

    def delete_message(self, **params: Any) -> dict[str, Any]:
        self._s3._call("remove", params["ReceiptHandle"])
        return {}


# --- signing at a fixed cost -------------------------------------------------------------------------


@contextlib.contextmanager
def fixed_cost_signing(seconds: float) -> Iterator[None]:
    """While open, Data Integrity signing costs ``seconds`` of waiting and no CPU (module doc).

    The proof has the real proof's members and a dummy value: the bench checks coordination, and
    badgekiln's verifier is exercised by the tests.
    """
    from badgekiln.proofs import dataintegrity

    original = dataintegrity.create_proof

    def create_proof(
        document: Mapping[str, Any],
        signer: Signer,
        *,
        verification_method: str,
        created: datetime | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        time.sleep(seconds)
        proof = {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": (created or datetime.now()).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "verificationMethod": verification_method,
            "proofPurpose": "assertionMethod",
            "proofValue": "z" + "1" * 86,
        }
        return {**document, "proof": proof}

    dataintegrity.create_proof = create_proof
    try:
        yield
    finally:
        dataintegrity.create_proof = original


def _png() -> bytes:
    import io

    import png

    out = io.BytesIO()
    png.Writer(8, 8, greyscale=False).write(out, [[200, 40, 40] * 8 for _ in range(8)])
    return out.getvalue()


# --- the scenario ------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """One run's size. ``seconds`` caps each phase (a design that cannot keep up is cut short)."""

    issuances: int
    revocations: int
    workers: int
    seconds: float
    latency: tuple[float, float] | None = (0.03, 0.08)
    sign_seconds: float = 0.002
    #: Worker processes (each runs ``workers / processes`` environments); 0 runs all in this one.
    processes: int = 0
    #: Publisher threads (concurrent publisher invocations).
    publishers: int = 4
    #: Operations started per second (an open workload), or ``None``: every environment starts
    #: its next operation as soon as its last one answered (the most the run can do).
    rate: float | None = None


@dataclass
class Phase:
    done: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    #: CPU seconds by part of the run: the environments, the S3 double's server, the publisher
    cpu_parts: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    hottest: tuple[str, int] = ("", 0)
    requests: int = 0

    @property
    def rate(self) -> float:
        return self.done / self.wall if self.wall else 0.0

    @property
    def cpu(self) -> float:
        return sum(self.cpu_parts.values())


@dataclass
class Result:
    issue: Phase
    revoke: Phase
    #: (list, index) handed out more than once.
    duplicated: int
    #: revocations answered as done whose bit is not set in the hosted list at the end.
    lost: int
    #: set bits of credentials that were not revoked.
    spurious: int
    #: seconds from each revocation request to the hosted list showing it.
    published: list[float]
    #: seconds from each revocation's answer (the change durable) to the hosted list showing it.
    published_after_answer: list[float]
    #: the publisher's invocations: (seconds, changes published, ticks)
    ticks: list[tuple[float, int, int]]
    unpublished: int


@dataclass
class _Share:
    """What one process did in one phase."""

    done: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    first: float = float("inf")
    last: float = 0.0
    cpu: float = 0.0
    issued: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    started: dict[tuple[int, int], float] = field(default_factory=dict)
    #: (list, index) revoked → when the revocation answered
    succeeded: dict[tuple[int, int], float] = field(default_factory=dict)


def _run_share(
    scenario: Scenario,
    backend: Backend,
    jobs: list[int],
    environments: int,
    op: Callable[[S3Store, int, _Share], None],
    *,
    start_at: float,
) -> _Share:
    share = _Share()
    if scenario.rate:  # a paced phase lasts from its start, however late its first operation begins
        share.first = start_at
    lock = threading.Lock()
    pending = iter(jobs)
    deadline = time.perf_counter() + scenario.seconds
    cpu = time.process_time()

    def worker() -> None:
        store = S3Store(BUCKET, PREFIX, client=FakeS3(backend, scenario.latency))  # type: ignore[arg-type]
        while time.perf_counter() < deadline:
            with lock:
                n = next(pending, None)
            if n is None:
                return
            if scenario.rate:  # operation n starts n / rate seconds into the phase
                time.sleep(max(0.0, start_at + n / scenario.rate - time.perf_counter()))
            begun = time.perf_counter()
            try:
                op(store, n, share)
            except BadgeKilnError as exc:
                with lock:
                    share.errors[f"{type(exc).__name__}({exc.details.get('reason', '')})"] += 1
                continue
            ended = time.perf_counter()
            with lock:
                share.done += 1
                share.latencies.append(ended - begun)
                share.first, share.last = min(share.first, begun), max(share.last, ended)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(environments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()) + 60)
    share.cpu = time.process_time() - cpu
    return share


def _issue_op(store: S3Store, n: int, share: _Share) -> None:
    credential = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": f"r{n}@example.org", "image": "none"}
    )
    assert isinstance(credential.credential, dict)
    entry = credential.credential["credentialStatus"]
    number = int(entry["statusListCredential"].rsplit("/", 2)[-2])
    share.issued[n] = (credential.name, number, int(entry["statusListIndex"]))


def _revoke_op(
    victims: list[tuple[str, int, int]], notify: QueueNotifier
) -> Callable[[S3Store, int, _Share], None]:
    def one(store: S3Store, n: int, share: _Share) -> None:
        name, number, index = victims[n]
        share.started[(number, index)] = time.perf_counter()
        revoke(store, "acme", name, notify=notify)
        share.succeeded[(number, index)] = time.perf_counter()

    return one


def _publishers(
    scenario: Scenario, backend: Backend, stop: Any, ticks: list[tuple[float, int, int]]
) -> list[threading.Thread]:
    """Threads standing in for the publisher function's concurrent invocations; each
    invocation's duration, changes and ticks go to ``ticks``."""
    sqs = FakeSQS(backend, scenario.latency and (0.01, 0.03))
    queue = QueueNotifier(QUEUE_URL, client=sqs)

    def loop() -> None:
        store = S3Store(BUCKET, PREFIX, client=FakeS3(backend, scenario.latency))  # type: ignore[arg-type]
        while not stop.is_set():
            messages = sqs.receive_message(QueueUrl=QUEUE_URL, MaxNumberOfMessages=1)["Messages"]
            if not messages:
                time.sleep(0.02)  # long polling returns as soon as a message arrives
            for message in messages:
                begun = time.perf_counter()
                try:
                    published = publish_message(store, message["Body"], queue)
                except BadgeKilnError:
                    continue  # the message becomes visible again and is retried
                ticks.append((time.perf_counter() - begun, published.changes, published.ticks))
                sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=message["ReceiptHandle"])

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(scenario.publishers)]
    for thread in threads:
        thread.start()
    return threads


@dataclass
class _Work:
    """One process's part of a phase."""

    kind: str
    jobs: list[int]
    environments: int
    victims: list[tuple[str, int, int]]
    #: when the phase starts (``time.perf_counter``: one clock for every process)
    start_at: float


def _child(scenario: Scenario, address: str | None, work: _Work, out: Connection) -> None:
    backend = Remote(address) if address else _LOCAL[0]
    if work.kind == "issue":
        out.send(
            _run_share(scenario, backend, work.jobs, work.environments, _issue_op, start_at=work.start_at)
        )
    else:
        notify = QueueNotifier(QUEUE_URL, client=FakeSQS(backend, scenario.latency and (0.01, 0.03)))
        op = _revoke_op(work.victims, notify)
        out.send(_run_share(scenario, backend, work.jobs, work.environments, op, start_at=work.start_at))


def _publisher_child(scenario: Scenario, address: str, stop: Any, out: Connection) -> None:
    with fixed_cost_signing(scenario.sign_seconds):
        ticks: list[tuple[float, int, int]] = []
        for thread in _publishers(scenario, Remote(address), stop, ticks):
            thread.join()
    out.send((time.process_time(), ticks))  # its CPU counts with the revocations (their phase)


_LOCAL: list[Local] = []


def _phase(
    scenario: Scenario, control: Backend, address: str | None, *, count: int, kind: str,
    victims: list[tuple[str, int, int]],
) -> tuple[Phase, list[_Share]]:  # fmt: skip
    server_cpu = control.call("reset")
    processes = max(1, scenario.processes)
    shares: list[_Share] = []
    if address is None:  # all in this process
        reader, writer = multiprocessing.Pipe(duplex=False)
        work = _Work(kind, list(range(count)), scenario.workers, victims, time.perf_counter())
        _child(scenario, None, work, writer)
        shares.append(reader.recv())
    else:
        context = multiprocessing.get_context("fork")
        pipes, children = [], []
        start_at = time.perf_counter() + 0.2 * processes  # when every process has started
        for p in range(processes):
            reader, writer = context.Pipe(duplex=False)
            work = _Work(
                kind, list(range(p, count, processes)), scenario.workers // processes, victims, start_at
            )
            child = context.Process(target=_child, args=(scenario, address, work, writer))
            child.start()
            pipes.append(reader)
            children.append(child)
        shares = [reader.recv() for reader in pipes]
        for child in children:
            child.join()
    writes, requests, server_now = control.call("counters")
    phase = Phase(requests=requests)
    for share in shares:
        phase.done += share.done
        phase.errors.update(share.errors)
        phase.latencies.extend(share.latencies)
        phase.cpu_parts["environments"] += share.cpu
    if address is not None:
        phase.cpu_parts["S3 double"] += server_now - server_cpu
    phase.wall = max((s.last for s in shares), default=0.0) - min((s.first for s in shares), default=0.0)
    if writes:
        phase.hottest = max(writes.items(), key=lambda item: item[1])
    return phase, shares


def _seed(store: S3Store) -> None:
    create_issuer(store, PUBLIC_URL, {"name": "Acme", "url": "https://acme.example", "slug": "acme"})
    achievement = {"name": "Teamwork", "slug": "teamwork", "description": "W.", "criteria": "D."}
    create_achievement(store, "acme", achievement, _png())


@dataclass
class LibraryCost:
    """CPU seconds of the library's own code per operation: one thread, no latency, no other
    process (the in-process double's calls included, signing free)."""

    issuance: float
    revocation: float
    #: the publisher's, per change published
    publication: float


def library_cost(count: int = 1_000) -> LibraryCost:
    """Measure :class:`LibraryCost` over ``count`` issuances and revocations (after a warm-up,
    as in a warm environment). Thread CPU time: the same on a busy machine as on an idle one,
    give or take caches and frequency scaling."""
    bucket = Local()
    store = S3Store(BUCKET, PREFIX, client=FakeS3(bucket, latency=None))  # type: ignore[arg-type]
    queue = QueueNotifier(QUEUE_URL, client=FakeSQS(bucket, latency=None))
    with fixed_cost_signing(0.0):
        _seed(store)
        names = []
        for n in range(count + 50):
            if n == 50:
                begun = time.thread_time()
            credential = issue_credential(
                store, "acme", {"achievement": "teamwork", "recipient": f"r{n}@example.org", "image": "none"}
            )
            names.append(credential.name)
        issuance = (time.thread_time() - begun) / count
        for name in names[:50]:
            revoke(store, "acme", name, notify=queue)
        publish_message(store, json.dumps({"issuer": "acme", "list": 0}), queue)
        begun = time.thread_time()
        for name in names[50 : count + 50]:
            revoke(store, "acme", name, notify=queue)
        revocation = (time.thread_time() - begun) / count
        begun = time.thread_time()
        published = publish_message(store, json.dumps({"issuer": "acme", "list": 0}), queue)
        publication = (time.thread_time() - begun) / max(1, published.changes)
    return LibraryCost(issuance, revocation, publication)


def run_scenario(scenario: Scenario) -> Result:
    """Seed one issuer, issue, revoke, and check what the hosted lists say (signing at a fixed
    cost meanwhile, in this process and the ones it starts)."""
    with fixed_cost_signing(scenario.sign_seconds):
        return _run(scenario)


def _run(scenario: Scenario) -> Result:
    address: str | None = None
    server = None
    if scenario.processes:
        context = multiprocessing.get_context("fork")
        address = f"/tmp/badgekiln-bench-{os.getpid()}-{uuid.uuid4().hex[:8]}.sock"
        server = context.Process(target=serve, args=(address,), daemon=True)
        server.start()
        control: Backend = Remote(address)
        for _ in range(1000):  # the socket file appears when bound, a moment before it listens
            try:
                control.call("counters")
                break
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(0.01)
    else:
        _LOCAL[:] = [Local()]
        control = _LOCAL[0]
    try:
        _seed(S3Store(BUCKET, PREFIX, client=FakeS3(control, latency=None)))  # type: ignore[arg-type]

        issue_phase, shares = _phase(
            scenario, control, address, count=scenario.issuances, kind="issue", victims=[]
        )
        issued = {n: entry for share in shares for n, entry in share.issued.items()}
        entries = Counter((number, index) for _, number, index in issued.values())
        duplicated = sum(c - 1 for c in entries.values() if c > 1)
        victims = [issued[n] for n in sorted(issued)][: scenario.revocations]

        stop = multiprocessing.get_context("fork").Event() if address else threading.Event()
        ticks: list[tuple[float, int, int]] = []
        if address:
            publisher_cpu, publisher_out = multiprocessing.get_context("fork").Pipe(duplex=False)
            publisher = multiprocessing.get_context("fork").Process(
                target=_publisher_child, args=(scenario, address, stop, publisher_out), daemon=True
            )
            publisher.start()
        else:
            threads = _publishers(scenario, control, stop, ticks)
        revoke_phase, shares = _phase(
            scenario, control, address, count=len(victims), kind="revoke", victims=victims
        )
        started = {entry: when for share in shares for entry, when in share.started.items()}
        answered = {entry: when for share in shares for entry, when in share.succeeded.items()}
        succeeded = set(answered)
        drain = time.perf_counter() + 15
        while time.perf_counter() < drain and not succeeded <= set(control.call("published")):
            time.sleep(0.1)
        stop.set()
        if address:
            if publisher_cpu.poll(30):
                cpu, ticks[:] = publisher_cpu.recv()
                revoke_phase.cpu_parts["publisher"] += cpu
            publisher.join(timeout=30)
        else:
            for thread in threads:
                thread.join(timeout=30)
        first_set = control.call("published")
        objects: dict[str, bytes] = control.call("dump")
    finally:
        if server is not None and address is not None:
            control.call("stop")
            server.join(timeout=10)

    lists: dict[int, StatusBitstring] = {}
    for key, body in objects.items():
        match = STATUS_LIST_KEY.fullmatch(key)
        if match and match.group(1) == "acme":
            encoded = json.loads(body)["credentialSubject"]["encodedList"]
            lists[int(match.group(2))] = StatusBitstring.decode(encoded)
    lost = sum(1 for number, index in succeeded if not lists[number].get(index))
    spurious = sum(1 for entry in entries if entry not in started and lists[entry[0]].get(entry[1]))
    published = [first_set[e] - started[e] for e in succeeded if e in first_set]
    published_after_answer = [first_set[e] - answered[e] for e in succeeded if e in first_set]
    return Result(
        issue=issue_phase,
        revoke=revoke_phase,
        duplicated=duplicated,
        lost=lost,
        spurious=spurious,
        published=published,
        published_after_answer=published_after_answer,
        ticks=ticks,
        unpublished=len(succeeded - set(first_set)),
    )


# --- report -------------------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(scenario: Scenario, result: Result, cost: LibraryCost | None = None) -> str:
    """The printed table; ``cost`` adds the library's own CPU per operation and the rates it
    and this run's CPU per operation allow on this machine's cores when idle."""
    cores = os.cpu_count() or 1
    low, high = scenario.latency or (0.0, 0.0)
    lines = [
        f"one issuer, {scenario.workers} environments in {max(1, scenario.processes)} processes, "
        f"{scenario.publishers} publishers, S3 latency {low * 1000:.0f}–{high * 1000:.0f} ms per request, "
        f"signing {scenario.sign_seconds * 1000:.0f} ms"
        + (f", {scenario.rate:,.0f} operations started per second" if scenario.rate else ""),
    ]
    for name, phase in (("issuances", result.issue), ("revocations", result.revoke)):
        per = phase.hottest[1] / phase.done if phase.done else float("nan")
        lines.append(
            f"{name:>12}: {phase.done:,} in {phase.wall:.1f} s = {phase.rate:,.0f}/s; "
            f"latency p50 {_percentile(phase.latencies, 0.5) * 1000:.0f} ms, "
            f"p99 {_percentile(phase.latencies, 0.99) * 1000:.0f} ms; "
            f"hottest object {phase.hottest[0].removeprefix(PREFIX + '/')!r}: {phase.hottest[1]:,} writes "
            f"= {per:.4f} per op; {phase.requests / phase.wall if phase.wall else 0:,.0f} requests/s; "
            f"CPU {phase.cpu / phase.wall / cores * 100 if phase.wall else 0:.0f} % of {cores} cores, "
            f"{phase.cpu / phase.done * 1000 if phase.done else 0:.2f} ms per op"
            + (f"; errors {dict(phase.errors)}" if phase.errors else "")
        )
        if phase.done and phase.cpu:
            parts = ", ".join(
                f"{part} {cpu / phase.done * 1000:.2f}" for part, cpu in phase.cpu_parts.items()
            )
            idle = cores * phase.done / phase.cpu
            lines.append(f"{'':>12}  CPU ms per op: {parts} (≤ {idle:,.0f}/s on {cores} idle cores)")
    for since, published in (("request", result.published), ("answer", result.published_after_answer)):
        lines.append(
            f"   published: revocation {since} → hosted list p50 {_percentile(published, 0.5):.2f} s, "
            f"p99 {_percentile(published, 0.99):.2f} s, max {max(published, default=float('nan')):.2f} s"
            + (f"; {result.unpublished} never published" if since == "request" else "")
        )
    ticks = sum(t for _, _, t in result.ticks)
    changes = sum(c for _, c, _ in result.ticks)
    lines.append(
        f"   publisher: {len(result.ticks):,} messages, {ticks:,} ticks, "
        f"{changes / max(1, ticks):,.0f} changes per tick, "
        f"{sum(s for s, _, _ in result.ticks) / max(1, ticks) * 1000:.0f} ms per tick on average"
    )
    if cost is not None:
        lines.append(
            f"     library: CPU ms per op (one thread, no latency): issuance {cost.issuance * 1000:.3f} "
            f"(≤ {cores / cost.issuance:,.0f}/s on {cores} idle cores), "
            f"revocation {cost.revocation * 1000:.3f} (≤ {cores / cost.revocation:,.0f}/s), "
            f"publishing {cost.publication * 1000:.3f} per change"
        )
    total = result.issue.done + result.revoke.done
    lines.append(
        f"   integrity: {total:,} operations; {result.duplicated} duplicated indices, "
        f"{result.lost} lost revocations (answered, not in the hosted list), {result.spurious} spurious bits"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (a few thousand operations)")
    parser.add_argument("--issuances", type=int, help="issuances (default 60,000; --quick 2,000)")
    parser.add_argument("--revocations", type=int, help="revocations (default 45,000; --quick 1,000)")
    parser.add_argument("--workers", type=int, default=600, help="concurrent environments (default 600)")
    parser.add_argument(
        "--processes",
        type=int,
        default=8,
        help="worker processes (default 8: fewer threads per interpreter lock)",
    )
    parser.add_argument("--seconds", type=float, help="cap per phase (default 120; --quick 30)")
    parser.add_argument("--latency-ms", type=float, nargs=2, default=(30, 80), metavar=("LOW", "HIGH"))
    parser.add_argument("--sign-ms", type=float, default=2.0, help="fixed cost of one signature (ms)")
    parser.add_argument(
        "--rate", type=float, help="start this many operations per second (default: as many as answer)"
    )
    args = parser.parse_args()
    scenario = Scenario(
        issuances=args.issuances or (2_000 if args.quick else 60_000),
        revocations=args.revocations or (1_000 if args.quick else 45_000),
        workers=args.workers,
        seconds=args.seconds or (30 if args.quick else 120),
        latency=(args.latency_ms[0] / 1000, args.latency_ms[1] / 1000),
        sign_seconds=args.sign_ms / 1000,
        processes=args.processes,
        rate=args.rate,
    )
    print(report(scenario, run_scenario(scenario), library_cost(300 if args.quick else 2_000)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
