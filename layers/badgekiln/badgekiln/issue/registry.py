"""Read issued credentials back: one credential's state, and an issuer's credentials, a page at a
time, filtered by recipient, by the pipeline's ``external_id``, by achievement or by state.

Nothing here is written by every issuance of an issuer: listing walks the credential records
(``private/issuers/<i>/credentials/``, one object per credential), and the two lookups walk an
index of **one object per credential** written beside its record (S3 ``ListObjectsV2`` by
prefix finds them):

* ``private/issuers/<i>/index/recipients/<h>/<c>.json``: ``h`` is SHA-256 over the recipient's
  type and identity (an e-mail address trimmed and lower-cased), domain-separated; the identity is
  never stored, only this digest and, in the record, the identity masked;
* ``private/issuers/<i>/index/external-ids/<h>/<c>.json``: ``h`` is SHA-256 of the external id.

Pages are cursors: ``cursor`` is the last credential name of the page before, and the listing
starts after it (S3 ``StartAfter``), so a page costs a bounded number of requests however far in
it is. Credentials issued before the index existed are listed, but not found by recipient or
external id.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, Literal

from badgekiln.errors import Conflict, InvalidField, NotFound
from badgekiln.hosting import layout as paths
from badgekiln.hosting.layout import SLUG, ImageFormat, Layout, Purpose
from badgekiln.issue.issuers import get_issuer
from badgekiln.issue.models import CredentialQuery, parse
from badgekiln.issue.records import (
    RECORD_HEADERS,
    CredentialRecord,
    IssuerRecord,
    credential_record_path,
    load,
)
from badgekiln.store.base import Store, private_path

__all__ = [
    "MAX_SCANNED",
    "CredentialPage",
    "CredentialView",
    "credential_name",
    "credential_view",
    "get_credential",
    "index_credential",
    "list_credentials",
]

#: Most records one call reads when filters leave a page short: it then ends early, with a
#: cursor to go on from (a request stays bounded however few credentials match).
MAX_SCANNED: Final = 2000
#: Records read at once (they wait on the store, not the CPU).
_READERS: Final = 8

PURPOSES: Final[tuple[Purpose, ...]] = ("revocation", "suspension")
IMAGE_FORMATS: Final[tuple[ImageFormat, ...]] = ("png", "svg")
_URN_UUID: Final = re.compile(r"urn:uuid:([0-9a-f-]{36})")


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"badgekiln:{kind}\0{value}".encode("utf-8", "surrogatepass")).hexdigest()


def recipient_digest(identity: str, recipient_type: str) -> str:
    """The index name of a recipient: e-mail addresses compare trimmed and case-insensitively."""
    normal = identity.strip().lower() if recipient_type == "email" else identity.strip()
    return _digest(f"recipient:{recipient_type}", normal)


IndexKind = Literal["recipients", "external-ids"]


def _index_prefix(issuer: str, kind: IndexKind, digest: str) -> str:
    return private_path("issuers", issuer, "index", kind, digest) + "/"


def _records_prefix(issuer: str) -> str:
    return private_path("issuers", issuer, "credentials") + "/"


def index_credential(store: Store, record: CredentialRecord, *, identity: str) -> None:
    """Create the index entries of a new credential: its recipient (``identity``, of the
    record's recipient type) and its external id, if any.

    Each entry is its own object, created once (a retried issuance finds it there).

    Raises:
        StoreError: the store failed.
    """
    recipient_type = record.recipient_type or "email"
    entries = [_index_prefix(record.issuer, "recipients", recipient_digest(identity, recipient_type))]
    if record.external_id is not None:
        entries.append(
            _index_prefix(record.issuer, "external-ids", _digest("external-id", record.external_id))
        )
    for prefix in entries:
        with contextlib.suppress(Conflict):
            store.create(f"{prefix}{record.name}.json", b"{}", **RECORD_HEADERS)


def credential_name(issuer: IssuerRecord, ref: str) -> str:
    """The name of the credential of ``issuer`` that ``ref`` names: its name, ``urn:uuid:``,
    id or any of its URLs (document, baked image).

    Raises:
        InvalidField: (``field="credential"``) ``ref`` cannot name a credential.
        NotFound: ``ref`` is a URL that is no credential of this issuer.
    """
    if not isinstance(ref, str) or not ref or len(ref) > 2048:
        raise InvalidField("a credential is named by its id, URL or name", field="credential")
    lowered = ref.lower()
    if SLUG.fullmatch(lowered):
        return lowered
    match = _URN_UUID.fullmatch(lowered)
    if match:
        return match.group(1)
    path = Layout.parse(issuer.public_url).path_of(ref)
    found = paths.classify(path) if path else None
    if found is not None and found.kind in (
        "credential",
        "credential-jwt",
        "assertion",
        "signed-assertion",
        "baked-image",
    ):
        segments = found.path.split("/")
        if segments[1] == issuer.slug:
            return segments[3].rsplit(".", 1)[0]
    raise NotFound(f"{ref[:200]!r} is not a credential of issuer {issuer.slug!r}", credential=ref[:200])


@dataclass(frozen=True)
class CredentialView:
    """An issued credential as its issuer reads it back: what it is, its state, where it lives."""

    record: CredentialRecord
    issuer: IssuerRecord

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ids and URLs, state and reason, status entry, recipient (masked)."""
        record, issuer = self.record, self.issuer
        where = Layout.parse(issuer.public_url)
        slug, name = issuer.slug, record.name
        if record.spec == "ob3":
            document = paths.credential(slug, name, jwt=record.format == "jwt")
            status: dict[str, Any] = {
                "list": record.status_list,
                "index": record.status_index,
                "lists": {
                    purpose: where.url(paths.status_list(slug, record.status_list, purpose))
                    for purpose in PURPOSES
                    if record.status_list is not None and purpose in record.purposes
                },
            }
        else:
            document = (
                paths.signed_assertion(slug, name)
                if record.format == "signed"
                else paths.assertion(slug, name)
            )
            status = {"revocation_list": where.url(paths.ob2_revocation_list(slug))}
        fmt: ImageFormat | None = next((f for f in IMAGE_FORMATS if f == record.image_format), None)
        image = paths.baked_image(slug, name, fmt, spec=record.spec) if fmt is not None else None
        return {
            "id": record.id,
            "name": name,
            "issuer": issuer.id,
            "issuer_slug": slug,
            "achievement": record.achievement,
            "spec": record.spec,
            "format": record.format,
            "issued": record.issued,
            "state": record.state,
            "reason": record.reason,
            "changed": record.changed,
            "recipient": record.recipient,
            "recipient_type": record.recipient_type,
            "external_id": record.external_id,
            "status": status,
            "urls": {
                "credential": where.url(document),
                "image": where.url(image) if image is not None else None,
                "verify": where.verify_page(slug, name),
            },
        }


def credential_view(store: Store, issuer: IssuerRecord, name: str) -> CredentialView:
    """The credential ``name`` of ``issuer``.

    Raises:
        NotFound: the issuer has no such credential.
        StoreError: the store failed, or the record is corrupt.
    """
    try:
        obj = store.get(credential_record_path(issuer.slug, name))
    except NotFound:
        raise NotFound(f"issuer {issuer.slug!r} has no credential {name!r}", credential=name) from None
    return CredentialView(CredentialRecord.from_dict(load(obj), obj.key), issuer)


@dataclass(frozen=True)
class CredentialPage:
    """One page of a listing, and the cursor of the next (``None``: this was the last)."""

    credentials: tuple[CredentialView, ...]
    next_cursor: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"credentials": [c.to_dict() for c in self.credentials], "next_cursor": self.next_cursor}


