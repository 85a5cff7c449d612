"""API keys for the issuing HTTP API: random tokens, only their hashes stored, scoped.

A token looks like ``bk_<id>_<secret>``: ``<id>`` is 16 hex digits naming the record
``private/api-keys/<id>.json`` (so the authorizer needs one GetObject, never a scan) and
``<secret>`` is 32 random bytes, base64url. The record keeps ``sha256(secret)`` only: with 256
bits of entropy a slow password hash adds nothing, and a leaked record does not leak the key.
Comparison is constant-time. A key is either ``admin`` (every issuer, and creating issuers) or
scoped to one issuer. A key may carry an expiry: from then on it is refused as an unknown key is
(listed until it is deleted, so people see what lapsed).

HTTP clients send it as ``Authorization: Bearer bk_…`` (the only header the authorizer reads).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from badgekiln.errors import AuthError, InvalidField, NotFound, StoreError
from badgekiln.issue.records import RECORD_HEADERS, dump, load, parse_stamp, stamp
from badgekiln.store.base import Store, private_path

__all__ = [
    "MAX_LISTED",
    "PREFIX",
    "ApiKey",
    "api_key_path",
    "create_api_key",
    "delete_api_key",
    "list_api_keys",
    "verify_api_key",
]

PREFIX: Final = "bk_"
_TOKEN: Final = re.compile(r"bk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
#: Most keys :func:`list_api_keys` reads in one call.
MAX_LISTED: Final = 10_000
#: Longest label (characters): a note for people, e.g. "CI pipeline".
MAX_LABEL_CHARS: Final = 200
#: Longest lifetime a key may be given (an expiry further out is refused as a typo).
MAX_LIFETIME: Final = timedelta(days=3660)


@dataclass(frozen=True)
class ApiKey:
    """A verified key: who it belongs to and what it may do."""

    id: str
    scope: Literal["admin", "issuer"]
    issuer: str | None
    label: str | None
    created: str
    #: When the key stops working (``2027-01-01T00:00:00Z``), or ``None``: it does not expire.
    expires: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: id, scope, issuer, label, created, and expires when it has one (no secret)."""
        document: dict[str, Any] = {
            "id": self.id,
            "scope": self.scope,
            "issuer": self.issuer,
            "label": self.label,
            "created": self.created,
        }
        if self.expires is not None:
            document["expires"] = self.expires
        return document

    def expired(self, now: datetime) -> bool:
        """Whether the key's expiry has come at ``now``; an unreadable expiry counts as come."""
        if self.expires is None:
            return False
        try:  # the library's parser: a stored expiry without a zone is unreadable, not a TypeError
            return parse_stamp(self.expires) <= now
        except ValueError:
            return True

    def require(self, issuer: str | None = None) -> None:
        """Raise unless the key may act for ``issuer`` (``None``: admin-only actions).

        Raises:
            AuthError: (``forbidden=True``) it may not.
        """
        if self.scope == "admin":
            return
        if issuer is None or issuer != self.issuer:
            what = "this issuer" if issuer else "admin actions"
            raise AuthError(f"API key {self.id} is not allowed for {what}", forbidden=True, reason="scope")


def api_key_path(key_id: str) -> str:
    """The store key of API key ``key_id``'s record."""
    return private_path("api-keys", f"{key_id}.json")


