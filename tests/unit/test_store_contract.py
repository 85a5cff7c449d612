"""The Store contract, run against both backends: LocalStore and S3Store (moto in-process).

A third, :class:`MemoryStore`, implements only the five primitives and checks nothing itself:
that it passes too shows the checks live in :class:`Store`, once, for every backend.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from badgekiln.errors import Conflict, InvalidField, NotFound, StoreError
from badgekiln.store import LocalStore, ObjectInfo, RetryPolicy, Store, StoredObject, Updater, Write
from tests.aws_support import mocked_aws

BUCKET = "badgekiln-test"
NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with mocked_aws(monkeypatch):
        yield


def _stale(current: StoredObject | None, if_match: str | None) -> bool:
    return if_match is not None and (current is None or current.etag.strip('"') != if_match.strip('"'))


class MemoryStore(Store):
    """Objects in a dict: the five primitives and nothing else (no checks of its own)."""

    def __init__(self) -> None:
        self.objects: dict[str, StoredObject] = {}
        self.seen: list[str] = []  # every key or prefix a primitive was handed

    def _get(self, key: str) -> StoredObject:
        self.seen.append(key)
        if key not in self.objects:
            raise NotFound(f"no object under {key!r}", key=key)
        return self.objects[key]

    def _head(self, key: str) -> ObjectInfo:
        return self._get(key)

    def _put(self, write: Write) -> str:
        self.seen.append(write.key)
        current = self.objects.get(write.key)
        if write.if_none_match and current is not None:
            raise Conflict("exists", key=write.key)
        if write.if_match is not None and (
            current is None or current.etag.strip('"') != write.if_match.strip('"')
        ):
            raise Conflict("changed", key=write.key)
        etag = f'"{hashlib.sha256(write.body).hexdigest()}"'
        self.objects[write.key] = StoredObject(
            key=write.key,
            etag=etag,
            size=len(write.body),
            content_type=write.content_type,
            cache_control=write.cache_control,
            metadata=MappingProxyType(dict(write.metadata)),
            body=write.body,
        )
        return etag

    def _delete(self, key: str, if_match: str | None) -> None:
        self.seen.append(key)
        current = self.objects.get(key)
        if _stale(current, if_match):
            raise Conflict("changed", key=key)
        self.objects.pop(key, None)

    def _list(self, prefix: str) -> Iterator[str]:
        self.seen.append(prefix)
        return iter(sorted(key for key in self.objects if key.startswith(prefix)))


@pytest.fixture(params=["local", "s3", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    if request.param == "memory":
        return MemoryStore()
    request.getfixturevalue("aws")
    import boto3

    from badgekiln.store.s3 import S3Store

    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return S3Store(BUCKET, "tenant-a", client=client)


def put_json(store: Store, key: str, value: Any, **kwargs: Any) -> str:
    return store.put(key, json.dumps(value).encode(), content_type="application/json", **kwargs)


# --- reads and writes --------------------------------------------------------------------------


def test_put_get_head_round_trip(store: Store) -> None:
    # GIVEN a document written with its headers
    etag = store.put(
        "public/issuers/acme.json",
        b'{"id": "acme"}',
        content_type="application/ld+json",
        cache_control="public, max-age=300",
        metadata={"issuer": "acme"},
    )
    # WHEN it is read back, whole and head only
    got = store.get("public/issuers/acme.json")
    info = store.head("public/issuers/acme.json")
    # THEN bytes, headers and ETag all survive
    assert got.body == b'{"id": "acme"}'
    assert (got.key, got.etag, got.size) == ("public/issuers/acme.json", etag, 14)
    assert got.content_type == "application/ld+json"
    assert got.cache_control == "public, max-age=300"
    assert dict(got.metadata) == {"issuer": "acme"}
    assert (info.etag, info.size, info.content_type, info.cache_control) == (
        etag,
        14,
        "application/ld+json",
        "public, max-age=300",
    )
    assert etag.startswith('"')
    assert etag.endswith('"')


def test_missing_objects_are_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.get("public/nothing.json")
    with pytest.raises(NotFound):
        store.head("private/nothing.json")


def test_get_range_reads_a_window_and_names_the_version(store: Store) -> None:
    # GIVEN an object of 26 bytes and an empty one
    etag = store.put("private/abc", b"abcdefghijklmnopqrstuvwxyz", content_type="text/plain")
    store.put("private/empty", b"", content_type="text/plain")
    # WHEN windows are read from its start, its middle, across and past its end
    middle = store.get_range("private/abc", 3, 4)
    # THEN each holds those bytes only, and the whole object's ETag and size
    assert (middle.body, middle.start, middle.size, middle.etag) == (b"defg", 3, 26, etag)
    assert middle.content_type == "text/plain"
    assert store.get_range("private/abc", 0, 1).body == b"a"
    assert store.get_range("private/abc", 20, 100).body == b"uvwxyz"  # short at the end
    for start in (26, 27, 10**9):
        past = store.get_range("private/abc", start, 10)
        assert (past.body, past.size, past.etag) == (b"", 26, etag)
    empty = store.get_range("private/empty", 0, 10)
    assert (empty.body, empty.size) == (b"", 0)
    with pytest.raises(NotFound):
        store.get_range("private/missing", 0, 10)


@pytest.mark.parametrize(
    ("start", "length"), [(-1, 1), (0, 0), (0, 8 * 1024 * 1024 + 1), (True, 1), (0, 2.0)]
)
def test_get_range_refuses_bad_windows(store: Store, start: Any, length: Any) -> None:
    store.put("private/abc", b"abc", content_type="text/plain")
    with pytest.raises(ValueError, match=r"^(start|length) "):
        store.get_range("private/abc", start, length)


def test_unconditional_put_replaces_and_changes_the_etag(store: Store) -> None:
    first = put_json(store, "public/a.json", 1)
    second = put_json(store, "public/a.json", 2)
    assert first != second
    assert store.get("public/a.json").body == b"2"
    assert store.get("public/a.json").cache_control is None


def test_create_only_once(store: Store) -> None:
    etag = store.create("private/idempotency/k1", b"first", content_type="application/json")
    with pytest.raises(Conflict):
        store.create("private/idempotency/k1", b"second", content_type="application/json")
    assert store.get("private/idempotency/k1").body == b"first"
    assert store.head("private/idempotency/k1").etag == etag


def test_if_match_replaces_only_that_version(store: Store) -> None:
    old = put_json(store, "public/list.json", [1])
    new = put_json(store, "public/list.json", [1, 2], if_match=old)
    with pytest.raises(Conflict):
        put_json(store, "public/list.json", [1, 3], if_match=old)
    assert store.get("public/list.json").body == b"[1, 2]"
    # quotes around the ETag do not matter
    put_json(store, "public/list.json", [1, 2, 3], if_match=new.strip('"'))
    assert store.get("public/list.json").body == b"[1, 2, 3]"


def test_if_match_on_a_missing_object_conflicts(store: Store) -> None:
    with pytest.raises(Conflict):
        put_json(store, "public/gone.json", 1, if_match='"0123"')
    with pytest.raises(NotFound):
        store.get("public/gone.json")


def test_delete(store: Store) -> None:
    etag = put_json(store, "public/a.json", 1)
    store.delete("public/never-was.json")  # a missing object is already deleted
    with pytest.raises(Conflict):
        store.delete("public/a.json", if_match='"not-the-etag"')
    assert store.get("public/a.json").body == b"1"
    store.delete("public/a.json", if_match=etag)
    with pytest.raises(NotFound):
        store.get("public/a.json")
    with pytest.raises(Conflict):
        store.delete("public/a.json", if_match=etag)
    store.delete("public/a.json")


def test_delete_many(store: Store) -> None:
    # GIVEN five records and a neighbour
    keys = [f"private/pending/{n}.json" for n in range(5)]
    for key in [*keys, "private/pending-not.json"]:
        put_json(store, key, 1)
    # WHEN three of them, a missing one and a repeat are deleted at once
    store.delete_many([*keys[:3], "private/pending/never-was.json", keys[0]])
    store.delete_many([])
    # THEN exactly those are gone
    assert list(store.list("private/")) == ["private/pending-not.json", *keys[3:]]
    # AND a hostile key refuses the whole call before anything is deleted
    with pytest.raises(InvalidField):
        store.delete_many([keys[3], "public/../private/k"])
    assert list(store.list("private/pending/")) == keys[3:]


def test_list_is_sorted_and_filtered_by_prefix(store: Store) -> None:
    keys = [
        "public/a",
        "public/a/b",
        "public/a-c",
        "public/a.d",
        "public/ab",
        "public/issuers/acme/profile.json",
        "public/issuers/acme/keys/1.json",
        "public/issuers/bolt/profile.json",
        "private/keys/acme-1.pem",
        "public/.well-known/jwks.json",
    ]
    for key in keys:
        store.put(key, b"x", content_type="text/plain")
    assert list(store.list("")) == sorted(keys)
    assert list(store.list("public/")) == sorted(k for k in keys if k.startswith("public/"))
    assert list(store.list("public/a")) == ["public/a", "public/a-c", "public/a.d", "public/a/b", "public/ab"]
    assert list(store.list("public/issuers/acme/")) == [
        "public/issuers/acme/keys/1.json",
        "public/issuers/acme/profile.json",
    ]
    assert list(store.list("public/issuers/b")) == ["public/issuers/bolt/profile.json"]
    assert list(store.list("priv")) == ["private/keys/acme-1.pem"]
    assert list(store.list("public/zzz/")) == []


def test_list_starts_after_a_cursor(store: Store) -> None:
    # a listing's page cursor: the keys after the last one seen, whether or not it still exists
    keys = [f"private/issuers/acme/index/{n:02d}.json" for n in range(12)] + ["private/issuers/bolt/x.json"]
    for key in keys:
        store.put(key, b"{}", content_type="application/json")
    prefix = "private/issuers/acme/index/"
    assert list(store.list(prefix, start_after=keys[4])) == keys[5:12]
    assert list(store.list(prefix, start_after=prefix + "04x")) == keys[5:12]  # between two keys
    assert list(store.list(prefix, start_after=keys[11])) == []
    assert list(store.list(prefix, start_after="private/issuers/a")) == keys[:12]  # before the prefix
    with pytest.raises(InvalidField):
        list(store.list(prefix, start_after="../x"))


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/public/a", "public/../private/k", "public/a\\b", "tmp/a", "public/"]
)
def test_every_method_refuses_hostile_keys(store: Store, key: str) -> None:
    calls = [
        lambda: store.get(key),
        lambda: store.get_range(key, 0, 1),
        lambda: store.head(key),
        lambda: store.put(key, b"x", content_type="text/plain"),
        lambda: store.create(key, b"x", content_type="text/plain"),
        lambda: store.delete(key),
        lambda: store.update(key, lambda _: b"x", content_type="text/plain"),
    ]
    for call in calls:
        with pytest.raises(InvalidField):
            call()
    with pytest.raises(InvalidField):
        store.list("../")  # refused at the call, before any key is read


def test_checks_run_before_any_primitive() -> None:
    # GIVEN a backend that records what its primitives are handed
    store = MemoryStore()
    bad_calls = [
        lambda: store.get("public/../private/k"),
        lambda: store.get_range("public/../private/k", 0, 1),
        lambda: store.put("public/a", b"x", content_type="not a type"),
        lambda: store.put("public/a", b"x", content_type="text/plain", metadata={"Upper": "x"}),
        lambda: store.put("public/a", b"x", content_type="text/plain", if_match="\n"),
        lambda: store.delete("public/a", if_match=""),
        lambda: store.update("tmp/a", lambda _: b"x", content_type="text/plain"),
        lambda: store.presign_upload("public/a", content_type="text/csv", max_bytes=1),
    ]
    # WHEN each is called with something the key, header or ETag rules refuse
    for call in bad_calls:
        with pytest.raises(InvalidField):
            call()
    # THEN no primitive ever ran; and a foreign name a backend lists is dropped
    assert store.seen == []
    store.put("public/a", b"x", content_type="text/plain")
    store.objects["public/not a key"] = store.objects["public/a"]
    assert list(store.list("public/")) == ["public/a"]


def test_a_backend_without_uploads_says_so() -> None:
    with pytest.raises(StoreError) as caught:
        MemoryStore().presign_upload("private/uploads/a/x.upload", content_type="text/csv", max_bytes=10)
    assert caught.value.reason == "presign-unsupported"


# --- update: compare-and-swap -------------------------------------------------------------------


def append_once(item: object) -> Updater:
    """An idempotent update: add ``item`` to a JSON list unless it is there (pure, as update wants)."""

    def fn(current: StoredObject | None) -> bytes:
        items = [] if current is None else json.loads(current.body)
        if item not in items:
            items.append(item)
        return json.dumps(items).encode()

    return fn


def test_update_creates_then_modifies(store: Store) -> None:
    first = store.update("public/status.json", append_once(1), content_type="application/json")
    assert first.body == b"[1]"
    second = store.update(
        "public/status.json", append_once(2), content_type="application/json", cache_control="no-cache"
    )
    stored = store.get("public/status.json")
    assert (stored.body, stored.etag, stored.cache_control) == (b"[1, 2]", second.etag, "no-cache")


def test_update_with_no_change(store: Store) -> None:
    with pytest.raises(NotFound):
        store.update("public/none.json", lambda _: None, content_type="application/json")
    etag = put_json(store, "public/one.json", 1)
    result = store.update("public/one.json", lambda current: None, content_type="application/json")
    assert (result.etag, result.body) == (etag, b"1")


def test_update_aborts_when_fn_raises(store: Store) -> None:
    put_json(store, "public/one.json", 1)

    def refuse(current: StoredObject | None) -> bytes:
        raise InvalidField("nope", field="x")

    with pytest.raises(InvalidField):
        store.update("public/one.json", refuse, content_type="application/json")
    assert store.get("public/one.json").body == b"1"


def test_update_retries_after_losing_a_race(store: Store) -> None:
    # GIVEN an fn that, the first time only, lets a competing writer in after the read
    put_json(store, "public/list.json", [])
    seen: list[bytes] = []

    def fn(current: StoredObject | None) -> bytes:
        assert current is not None
        seen.append(current.body)
        if len(seen) == 1:
            put_json(store, "public/list.json", ["rival"])
        return json.dumps([*json.loads(current.body), "mine"]).encode()

    # WHEN the update runs; THEN its first write loses, it re-reads and keeps the rival's item
    result = store.update("public/list.json", fn, content_type="application/json", retry=NO_WAIT)
    assert seen == [b"[]", b'["rival"]']
    assert json.loads(result.body) == ["rival", "mine"]
    assert store.get("public/list.json").body == result.body


def test_update_retries_a_lost_create(store: Store) -> None:
    calls: list[StoredObject | None] = []

    def fn(current: StoredObject | None) -> bytes:
        calls.append(current)
        if len(calls) == 1:
            store.create("public/new.json", b'["rival"]', content_type="application/json")
        return append_once(7)(current)

    result = store.update("public/new.json", fn, content_type="application/json", retry=NO_WAIT)
    assert calls[0] is None
    assert calls[1] is not None
    assert json.loads(result.body) == ["rival", 7]


def test_update_gives_up_after_the_retry_budget(store: Store) -> None:
    put_json(store, "public/hot.json", 0)
    calls = 0

    def always_interrupted(current: StoredObject | None) -> bytes:
        nonlocal calls
        calls += 1
        put_json(store, "public/hot.json", calls * 100)
        return b"-1"

    with pytest.raises(Conflict) as caught:
        store.update("public/hot.json", always_interrupted, content_type="application/json", retry=NO_WAIT)
    assert caught.value.reason == "contention"
    assert calls == NO_WAIT.attempts
    assert store.get("public/hot.json").body == b"300"
