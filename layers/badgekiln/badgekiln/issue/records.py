"""Issuing's private bookkeeping: what is stored under ``private/issuers/<slug>/`` and how.

Records are small JSON objects that only badgekiln writes. They are read back strictly: a
record that does not parse or lacks a member raises :class:`~badgekiln.errors.StoreError`
(``reason="corrupt-record"``) instead of a ``KeyError`` deep inside issuing.

======================================================  =========================================
key                                                     record
======================================================  =========================================
``private/issuers/<i>/issuer.json``                     :class:`IssuerRecord` (keys, list number)
``private/issuers/<i>/achievements/<a>.json``           the achievement as created
``private/issuers/<i>/credentials/<c>.json``            :class:`CredentialRecord` (status, state)
``private/issuers/<i>/status/<n>.json``                 status list ``n``'s allocation key
``private/issuers/<i>/status/<n>/…``                    its blocks, private copies, pending changes
``private/issuers/<i>/idempotency/<sha256>.json``       one issuance request (see ``idempotency``)
``private/issuers/<i>/index/recipients/<h>/<c>.json``   credential ``c`` is for the recipient hashed
                                                        ``h`` (``registry``; one object each)
``private/issuers/<i>/index/external-ids/<h>/<c>.json`` credential ``c`` has the external id ``h``
``private/index/issuers/<sha256 of id>.json``           issuer id → slug
``private/keys/<i>.<key>.pem``                          local private keys (``keys.local``)
``private/api-keys/<key id>.json``                      API-key hashes (``issue.apikeys``)
======================================================  =========================================
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Final, Literal, TypedDict

from badgekiln.errors import Conflict, NotFound, StoreError
from badgekiln.hosting.media import CACHE_NO_STORE, TYPE_JSON
from badgekiln.model.dates import parse_aware, stamp
from badgekiln.store.base import PRIVATE, Store, StoredObject, private_path, validate_key

__all__ = [
    "ISSUER_INDEX",
    "CredentialRecord",
    "IssuerRecord",
    "KeyPlan",
    "KeyRecord",
    "achievement_record_path",
    "create_record",
    "credential_record_path",
    "dump",
    "idempotency_path",
    "issuer_index_path",
    "issuer_record_path",
    "load",
    "load_issuer",
    "parse_stamp",
    "stamp",
    "status_allocation_path",
]


class _Headers(TypedDict):
    content_type: str
    cache_control: str


#: How records are stored: JSON, never cached (``store.put(key, body, **RECORD_HEADERS)``).
RECORD_HEADERS: Final[_Headers] = {"content_type": TYPE_JSON, "cache_control": CACHE_NO_STORE}

KeyFamily = Literal["ed25519", "rsa"]
#: Where the issuer id → slug index lives: one small object per issuer, so listing issuers never
#: walks ``private/issuers/``, which holds every credential and idempotency record as well.
ISSUER_INDEX: Final = f"{PRIVATE}index/issuers/"


def parse_stamp(text: str) -> datetime:
    """The UTC datetime a :func:`stamp` names (read by the library's one date-time parser).

    Raises:
        ValueError: ``text`` is not such a timestamp.
    """
    return parse_aware(text)


def _digest(text: str) -> str:
    # surrogatepass: any str names a record (a lone surrogate from argv then simply finds none)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def issuer_record_path(issuer: str) -> str:
    return private_path("issuers", issuer, "issuer.json")


def issuer_index_path(issuer_id: str) -> str:
    return validate_key(f"{ISSUER_INDEX}{_digest(issuer_id)}.json")


def achievement_record_path(issuer: str, achievement: str) -> str:
    return private_path("issuers", issuer, "achievements", f"{achievement}.json")


def credential_record_path(issuer: str, name: str) -> str:
    return private_path("issuers", issuer, "credentials", f"{name}.json")


def status_allocation_path(issuer: str, number: int) -> str:
    return private_path("issuers", issuer, "status", f"{number}.json")


def idempotency_path(issuer: str, idempotency_key: str) -> str:
    # free-form keys are hashed into a safe, fixed-length segment
    return private_path("issuers", issuer, "idempotency", f"{_digest(idempotency_key)}.json")


def dump(value: Any) -> bytes:
    """Canonical JSON bytes of a record (sorted keys, compact)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def load(obj: StoredObject) -> dict[str, Any]:
    """The JSON object stored in ``obj``.

    Raises:
        StoreError: (``reason="corrupt-record"``) not a JSON object.
    """
    try:
        value = json.loads(obj.body)
    except (ValueError, RecursionError) as exc:  # not UTF-8 or JSON, too deep, a giant number
        raise _corrupt(obj.key, "is not JSON") from exc
    if not isinstance(value, dict):
        raise _corrupt(obj.key, "is not a JSON object")
    return value


def load_issuer(obj: StoredObject | None, slug: str) -> IssuerRecord:
    """Issuer ``slug``'s record stored in ``obj`` (``None``: it is gone, as a compare-and-swap
    update hands it over).

    Raises:
        NotFound: ``obj`` is ``None``.
        StoreError: (``reason="corrupt-record"``) not a valid issuer record.
    """
    if obj is None:
        raise NotFound(f"issuer {slug!r} disappeared", issuer=slug)
    return IssuerRecord.from_dict(load(obj), obj.key)


def create_record(
    store: Store, path: str, record: Mapping[str, Any], *, taken: str, field: str
) -> dict[str, Any]:
    """Create ``record`` at ``path`` once; the record stored there, if the same request made it.

    ``record["request"]`` fingerprints the request: repeating it (a retry, or a concurrent twin)
    answers the stored record; another request finds the name ``taken``.

    Raises:
        Conflict: (``reason="exists"``, ``field``) another request made the record at ``path``.
        StoreError: the store failed, or the stored record is not JSON.
    """
    try:
        store.create(path, dump(record), **RECORD_HEADERS)
    except Conflict:
        existing = load(store.get(path))
        if existing.get("request") != record["request"]:
            raise Conflict(taken, field=field, reason="exists") from None
        return existing
    return dict(record)


def _corrupt(key: str, why: str) -> StoreError:
    return StoreError(f"stored record {key!r} {why}", key=key, reason="corrupt-record")


def _maybe(data: Mapping[str, Any], name: str, kind: type) -> Any:
    """``data[name]`` if it is a ``kind`` (a bool is no ``int``), else ``None``."""
    value = data.get(name)
    return None if not isinstance(value, kind) or (isinstance(value, bool) and kind is int) else value


def _take(data: Mapping[str, Any], name: str, kind: type, key: str) -> Any:
    value = _maybe(data, name, kind)
    if value is None:
        raise _corrupt(key, f"has no valid {name!r}")
    return value


def _family_backend(data: Mapping[str, Any], key: str) -> tuple[KeyFamily, Literal["local", "kms"]]:
    family = _take(data, "family", str, key)
    backend = _take(data, "backend", str, key)
    if family not in ("ed25519", "rsa") or backend not in ("local", "kms"):
        raise _corrupt(key, "has an unknown key family or backend")
    return family, backend


@dataclass(frozen=True)
class KeyRecord:
    """One signing key of an issuer. The newest key of each family is the one that signs; a
    rotation *retires* the others (their private half is destroyed, their public half stays
    published so what they signed still verifies) and *withdraws* those that signed nothing, or
    that fall past the published horizon (see :mod:`badgekiln.issue.signing`)."""

    name: str
    family: KeyFamily
    kind: str
    backend: Literal["local", "kms"]
    #: Verification method / ``kid`` (``None``: not usable for OB 3.0, e.g. RSA of a did:key issuer).
    method_id: str | None
    created: str
    #: KMS key ARN (``backend="kms"``).
    kms_key: str | None = None
    #: Name of the local private key (``private/keys/<private_name>.pem``; ``backend="local"``).
    private_name: str | None = None
    #: The public key as a JWK (so documents can be rebuilt without touching KMS).
    jwk: Mapping[str, str] = field(default_factory=dict)
    #: Set (once, before its first signature) when the key has signed something.
    used: bool = False
    #: When a rotation retired the key (``None``: it is its family's active key).
    retired: str | None = None
    #: The key's public half is no longer published (it is removed from the record once its
    #: documents are gone and its private half destroyed).
    withdrawn: bool = False
    #: The private half is destroyed (the local PEM deleted, the KMS key scheduled for deletion).
    destroyed: bool = False

    @property
    def published(self) -> bool:
        """Its public half is in the issuer's documents."""
        return not self.withdrawn

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], key: str) -> KeyRecord:
        family, backend = _family_backend(data, key)
        return cls(
            name=_take(data, "name", str, key),
            family=family,
            kind=_take(data, "kind", str, key),
            backend=backend,
            method_id=_maybe(data, "method_id", str),
            created=_take(data, "created", str, key),
            kms_key=_maybe(data, "kms_key", str),
            private_name=_maybe(data, "private_name", str),
            jwk=dict(_take(data, "jwk", dict, key)),
            # records from before retirement have none of these: every key there signed something
            used=data.get("used", True) is True,
            retired=_maybe(data, "retired", str),
            withdrawn=data.get("withdrawn") is True,
            destroyed=data.get("destroyed") is True,
        )


