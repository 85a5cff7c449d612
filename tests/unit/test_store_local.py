"""LocalStore specifics: file layout, crash consistency, damage, locks, threads and processes."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from badgekiln.errors import Conflict, NotFound, StoreError
from badgekiln.store import LocalStore, RetryPolicy, StoredObject
from tests.unit.test_store_contract import append_once

KEY = "public/status/list.json"
# Many writers on one key: a generous budget with short waits (it is one machine, not a network).
BUSY = RetryPolicy(attempts=200, base_delay=0.001, max_delay=0.02)


def object_file(store: LocalStore, key: str) -> Path:
    return store.root / f"{key}~obj"


def test_layout_permissions_and_etag(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    etag = store.put("private/keys/k.pem", b"secret", content_type="application/x-pem-file")
    path = object_file(store, "private/keys/k.pem")
    assert etag == f'"{hashlib.sha256(b"secret").hexdigest()}"'
    assert path.stat().st_mode & 0o777 == 0o600
    assert store.root.stat().st_mode & 0o777 == 0o700
    assert path.read_bytes().endswith(b"\nsecret")
    assert repr(store) == f"LocalStore({str(store.root)!r})"


def test_same_bytes_same_etag(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    a = store.put("public/a", b"same", content_type="text/plain")
    b = store.put("public/b", b"same", content_type="text/plain", cache_control="no-cache")
    assert a == b


# --- crash consistency --------------------------------------------------------------------------


def test_a_crash_before_the_rename_leaves_the_old_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a stored object, and a "crash" (failure) exactly at the rename of its replacement
    store = LocalStore(tmp_path)
    etag = store.put(KEY, b"old", content_type="application/json", cache_control="max-age=1")

    def crash(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreError) as caught:
        store.put(KEY, b"new", content_type="text/plain")
    assert caught.value.reason == "io"
    monkeypatch.undo()
    # THEN readers still see the old body with the old headers, and no temporary file remains
    got = store.get(KEY)
    assert (got.body, got.etag, got.content_type, got.cache_control) == (
        b"old",
        etag,
        "application/json",
        "max-age=1",
    )
    assert [p.name for p in object_file(store, KEY).parent.iterdir()] == ["list.json~obj"]


def test_leftover_temporary_files_are_invisible(tmp_path: Path) -> None:
    # GIVEN the debris of a process killed between writing its temporary file and renaming it
    store = LocalStore(tmp_path)
    store.put(KEY, b"kept", content_type="application/json")
    (object_file(store, KEY).parent / ".tmp-0123456789abcdef~tmp").write_bytes(b"half a wri")
    # THEN it is neither listed nor read
    assert list(store.list("")) == [KEY]
    assert store.get(KEY).body == b"kept"


@pytest.mark.parametrize(
    ("damage", "ranged"),
    [
        (lambda data: data[:-1], True),  # truncated body
        (lambda data: data[:-1] + bytes([data[-1] ^ 1]), False),  # flipped bit in the body
        (lambda data: data + b"x", False),  # trailing bytes
        (lambda data: b"not-ours" + data, True),  # no magic
        (lambda data: data.split(b"\n", 1)[0] + b"\n", True),  # magic only
        (lambda data: data.replace(b'"size":4', b'"size":"4"'), True),  # wrong type
        (lambda data: data.replace(b'"size":4', b'"size":-4'), True),  # impossible size
        (lambda data: data.replace(b'{"etag"', b'["etag"'), True),  # header not JSON
        (lambda data: b"badgekiln-object/1\n[]\n", True),  # header not an object
        (lambda data: b"badgekiln-object/1\n" + b"[" * 8000 + b"\n", True),  # nested past the parser
        (lambda data: data.replace(b'"metadata":{}', b'"metadata":{"a":1}'), True),  # metadata not strings
        (lambda data: b"", True),  # empty file
    ],
)
def test_damaged_objects_are_refused(tmp_path: Path, damage: object, ranged: bool) -> None:
    # a ranged read cannot check the hash of bytes it does not read: it sees what breaks the
    # header or the size only
    store = LocalStore(tmp_path)
    store.put(KEY, b"body", content_type="application/json")
    path = object_file(store, KEY)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    reads = [store.get, lambda key: store.get_range(key, 1, 3)] if ranged else [store.get]
    for read in reads:
        with pytest.raises(StoreError) as caught:
            read(KEY)
        assert caught.value.reason == "corrupt"


def test_a_ranged_read_reads_the_range_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a 1 MiB object
    store = LocalStore(tmp_path)
    body = bytes(range(256)) * 4096
    store.put(KEY, body, content_type="application/octet-stream")
    reads: list[int] = []
    real_pread = os.pread

    def pread(fd: int, length: int, offset: int) -> bytes:
        reads.append(length)
        return real_pread(fd, length, offset)

    monkeypatch.setattr(os, "pread", pread)
    # WHEN 100 bytes are read from its middle
    got = store.get_range(KEY, 500_000, 100)
    # THEN they are those bytes, read with the header (bounded) and nothing else
    assert got.body == body[500_000:500_100]
    assert reads[1:] == [100]
    assert reads[0] <= 8192 + 64


def test_a_damaged_object_can_be_repaired_but_not_compared(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    etag = store.put(KEY, b"body", content_type="application/json")
    object_file(store, KEY).write_bytes(b"garbage")
    with pytest.raises(StoreError) as caught:
        store.put(KEY, b"new", content_type="application/json", if_match=etag)
    assert caught.value.reason == "corrupt"
    with pytest.raises(StoreError):
        store.create(KEY, b"new", content_type="application/json")
    store.put(KEY, b"repaired", content_type="application/json")
    assert store.get(KEY).body == b"repaired"
    object_file(store, KEY).write_bytes(b"garbage")
    store.delete(KEY)
    assert list(store.list("")) == []


def test_a_symlink_is_not_an_object(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    store.put("public/real", b"x", content_type="text/plain")
    secret = tmp_path / "secret~obj"
    secret.write_bytes(b"outside the store")
    os.symlink(secret, object_file(store, "public/link"))
    with pytest.raises(StoreError) as caught:
        store.get("public/link")
    assert caught.value.reason == "io"
    assert list(store.list("public/")) == ["public/real"]


def test_foreign_files_are_not_listed(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put("public/a", b"x", content_type="text/plain")
    (tmp_path / "public" / "README").write_text("hi")
    (tmp_path / "public" / "bad name~obj").write_text("hi")
    (tmp_path / "stray").mkdir()
    (tmp_path / "stray" / "x~obj").write_text("hi")
    assert list(store.list("")) == ["public/a"]
    assert (tmp_path / ".locks").is_dir()  # exists, and is skipped


def test_a_held_lock_times_out(tmp_path: Path) -> None:
    # GIVEN another process holding the key's lock (simulated by holding it here)
    store = LocalStore(tmp_path, lock_timeout=0.05)
    store.put(KEY, b"1", content_type="application/json")
    lock = tmp_path / ".locks" / (hashlib.sha256(KEY.encode()).hexdigest() + ".lock")
    with open(lock, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            store.put(KEY, b"2", content_type="application/json")
        assert caught.value.reason == "lock-timeout"
        assert time.monotonic() - started < 5
        assert store.get(KEY).body == b"1"  # readers are never blocked
    store.put(KEY, b"3", content_type="application/json")  # released: writes go through again


# --- concurrency --------------------------------------------------------------------------------


def test_threads_lose_no_update_and_readers_see_whole_objects(tmp_path: Path) -> None:
    # GIVEN 16 threads each adding 25 distinct items to one JSON list, and a reader polling it
    store = LocalStore(tmp_path)
    calls = 0
    calls_lock = threading.Lock()
    done = threading.Event()
    reads: list[int] = []

    def writer(n: int) -> None:
        nonlocal calls
        for i in range(25):
            inner = append_once(f"t{n}-{i}")

            def counted(current: StoredObject | None, inner=inner) -> bytes:  # type: ignore[no-untyped-def]
                nonlocal calls
                with calls_lock:
                    calls += 1
                return inner(current)  # type: ignore[no-any-return]

            store.update(KEY, counted, content_type="application/json", retry=BUSY)

    errors: list[Exception] = []

    def reader() -> None:
        while not done.is_set():
            try:
                reads.append(len(json.loads(store.get(KEY).body)))
            except NotFound:
                pass  # before the first write
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            time.sleep(0.001)  # leave the writers the GIL

    watcher = threading.Thread(target=reader)
    watcher.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(writer, range(16)))
    elapsed = time.perf_counter() - started
    done.set()
    watcher.join()
    # THEN all 400 items are there, each once, and every read saw a whole, growing list
    items = json.loads(store.get(KEY).body)
    assert len(items) == 400
    assert len(set(items)) == 400
    assert calls >= 400
    assert errors == []
    assert reads
    assert reads == sorted(reads)
    print(
        f"\nLocalStore CAS: 400 updates, 16 threads, {calls} attempts, {len(reads)} reads, 0 lost, "
        f"{elapsed:.2f} s"
    )


def test_threads_create_once(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    barrier = threading.Barrier(16)
    outcomes: list[str] = []

    def create(n: int) -> None:
        barrier.wait()
        try:
            store.create("private/idempotency/k", str(n).encode(), content_type="text/plain")
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, range(16)))
    assert sorted(outcomes) == ["conflict"] * 15 + ["won"]


def _process_worker(root: str, worker: int, count: int, start: float) -> None:
    store = LocalStore(root)
    while time.time() < start:  # line the processes up so they really overlap
        time.sleep(0.001)
    attempts = 0

    def counted(item: str):  # type: ignore[no-untyped-def]
        def fn(current: StoredObject | None) -> bytes:
            nonlocal attempts
            attempts += 1
            return append_once(item)(current)

        return fn

    for i in range(count):
        store.update(KEY, counted(f"p{worker}-{i}"), content_type="application/json", retry=BUSY)
    store.put(f"private/test/attempts-{worker}", str(attempts).encode(), content_type="text/plain")
    with contextlib.suppress(Conflict):
        store.create("private/idempotency/race", str(worker).encode(), content_type="text/plain")


def test_processes_lose_no_update_and_create_once(tmp_path: Path) -> None:
    # GIVEN 4 processes, each adding 40 items to one list and racing to create one key
    context = multiprocessing.get_context("spawn")
    start = time.time() + 1.0
    processes = [
        context.Process(target=_process_worker, args=(str(tmp_path), n, 40, start)) for n in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    elapsed = time.time() - start
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    # THEN nothing is lost and exactly one creator's value is stored
    store = LocalStore(tmp_path)
    items = json.loads(store.get(KEY).body)
    assert sorted(items) == sorted(f"p{w}-{i}" for w in range(4) for i in range(40))
    assert store.get("private/idempotency/race").body in {b"0", b"1", b"2", b"3"}
    attempts = sum(int(store.get(f"private/test/attempts-{w}").body) for w in range(4))
    assert attempts >= 160
    print(f"\nLocalStore CAS: 160 updates from 4 processes, {attempts} attempts, 0 lost, {elapsed:.2f} s")
