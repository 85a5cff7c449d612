"""Status index allocation: a keyed permutation handed out in claimed blocks, no shared record.

What must hold: indices never repeat (also across environments and threads), look random, roll
to a new published list when every block is exhausted, lists of the former one-record scheme are
closed, corrupt records are store errors, and nothing is written by every issuance.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import operator
import threading
from pathlib import Path

import pytest

from badgekiln.errors import StoreError
from badgekiln.issue import create_achievement, create_issuer, issue_credential, statuslists
from badgekiln.issue.records import RECORD_HEADERS, load, status_allocation_path
from badgekiln.issue.statuslists import BLOCK, LIST_ENTRIES, permute
from badgekiln.store import LocalStore, Store
from tests.issue_support import CountingStore, small_png

PUBLIC_URL = "https://badges.example.org"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(str(tmp_path))
    create_issuer(store, PUBLIC_URL, {"name": "Plain", "url": "https://plain.example", "slug": "plain"})
    create_achievement(
        store, "plain", {"name": "T", "slug": "teamwork", "description": "d", "criteria": "c"}, small_png()
    )
    return store


def _entry(store: Store) -> tuple[int, int]:
    credential = issue_credential(
        store, "plain", {"achievement": "teamwork", "recipient": "ada@example.org", "image": "none"}
    ).credential
    assert isinstance(credential, dict)
    status = credential["credentialStatus"]
    return int(status["statusListCredential"].rsplit("/", 2)[-2]), int(status["statusListIndex"])


def _key(store: Store, number: int = 0) -> bytes:
    return base64.b64decode(load(store.get(status_allocation_path("plain", number)))["key"])


def test_the_permutation_is_a_permutation_and_depends_on_the_key() -> None:
    key, other = b"k" * 32, b"o" * 32
    sample = range(0, LIST_ENTRIES, 7)
    images = [permute(key, p) for p in sample]
    assert len(set(images)) == len(images)
    assert all(0 <= i < LIST_ENTRIES for i in images)
    assert images != [permute(other, p) for p in sample]
    # consecutive positions (one chunk) land far apart: nothing shows the order they were handed out in
    gaps = [abs(a - b) for a, b in itertools.pairwise(images[:101])]
    assert sorted(gaps)[50] > LIST_ENTRIES // 8


def test_indices_are_random_distinct_and_their_order_is_hidden(store: LocalStore) -> None:
    entries = [_entry(store) for _ in range(40)]
    indices = [index for _, index in entries]
    assert {number for number, _ in entries} == {0}
    assert len(set(indices)) == 40
    assert max(indices) - min(indices) > LIST_ENTRIES // 4  # spread over the list, not sequential
    assert indices != sorted(indices)
    # one environment: chunks of 1, 2, 4, 8, 16 and 32 positions, each from a random block (two
    # chunks may come from one block, about one run in seventy: its record then counts both, so
    # the records hold each chunk size exactly once between them: disjoint bits adding up to 63)
    key = _key(store)
    blocks = {
        int(k.rsplit("/", 1)[1].removesuffix(".json")): load(store.get(k))["next"]
        for k in store.list("private/issuers/plain/status/0/blocks/")
    }
    assert sum(blocks.values()) == functools.reduce(operator.or_, blocks.values()) == 0b111111
    claimed = {permute(key, block * BLOCK + p) for block, taken in blocks.items() for p in range(taken)}
    assert set(indices) <= claimed


def test_no_object_is_written_by_every_issuance(tmp_path: Path) -> None:
    store = CountingStore(str(tmp_path))
    create_issuer(store, PUBLIC_URL, {"name": "Plain", "url": "https://plain.example", "slug": "plain"})
    create_achievement(
        store, "plain", {"name": "T", "slug": "teamwork", "description": "d", "criteria": "c"}, small_png()
    )
    store.writes.clear()
    for _ in range(200):
        _entry(store)
    # every object is written once (credentials, records, blocks, the list key) …
    assert set(store.writes.values()) == {1}
    # … and allocation claimed chunks of 1, 2 … 64 and 128 positions (the last one a whole block,
    # so it is marked exhausted): 9 writes for 200 issuances, besides the list key
    allocation = sorted(k for k in store.writes if k.startswith("private/issuers/plain/status/"))
    assert len([k for k in allocation if "/blocks/" in k]) == 8
    assert len([k for k in allocation if "/full/" in k]) == 1
    assert len(allocation) == 9  # the list's key was made with the issuer


def test_environments_and_threads_never_share_an_index(tmp_path: Path) -> None:
    seed = LocalStore(str(tmp_path))
    create_issuer(seed, PUBLIC_URL, {"name": "Plain", "url": "https://plain.example", "slug": "plain"})
    create_achievement(
        seed, "plain", {"name": "T", "slug": "teamwork", "description": "d", "criteria": "c"}, small_png()
    )
    environments = [LocalStore(str(tmp_path)) for _ in range(6)]  # each its own allocator
    found: list[tuple[int, int]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(12)

    def one(n: int) -> None:
        barrier.wait()
        for _ in range(15):
            entry = _entry(environments[n % 6])
            with lock:
                found.append(entry)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 180
    assert len(set(found)) == 180


@pytest.fixture
def few_blocks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Lists of 8 blocks (1,024 positions of the permutation), so filling one takes 16 writes."""
    monkeypatch.setattr(statuslists, "BLOCKS", 8)
    return 8


