"""An issuer's signing keys: create them (locally or in AWS KMS), load them, describe them.

Every issuer has two key *families*: ``ed25519`` (``eddsa-rdfc-2022`` Data Integrity proofs,
EdDSA VC-JWTs, status list credentials) and ``rsa`` (RS256 VC-JWTs and OB 2.0 signed
assertions: OB 2.0 validators take RS256 only). Rotation appends a new key to a family; the
newest signs, and every older one stays published so what it signed still verifies.

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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from badgekiln.errors import InvalidField
from badgekiln.issue.records import IssuerRecord, KeyFamily, KeyRecord
from badgekiln.keys.formats import (
    did_key_encode,
    dump_pem_public_key,
    jwk_to_public_key,
    multikey_encode,
    public_key_to_jwk,
)
from badgekiln.keys.local import KeyKind, LocalSigner, private_key_path
from badgekiln.keys.signer import PublicKey, Signer

if TYPE_CHECKING:
    from badgekiln.store.base import Store

__all__ = [
    "FAMILY_KINDS",
    "MAX_KMS_KEYS_PER_DAY",
    "KeyOptions",
    "check_kms_budget",
    "create_key",
    "key_forms",
    "key_public",
    "load_signer",
    "next_key_name",
]

#: The key kind each family is created with.
FAMILY_KINDS: Final[dict[KeyFamily, KeyKind]] = {"ed25519": "ed25519", "rsa": "rsa2048"}
#: Most keys one issuer may accumulate by rotation (the DID document lists them all).
MAX_KEYS: Final = 64
#: Most KMS keys one issuer's rotations may create per UTC day (each is billed monthly until
#: deleted, so a leaked issuer key cannot run up the bill): two rotations of both families.
MAX_KMS_KEYS_PER_DAY: Final = 4
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

    Raises:
        InvalidField: (``field="keys"``) the issuer already holds :data:`MAX_KEYS` keys.
    """
    if len(record.keys) >= MAX_KEYS:
        raise InvalidField(
            f"issuer {record.slug!r} already has {MAX_KEYS} keys; no more rotations",
            field="keys",
            limit=MAX_KEYS,
        )
    taken = {k.name for k in record.keys}
    number = 1 + sum(1 for k in record.keys if k.family == family)
    while f"{family}-{number}" in taken:
        number += 1
    return f"{family}-{number}"


def check_kms_budget(record: IssuerRecord, wanted: int, options: KeyOptions, today: str) -> None:
    """Refuse to create ``wanted`` more KMS keys for ``record`` on the UTC day ``today``
    (``2026-12-07``) if that would pass :data:`MAX_KMS_KEYS_PER_DAY`.

    Raises:
        InvalidField: (``field="keys"``, ``reason="kms-daily-cap"``) it would.
    """
    if not options.kms or wanted <= 0:
        return
    made = sum(1 for k in record.keys if k.backend == "kms" and k.created.startswith(today))
    if made + wanted > MAX_KMS_KEYS_PER_DAY:
        raise InvalidField(
            f"issuer {record.slug!r} has created {made} KMS keys today; at most "
            f"{MAX_KMS_KEYS_PER_DAY} a day (UTC), try again tomorrow",
            field="keys",
            reason="kms-daily-cap",
            limit=MAX_KMS_KEYS_PER_DAY,
        )


def create_key(
    store: Store,
    issuer: str,
    family: KeyFamily,
    name: str,
    *,
    options: KeyOptions,
    created: str,
    method_id: str | None,
) -> KeyRecord:
    """Make key ``name`` of ``family`` for ``issuer``: save it locally or create it in KMS.

    ``method_id`` is the key's verification method id (``None``: none). Names in
    the store and in KMS carry a random suffix, so a retried or abandoned creation never
    collides with a key in use.

    Raises:
        SigningError: KMS refused to create the key, or returned an unusable one.
        StoreError: the store failed.
    """
    kind = FAMILY_KINDS[family]
    suffix = secrets.token_hex(4)
    if options.kms and kind not in options.local_kinds:
        from badgekiln.keys.kms import KmsSigner, create_kms_key

        arn = create_kms_key(
            kind,
            alias=f"alias/{options.kms_namespace}/{issuer}/{name}-{suffix}",
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
    private_name = f"{issuer}.{name}.{suffix}"
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