@dataclass(frozen=True)
class KeyPlan:
    """A key a rotation is about to make, recorded with its lease before the key exists, so a
    key whose rotation fails, dies or is taken over is never orphaned: whoever finds it
    unrecorded (not in :attr:`IssuerRecord.keys`) destroys it (see :mod:`badgekiln.issue.signing`)."""

    #: The rotation's lease token (:attr:`IssuerRecord.rotation` while it holds the issuer).
    token: str
    name: str
    family: KeyFamily
    backend: Literal["local", "kms"]
    #: Where the private half goes: the local private name, or the KMS alias
    #: (``alias/<namespace>/<issuer>/<name>-<random>``; the ARN is known only once it exists).
    locator: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], key: str) -> KeyPlan:
        family, backend = _family_backend(data, key)
        return cls(
            token=_take(data, "token", str, key),
            name=_take(data, "name", str, key),
            family=family,
            backend=backend,
            locator=_take(data, "locator", str, key),
        )


@dataclass(frozen=True)
class IssuerRecord:
    """An issuer: identity, profile fields, keys and the status list it allocates from."""

    slug: str
    kind: Literal["web", "key", "url"]
    id: str
    public_url: str
    name: str
    url: str
    created: str
    email: str | None = None
    description: str | None = None
    suspension: bool = False
    keys: tuple[KeyRecord, ...] = ()
    #: The status list new credentials get indices from (lists are never reused once full).
    status_list: int = 0
    #: Bumped by every change; published documents carry it so an older view never wins.
    revision: int = 1
    #: SHA-256 of the creating request: re-running the same create resumes instead of failing.
    request: str = ""
    #: The logo's format (``png``/``svg``) when the issuer has one (``issuers/<i>/logo.<fmt>``).
    logo: Literal["png", "svg"] | None = None
    #: The UTC day (``2026-12-07``) of :attr:`kms_made` and how many KMS keys were reserved on it
    #: (reserved under compare-and-swap before KMS is asked: a failed creation still counts).
    kms_day: str | None = None
    kms_made: int = 0
    #: A rotation under way: its token and when its lease ends (another rotation waits until then).
    rotation: str | None = None
    rotation_until: str | None = None
    #: Keys rotations planned and have not recorded: the lease holder's, and those of rotations
    #: that failed or were taken over, which the next rotation destroys.
    planned: tuple[KeyPlan, ...] = ()

    @property
    def published_keys(self) -> tuple[KeyRecord, ...]:
        """The keys whose public halves are published (active and retired, not withdrawn)."""
        return tuple(k for k in self.keys if k.published)

    def active_key(self, family: KeyFamily) -> KeyRecord:
        """The newest key of ``family`` (the one that signs).

        Raises:
            StoreError: the issuer has no key of that family (a corrupt record).
        """
        for record in reversed(self.keys):
            if record.family == family:
                return record
        raise StoreError(f"issuer {self.slug!r} has no {family} key", reason="corrupt-record")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keys"] = [asdict(k) | {"jwk": dict(k.jwk)} for k in self.keys]
        data["planned"] = [asdict(p) for p in self.planned]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], key: str) -> IssuerRecord:
        kind = _take(data, "kind", str, key)
        if kind not in ("web", "key", "url"):
            raise _corrupt(key, "has an unknown issuer kind")
        keys = tuple(
            KeyRecord.from_dict(k, key) for k in _take(data, "keys", list, key) if isinstance(k, dict)
        )
        rotation_until = _maybe(data, "rotation_until", str)
        if rotation_until is not None:
            try:  # read here, so a rotation comparing it to now never meets a ValueError
                parse_stamp(rotation_until)
            except ValueError as exc:
                raise _corrupt(key, "has an unreadable 'rotation_until'") from exc
        planned = data.get("planned") or []  # records from before rotation leases have none
        if not isinstance(planned, list):
            raise _corrupt(key, "has no valid 'planned'")
        return cls(
            slug=_take(data, "slug", str, key),
            kind=kind,
            id=_take(data, "id", str, key),
            public_url=_take(data, "public_url", str, key),
            name=_take(data, "name", str, key),
            url=_take(data, "url", str, key),
            created=_take(data, "created", str, key),
            email=_maybe(data, "email", str),
            description=_maybe(data, "description", str),
            suspension=data.get("suspension") is True,
            keys=keys,
            status_list=_take(data, "status_list", int, key),
            revision=_take(data, "revision", int, key),
            request=str(data.get("request") or ""),
            logo="png" if data.get("logo") == "png" else "svg" if data.get("logo") == "svg" else None,
            kms_day=_maybe(data, "kms_day", str),
            kms_made=_maybe(data, "kms_made", int) or 0,
            rotation=_maybe(data, "rotation", str),
            rotation_until=rotation_until,
            planned=tuple(KeyPlan.from_dict(p, key) for p in planned if isinstance(p, dict)),
        )