def _exhaust_all_but(store: Store, number: int, free: int | None = None) -> None:
    """Every block of list ``number`` but ``free`` taken to the end and marked so."""
    for block in range(statuslists.BLOCKS):
        if block != free:
            where = f"private/issuers/plain/status/{number}"
            store.put(f"{where}/blocks/{block}.json", b'{"next": 128}', **RECORD_HEADERS)
            store.put(f"{where}/full/{block}.json", b"{}", **RECORD_HEADERS)


def test_a_full_list_rolls_over_to_a_new_published_list(store: LocalStore, few_blocks: int) -> None:
    # GIVEN list 0 with every block marked exhausted
    _entry(store)
    _exhaust_all_but(store, 0)
    # WHEN a new environment issues  THEN it lands in list 1, whose credential is published first
    fresh = LocalStore(str(store.root))
    assert _entry(fresh)[0] == 1
    assert load(fresh.get("private/issuers/plain/issuer.json"))["status_list"] == 1
    fresh.head("public/issuers/plain/status/1/revocation.json")
    # AND an environment still holding positions of list 0 follows the issuer to list 1
    assert _entry(store)[0] == 1


def test_the_last_free_block_is_found_by_listing_the_exhausted_ones(
    store: LocalStore, few_blocks: int
) -> None:
    _exhaust_all_but(store, 0, free=7)
    store.put("private/issuers/plain/status/0/blocks/7.json", b'{"next": 127}', **RECORD_HEADERS)
    assert _entry(store) == (0, permute(_key(store), 7 * BLOCK + 127))
    assert load(store.get("private/issuers/plain/status/0/blocks/7.json")) == {"next": 128}
    store.head("private/issuers/plain/status/0/full/7.json")  # marked on the way out
    assert _entry(store)[0] == 1


def test_an_exhausted_block_without_its_marker_is_marked_when_found(
    store: LocalStore, few_blocks: int
) -> None:
    _exhaust_all_but(store, 0, free=5)
    store.put("private/issuers/plain/status/0/blocks/5.json", b'{"next": 128}', **RECORD_HEADERS)
    store.delete("private/issuers/plain/status/0/full/5.json")  # a crash before the marker
    assert _entry(store)[0] == 1
    store.head("private/issuers/plain/status/0/full/5.json")


def test_a_list_of_the_former_scheme_is_closed(store: LocalStore) -> None:
    # a record of the one-bitstring scheme (before permuted blocks): its free indices are unknown
    # to this scheme, so the issuer moves on rather than risk handing one out twice
    legacy = json.dumps({"bits": "eJwDAAAAAAE=", "count": 3}).encode()
    store.put(status_allocation_path("plain", 0), legacy, **RECORD_HEADERS)
    assert _entry(LocalStore(str(store.root)))[0] == 1  # a process that had not read list 0 yet
    assert load(store.get(status_allocation_path("plain", 0))) == json.loads(legacy)


@pytest.mark.parametrize(
    "record",
    [
        b"[]",
        b'{"scheme": "permuted-blocks/1"}',
        b'{"scheme": "permuted-blocks/1", "key": "c2hvcnQ="}',
        b'{"scheme": "permuted-blocks/1", "key": "!!"}',
        b'{"scheme": "other", "key": "' + base64.b64encode(b"k" * 32) + b'"}',
        b"[" * 5000,  # nested past the JSON parser
        b"1" * 5000,  # an integer past Python's conversion limit
    ],
)
def test_a_corrupt_allocation_record_is_a_store_error(store: LocalStore, record: bytes) -> None:
    store.put(status_allocation_path("plain", 0), record, **RECORD_HEADERS)
    with pytest.raises(StoreError) as caught:
        _entry(LocalStore(str(store.root)))  # a process that had not read list 0 yet
    assert caught.value.reason == "corrupt-record"


@pytest.mark.parametrize("record", [b"{}", b'{"next": -1}', b'{"next": 129}', b'{"next": true}', b"[]"])
def test_a_corrupt_block_record_is_a_store_error(store: LocalStore, record: bytes, few_blocks: int) -> None:
    _exhaust_all_but(store, 0, free=3)
    store.put("private/issuers/plain/status/0/blocks/3.json", record, **RECORD_HEADERS)
    with pytest.raises(StoreError) as caught:
        _entry(store)
    assert caught.value.reason == "corrupt-record"


def test_a_crash_after_claiming_loses_only_positions(tmp_path: Path) -> None:
    # an environment that claimed a chunk and died: its positions are never handed out again
    store = LocalStore(str(tmp_path))
    create_issuer(store, PUBLIC_URL, {"name": "Plain", "url": "https://plain.example", "slug": "plain"})
    create_achievement(
        store, "plain", {"name": "T", "slug": "teamwork", "description": "d", "criteria": "c"}, small_png()
    )
    first = [_entry(store) for _ in range(3)]  # chunks 1 and 2: all three used
    later = [_entry(LocalStore(str(tmp_path))) for _ in range(20)]
    assert len(set(first + later)) == 23
