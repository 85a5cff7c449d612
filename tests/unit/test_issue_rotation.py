"""Signing-key rotation (issue #14 item 3): retired keys keep verifying what they signed, keys that
signed nothing are withdrawn, the published set is bounded, private halves are destroyed, a
rotation is never refused for the number of keys, and concurrent rotations cannot pass the daily
KMS cap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from badgekiln.errors import Conflict, InvalidField, NotFound, SigningError, StoreError
from badgekiln.hosting import layout as paths
from badgekiln.issue import (
    KeyOptions,
    create_issuer,
    get_issuer,
    issue_credential,
    issuer_summary,
    rotate_key,
    signing,
    update_issuer,
)
from badgekiln.issue.records import IssuerRecord, issuer_record_path, load
from badgekiln.issue.revocation import revoke
from badgekiln.issue.signing import MAX_KMS_KEYS_PER_DAY, ROTATION_LEASE, active_signer, begin_rotation
from badgekiln.issue.statuslists import publish_pending
from badgekiln.keys.local import private_key_path
from badgekiln.store import LocalStore
from badgekiln.verification import verify
from tests.aws_support import kms_refuses_unusable_keys, mocked_aws
from tests.issue_support import PUBLIC_URL, public_documents, seed_acme

REQUEST = {"achievement": "teamwork", "recipient": "ada@example.org"}
ACME = {"name": "Acme", "url": "https://acme.example", "slug": "acme"}
#: One credential per way a key signs: Data Integrity (Ed25519), VC-JWT RS256, OB 2.0 signed (RSA).
FORMATS: tuple[dict[str, Any], ...] = ({}, {"proof": "jwt"}, {"spec": "ob2", "signed": True})


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(str(tmp_path / "store"))


def _json(store: LocalStore, hosted: paths.Hosted) -> Any:
    return json.loads(store.get(hosted.key).body)


def _published(store: LocalStore) -> dict[str, set[str]]:
    """The key names each public document lists for issuer ``acme``."""
    did = _json(store, paths.did_document("acme"))
    jwks = _json(store, paths.jwks())["keys"]
    ob2 = _json(store, paths.ob2_issuer("acme"))["publicKey"]
    return {
        "verificationMethod": {m["id"].rsplit("#", 1)[1] for m in did["verificationMethod"]},
        "assertionMethod": {m.rsplit("#", 1)[1] for m in did["assertionMethod"]},
        "jwks": {k["kid"].rsplit("#", 1)[1] for k in jwks if k["iss"].endswith(":acme")},
        "ob2": {u.rsplit("/", 1)[1].removesuffix(".json") for u in ob2},
    }


def _exists(store: LocalStore, key: str) -> bool:
    try:
        store.head(key)
    except NotFound:
        return False
    return True


def _verifies(store: LocalStore, issued: Any) -> bool:
    report = verify(issued.image, documents=public_documents(store, PUBLIC_URL), offline=True)
    return report.valid


def test_rotation_is_never_refused_for_the_number_of_keys(store: LocalStore) -> None:
    # issue #14 item 3: 32 rotations burnt the 64-key cap and rotation was refused for good, so
    # a leaked issuer key could block legitimate rotation forever
    seed_acme(store)
    for _ in range(40):
        rotate_key(store, "acme")
    issuer = get_issuer(store, "acme")
    assert [k.name for k in issuer.keys] == ["ed25519-1", "ed25519-41", "rsa-41"]
    # ed25519-1 signed the status list; every other retired key signed nothing and is gone
    published = _published(store)
    assert published["verificationMethod"] == published["jwks"] == {"ed25519-1", "ed25519-41", "rsa-41"}
    assert published["ob2"] == {"rsa-41"}
    issued = issue_credential(store, "acme", REQUEST)
    assert _verifies(store, issued)


def test_retired_keys_that_signed_keep_verifying_and_lose_their_private_half(store: LocalStore) -> None:
    seed_acme(store)
    issued = [issue_credential(store, "acme", {**REQUEST, **f}) for f in FORMATS]
    first = get_issuer(store, "acme")
    rotate_key(store, "acme")  # ed25519-1, rsa-1 signed: retired, kept published
    rotate_key(store, "acme")  # ed25519-2, rsa-2 signed nothing: withdrawn
    issued += [issue_credential(store, "acme", {**REQUEST, **f}) for f in FORMATS]
    issuer = get_issuer(store, "acme")
    assert [(k.name, k.retired is not None, k.destroyed) for k in issuer.keys] == [
        ("ed25519-1", True, True),
        ("rsa-1", True, True),
        ("ed25519-3", False, False),
        ("rsa-3", False, False),
    ]
    published = _published(store)
    assert published["verificationMethod"] == published["assertionMethod"] == published["jwks"]
    assert published["jwks"] == {"ed25519-1", "rsa-1", "ed25519-3", "rsa-3"}
    assert published["ob2"] == {"rsa-1", "rsa-3"}
    # every credential verifies: the old ones with their retired keys
    assert all(_verifies(store, i) for i in issued)
    # the retired keys' private halves are gone; the withdrawn keys' documents too
    for key in first.keys:
        assert key.private_name is not None
        assert not _exists(store, private_key_path(key.private_name))
    for name in ("ed25519-2", "rsa-2"):
        for form in ("json", "jwk", "pem"):
            assert not _exists(store, paths.key_document("acme", name, form).key)
    assert not _exists(store, paths.ob2_key("acme", "rsa-2").key)
    states = {k["name"]: k["state"] for k in issuer_summary(issuer)["keys"]}
    assert states == {"ed25519-1": "retired", "rsa-1": "retired", "ed25519-3": "active", "rsa-3": "active"}


def test_a_key_that_only_signed_a_status_list_stays_published(store: LocalStore) -> None:
    seed_acme(store)
    issued = issue_credential(store, "acme", REQUEST)
    rotate_key(store, "acme", families=("ed25519",))
    revoke(store, "acme", issued.name)
    publish_pending(store, "acme", 0)  # the list is re-signed by ed25519-2, its first signature
    rotate_key(store, "acme", families=("ed25519",))
    assert "ed25519-2" in _published(store)["jwks"]
    report = verify(issued.image, documents=public_documents(store, PUBLIC_URL), offline=True)
    # revoked: read from a list whose signature (by the retired ed25519-2) still verifies
    assert [c.code for c in report.failures] == ["revoked"]


def test_past_the_horizon_the_oldest_retired_key_is_withdrawn(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signing, "MAX_PUBLISHED_KEYS", 3)
    seed_acme(store)
    issued = []
    for _ in range(4):
        issued.append(issue_credential(store, "acme", REQUEST))  # each Ed25519 key signs one
        rotate_key(store, "acme", families=("ed25519",))
    # ed25519-1..4 signed, ed25519-5 is active: the newest three stay published, and ed25519-1,
    # whose proof the status list still carries (every credential's status is read from it)
    assert _published(store)["jwks"] == {"ed25519-1", "ed25519-4", "ed25519-5", "rsa-1"}
    names = ["ed25519-1", "rsa-1", "ed25519-4", "ed25519-5"]
    assert [k.name for k in get_issuer(store, "acme").keys] == names
    # strict: what a withdrawn key signed no longer verifies; the rest does
    assert [_verifies(store, i) for i in issued] == [True, False, False, True]


def test_a_first_signature_and_a_rotation_never_cross(store: LocalStore) -> None:
    seed_acme(store)
    stale = get_issuer(store, "acme")  # a request that read the issuer just before a rotation
    rotate_key(store, "acme", families=("rsa",))  # rsa-1 never signed: withdrawn
    with pytest.raises(Conflict) as caught:
        active_signer(store, stale, "rsa")
    assert caught.value.reason == "key-retired"
    # the other order: the key is recorded as used first, so the rotation keeps it published
    fresh = get_issuer(store, "acme")
    active_signer(store, fresh, "rsa")
    assert get_issuer(store, "acme").active_key("rsa").used
    rotate_key(store, "acme", families=("rsa",))
    assert "rsa-2" in _published(store)["ob2"]


def test_a_rotation_that_died_holds_the_issuer_until_its_lease_ends(store: LocalStore) -> None:
    seed_acme(store)
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def die(current: Any) -> bytes:  # a rotation that claimed the record and crashed
        record = IssuerRecord.from_dict(load(current), current.key)
        claimed = begin_rotation(record, token="dead", families=("ed25519",), options=KeyOptions(), now=start)
        return json.dumps(claimed.to_dict()).encode()

    store.update(issuer_record_path("acme"), die, content_type="application/json")
    with pytest.raises(Conflict) as caught:
        rotate_key(store, "acme", now=start + ROTATION_LEASE - timedelta(seconds=1))
    assert caught.value.reason == "concurrent-rotation"
    rotated = rotate_key(store, "acme", now=start + ROTATION_LEASE + timedelta(seconds=1))
    # ed25519-2 was the dead rotation's (planned, so never given to another key)
    assert rotated.active_key("ed25519").name == "ed25519-3"
    assert (rotated.rotation, rotated.planned) == (None, ())


class _FailingDeletes(LocalStore):
    """Deleting a private key fails (a store outage) while ``failing`` is set."""

    failing = True

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        if self.failing and key.startswith("private/keys/"):
            raise StoreError("injected", reason="injected")
        super().delete(key, if_match=if_match)


def test_a_private_half_not_destroyed_is_destroyed_by_the_next_rotation(tmp_path: Path) -> None:
    store = _FailingDeletes(str(tmp_path / "store"))
    seed_acme(store)
    issue_credential(store, "acme", REQUEST)
    first = get_issuer(store, "acme").active_key("ed25519")
    rotated = rotate_key(store, "acme", families=("ed25519",))  # the rotation itself succeeds
    assert rotated.keys[0].retired is not None
    assert not rotated.keys[0].destroyed
    assert first.private_name is not None
    assert _exists(store, private_key_path(first.private_name))
    store.failing = False
    again = rotate_key(store, "acme", families=("ed25519",))
    assert again.keys[0].destroyed
    assert not _exists(store, private_key_path(first.private_name))


@pytest.mark.parametrize(("member", "value"), [("rotation_until", "soon"), ("planned", 7)])
def test_a_corrupt_rotation_member_is_a_corrupt_record_not_a_crash(
    store: LocalStore, member: str, value: Any
) -> None:
    seed_acme(store)
    record = load(store.get(issuer_record_path("acme")))
    record |= {"rotation": "dead", member: value}
    store.put(issuer_record_path("acme"), json.dumps(record).encode(), content_type="application/json")
    with pytest.raises(StoreError) as caught:
        rotate_key(store, "acme")
    assert caught.value.reason == "corrupt-record"


class _FailingRecordAfterDeletes(_FailingDeletes):
    """Writing the issuer record fails (a store outage) from the first private key deleted on,
    while ``armed`` is set."""

    failing = False
    armed = True
    outage = False

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        super().delete(key, if_match=if_match)
        self.outage = self.outage or (self.armed and key.startswith("private/keys/"))

    def update(self, key: str, *args: Any, **kwargs: Any) -> Any:
        if self.outage and key == issuer_record_path("acme"):
            raise StoreError("injected", reason="injected")
        return super().update(key, *args, **kwargs)


def test_a_retirement_not_recorded_does_not_fail_the_committed_rotation(tmp_path: Path) -> None:
    store = _FailingRecordAfterDeletes(str(tmp_path / "store"))
    seed_acme(store)
    issue_credential(store, "acme", REQUEST)
    first = get_issuer(store, "acme").active_key("ed25519")
    rotated = rotate_key(store, "acme", families=("ed25519",))  # committed: no error
    assert rotated.active_key("ed25519").name == "ed25519-2"
    assert not get_issuer(store, "acme").keys[0].destroyed  # recorded as it was
    assert first.private_name is not None
    assert not _exists(store, private_key_path(first.private_name))
    store.armed = store.outage = False
    again = rotate_key(store, "acme", families=("ed25519",))  # repeats the destruction, records it
    assert again.keys[0].destroyed


def test_records_from_before_retirement_keep_every_key(store: LocalStore) -> None:
    seed_acme(store)
    for _ in range(2):
        rotate_key(store, "acme", families=("rsa",))
    record = load(store.get(issuer_record_path("acme")))
    for key in record["keys"]:  # as stored before keys were marked used
        for member in ("used", "retired", "withdrawn", "destroyed"):
            key.pop(member)
    old = IssuerRecord.from_dict(record, "old")
    assert all(k.used for k in old.keys)
    assert signing.retire_keys(old, (), when="2026-12-07T00:00:00Z").keys == old.keys


# --- KMS: retired keys scheduled for deletion; the daily cap holds against a race -----------


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3

    with mocked_aws(monkeypatch):
        yield boto3.client("kms", region_name="us-east-1")


@pytest.fixture
def rsa_in_kms(kms: Any) -> KeyOptions:
    return KeyOptions(kms=True, kms_client=kms, local_kinds=frozenset({"ed25519"}))


def _state(kms: Any, arn: str | None) -> str:
    return str(kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"])


def test_retired_kms_keys_are_scheduled_for_deletion_at_the_minimum_window(
    store: LocalStore, kms: Any
) -> None:
    options = KeyOptions(kms=True, kms_client=kms, local_kinds=frozenset({"ed25519"}))
    seed_acme(store, keys=options)
    issued = issue_credential(store, "acme", {**REQUEST, "proof": "jwt"})  # rsa-1 signs
    rsa1 = get_issuer(store, "acme").active_key("rsa")
    rsa2 = rotate_key(store, "acme", families=("rsa",), keys=options).active_key("rsa")
    rotate_key(store, "acme", families=("rsa",), keys=options)  # rsa-2 signed nothing
    for key in (rsa1, rsa2):
        assert _state(kms, key.kms_key) == "PendingDeletion"
        deletion = kms.describe_key(KeyId=key.kms_key)["KeyMetadata"]["DeletionDate"]
        assert deletion - datetime.now(UTC) < timedelta(days=signing.KMS_DELETION_WINDOW_DAYS, minutes=5)
    assert _verifies(store, issued)
    assert _published(store)["jwks"] == {"ed25519-1", "rsa-1", "rsa-3"}


class _InterleavingKms:
    """A KMS client whose first CreateKey first runs ``during`` (another rotation, in between)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.during: Any = None

    def create_key(self, **kwargs: Any) -> Any:
        during, self.during = self.during, None
        if during is not None:
            during()
        return self.inner.create_key(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_two_concurrent_rotations_never_pass_the_daily_kms_cap(store: LocalStore, kms: Any) -> None:
    # issue #14 item 3: the cap was counted from the record, so two rotations racing both passed
    # and a fifth paid key was made (the loser's record write then failed, its key orphaned)
    client = _InterleavingKms(kms)
    options = KeyOptions(kms=True, kms_client=client, local_kinds=frozenset({"ed25519"}))
    day = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    seed_acme(store, keys=options, now=day)  # rsa-1 in KMS: one of the day's four
    issue_credential(store, "acme", {**REQUEST, "proof": "jwt"})
    for _ in range(MAX_KMS_KEYS_PER_DAY - 2):
        rotate_key(store, "acme", families=("rsa",), keys=options, now=day)
    outcomes: list[str] = []

    def other_rotation() -> None:
        try:
            rotate_key(store, "acme", families=("rsa",), keys=options, now=day)
            outcomes.append("ok")
        except (Conflict, InvalidField) as exc:
            outcomes.append(exc.reason or "")

    client.during = other_rotation
    rotate_key(store, "acme", families=("rsa",), keys=options, now=day)
    assert outcomes == ["concurrent-rotation"]  # refused before it made a key
    assert len(kms.list_keys()["Keys"]) == MAX_KMS_KEYS_PER_DAY
    with pytest.raises(InvalidField) as caught:
        rotate_key(store, "acme", families=("rsa",), keys=options, now=day)
    assert caught.value.reason == "kms-daily-cap"
    assert len(kms.list_keys()["Keys"]) == MAX_KMS_KEYS_PER_DAY


def test_a_failed_key_creation_still_spends_the_budget_and_frees_the_lease(
    store: LocalStore, kms: Any
) -> None:
    client = _InterleavingKms(kms)
    options = KeyOptions(kms=True, kms_client=client, local_kinds=frozenset({"ed25519"}))
    day = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    create_issuer(store, PUBLIC_URL, ACME, keys=options, now=day)

    def fail() -> None:
        raise RuntimeError("KMS went away mid-call")

    client.during = fail
    with pytest.raises(RuntimeError):
        rotate_key(store, "acme", families=("rsa",), keys=options, now=day)
    record = get_issuer(store, "acme")
    assert (record.kms_made, record.rotation) == (2, None)  # reserved, and the lease given back
    assert [k.name for k in record.keys] == ["ed25519-1", "rsa-1"]


def test_a_signature_racing_the_destruction_of_its_key_is_a_conflict(tmp_path: Path) -> None:
    # another process (its own store object: no signer read yet) read the issuer before a
    # rotation retired its used key and deleted the PEM: 409 key-retired, not 404
    store = LocalStore(str(tmp_path / "store"))
    seed_acme(store)
    issue_credential(store, "acme", REQUEST)  # ed25519-1 used
    stale = get_issuer(store, "acme")
    rotate_key(store, "acme", families=("ed25519",))
    with pytest.raises(Conflict) as caught:
        active_signer(LocalStore(str(tmp_path / "store")), stale, "ed25519")
    assert caught.value.reason == "key-retired"
    # a PEM missing for any other reason stays NotFound
    fresh = get_issuer(store, "acme")
    active = fresh.active_key("ed25519")
    assert active.private_name is not None
    store.delete(private_key_path(active.private_name))
    with pytest.raises(NotFound):
        active_signer(LocalStore(str(tmp_path / "store")), fresh, "ed25519")


class _FailingCommit(LocalStore):
    """The second write of issuer ``acme``'s record (a rotation's commit) fails once."""

    writes = 0

    def update(self, key: str, *args: Any, **kwargs: Any) -> Any:
        if key == issuer_record_path("acme"):
            self.writes += 1
            if self.writes == 2:
                raise StoreError("injected", reason="injected")
        return super().update(key, *args, **kwargs)


def test_a_failed_commit_frees_the_lease(tmp_path: Path) -> None:
    store = _FailingCommit(str(tmp_path / "store"))
    seed_acme(store)
    store.writes = 0
    with pytest.raises(StoreError):
        rotate_key(store, "acme", families=("rsa",))
    record = get_issuer(store, "acme")
    assert record.rotation is None  # another rotation need not wait for the lease to run out
    assert [k.name for k in record.keys] == ["ed25519-1", "rsa-1"]
    assert rotate_key(store, "acme", families=("rsa",)).active_key("rsa").name == "rsa-2"


def test_a_kms_signature_racing_the_retirement_of_its_key_is_a_conflict(
    store: LocalStore, kms: Any, rsa_in_kms: KeyOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an issuance holding the signer of a KMS key a rotation then retired: KMS refuses the key
    # (pending deletion) and that answered 503 SigningError; it is 409 key-retired like a local
    # key whose PEM a rotation deleted (repeat the request)
    kms_refuses_unusable_keys(monkeypatch)
    seed_acme(store, keys=rsa_in_kms)
    issue_credential(store, "acme", {**REQUEST, "proof": "jwt"})  # rsa-1 used: retired, kept
    signer = active_signer(store, get_issuer(store, "acme"), "rsa")
    assert signer.algorithm == "RS256"
    rotate_key(store, "acme", families=("rsa",), keys=rsa_in_kms)
    with pytest.raises(Conflict) as caught:
        signer.sign(b"payload")
    assert caught.value.reason == "key-retired"
    assert isinstance(caught.value.__context__, SigningError)
    # a KMS key refused while the record still has it active (disabled by hand) stays a SigningError
    fresh = active_signer(store, get_issuer(store, "acme"), "rsa")
    arn = get_issuer(store, "acme").active_key("rsa").kms_key
    assert arn is not None
    kms.disable_key(KeyId=arn.rsplit("/", 1)[1])  # moto 5 disables by key id only
    with pytest.raises(SigningError) as refused:
        fresh.sign(b"payload")
    assert refused.value.details["aws_code"] == "DisabledException"


# --- keys a rotation made and never recorded are destroyed, never orphaned --------------------


def _private_names(store: LocalStore) -> set[str]:
    return {k.removeprefix("private/keys/").removesuffix(".pem") for k in store.list("private/keys/")}


def _kms_states(kms: Any) -> dict[str, str]:
    """Every KMS key's state, by the name in its alias (``rsa-2``)."""
    states = {}
    for alias in kms.list_aliases()["Aliases"]:
        if alias["AliasName"].startswith("alias/badgekiln/acme/"):
            name = alias["AliasName"].removeprefix("alias/badgekiln/acme/").rsplit("-", 1)[0]
            states[name] = _state(kms, alias["TargetKeyId"])
    return states


class _Faulty(LocalStore):
    """A store that fails (``StoreError``) at one point of a rotation, once: ``"key-document"``
    (the first write of a new key's documents, after the key was made), ``"commit"`` (the
    commit's write of the issuer record) or ``"commit-landed"`` (the commit is written, and then
    the store answers an error, as a reply lost in transit)."""

    fault: str | None = None

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        if self.fault == "key-document" and key.startswith("public/issuers/acme/keys/rsa-2"):
            self.fault = None
            raise StoreError("injected", reason="injected")
        return super().put(key, body, **kwargs)

    def update(self, key: str, fn: Any, **kwargs: Any) -> Any:
        if self.fault in ("commit", "commit-landed") and key == issuer_record_path("acme"):
            record = IssuerRecord.from_dict(load(super().get(key)), key)
            if record.rotation is not None:  # the claim was written: this is the commit
                fault, self.fault = self.fault, None
                if fault == "commit-landed":
                    super().update(key, fn, **kwargs)
                raise StoreError("injected", reason="injected")
        return super().update(key, fn, **kwargs)


@pytest.mark.parametrize("fault", ["key-document", "commit"])
def test_a_failed_rotation_destroys_the_local_key_it_made(tmp_path: Path, fault: str) -> None:
    # a failed rotation left its new private key in the store, named by no record
    store = _Faulty(str(tmp_path / "store"))
    seed_acme(store)
    before = _private_names(store)
    store.fault = fault
    with pytest.raises(StoreError):
        rotate_key(store, "acme", families=("rsa",))
    record = get_issuer(store, "acme")
    assert [k.name for k in record.keys] == ["ed25519-1", "rsa-1"]
    assert (record.rotation, record.planned) == (None, ())
    assert _private_names(store) == before  # the new PEM deleted, the recorded ones kept
    # its documents, published ahead of the commit, are gone or rebuilt from the record
    assert _published(store)["jwks"] == {"ed25519-1", "rsa-1"}
    assert "rsa-2" not in _published(store)["verificationMethod"]
    assert not any("rsa-2" in k for k in store.list("public/issuers/acme/keys/"))
    # the name of a key that never was is free again (nothing names it)
    assert rotate_key(store, "acme", families=("rsa",)).active_key("rsa").name == "rsa-2"


@pytest.mark.parametrize("fault", ["key-document", "commit"])
def test_a_failed_rotation_schedules_the_kms_key_it_made_for_deletion(
    tmp_path: Path, kms: Any, rsa_in_kms: KeyOptions, fault: str
) -> None:
    store = _Faulty(str(tmp_path / "store"))
    seed_acme(store, keys=rsa_in_kms)
    store.fault = fault
    with pytest.raises(StoreError):
        rotate_key(store, "acme", families=("rsa",), keys=rsa_in_kms)
    assert _kms_states(kms) == {"rsa-1": "Enabled", "rsa-2": "PendingDeletion"}
    deletion = next(
        kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["DeletionDate"]
        for k in kms.list_keys()["Keys"]
        if _state(kms, k["KeyId"]) == "PendingDeletion"
    )
    assert deletion - datetime.now(UTC) < timedelta(days=signing.KMS_DELETION_WINDOW_DAYS, minutes=5)
    record = get_issuer(store, "acme")
    assert (record.kms_made, record.planned) == (2, ())  # the budget stays spent


def test_a_key_whose_commit_landed_is_never_destroyed(
    tmp_path: Path, kms: Any, rsa_in_kms: KeyOptions
) -> None:
    # the commit was written but its reply lost: the key is recorded, so it must stay
    store = _Faulty(str(tmp_path / "store"))
    seed_acme(store, keys=rsa_in_kms)
    store.fault = "commit-landed"
    with pytest.raises(StoreError):
        rotate_key(store, "acme", families=("rsa",), keys=rsa_in_kms)
    record = get_issuer(store, "acme")
    assert (record.active_key("rsa").name, record.rotation, record.planned) == ("rsa-2", None, ())
    assert _kms_states(kms)["rsa-2"] == "Enabled"
    issued = issue_credential(store, "acme", {**REQUEST, "proof": "jwt"})
    assert _verifies(store, issued)


class _FaultyAndFailingDeletes(_FailingDeletes, _Faulty):
    pass


def test_when_the_cleanup_fails_the_key_stays_planned_for_the_next_rotation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = _FaultyAndFailingDeletes(str(tmp_path / "store"))
    seed_acme(store)
    before = _private_names(store)
    store.failing, store.fault = True, "commit"
    with pytest.raises(StoreError):
        rotate_key(store, "acme", families=("rsa",))
    assert "could not destroy unrecorded key" in caplog.text
    record = get_issuer(store, "acme")
    assert record.rotation is None  # the lease is given back all the same
    assert [p.name for p in record.planned] == ["rsa-2"]
    assert [n.split(".")[1] for n in _private_names(store) - before] == ["rsa-2"]
    store.failing = False
    again = rotate_key(store, "acme", families=("rsa",))
    assert (again.active_key("rsa").name, again.planned) == ("rsa-3", ())
    assert _private_names(store) - before == {again.active_key("rsa").private_name}


def test_a_rotation_taken_over_leaves_no_kms_key_unrecorded(
    store: LocalStore, kms: Any, rsa_in_kms: KeyOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a rotation whose lease ran out while it worked (it made rsa-2) and another took over: its
    # key was left in KMS, named by no record, billed monthly and counted against the day's cap
    from badgekiln.issue import issuers

    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    seed_acme(store, keys=rsa_in_kms)
    issue_credential(store, "acme", {**REQUEST, "proof": "jwt"})  # rsa-1 used: retired, kept
    publish_key = issuers._publish_key
    took_over: list[IssuerRecord] = []

    def slow(*args: Any) -> None:  # the first rotation, just after making its key, stalls
        monkeypatch.setattr(issuers, "_publish_key", publish_key)
        later = start + ROTATION_LEASE * 2  # past its lease: another rotation takes over
        took_over.append(rotate_key(store, "acme", families=("rsa",), keys=rsa_in_kms, now=later))
        publish_key(*args)

    monkeypatch.setattr(issuers, "_publish_key", slow)
    with pytest.raises(Conflict) as caught:
        rotate_key(store, "acme", families=("rsa",), keys=rsa_in_kms, now=start)
    assert caught.value.reason == "concurrent-rotation"
    assert took_over[0].active_key("rsa").name == "rsa-3"
    # every KMS key is recorded or pending deletion: the loser's rsa-2 and the retired rsa-1
    assert _kms_states(kms) == {"rsa-1": "PendingDeletion", "rsa-2": "PendingDeletion", "rsa-3": "Enabled"}
    record = get_issuer(store, "acme")
    assert (record.rotation, record.planned) == (None, ())
    assert [k.name for k in record.keys] == ["ed25519-1", "rsa-1", "rsa-3"]
    # the loser's early documents are rebuilt from the record: the winner's key is published
    assert _published(store)["jwks"] == {"ed25519-1", "rsa-1", "rsa-3"}
    assert _published(store)["verificationMethod"] == {"ed25519-1", "rsa-1", "rsa-3"}
    assert _verifies(store, issue_credential(store, "acme", {**REQUEST, "proof": "jwt"}))


def test_the_key_of_a_rotation_that_died_is_destroyed_by_the_one_taking_over(
    store: LocalStore, kms: Any, rsa_in_kms: KeyOptions
) -> None:
    # a rotation that made its KMS key and died (no code of its own ran after): the key is
    # planned in the record, so the rotation that takes the lease over destroys it
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    seed_acme(store, keys=rsa_in_kms)

    def die(current: Any) -> bytes:
        record = IssuerRecord.from_dict(load(current), current.key)
        claimed = begin_rotation(record, token="dead", families=("rsa",), options=rsa_in_kms, now=start)
        return json.dumps(claimed.to_dict()).encode()

    stored = store.update(issuer_record_path("acme"), die, content_type="application/json")
    (plan,) = IssuerRecord.from_dict(load(stored), stored.key).planned
    signing.create_key(
        store, "acme", plan, options=rsa_in_kms, created="2026-12-07T09:00:00Z", method_id=None
    )
    assert _kms_states(kms) == {"rsa-1": "Enabled", "rsa-2": "Enabled"}
    rotated = rotate_key(store, "acme", families=("rsa",), keys=rsa_in_kms, now=start + ROTATION_LEASE * 2)
    assert _kms_states(kms) == {"rsa-1": "PendingDeletion", "rsa-2": "PendingDeletion", "rsa-3": "Enabled"}
    assert (rotated.active_key("rsa").name, rotated.planned) == ("rsa-3", ())


def test_the_keys_of_an_issuer_creation_that_lost_the_race_are_destroyed(tmp_path: Path) -> None:
    # the same create twice at once: the one whose record write loses made keys no record names
    class _Twin(LocalStore):
        def create(self, key: str, body: bytes, **kwargs: Any) -> str:
            if key == issuer_record_path("acme"):
                create_issuer(LocalStore(str(tmp_path / "store")), PUBLIC_URL, ACME)  # gets in first
            return super().create(key, body, **kwargs)

    store = _Twin(str(tmp_path / "store"))
    record = create_issuer(store, PUBLIC_URL, ACME)
    assert _private_names(store) == {k.private_name for k in record.keys}
    assert record == get_issuer(store, "acme")


# --- the shared JWK Set never goes back to an older view of an issuer -------------------------


class _RotatesAfterAnUpdate(LocalStore):
    """The next write of issuer ``acme``'s record (a profile update's) is followed at once by a
    rotation, before the update publishes from the record it wrote: an older view."""

    armed = False

    def update(self, key: str, fn: Any, **kwargs: Any) -> Any:
        stored = super().update(key, fn, **kwargs)
        if self.armed and key == issuer_record_path("acme"):
            self.armed = False
            rotate_key(self, "acme", families=("rsa",))
        return stored


def test_a_publish_from_an_older_view_never_undoes_a_rotation_in_the_jwk_set(tmp_path: Path) -> None:
    # the shared JWK Set was merged without a revision: the update's publish dropped the new
    # rsa-2 and put back rsa-1, which the rotation had withdrawn (it never signed)
    store = _RotatesAfterAnUpdate(str(tmp_path / "store"))
    seed_acme(store)
    store.armed = True
    update_issuer(store, "acme", {"description": "Updated."})
    published = _published(store)
    assert published["jwks"] == published["verificationMethod"] == {"ed25519-1", "rsa-2"}
    assert _json(store, paths.jwks())["badgekiln:revisions"] == {
        get_issuer(store, "acme").id: get_issuer(store, "acme").revision
    }
    # the issuer's next publish (from the newest record) is merged as before
    final = update_issuer(store, "acme", {"description": "Again."})
    assert _published(store)["jwks"] == {"ed25519-1", "rsa-2"}
    assert _json(store, paths.jwks())["badgekiln:revisions"] == {final.id: final.revision}


def test_each_issuer_of_the_jwk_set_keeps_its_own_revision(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path / "store"))
    seed_acme(store)
    other = create_issuer(store, PUBLIC_URL, {**ACME, "slug": "other", "name": "Other"})
    for _ in range(3):
        rotate_key(store, "acme", families=("rsa",))
    acme = get_issuer(store, "acme")
    document = _json(store, paths.jwks())
    assert document["badgekiln:revisions"] == {acme.id: acme.revision, other.id: other.revision}
    assert acme.revision > other.revision
    assert {k["iss"] for k in document["keys"]} == {acme.id, other.id}
    # an older view of the other issuer still merges: the revisions are per issuer
    signing_keys = {k["kid"] for k in document["keys"] if k["iss"] == other.id}
    assert signing_keys == {k.method_id for k in other.keys}