CredentialState = Literal["active", "revoked", "suspended"]


@dataclass(frozen=True)
class CredentialRecord:
    """What revocation and reading a credential back need to know about it. Of the person it
    holds only the recipient masked (``a•••@e•••.org``), for people to recognise it."""

    name: str
    issuer: str
    spec: Literal["ob2", "ob3"]
    #: ``di`` / ``jwt`` (OB 3.0), ``hosted`` / ``signed`` (OB 2.0).
    format: str
    #: The credential / assertion id.
    id: str
    achievement: str
    issued: str
    #: OB 3.0: the status list number and index (``None`` for OB 2.0).
    status_list: int | None = None
    status_index: int | None = None
    #: OB 3.0: the list purposes this credential has entries in.
    purposes: tuple[str, ...] = ()
    state: CredentialState = "active"
    reason: str | None = None
    changed: str | None = None
    #: Bumped by every change of state or reason: the newest version of a change wins.
    version: int = 0
    #: The baked image's format (``None``: no image, or a record from before it was kept).
    image_format: str | None = None
    #: The recipient, masked, and its type (``None`` in records from before they were kept).
    recipient: str | None = None
    recipient_type: str | None = None
    #: The pipeline's own id for the credential (``IssueRequest.external_id``).
    external_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # every field is a scalar but purposes: no deep copy (dataclasses.asdict's was a sixth of
        # a revocation's CPU)
        data = {name: getattr(self, name) for name in _CREDENTIAL_FIELDS}
        data["purposes"] = list(self.purposes)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], key: str) -> CredentialRecord:
        spec = _take(data, "spec", str, key)
        state = _take(data, "state", str, key)
        if spec not in ("ob2", "ob3") or state not in ("active", "revoked", "suspended"):
            raise _corrupt(key, "has an unknown spec or state")
        purposes = data.get("purposes") or []
        if not isinstance(purposes, list) or not all(isinstance(p, str) for p in purposes):
            raise _corrupt(key, "has invalid purposes")
        return cls(
            name=_take(data, "name", str, key),
            issuer=_take(data, "issuer", str, key),
            spec=spec,
            format=_take(data, "format", str, key),
            id=_take(data, "id", str, key),
            achievement=_take(data, "achievement", str, key),
            issued=_take(data, "issued", str, key),
            status_list=_maybe(data, "status_list", int),
            status_index=_maybe(data, "status_index", int),
            purposes=tuple(purposes),
            state=state,
            reason=_maybe(data, "reason", str),
            changed=_maybe(data, "changed", str),
            version=_maybe(data, "version", int) or 0,
            image_format=_maybe(data, "image_format", str),
            recipient=_maybe(data, "recipient", str),
            recipient_type=_maybe(data, "recipient_type", str),
            external_id=_maybe(data, "external_id", str),
        )


_CREDENTIAL_FIELDS: Final = tuple(f.name for f in fields(CredentialRecord))