def _name_of(key: str) -> str:
    return key.rsplit("/", 1)[1].removesuffix(".json")


def get_credential(store: Store, issuer_ref: str, credential: str) -> CredentialView:
    """The credential of issuer ``issuer_ref`` (slug or id) that ``credential`` names (its name,
    ``urn:uuid:``, id or any of its URLs): what it is, its state now, where it lives.

    Raises:
        InvalidField: (``field="credential"``) ``credential`` cannot name a credential.
        NotFound: no such issuer, or it has no such credential.
        StoreError: the store failed, or the record is corrupt.
    """
    issuer = get_issuer(store, issuer_ref)
    return credential_view(store, issuer, credential_name(issuer, credential))


def list_credentials(
    store: Store, issuer_ref: str, query: CredentialQuery | Mapping[str, Any] | None = None
) -> CredentialPage:
    """A page of the credentials of issuer ``issuer_ref`` (slug or id), in name order, those
    matching every filter of ``query`` (a :class:`~badgekiln.issue.models.CredentialQuery` or a
    mapping of its fields).

    ``recipient`` and ``external_id`` are looked up in the index; ``achievement`` and ``state``
    are checked on each record. A page holds at most ``limit`` credentials; when filters leave it
    short it may end early (after :data:`MAX_SCANNED` records) with a cursor to go on from.

    Raises:
        InvalidField: a bad filter, ``limit`` or ``cursor`` (``field`` names it).
        NotFound: no such issuer.
        StoreError: the store failed.
    """
    wanted = parse(CredentialQuery, query or {})
    issuer = get_issuer(store, issuer_ref)
    slug = issuer.slug
    recipient = (
        recipient_digest(wanted.recipient, wanted.recipient_type) if wanted.recipient is not None else None
    )
    if wanted.external_id is not None:
        prefix = _index_prefix(slug, "external-ids", _digest("external-id", wanted.external_id))
    elif recipient is not None:
        prefix, recipient = _index_prefix(slug, "recipients", recipient), None
    else:
        prefix = _records_prefix(slug)
    start = None
    if wanted.cursor is not None:
        if not SLUG.fullmatch(wanted.cursor):
            raise InvalidField("cursor is not one this listing gave out", field="cursor")
        start = f"{prefix}{wanted.cursor}.json"
    names = (_name_of(key) for key in store.list(prefix, start_after=start) if key.endswith(".json"))
    found: list[CredentialView] = []
    scanned, last = 0, None
    with ThreadPoolExecutor(max_workers=_READERS, thread_name_prefix="badgekiln-list") as pool:
        while len(found) < wanted.limit and scanned < MAX_SCANNED:
            batch = list(itertools.islice(names, min(wanted.limit - len(found), MAX_SCANNED - scanned)))
            if not batch:
                return CredentialPage(tuple(found), None)
            scanned += len(batch)
            views = pool.map(lambda name: _matching(store, issuer, name, recipient), batch)
            for name, view in zip(batch, views, strict=True):
                last = name
                if view is None:
                    continue
                if wanted.achievement is not None and view.record.achievement != wanted.achievement:
                    continue
                if wanted.state is not None and view.record.state != wanted.state:
                    continue
                found.append(view)
    more = next(names, None) is not None
    return CredentialPage(tuple(found), last if more else None)


def _matching(store: Store, issuer: IssuerRecord, name: str, recipient: str | None) -> CredentialView | None:
    """The credential ``name`` (``None`` if its record is gone, or it is not for ``recipient``)."""
    if recipient is not None:
        try:
            store.head(f"{_index_prefix(issuer.slug, 'recipients', recipient)}{name}.json")
        except NotFound:
            return None
    try:
        return credential_view(store, issuer, name)
    except NotFound:  # an index entry whose issuance never got further than it
        return None