def _digest(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_api_key(
    store: Store,
    *,
    issuer: str | None = None,
    admin: bool = False,
    label: str | None = None,
    expires: datetime | None = None,
    now: datetime | None = None,
) -> tuple[str, ApiKey]:
    """A new key (``admin``, or scoped to ``issuer``, its slug or id): ``(token, key)``, working
    until ``expires`` (timezone-aware, after ``now`` and within :data:`MAX_LIFETIME`) if given.

    The token is returned once and never stored; keep it.

    Raises:
        InvalidField: both or neither of ``admin`` and ``issuer`` (``field="issuer"``), a bad
            label, or a bad expiry (``field="expires"``).
        NotFound: no such issuer (a key for nobody is never made).
        StoreError: the store failed.
    """
    if admin == (issuer is not None):
        raise InvalidField(
            "An API key is either admin or for one issuer: give 'admin' or 'issuer'.", field="issuer"
        )
    if issuer is not None:
        # the authorizer imports this module: the issuer records (and pydantic) load only here
        from badgekiln.issue.issuers import get_issuer

        issuer = get_issuer(store, issuer).slug
    # isprintable() also refuses control characters and lone surrogates (non-UTF-8 argv)
    if label is not None and (
        not isinstance(label, str)
        or not label.strip()
        or len(label) > MAX_LABEL_CHARS
        or not label.isprintable()
    ):
        raise InvalidField(
            f"label must be one line of printable text, at most {MAX_LABEL_CHARS} characters", field="label"
        )
    moment = now or datetime.now(UTC)
    if expires is not None and (
        not isinstance(expires, datetime)
        or expires.tzinfo is None
        or not moment < expires <= moment + MAX_LIFETIME
    ):
        raise InvalidField(
            f"expires must be a time with its zone, after now and within {MAX_LIFETIME.days} days",
            field="expires",
        )
    key_id = secrets.token_hex(8)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    until = None if expires is None else stamp(expires.astimezone(UTC))
    key = ApiKey(key_id, "admin" if admin else "issuer", issuer, label, stamp(moment), until)
    record = {
        "id": key.id,
        "hash": _digest(secret),
        "scope": key.scope,
        "issuer": key.issuer,
        "label": key.label,
        "created": key.created,
        **({"expires": until} if until else {}),
    }
    store.create(api_key_path(key_id), dump(record), **RECORD_HEADERS)
    return f"{PREFIX}{key_id}_{secret}", key


def verify_api_key(store: Store, token: str, *, now: datetime | None = None) -> ApiKey:
    """The key ``token`` names, if the token is genuine and has not expired at ``now``.

    Every failure (malformed, unknown id, wrong secret, expired, corrupt record) is the same
    :class:`~badgekiln.errors.AuthError`, so a caller learns nothing about which keys exist.

    Raises:
        AuthError: (``forbidden=False``) not a valid key.
        StoreError: the store failed.
    """
    refused = AuthError("invalid API key", reason="api-key")
    match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        raise refused
    key_id, secret = match.groups()
    try:
        record = load(store.get(api_key_path(key_id)))
    except NotFound:
        raise refused from None
    stored = record.get("hash")
    if not isinstance(stored, str) or not hmac.compare_digest(stored.encode(), _digest(secret).encode()):
        raise refused
    key = _key_of(key_id, record)
    if key is None or key.expired(now or datetime.now(UTC)):
        raise refused
    return key


def _key_of(key_id: str, record: Mapping[str, Any]) -> ApiKey | None:
    """The key a stored record describes (``None``: the record is not a valid key's)."""
    scope, issuer = record.get("scope"), record.get("issuer")
    if scope not in ("admin", "issuer") or (scope == "issuer" and not isinstance(issuer, str)):
        return None
    label, created, expires = record.get("label"), record.get("created"), record.get("expires")
    if expires is not None and not isinstance(expires, str):
        return None
    return ApiKey(
        key_id,
        "admin" if scope == "admin" else "issuer",
        issuer if isinstance(issuer, str) else None,
        label if isinstance(label, str) else None,
        created if isinstance(created, str) else "",
        expires,
    )


def list_api_keys(store: Store, *, issuer: str | None = None) -> list[ApiKey]:
    """Every API key (at most :data:`MAX_LISTED`), in id order; with ``issuer`` (slug) only the
    keys scoped to it. Ids, scopes, labels and dates: never a secret or its hash.

    Raises:
        StoreError: the store failed.
    """
    keys: list[ApiKey] = []
    for name in itertools.islice(store.list(private_path("api-keys") + "/"), MAX_LISTED):
        key_id = name.rsplit("/", 1)[1].removesuffix(".json")
        try:
            key = _key_of(key_id, load(store.get(name)))
        except (NotFound, StoreError):  # withdrawn meanwhile, or not a key record
            continue
        if key is not None and (issuer is None or key.issuer == issuer):
            keys.append(key)
    return keys


def delete_api_key(store: Store, key_id: str) -> None:
    """Withdraw a key (deleting a missing key is not an error).

    Raises:
        InvalidField: a malformed key id.
        StoreError: the store failed.
    """
    if not isinstance(key_id, str) or not re.fullmatch(r"[0-9a-f]{16}", key_id):
        raise InvalidField("an API key id is 16 hex digits", field="key_id")
    store.delete(api_key_path(key_id))
