"""Issuing on S3: moto in-process and moto's server over loopback HTTP.

moto 5.2.5 checks ``If-Match`` / ``If-None-Match`` and stores in a separate, unlocked step, so two
conditional writes racing on threads can both pass (tests/integration/test_store_s3_concurrency.py
shows it). Real S3 makes check and write one atomic step; both fixtures restore that by running
mutating requests one at a time, so these tests measure our compare-and-swap and create-only logic
against S3's documented semantics, not moto's race. GETs take their turn too: moto closes the
buffer of the object a PUT replaces, so a read racing it failed with "I/O operation on closed
file", where S3 serves either version whole.

Figures are printed (run with ``-s``): revocations, threads, compare-and-swap attempts, time.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from badgekiln.hosting import layout as paths
from badgekiln.issue import (
    KeyOptions,
    issue_credential,
    revoke,
)
from badgekiln.issue.credentials import Issued
from badgekiln.status import StatusBitstring
from badgekiln.store import S3Store, Store, open_store
from badgekiln.verification import verify
from tests.aws_support import fake_aws, moto_server
from tests.issue_support import names, public_documents, seed_acme

PUBLIC_URL = "https://badges.example.org"
BUCKET = "badgekiln-issue"
FORMATS: list[dict[str, Any]] = [
    {"spec": "ob3"},
    {"spec": "ob3", "proof": "jwt"},
    {"spec": "ob2"},
    {"spec": "ob2", "signed": True},
]


class SerialWrites:
    """A boto3 S3 client whose PUT/DELETE/GET run one at a time (as S3 makes conditional writes
    atomic, and reads whole), counting status list writes and lost compare-and-swap rounds;
    wrappers made with :meth:`another` share the lock and the counts."""

    def __init__(
        self, client: Any, *, lock: threading.Lock | None = None, counts: list[int] | None = None
    ) -> None:
        self._client = client
        self._lock = lock or threading.Lock()
        self.counts = counts if counts is not None else [0, 0]  # list writes, lost rounds

    def another(self, client: Any) -> SerialWrites:
        return SerialWrites(client, lock=self._lock, counts=self.counts)

    def put_object(self, **kwargs: Any) -> Any:
        with self._lock:
            listed = kwargs["Key"].endswith("/revocation.json")
            self.counts[0] += listed
            try:
                return self._client.put_object(**kwargs)
            except Exception:
                self.counts[1] += listed
                raise

    def delete_object(self, **kwargs: Any) -> Any:
        with self._lock:
            return self._client.delete_object(**kwargs)

    def get_object(self, **kwargs: Any) -> Any:
        with self._lock:
            return self._client.get_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


#: Lambda containers simulated by the concurrency tests: each is its own store object (its own
#: in-process writer queue), so they race each other through S3 compare-and-swap.
CONTAINERS = 8


def _verify(store: Store, issued: Issued, **kwargs: Any) -> Any:
    assert issued.image is not None
    return verify(issued.image, documents=public_documents(store, PUBLIC_URL), offline=True, **kwargs)


def concurrent_revocations(stores: list[Store], client: SerialWrites, count: int) -> str:
    """Issue ``count`` credentials, then revoke them all at once from ``count`` threads spread over
    ``stores`` (one per simulated container); check that none is lost."""
    store = stores[0]
    issued = [
        issue_credential(store, "acme", {"achievement": "teamwork", "recipient": f"r{n}@example.org"})
        for n in range(count)
    ]
    indices = []
    for credential in issued:
        assert isinstance(credential.credential, dict)
        indices.append(int(credential.credential["credentialStatus"]["statusListIndex"]))
    client.counts[:] = [0, 0]
    barrier = threading.Barrier(count)

    def one(n: int) -> None:
        barrier.wait()  # all at once: a thundering herd on one status list
        revoke(stores[n % len(stores)], "acme", issued[n].id, reason="herd")

    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - started
    document = json.loads(store.get(paths.status_list("acme", 0, "revocation").key).body)
    bits = StatusBitstring.decode(document["credentialSubject"]["encodedList"])
    lost = [i for i in indices if not bits.get(i)]
    assert lost == []
    assert sum(bits.get(i) for i in range(len(bits))) == count  # nothing else set
    for credential in issued[:3]:
        assert "status" in {c.id for c in _verify(store, credential).failures}
    writes, conflicts = client.counts
    return (
        f"{count} concurrent revocations on one list from {len(stores)} containers: {writes} list writes "
        f"({conflicts} lost compare-and-swap rounds), 0 lost, {elapsed:.1f} s"
    )


def concurrent_duplicates(store: Store, copies: int) -> None:
    """``copies`` threads issue with one idempotency key: exactly one credential."""
    barrier = threading.Barrier(copies)

    def one(_: int) -> Issued:
        barrier.wait()
        return issue_credential(
            store,
            "acme",
            {"achievement": "teamwork", "recipient": "ada@example.org"},
            idempotency_key="dup-1",
        )

    with ThreadPoolExecutor(copies) as pool:
        results = list(pool.map(one, range(copies)))
    assert len({r.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    made = names(store, "private/issuers/acme/credentials/")
    assert results[0].name + ".json" in made
    assert len([n for n in made if n.startswith(results[0].name)]) == 1
    assert _verify(store, results[0]).valid


# --- moto in-process ---------------------------------------------------------------------------


@pytest.fixture
def moto_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[S3Store, SerialWrites]]:
    import boto3
    from moto import mock_aws

    fake_aws(monkeypatch)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        serial = SerialWrites(client)
        yield S3Store(BUCKET, "tenant-1", client=serial), serial  # type: ignore[arg-type]


def _containers(store: S3Store, client: SerialWrites) -> list[Store]:
    return [store] + [S3Store(BUCKET, store.prefix, client=client) for _ in range(CONTAINERS - 1)]  # type: ignore[arg-type]


@pytest.mark.parametrize("options", FORMATS, ids=["ob3-di", "ob3-jwt", "ob2-hosted", "ob2-signed"])
def test_in_process_issue_and_verify(
    moto_store: tuple[S3Store, SerialWrites], options: dict[str, Any]
) -> None:
    store, _ = moto_store
    seed_acme(store)
    issued = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **options}
    )
    assert _verify(store, issued, recipient="ada@example.org").valid
    head = store.head(paths.classify(issued.image_url[len(PUBLIC_URL) + 1 :]).key)  # type: ignore[index,union-attr]
    assert head.content_type == "image/png"
    assert head.cache_control == "public, max-age=31536000, immutable"
    revoke(store, "acme", issued.id)
    assert not _verify(store, issued).valid


#: Revocations at once: a herd over all the containers in `make test`; the 200 of a busy issuer
#: (over two minutes, most of it issuing them one by one) in the long-running target, `make fuzz`.
HERDS = [32, pytest.param(200, marks=pytest.mark.slow)]


@pytest.mark.parametrize("herd", HERDS)
def test_in_process_concurrent_revocations(moto_store: tuple[S3Store, SerialWrites], herd: int) -> None:
    store, client = moto_store
    seed_acme(store)
    print("\nmoto in-process:", concurrent_revocations(_containers(store, client), client, herd))


def test_in_process_concurrent_duplicates(moto_store: tuple[S3Store, SerialWrites]) -> None:
    store, _ = moto_store
    seed_acme(store)
    concurrent_duplicates(store, 16)


def test_in_process_kms_issuer(moto_store: tuple[S3Store, SerialWrites]) -> None:
    import boto3

    store, _ = moto_store
    kms = boto3.client("kms", region_name="us-east-1")
    seed_acme(store, keys=KeyOptions(kms=True, kms_client=kms, local_kinds=frozenset({"ed25519"})))
    for options in ({"proof": "jwt"}, {"spec": "ob2", "signed": True}):
        assert _verify(
            store,
            issue_credential(
                store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **options}
            ),
        ).valid


# --- moto server over loopback HTTP --------------------------------------------------------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def server_store(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Store, SerialWrites]:
    import boto3

    fake_aws(monkeypatch, endpoint)
    client = boto3.client("s3")
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    # opened the way Lambda and the CLI open it: by URL, with AWS_ENDPOINT_URL set
    opened = open_store(f"s3://{BUCKET}/run-{time.monotonic_ns()}")
    assert isinstance(opened, S3Store)
    counting = SerialWrites(opened._client)  # the server serialises writes itself; this counts
    opened._client = counting  # type: ignore[assignment]
    return opened, counting


@pytest.mark.e2e
@pytest.mark.parametrize("options", FORMATS, ids=["ob3-di", "ob3-jwt", "ob2-hosted", "ob2-signed"])
def test_server_issue_and_verify(server_store: tuple[Store, SerialWrites], options: dict[str, Any]) -> None:
    store, _ = server_store
    seed_acme(store)
    issued = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **options}
    )
    assert _verify(store, issued, recipient="ada@example.org").valid
    revoke(store, "acme", issued.id)
    assert not _verify(store, issued).valid


@pytest.mark.e2e
@pytest.mark.parametrize("herd", HERDS)
def test_server_concurrent_revocations(server_store: tuple[Store, SerialWrites], herd: int) -> None:
    store, client = server_store
    seed_acme(store)
    stores: list[Store] = [store]
    for _ in range(CONTAINERS - 1):
        other = open_store(f"s3://{BUCKET}/{store.prefix}")  # type: ignore[attr-defined]
        other._client = client.another(other._client)  # type: ignore[attr-defined]
        stores.append(other)
    print("\nmoto server over HTTP:", concurrent_revocations(stores, client, herd))


@pytest.mark.e2e
def test_server_concurrent_duplicates(server_store: tuple[Store, SerialWrites]) -> None:
    store, _ = server_store
    seed_acme(store)
    concurrent_duplicates(store, 16)


@pytest.mark.e2e
def test_server_kms_issuer(server_store: tuple[Store, SerialWrites]) -> None:
    # KMS at the same moto endpoint, through the default client (AWS_ENDPOINT_URL)
    store, _ = server_store
    seed_acme(store, keys=KeyOptions(kms=True, local_kinds=frozenset({"ed25519"})))
    issued = issue_credential(
        store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", "proof": "jwt"}
    )
    assert _verify(store, issued).valid
