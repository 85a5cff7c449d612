"""An issuer's signing keys: create them (locally or in AWS KMS), load them, describe them.

Every issuer has two key *families*: ``ed25519`` (``eddsa-rdfc-2022`` Data Integrity proofs,
EdDSA VC-JWTs, status list credentials) and ``rsa`` (RS256 VC-JWTs and OB 2.0 signed
assertions: OB 2.0 validators take RS256 only). Rotation appends a new key to a family; the
newest signs (:func:`active_signer`, which records a key as *used* before its first signature).

Rotation *retires* the key it replaces (:func:`retire_keys`): its private half is destroyed (a
local PEM deleted, a KMS key scheduled for deletion after :data:`KMS_DELETION_WINDOW_DAYS`) and
its public half stays published, so everything it signed still verifies. A key that never signed
is *withdrawn* instead: no credential names it, so it leaves the DID document, the key documents
and the JWK Set. A family publishes at most :data:`MAX_PUBLISHED_KEYS` keys; past that the oldest
retired key is withdrawn too, and what it signed stops verifying (as with any verification method
removed from a controller document). Rotation never refuses for the number of keys.

Local keys are PKCS#8 PEM under ``private/keys/<issuer>.<key>.<random>.pem``
(:class:`~badgekiln.keys.local.LocalSigner`). KMS keys are created as
``alias/<namespace>/<issuer>/<key>-<random>`` (the namespace is the deployment's stack name, or
``badgekiln``), tagged ``badgekiln:stack=<namespace>``, and only their ARN is recorded; the private
key never leaves KMS. The namespace is what each function's IAM policy is scoped by, so two
deployments in one account cannot sign with each other's keys. :class:`KeyOptions`
``local_kinds`` keeps some kinds local even with KMS on: moto's KMS has no Ed25519, so tests run
RSA through moto and Ed25519 behind the same interface locally.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import threading
import weakref
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from badgekiln.errors import Conflict, InvalidField, NotFound, SigningError
from badgekiln.issue.records import (
    RECORD_HEADERS,
    IssuerRecord,
    KeyFamily,
    KeyPlan,
    KeyRecord,
    dump,
    issuer_record_path,
    load_issuer,
    parse_stamp,
    stamp,
)
from badgekiln.keys.formats import (
    did_key_encode,
    dump_pem_public_key,
    jwk_to_public_key,
    multikey_encode,
    public_key_to_jwk,
)
from badgekiln.keys.local import KeyKind, LocalSigner, private_key_path
from badgekiln.keys.signer import JoseAlgorithm, PublicKey, Signer

if TYPE_CHECKING:
    from badgekiln.store.base import Store

__all__ = [
    "FAMILY_KINDS",
    "KMS_DELETION_WINDOW_DAYS",
    "MAX_KMS_KEYS_PER_DAY",
    "MAX_PUBLISHED_KEYS",
    "ROTATION_LEASE",
    "KeyOptions",
    "active_signer",
    "begin_rotation",
    "create_key",
    "destroy_planned",
    "destroy_private_half",
    "key_forms",
    "key_public",
    "load_signer",
    "next_key_name",
    "plan_key",
    "retire_keys",
]

#: The key kind each family is created with.
FAMILY_KINDS: Final[dict[KeyFamily, KeyKind]] = {"ed25519": "ed25519", "rsa": "rsa2048"}
#: Most keys of one family an issuer publishes (so its DID document lists at most twice this);
#: a rotation past it withdraws the oldest retired key of the family.
MAX_PUBLISHED_KEYS: Final = 32
#: Most KMS keys one issuer's rotations may create per UTC day (each is billed monthly until
#: deleted, so a leaked issuer key cannot run up the bill): two rotations of both families.
MAX_KMS_KEYS_PER_DAY: Final = 4
#: How long a rotation holds its issuer (another one is refused meanwhile); past it, a rotation
#: that died is taken over. Longer than a Lambda function may run.
ROTATION_LEASE: Final = timedelta(minutes=15)
#: The pending window of a retired KMS key's deletion: KMS's minimum (days).
KMS_DELETION_WINDOW_DAYS: Final = 7
#: A KMS namespace: a CloudFormation stack name (letters, digits, hyphens; at most 128).
_NAMESPACE: Final = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")


@dataclass(frozen=True)
class KeyOptions:
    """Where new keys are made: locally (default) or in KMS (``kms=True``).

    ``kms_client`` is a boto3 KMS client (default: one built from the environment);
    ``local_kinds`` are kinds kept local even when ``kms`` is on; ``kms_namespace`` prefixes
    the aliases and fills the ``badgekiln:stack`` tag of new KMS keys (the stack name on AWS).
    """

    kms: bool = False
    kms_client: Any = None
    local_kinds: frozenset[str] = field(default_factory=frozenset)
    kms_namespace: str = "badgekiln"

    def __post_init__(self) -> None:
        if not _NAMESPACE.fullmatch(self.kms_namespace):
            raise ValueError(f"kms_namespace must match {_NAMESPACE.pattern}, not {self.kms_namespace!r}")


def next_key_name(record: IssuerRecord, family: KeyFamily) -> str:
    """The name the next key of ``family`` gets: ``ed25519-1``, ``ed25519-2``, … ``rsa-1`` …

    One more than the highest number the family has, planned keys included: a withdrawn key's
    name (and so its verification method id and ``kid``) is never given to another key, nor is a
    planned key's, so a key named in :attr:`IssuerRecord.keys` is the one its plan made. The
    active key, the highest, is never withdrawn.
    """
    names = [k.name for k in record.keys if k.family == family]
    names += [p.name for p in record.planned if p.family == family]
    numbers = [_key_number(name, family) for name in names]
    return f"{family}-{1 + max(numbers, default=0)}"


def _key_number(name: str, family: KeyFamily) -> int:
    tail = name.removeprefix(f"{family}-")
    return int(tail) if tail.isdigit() and tail != name else 0


def plan_key(issuer: str, family: KeyFamily, name: str, *, options: KeyOptions, token: str = "") -> KeyPlan:
    """Where key ``name`` of ``family`` for ``issuer`` will be made (:func:`create_key`): a KMS
    alias or a local private name, each with a random suffix, so a retried or abandoned creation
    never collides with a key in use."""
    suffix = secrets.token_hex(4)
    if options.kms and FAMILY_KINDS[family] not in options.local_kinds:
        return KeyPlan(token, name, family, "kms", f"alias/{options.kms_namespace}/{issuer}/{name}-{suffix}")
    return KeyPlan(token, name, family, "local", f"{issuer}.{name}.{suffix}")


def begin_rotation(
    record: IssuerRecord,
    *,
    token: str,
    families: tuple[KeyFamily, ...],
    options: KeyOptions,
    now: datetime,
) -> IssuerRecord:
    """``record`` holding the rotation lease ``token`` until ``now`` + :data:`ROTATION_LEASE`,
    with a new key of each of ``families`` planned (:attr:`IssuerRecord.planned`) and those in
    KMS reserved against today's budget (pure: the caller writes it under compare-and-swap,
    *before* any key is made, so two rotations cannot both pass, and every key made is known to
    the record before it exists). A lease that ran out is taken over: its planned keys stay
    planned under the old token, for :func:`destroy_planned`.

    Raises:
        Conflict: (``reason="concurrent-rotation"``) another rotation holds the lease.
        InvalidField: (``field="keys"``, ``reason="kms-daily-cap"``) the KMS keys would pass
            :data:`MAX_KMS_KEYS_PER_DAY` for the UTC day of ``now``.
    """
    if record.rotation not in (None, token) and record.rotation_until is not None:
        until = parse_stamp(record.rotation_until)
        if until > now:
            raise Conflict(
                f"issuer {record.slug!r} is being rotated (until {record.rotation_until} at the "
                "latest); run rotate-key again after it",
                reason="concurrent-rotation",
            )
    plans: list[KeyPlan] = []
    for family in families:
        name = next_key_name(replace(record, planned=record.planned + tuple(plans)), family)
        plans.append(plan_key(record.slug, family, name, options=options, token=token))
    kms_wanted = sum(1 for p in plans if p.backend == "kms")
    today = stamp(now)[:10]
    made = 0
    if kms_wanted > 0:
        made = record.kms_made if record.kms_day == today else 0
        # records from before the reservation count the KMS keys they hold from today
        made = max(made, sum(1 for k in record.keys if k.backend == "kms" and k.created.startswith(today)))
        if made + kms_wanted > MAX_KMS_KEYS_PER_DAY:
            raise InvalidField(
                f"issuer {record.slug!r} has created {made} KMS keys today; at most "
                f"{MAX_KMS_KEYS_PER_DAY} a day (UTC), try again tomorrow",
                field="keys",
                reason="kms-daily-cap",
                limit=MAX_KMS_KEYS_PER_DAY,
            )
        record = replace(record, kms_day=today, kms_made=made + kms_wanted)
    return replace(
        record,
        rotation=token,
        rotation_until=stamp(now + ROTATION_LEASE),
        planned=record.planned + tuple(plans),
    )


def retire_keys(
    record: IssuerRecord, new: tuple[KeyRecord, ...], *, when: str, pinned: frozenset[str] = frozenset()
) -> IssuerRecord:
    """``record`` with ``new`` appended: each key they replace retired at ``when``, and withdrawn
    when it never signed; then, per family, retired keys past :data:`MAX_PUBLISHED_KEYS`
    published, oldest first, withdrawn as well — except those whose verification method is in
    ``pinned`` (a published status list carries their proof, so every credential on it needs
    them), which stay until the list is signed anew (pure).
    """
    rotated = {k.family for k in new}
    keys = [
        replace(k, retired=when, withdrawn=k.withdrawn or not k.used)
        if k.family in rotated and k.retired is None
        else k
        for k in record.keys
    ]
    keys.extend(new)
    for family in rotated:
        published = [i for i, k in enumerate(keys) if k.family == family and k.published]
        excess = len(published) - MAX_PUBLISHED_KEYS
        for i in published:
            if excess <= 0:
                break
            if keys[i].retired is not None and keys[i].method_id not in pinned:
                keys[i] = replace(keys[i], withdrawn=True)
                excess -= 1
    return replace(record, keys=tuple(keys))


def destroy_private_half(store: Store, key: KeyRecord, options: KeyOptions) -> None:
    """Destroy ``key``'s private half: delete its local PEM, or schedule its KMS key for deletion
    after :data:`KMS_DELETION_WINDOW_DAYS` (safe to repeat).

    Raises:
        SigningError: KMS refused.
        StoreError: the store failed.
    """
    if key.backend == "kms" and key.kms_key is not None:
        from badgekiln.keys.kms import schedule_kms_key_deletion

        schedule_kms_key_deletion(key.kms_key, days=KMS_DELETION_WINDOW_DAYS, client=options.kms_client)
    elif key.private_name is not None:
        store.delete(private_key_path(key.private_name))


def destroy_planned(store: Store, plan: KeyPlan, options: KeyOptions) -> None:
    """Destroy the private half of the key ``plan`` made, if it made one: delete the local PEM,
    or schedule the KMS key its alias names for deletion after :data:`KMS_DELETION_WINDOW_DAYS`
    (safe to repeat). Only for a key no record names (a failed, dead or taken-over rotation's).

    Raises:
        SigningError: KMS refused.
        StoreError: the store failed.
    """
    if plan.backend == "kms":
        from badgekiln.keys.kms import schedule_alias_key_deletion

        schedule_alias_key_deletion(plan.locator, days=KMS_DELETION_WINDOW_DAYS, client=options.kms_client)
    else:
        store.delete(private_key_path(plan.locator))


def create_key(
    store: Store,
    issuer: str,
    plan: KeyPlan,
    *,
    options: KeyOptions,
    created: str,
    method_id: str | None,
) -> KeyRecord:
    """Make the key ``plan`` names for ``issuer`` (:func:`plan_key`): save it locally or create
    it in KMS under the plan's alias.

    ``method_id`` is the key's verification method id (``None``: none).

    Raises:
        SigningError: KMS refused to create the key, or returned an unusable one.
        StoreError: the store failed.
    """
    kind, name, family = FAMILY_KINDS[plan.family], plan.name, plan.family
    if plan.backend == "kms":
        from badgekiln.keys.kms import KmsSigner, create_kms_key

        arn = create_kms_key(
            kind,
            alias=plan.locator,
            tags={
                "badgekiln:stack": options.kms_namespace,
                "badgekiln:issuer": issuer,
                "badgekiln:key": name,
            },
            client=options.kms_client,
        )
        public = KmsSigner(arn, key_id=arn, client=options.kms_client).public_key()
        return KeyRecord(
            name, family, kind, "kms", method_id, created, kms_key=arn, jwk=public_key_to_jwk(public)
        )
    private_name = plan.locator
    local = LocalSigner.generate(kind, private_name)
    local.save_to_store(store, private_name)
    public = local.public_key()
    return KeyRecord(
        name,
        family,
        kind,
        "local",
        method_id,
        created,
        private_name=private_name,
        jwk=public_key_to_jwk(public),
    )


def key_public(key: KeyRecord) -> PublicKey:
    """The public key of ``key`` (from its recorded JWK: no store or KMS call).

    Raises:
        KeyResolutionError: the recorded JWK is not a usable key (a corrupt record).
    """
    return jwk_to_public_key(key.jwk)


def key_forms(key: KeyRecord) -> dict[str, Any]:
    """The public encodings of ``key``: ``jwk``, ``pem`` and (Ed25519) ``multibase``/``did_key``."""
    public = key_public(key)
    forms: dict[str, Any] = {"jwk": dict(key.jwk), "pem": dump_pem_public_key(public)}
    if key.family == "ed25519":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        if isinstance(public, Ed25519PublicKey):
            forms["multibase"] = multikey_encode(public)
            forms["did_key"] = did_key_encode(public)
    return forms


def active_signer(store: Store, issuer: IssuerRecord, family: KeyFamily) -> Signer:
    """The signer of ``issuer``'s active ``family`` key, recorded as used before it signs.

    The first signature of a key writes the issuer record once (compare-and-swap), so a
    rotation that retires it keeps it published; a rotation that withdrew or retired it
    meanwhile (this ``issuer`` is an older view) is refused instead of signing with it.

    Raises:
        Conflict: (``reason="key-retired"``) the key was retired meanwhile (its private half
            may be destroyed already: a local PEM gone, or — raised by the signer's ``sign`` —
            KMS refusing a key pending deletion); repeat the request.
        NotFound, InvalidField, StoreError: see :func:`load_signer`; the issuer is gone.
    """
    key = issuer.active_key(family)
    if not key.used:
        _mark_used(store, issuer.slug, key)
    try:
        signer = load_signer(store, key)
    except NotFound:
        # a rotation since ``issuer`` was read retired the key and deleted its PEM: a conflict to
        # repeat, not a missing resource (only this error path reads the record again)
        _check_still_active(store, issuer.slug, key)
        raise
    return _RetirementAware(signer, store, issuer.slug, key) if key.backend == "kms" else signer


#: KMS's answers for a key that cannot sign in its state: pending deletion (what retirement
#: schedules; ``KMSInvalidStateException``), disabled, or deleted.
_KMS_UNUSABLE: Final = frozenset({"KMSInvalidStateException", "DisabledException", "NotFoundException"})


class _RetirementAware:
    """A KMS key's signer that tells a key retired by a rotation since the issuer was read (KMS
    refuses it: pending deletion) from a KMS failure: the first is a :class:`Conflict` to repeat,
    as for a local key whose PEM is gone; the second stays a :class:`SigningError`."""

    def __init__(self, signer: Signer, store: Store, slug: str, key: KeyRecord) -> None:
        self._signer, self._store, self._slug, self._key = signer, store, slug, key

    def _refused(self, exc: SigningError) -> None:
        if exc.details.get("aws_code") in _KMS_UNUSABLE:
            _check_still_active(self._store, self._slug, self._key)

    @property
    def algorithm(self) -> JoseAlgorithm:
        try:
            return self._signer.algorithm
        except SigningError as exc:
            self._refused(exc)
            raise

    @property
    def key_id(self) -> str:
        return self._signer.key_id

    def public_key(self) -> PublicKey:
        try:
            return self._signer.public_key()
        except SigningError as exc:
            self._refused(exc)
            raise

    def sign(self, message: bytes) -> bytes:
        """Raises: Conflict (``reason="key-retired"``), SigningError: see :class:`Signer`."""
        try:
            return self._signer.sign(message)
        except SigningError as exc:
            self._refused(exc)
            raise


def _check_still_active(store: Store, slug: str, key: KeyRecord) -> None:
    """Raises: Conflict (``reason="key-retired"``) when the stored record has ``key`` retired."""
    _still_active(load_issuer(store.get(issuer_record_path(slug)), slug), key)


def _still_active(record: IssuerRecord, key: KeyRecord) -> KeyRecord:
    """``key`` as ``record`` has it.

    Raises:
        Conflict: (``reason="key-retired"``) a rotation retired or withdrew the key.
    """
    found = next((k for k in record.keys if k.name == key.name and k.jwk == key.jwk), None)
    if found is None or found.retired is not None:
        raise Conflict(
            f"issuer {record.slug!r} rotated its {key.family} key meanwhile; repeat the request",
            reason="key-retired",
        )
    return found


def _mark_used(store: Store, slug: str, key: KeyRecord) -> None:
    # no memo in the process: every issuance reads the record afresh, which then says "used"
    def mark(current: Any) -> bytes | None:
        record = load_issuer(current, slug)
        found = _still_active(record, key)
        if found.used:
            return None
        keys = tuple(replace(k, used=True) if k is found else k for k in record.keys)
        return dump(replace(record, keys=keys).to_dict())

    store.update(issuer_record_path(slug), mark, **RECORD_HEADERS)


_kms_lock = threading.Lock()


@functools.lru_cache(maxsize=256)
def _local_signer(pem: bytes, key_id: str) -> LocalSigner:
    # parsing an RSA PEM costs milliseconds; a batch signs thousands of times with one key
    return LocalSigner.from_pem(pem, key_id)


@functools.lru_cache(maxsize=256)
def _kms_signer(arn: str, key_id: str) -> Signer:
    from badgekiln.keys.kms import KmsSigner

    return KmsSigner(arn, key_id=key_id)


#: Local signers already read, per store: ``(private name, key id, recorded JWK)`` → signer.
_local_signers: weakref.WeakKeyDictionary[Store, dict[tuple[str, str, str], Signer]] = (
    weakref.WeakKeyDictionary()
)
_local_signers_lock = threading.Lock()
#: Local signers kept per store (the oldest goes first: a long fuzzing run makes keys by the
#: thousand on one store object).
_LOCAL_SIGNERS_PER_STORE: Final = 64


def load_signer(store: Store, key: KeyRecord) -> Signer:
    """The signer of ``key``: its local PEM from the store, or its KMS key.

    Its ``key_id`` is the key's verification method id, or (keys without one: RSA of a did:key
    issuer, used for OB 2.0 only) the key's name. A local key's PEM is read from ``store`` once
    per process: it is stored create-only under a name a rotation never reuses, so every
    issuance and status-list publish after the first saves a store read. The cache is keyed by
    the record's JWK too, so a key made anew under an old name (a store restored from a backup)
    is read anew.

    Raises:
        NotFound: a local key's PEM is missing.
        InvalidField: the stored PEM is not a usable key, or the record names no key.
        StoreError: the store failed.
    """
    key_id = key.method_id or key.name
    if key.backend == "kms":
        if key.kms_key is None:
            raise InvalidField(f"key {key.name!r} has no KMS key recorded", field="keys")
        with _kms_lock:
            return _kms_signer(key.kms_key, key_id)
    if key.private_name is None:
        raise InvalidField(f"key {key.name!r} has no private key recorded", field="keys")
    cache_key = (key.private_name, key_id, json.dumps(dict(key.jwk), sort_keys=True))
    with _local_signers_lock:
        cached = _local_signers.get(store, {}).get(cache_key)
    if cached is not None:
        return cached
    signer = _local_signer(store.get(private_key_path(key.private_name)).body, key_id)
    with _local_signers_lock:
        kept = _local_signers.setdefault(store, {})
        while len(kept) >= _LOCAL_SIGNERS_PER_STORE:
            del kept[next(iter(kept))]
        return kept.setdefault(cache_key, signer)
