"""Coordination at scale: one issuer's issuances and revocations against S3 with real latency.

Run with ``.venv/bin/python bench/bench_scale.py [--quick]`` (``make bench`` runs it).

The store is the real :class:`~badgekiln.store.S3Store` over :class:`FakeS3`, a boto3 S3 client
double that answers from memory after an injected latency (default uniform 30–80 ms per
request, half before the request takes effect and half after) with S3's conditional-write
semantics: ``If-None-Match: *`` and ``If-Match`` are checked when the write takes effect (the
first to finish wins, later ones get 412 ``PreconditionFailed``), and a conditional write
overtaken in flight by another write of its key gets 409 ``ConditionalRequestConflict``.

Each worker thread is one Lambda execution environment: its own store object (so its own
in-process caches and queues), one request at a time. Signing costs a fixed small time (a sleep:
on Lambda every environment has its own CPU, which this 2-core machine cannot lend to hundreds
of them), so what is measured is coordination through S3, not this machine's CPU; the CPU the
run did use is printed to show it was not the bottleneck. Everything else is the library's real
code: :func:`badgekiln.issue.issue_credential`, :func:`badgekiln.issue.revoke` and whatever
publishing they trigger.

Printed for one issuer: the hottest object's write requests per issuance and per revocation,
sustained issuances/s and revocations/s, revocation-to-published latency (from the revocation
request to the hosted list showing it; p50/p99/max), and lost or duplicated status indices.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from badgekiln.errors import BadgeKilnError
from badgekiln.issue import create_achievement, create_issuer, issue_credential, revoke
from badgekiln.keys.signer import Signer
from badgekiln.status import StatusBitstring
from badgekiln.store import S3Store

PUBLIC_URL = "https://badges.example.org"
BUCKET = "badgekiln-scale"
PREFIX = "bench"
#: Hosted status lists of every issuer (the revocation-to-published watcher reads these).
STATUS_LIST_KEY = re.compile(rf"{PREFIX}/public/issuers/([a-z0-9-]+)/status/(\d+)/revocation\.json")

__all__ = ["FakeS3", "Scenario", "fixed_cost_signing", "run_scenario"]


# --- the S3 double ---------------------------------------------------------------------------------


@dataclass
class _Object:
    body: bytes
    etag: str
    content_type: str
    cache_control: str | None
    metadata: dict[str, str]


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, limit: int = -1) -> bytes:
        return self._data if limit < 0 else self._data[:limit]

    def close(self) -> None:
        pass


def _error(code: str, status: int, operation: str, message: str = "") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message or code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


class _Paginator:
    def __init__(self, client: FakeS3) -> None:
        self._client = client

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        prefix = kwargs.get("Prefix", "")
        size = kwargs.get("PaginationConfig", {}).get("PageSize", 1000)
        after = ""
        while True:
            keys = self._client._list_page(prefix, after, size)
            yield {"Contents": [{"Key": key} for key in keys]}
            if len(keys) < size:
                return
            after = keys[-1]


class FakeS3:
    """A boto3 S3 client double (the calls :class:`~badgekiln.store.S3Store` makes) with latency.

    ``writes`` counts write requests (PUT and DELETE, refused ones included) per key, ``requests``
    every request per operation; ``on_commit(key, body, when)`` is called for every write that
    takes effect. ``latency`` is ``(low, high)`` seconds, or ``None`` for none.
    """

    def __init__(self, latency: tuple[float, float] | None = (0.03, 0.08)) -> None:
        self.latency = latency
        self.writes: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.on_commit: Callable[[str, bytes, float], None] | None = None
        self._objects: dict[str, _Object] = {}
        self._commits: Counter[str] = Counter()  # writes that took effect, per key (409 detection)
        self._lock = threading.Lock()

    def _half(self) -> None:
        if self.latency is not None:
            time.sleep(random.uniform(*self.latency) / 2)  # jitter, not secrecy

    def objects(self) -> Mapping[str, bytes]:
        """Every stored key and body, read without latency (for checking results)."""
        with self._lock:
            return {key: obj.body for key, obj in self._objects.items()}

    def get_paginator(self, name: str) -> _Paginator:
        assert name == "list_objects_v2"
        return _Paginator(self)

    def _list_page(self, prefix: str, after: str, size: int) -> list[str]:
        self.requests["list"] += 1
        self._half()
        with self._lock:
            keys = sorted(k for k in self._objects if k.startswith(prefix) and k > after)[:size]
        self._half()
        return keys

    def _read(self, key: str, operation: str) -> _Object:
        self.requests[operation] += 1
        self._half()
        with self._lock:
            found = self._objects.get(key)
        self._half()
        if found is None:
            raise _error("NoSuchKey" if operation == "get" else "404", 404, operation)
        return found

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:  # boto3's names
        found = self._read(Key, "get")
        return {
            "Body": _Body(found.body),
            "ContentLength": len(found.body),
            "ETag": found.etag,
            "ContentType": found.content_type,
            "CacheControl": found.cache_control,
            "Metadata": dict(found.metadata),
        }

    def head_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        found = self._read(Key, "head")
        return {
            "ContentLength": len(found.body),
            "ETag": found.etag,
            "ContentType": found.content_type,
            "CacheControl": found.cache_control,
            "Metadata": dict(found.metadata),
        }

    def put_object(self, **params: Any) -> dict[str, Any]:
        key: str = params["Key"]
        body: bytes = params["Body"]
        if_match, if_none_match = params.get("IfMatch"), params.get("IfNoneMatch")
        self.requests["put"] += 1
        with self._lock:
            self.writes[key] += 1
            seen = self._commits[key]
        self._half()
        etag = f'"{hashlib.md5(body).hexdigest()}"'  # S3's own ETag of a single-part object
        with self._lock:
            current = self._objects.get(key)
            conditional = if_match is not None or if_none_match is not None
            if conditional and self._commits[key] != seen:
                failure: ClientError | None = _error("ConditionalRequestConflict", 409, "PutObject")
            elif if_none_match is not None and current is not None:
                failure = _error("PreconditionFailed", 412, "PutObject")
            elif if_match is not None and (current is None or current.etag != if_match):
                failure = (
                    _error("PreconditionFailed", 412, "PutObject")
                    if current
                    else _error("NoSuchKey", 404, "PutObject")
                )
            else:
                failure = None
                self._objects[key] = _Object(
                    body, etag, params.get("ContentType", "binary/octet-stream"),
                    params.get("CacheControl"), dict(params.get("Metadata", {})),
                )  # fmt: skip
                self._commits[key] += 1
                when = time.perf_counter()
        if failure is None and self.on_commit is not None:
            self.on_commit(key, body, when)
        self._half()
        if failure is not None:
            raise failure
        return {"ETag": etag}

    def delete_object(self, **params: Any) -> dict[str, Any]:
        key: str = params["Key"]
        if_match = params.get("IfMatch")
        self.requests["delete"] += 1
        with self._lock:
            self.writes[key] += 1
        self._half()
        with self._lock:
            current = self._objects.get(key)
            failure = None
            if if_match is not None and current is None:
                failure = _error("NoSuchKey", 404, "DeleteObject")
            elif if_match is not None and current is not None and current.etag != if_match:
                failure = _error("PreconditionFailed", 412, "DeleteObject")
            elif current is not None:
                del self._objects[key]
                self._commits[key] += 1
        self._half()
        if failure is not None:
            raise failure
        return {}


# --- signing at a fixed cost -------------------------------------------------------------------------


def fixed_cost_signing(seconds: float) -> None:
    """Make Data Integrity signing cost ``seconds`` of waiting and no CPU (see the module doc).

    The proof has the real proof's members and a dummy value: the bench checks coordination, and
    badgekiln's verifier is exercised by the tests.
    """
    from badgekiln.proofs import dataintegrity

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
    #: Extra threads standing in for whatever publishes revocations off the request path.
    background: Callable[[S3Store, FakeS3, threading.Event], list[threading.Thread]] | None = None


@dataclass
class Phase:
    done: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0
    unfinished: int = 0
    hottest: tuple[str, int] = ("", 0)
    requests: int = 0

    @property
    def rate(self) -> float:
        return self.done / self.wall if self.wall else 0.0


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
    unpublished: int


class _Watcher:
    """Times when each revoked (list, index) first shows in a hosted list written to the double."""

    def __init__(self) -> None:
        self.started: dict[tuple[int, int], float] = {}
        self.published: dict[tuple[int, int], float] = {}
        self._queue: queue.SimpleQueue[tuple[str, bytes, float] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def on_commit(self, key: str, body: bytes, when: float) -> None:
        if STATUS_LIST_KEY.fullmatch(key):
            self._queue.put((key, body, when))

    def start(self, entry: tuple[int, int], when: float) -> None:
        with self._lock:
            self.started.setdefault(entry, when)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            key, body, when = item
            match = STATUS_LIST_KEY.fullmatch(key)
            assert match is not None
            number = int(match.group(2))
            try:
                bits = StatusBitstring.decode(json.loads(body)["credentialSubject"]["encodedList"])
            except (ValueError, KeyError, BadgeKilnError):
                continue
            with self._lock:
                waiting = [e for e in self.started if e[0] == number and e not in self.published]
            for entry in waiting:
                if bits.get(entry[1]):
                    with self._lock:
                        self.published[entry] = when

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()


def _phase(
    stores: list[S3Store], client: FakeS3, count: int, seconds: float, op: Callable[[S3Store, int], None]
) -> Phase:
    result = Phase()
    lock = threading.Lock()
    jobs = iter(range(count))
    client.writes.clear()
    requests_before = sum(client.requests.values())
    started = time.perf_counter()
    cpu_before = time.process_time()
    deadline = started + seconds
    finished = [0.0]

    def worker(store: S3Store) -> None:
        while time.perf_counter() < deadline:
            with lock:
                n = next(jobs, None)
            if n is None:
                return
            begun = time.perf_counter()
            try:
                op(store, n)
            except BadgeKilnError as exc:
                with lock:
                    result.errors[f"{type(exc).__name__}({exc.details.get('reason', '')})"] += 1
                continue
            ended = time.perf_counter()
            with lock:
                result.done += 1
                result.latencies.append(ended - begun)
                finished[0] = max(finished[0], ended)

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()) + 30)
    result.unfinished = sum(t.is_alive() for t in threads)
    result.wall = (finished[0] or time.perf_counter()) - started
    result.cpu = time.process_time() - cpu_before
    result.requests = sum(client.requests.values()) - requests_before
    if client.writes:
        result.hottest = client.writes.most_common(1)[0]
    return result


def run_scenario(scenario: Scenario) -> Result:
    """Seed one issuer, issue, revoke, and check what the hosted lists say."""
    fixed_cost_signing(scenario.sign_seconds)
    client = FakeS3(latency=None)
    seed = S3Store(BUCKET, PREFIX, client=client)  # type: ignore[arg-type]  # a boto3 client double
    create_issuer(seed, PUBLIC_URL, {"name": "Acme", "url": "https://acme.example", "slug": "acme"})
    create_achievement(
        seed,
        "acme",
        {"name": "Teamwork", "slug": "teamwork", "description": "Works.", "criteria": "Did."},
        _png(),
    )
    client.latency = scenario.latency
    stores = [S3Store(BUCKET, PREFIX, client=client) for _ in range(scenario.workers)]  # type: ignore[arg-type]
    issued: dict[int, tuple[str, int, int]] = {}

    def issue(store: S3Store, n: int) -> None:
        credential = issue_credential(
            store, "acme", {"achievement": "teamwork", "recipient": f"r{n}@example.org", "image": "none"}
        )
        assert isinstance(credential.credential, dict)
        entry = credential.credential["credentialStatus"]
        url: str = entry["statusListCredential"]
        number = int(url.rsplit("/", 2)[-2])
        issued[n] = (credential.name, number, int(entry["statusListIndex"]))

    issue_phase = _phase(stores, client, scenario.issuances, scenario.seconds, issue)
    entries = Counter((number, index) for _, number, index in issued.values())
    duplicated = sum(c - 1 for c in entries.values() if c > 1)

    watcher = _Watcher()
    client.on_commit = watcher.on_commit
    stop = threading.Event()
    background = scenario.background(seed, client, stop) if scenario.background else []
    victims = list(issued.values())[: scenario.revocations]

    succeeded: set[tuple[int, int]] = set()

    def revoke_one(store: S3Store, n: int) -> None:
        name, number, index = victims[n]
        watcher.start((number, index), time.perf_counter())
        revoke(store, "acme", name)
        succeeded.add((number, index))

    revoke_phase = _phase(stores, client, len(victims), scenario.seconds, revoke_one)
    drain = time.perf_counter() + 10
    while time.perf_counter() < drain and not succeeded <= set(watcher.published):
        time.sleep(0.05)
    stop.set()
    for thread in background:
        thread.join(timeout=30)
    watcher.stop()
    client.on_commit = None

    lists: dict[int, StatusBitstring] = {}
    for key, body in client.objects().items():
        match = STATUS_LIST_KEY.fullmatch(key)
        if match and match.group(1) == "acme":
            encoded = json.loads(body)["credentialSubject"]["encodedList"]
            lists[int(match.group(2))] = StatusBitstring.decode(encoded)
    revoked = set(watcher.started)
    lost = sum(1 for number, index in succeeded if not lists[number].get(index))
    spurious = sum(1 for entry in entries if entry not in revoked and lists[entry[0]].get(entry[1]))
    published = [watcher.published[e] - watcher.started[e] for e in watcher.published]
    return Result(
        issue=issue_phase,
        revoke=revoke_phase,
        duplicated=duplicated,
        lost=lost,
        spurious=spurious,
        published=published,
        unpublished=len(succeeded - set(watcher.published)),
    )


# --- report -------------------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _generic(key: str) -> str:
    return key.removeprefix(f"{PREFIX}/")


def report(scenario: Scenario, result: Result) -> str:
    cores = os.cpu_count() or 1
    lines = [
        f"one issuer, {scenario.workers} workers (one per simulated Lambda environment), S3 latency "
        + (
            f"{scenario.latency[0] * 1000:.0f}–{scenario.latency[1] * 1000:.0f} ms"
            if scenario.latency
            else "none"
        )
        + f" per request, signing {scenario.sign_seconds * 1000:.0f} ms",
    ]
    for name, phase in (("issuances", result.issue), ("revocations", result.revoke)):
        per = phase.hottest[1] / phase.done if phase.done else float("nan")
        lines.append(
            f"{name:>12}: {phase.done:,} in {phase.wall:.1f} s = {phase.rate:,.0f}/s; "
            f"latency p50 {_percentile(phase.latencies, 0.5) * 1000:.0f} ms, "
            f"p99 {_percentile(phase.latencies, 0.99) * 1000:.0f} ms; "
            f"hottest object {_generic(phase.hottest[0])!r}: {phase.hottest[1]:,} writes = {per:.4f} per op; "
            f"{phase.requests / phase.wall if phase.wall else 0:,.0f} S3 requests/s; "
            f"CPU {phase.cpu / phase.wall / cores * 100 if phase.wall else 0:.0f} % of {cores} cores"
            + (f"; errors {dict(phase.errors)}" if phase.errors else "")
            + (f"; {phase.unfinished} workers still busy at the cut" if phase.unfinished else "")
        )
    published = result.published
    lines.append(
        f"   published: revocation request → hosted list p50 {_percentile(published, 0.5):.2f} s, "
        f"p99 {_percentile(published, 0.99):.2f} s, max {max(published, default=float('nan')):.2f} s; "
        f"{result.unpublished} never published"
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
    parser.add_argument("--revocations", type=int, help="revocations (default 40,000; --quick 1,000)")
    parser.add_argument("--workers", type=int, default=400, help="concurrent environments (default 400)")
    parser.add_argument("--seconds", type=float, help="cap per phase (default 120; --quick 20)")
    parser.add_argument("--latency-ms", type=float, nargs=2, default=(30, 80), metavar=("LOW", "HIGH"))
    parser.add_argument("--sign-ms", type=float, default=2.0, help="fixed cost of one signature (ms)")
    args = parser.parse_args()
    scenario = Scenario(
        issuances=args.issuances or (2_000 if args.quick else 60_000),
        revocations=args.revocations or (1_000 if args.quick else 40_000),
        workers=args.workers,
        seconds=args.seconds or (20 if args.quick else 120),
        latency=(args.latency_ms[0] / 1000, args.latency_ms[1] / 1000),
        sign_seconds=args.sign_ms / 1000,
    )
    print(report(scenario, run_scenario(scenario)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
