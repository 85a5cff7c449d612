"""Issuers: create, find, publish and rotate keys.

::

    issuer = create_issuer(store, "https://badges.example.org", {"name": "Acme", "url": "https://acme.example"})
    issuer.id            # did:web:badges.example.org:issuers:acme
    rotate_key(store, issuer.slug)      # a new Ed25519 and RSA key; the old ones retire

Creating is idempotent: the same request again (say, after a crash) finishes publishing and
returns the same issuer; a *different* issuer under a taken slug is a
:class:`~badgekiln.errors.Conflict`. Keys are made and saved first, then the private record is
created (that claims the slug), then every public document is published.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

from badgekiln.errors import BadgeKilnError, Conflict, InvalidField, NotFound
from badgekiln.hosting import layout as paths
from badgekiln.hosting.layout import SLUG, Layout
from badgekiln.issue import documents
from badgekiln.issue.models import IssuerInput, IssuerUpdate, parse
from badgekiln.issue.publish import check_image, document_bytes, publish_bytes, publish_json, update_hosted
from badgekiln.issue.records import (
    ISSUER_INDEX,
    RECORD_HEADERS,
    IssuerRecord,
    KeyFamily,
    KeyPlan,
    KeyRecord,
    dump,
    issuer_index_path,
    issuer_record_path,
    load,
    load_issuer,
    stamp,
)
from badgekiln.issue.signing import (
    KeyOptions,
    begin_rotation,
    create_key,
    destroy_planned,
    destroy_private_half,
    plan_key,
    retire_keys,
)
from badgekiln.issue.statuslists import STATUS_RETRY, ensure_lists, ensure_ob2_revocation_list, list_signers
from badgekiln.keys.formats import did_key_encode
from badgekiln.store.base import Store, StoredObject

__all__ = [
    "create_issuer",
    "get_issuer",
    "issuer_summary",
    "list_issuers",
    "publish_issuer",
    "rotate_key",
    "update_issuer",
]

logger = logging.getLogger(__name__)

#: Most issuers :func:`list_issuers` walks in one call.
MAX_LISTED = 10_000


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def _request_hash(public_url: str, data: IssuerInput, kms: bool) -> str:
    request = {"public_url": public_url, "kms": kms, **data.model_dump(mode="json")}
    return hashlib.sha256(dump(request)).hexdigest()


def create_issuer(
    store: Store,
    public_url: str,
    data: IssuerInput | Mapping[str, Any],
    *,
    keys: KeyOptions = KeyOptions(),  # noqa: B008  # frozen
    now: datetime | None = None,
) -> IssuerRecord:
    """Create (or finish creating) an issuer hosted under ``public_url``; return its record.

    The issuer gets an Ed25519 and an RSA-2048 key, an OB 3.0 Profile, an OB 2.0 Issuer, its
    key documents, a DID document (did:web issuers), its entries in ``/.well-known/jwks.json``,
    an empty RevocationList and status list 0.

    Raises:
        InvalidField: bad input (``field`` names it), or a did:web issuer under a public URL
            that cannot carry one (``field="public_url"``).
        Conflict: another issuer has that slug (``reason="exists"``).
        SigningError: KMS could not create a key.
        StoreError: the store failed.
    """
    data = parse(IssuerInput, data)
    where = Layout.parse(public_url)
    slug = data.slug or paths.slugify(data.name, fallback="issuer")
    kind: Literal["web", "key", "url"] = data.kind or ("web" if where.supports_did_web else "url")
    if kind == "web":
        where.did_web(slug)  # refuses an http or IP public URL up front
    request = _request_hash(where.base, data, keys.kms)
    existing = _existing(store, slug, request)
    if existing is not None:
        publish_issuer(store, existing, now=now)
        return existing
    when = stamp(_now(now))
    # a did:key issuer's id is its first key, known once that key exists (below)
    issuer_id = where.did_web(slug) if kind == "web" else where.url(paths.issuer_profile(slug))
    record = IssuerRecord(
        slug=slug,
        kind=kind,
        id=issuer_id,
        public_url=where.base,
        name=data.name,
        url=data.url,
        created=when,
        email=data.email,
        description=data.description,
        suspension=data.suspension,
        request=request,
    )
    plans = (
        plan_key(slug, "ed25519", "ed25519-1", options=keys),
        plan_key(slug, "rsa", "rsa-1", options=keys),
    )
    ed25519 = create_key(
        store, slug, plans[0], options=keys, created=when, method_id=_method(record, "ed25519-1")
    )
    if kind == "key":
        from badgekiln.keys.formats import jwk_to_public_key

        did = did_key_encode(jwk_to_public_key(ed25519.jwk))  # type: ignore[arg-type]
        record = replace(record, id=did)
        ed25519 = replace(ed25519, method_id=f"{did}#{did.removeprefix('did:key:')}")
    rsa = create_key(store, slug, plans[1], options=keys, created=when, method_id=_method(record, "rsa-1"))
    # the first Ed25519 key signs the status lists at once (below)
    made = sum(1 for k in (ed25519, rsa) if k.backend == "kms")
    record = replace(
        record,
        keys=(replace(ed25519, used=True), rsa),
        kms_day=when[:10] if made else None,
        kms_made=made,
    )
    try:
        store.create(issuer_record_path(slug), dump(record.to_dict()), **RECORD_HEADERS)
    except Conflict:
        # a concurrent create of the same slug won (fine if it was this very request): the keys
        # made here are named by no record, so they are destroyed
        _discard(store, where, slug, plans, keys)
        existing = _existing(store, slug, request)
        if existing is None:  # pragma: no cover - _existing raises for a different request
            raise
        record = existing
    publish_issuer(store, record, now=now)
    return record


def _method(record: IssuerRecord, name: str) -> str | None:
    """Key ``name``'s verification method id: ``<issuer id>#<name>`` for did:web and URL issuers;
    none yet for a did:key issuer (its Ed25519 method is set once the DID is known; its RSA
    keys serve OB 2.0 only)."""
    return None if record.kind == "key" else f"{record.id}#{name}"


def _existing(store: Store, slug: str, request: str) -> IssuerRecord | None:
    try:
        record = _read(store, slug)
    except NotFound:
        return None
    if record.request != request:
        raise Conflict(
            f"an issuer called {slug!r} exists already; choose another --id", field="slug", reason="exists"
        )
    return record


def _read(store: Store, slug: str) -> IssuerRecord:
    obj = store.get(issuer_record_path(slug))
    return IssuerRecord.from_dict(load(obj), obj.key)


def get_issuer(store: Store, ref: str) -> IssuerRecord:
    """The issuer named by ``ref``: its slug or its id (DID or URL).

    Raises:
        NotFound: no such issuer.
        InvalidField: ``ref`` is empty or not a string.
        StoreError: the store failed or the record is corrupt.
    """
    if not isinstance(ref, str) or not ref or len(ref) > 2048:
        raise InvalidField("an issuer is named by its slug or id", field="issuer")
    if SLUG.fullmatch(ref):
        try:
            return _read(store, ref)
        except NotFound:
            raise NotFound(f"no issuer {ref!r} in this store", issuer=ref) from None
    try:
        index = load(store.get(issuer_index_path(ref)))
    except NotFound:
        raise NotFound(f"no issuer {ref[:200]!r} in this store", issuer=ref[:200]) from None
    slug = index.get("slug")
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        raise NotFound(f"no issuer {ref[:200]!r} in this store", issuer=ref[:200])
    return _read(store, slug)


def list_issuers(store: Store) -> Iterator[IssuerRecord]:
    """Every issuer in the store, by slug (at most :data:`MAX_LISTED`).

    Issuers are found through the id index (one object each, written when creation finishes
    publishing), not by walking ``private/issuers/``, where every credential has records too.

    Raises:
        StoreError: the store failed or a record is corrupt.
    """
    slugs: set[str] = set()
    for key in itertools.islice(store.list(ISSUER_INDEX), MAX_LISTED):
        try:
            slug = load(store.get(key)).get("slug")
        except NotFound:  # removed meanwhile (never by badgekiln)
            continue
        if isinstance(slug, str) and SLUG.fullmatch(slug):
            slugs.add(slug)
    for slug in sorted(slugs):
        try:
            record = _read(store, slug)
        except NotFound:  # an index entry left behind by a removed issuer
            continue
        yield record


def _publish_key(store: Store, where: Layout, issuer: IssuerRecord, key: KeyRecord) -> None:
    """Publish ``key``'s documents: verification method, JWK and PEM (:func:`documents.key_documents`)."""
    for hosted, document in documents.key_documents(where, issuer, key).items():
        if isinstance(document, bytes):
            publish_bytes(store, hosted, document)
        else:
            publish_json(store, hosted, document)


def publish_issuer(store: Store, issuer: IssuerRecord, *, now: datetime | None = None) -> None:
    """(Re)publish every public document of ``issuer`` from its record (safe to repeat).

    Key documents first, then what points at them (DID document, profiles), then the JWK Set,
    the lists and the id index.

    Raises:
        StoreError, SigningError: the store or the signer failed.
    """
    where = Layout.parse(issuer.public_url)
    _publish_documents(store, where, issuer)
    ensure_ob2_revocation_list(store, where, issuer)
    ensure_lists(store, where, issuer, issuer.status_list, now=_now(now))
    with contextlib.suppress(Conflict):  # the index entry never changes
        store.create(issuer_index_path(issuer.id), dump({"slug": issuer.slug}), **RECORD_HEADERS)


def _publish_documents(store: Store, where: Layout, issuer: IssuerRecord) -> None:
    """The documents built from ``issuer``'s record alone: its published keys, the DID document,
    the profiles and its JWK Set members (nothing is signed)."""
    revision = issuer.revision
    for key in issuer.published_keys:
        _publish_key(store, where, issuer, key)
    if issuer.kind == "web":
        publish_json(
            store, paths.did_document(issuer.slug), documents.did_document(issuer), revision=revision
        )
    publish_json(
        store, paths.issuer_profile(issuer.slug), documents.profile_document(issuer), revision=revision
    )
    publish_json(
        store, paths.ob2_issuer(issuer.slug), documents.ob2_issuer_document(where, issuer), revision=revision
    )
    _publish_jwks(store, where, issuer)


#: The JWK Set member recording, per issuer id, the record revision its keys were last merged
#: from (RFC 7517 section 5: members a reader does not know are ignored).
JWKS_REVISIONS = "badgekiln:revisions"


def _publish_jwks(store: Store, where: Layout, issuer: IssuerRecord) -> None:
    """Put ``issuer``'s published keys in the deployment's JWK Set, and take out its others,
    unless the set holds them from a newer revision of the record (compare-and-swap on the set,
    so a publish from an older view — read before a rotation committed — can neither drop the
    rotation's new key nor put back a key it withdrew)."""
    hosted = paths.jwks()
    entries = documents.jwks_entries(where, issuer)
    mine = {e["kid"] for e in entries}

    def merge(current: StoredObject | None) -> bytes | None:
        keys: list[Any] = []
        revisions: dict[str, Any] = {}
        if current is not None:
            stored = load(current)
            found, known = stored.get("keys"), stored.get(JWKS_REVISIONS)
            keys = [k for k in found if isinstance(k, dict)] if isinstance(found, list) else []
            revisions = dict(known) if isinstance(known, dict) else {}
        seen = revisions.get(issuer.id)
        if isinstance(seen, int) and not isinstance(seen, bool) and seen > issuer.revision:
            return None  # merged from a newer view already
        # the issuer's members are all rebuilt: a withdrawn key's leaves
        kept = [k for k in keys if k.get("kid") not in mine and k.get("iss") != issuer.id]
        merged = kept + entries
        revisions[issuer.id] = issuer.revision
        if current is not None and merged == keys and revisions == stored.get(JWKS_REVISIONS):
            return None
        return document_bytes({"keys": merged, JWKS_REVISIONS: revisions})

    update_hosted(store, hosted, merge, retry=STATUS_RETRY)


def rotate_key(
    store: Store,
    ref: str,
    *,
    families: tuple[KeyFamily, ...] = ("ed25519", "rsa"),
    keys: KeyOptions = KeyOptions(),  # noqa: B008  # frozen
    now: datetime | None = None,
) -> IssuerRecord:
    """Add a new key to each of ``families`` (each once, however often it is named); the new
    ones sign from now on and the ones they replace retire
    (:func:`~badgekiln.issue.signing.retire_keys`: private half destroyed, public half kept
    published if it signed anything, withdrawn if not or past the published horizon).

    Order: the record is claimed first (a rotation lease, and the KMS keys reserved against the
    day's budget, under compare-and-swap: a concurrent rotation is refused before it makes a
    key); then the new keys are made and their documents published; then the record names them
    and retires the old ones (only then do they sign); then the documents are republished from
    it; last the retired keys' private halves are destroyed and the withdrawn keys' documents
    deleted (what a crash leaves of this is finished by the next rotation).

    Raises:
        NotFound: no such issuer.
        InvalidField: a did:key issuer's Ed25519 key cannot rotate (it *is* the DID), an unknown
            family, or more KMS keys today than
            :data:`~badgekiln.issue.signing.MAX_KMS_KEYS_PER_DAY` (``reason="kms-daily-cap"``).
        Conflict: (``reason="concurrent-rotation"``) another rotation of the issuer is under way.
        SigningError: KMS could not create a key.
        StoreError: the store failed.
    """
    issuer = get_issuer(store, ref)
    families = tuple(dict.fromkeys(families))
    for family in families:
        if family not in ("ed25519", "rsa"):
            raise InvalidField(f"unknown key family {family!r}: ed25519 or rsa", field="family")
        if family == "ed25519" and issuer.kind == "key":
            raise InvalidField(
                "a did:key issuer's Ed25519 key is its DID and cannot rotate; create a new issuer",
                field="family",
                reason="did-key",
            )
    where = Layout.parse(issuer.public_url)
    started = _now(now)
    when = stamp(started)
    token = secrets.token_hex(8)

    def claim(current: StoredObject | None) -> bytes | None:
        record = load_issuer(current, issuer.slug)
        claimed = begin_rotation(record, token=token, families=families, options=keys, now=started)
        return dump(claimed.to_dict())

    stored = store.update(issuer_record_path(issuer.slug), claim, **RECORD_HEADERS)
    issuer = IssuerRecord.from_dict(load(stored), stored.key)
    plans = tuple(p for p in issuer.planned if p.token == token)
    new: list[KeyRecord] = []
    try:
        for plan in plans:
            key = create_key(
                store, issuer.slug, plan, options=keys, created=when, method_id=_method(issuer, plan.name)
            )
            new.append(key)
            _publish_key(store, where, issuer, key)
        # the new keys are published before the record names them (nothing is withdrawn yet)
        preview = replace(issuer, keys=issuer.keys + tuple(new), revision=issuer.revision + 1)
        _publish_documents(store, where, preview)
        pinned = list_signers(store, issuer)

        def commit(current: StoredObject | None) -> bytes | None:
            record = load_issuer(current, issuer.slug)
            if new and {k.name for k in new} <= {k.name for k in record.keys}:
                return None  # this commit landed and its reply was lost: the retry sees it
            if record.rotation != token:
                raise Conflict(
                    f"issuer {issuer.slug!r} was rotated concurrently; run rotate-key again",
                    reason="concurrent-rotation",
                )
            retired = retire_keys(record, tuple(new), when=when, pinned=pinned)
            done = replace(
                retired,
                rotation=None,
                rotation_until=None,
                planned=tuple(p for p in record.planned if p.token != token),
                revision=record.revision + 1,
            )
            return dump(done.to_dict())

        # a failed commit is abandoned too (one that did land named the keys: they are kept)
        stored = store.update(issuer_record_path(issuer.slug), commit, **RECORD_HEADERS)
    except BaseException:
        _abandon_rotation(store, issuer.slug, token, plans, keys, now=now)
        raise
    updated = IssuerRecord.from_dict(load(stored), stored.key)
    publish_issuer(store, updated, now=now)
    return _finish_retirement(store, updated, keys)


def _abandon_rotation(
    store: Store,
    slug: str,
    token: str,
    plans: tuple[KeyPlan, ...],
    options: KeyOptions,
    *,
    now: datetime | None,
) -> None:
    """Undo a rotation that failed (or was taken over) before its commit: destroy the keys it
    made that the record does not name, give back its lease, and republish the issuer's
    documents from the record (the rotation published its new keys before the commit). Best
    effort: what fails is logged, and the keys not destroyed stay planned in the record for the
    next rotation (the KMS budget reserved stays spent: a failed creation may still have made a key).
    """
    try:
        record = _read(store, slug)
    except BadgeKilnError:  # unknown whether the commit landed: destroy nothing
        logger.warning("rotation of issuer %r failed and its record cannot be read", slug, exc_info=True)
        return
    where = Layout.parse(record.public_url)
    named = {k.name for k in record.keys}  # names are never reused: a named plan was committed
    done = _discard(store, where, slug, tuple(p for p in plans if p.name not in named), options)

    def release(current: StoredObject | None) -> bytes | None:
        record = load_issuer(current, slug)
        planned = tuple(p for p in record.planned if (p.token, p.name) not in done)
        if record.rotation != token and planned == record.planned:
            return None
        if record.rotation == token:
            record = replace(record, rotation=None, rotation_until=None)
        # a newer revision than the documents the rotation published ahead of its commit
        return dump(replace(record, planned=planned, revision=record.revision + 1).to_dict())

    try:
        stored = store.update(issuer_record_path(slug), release, **RECORD_HEADERS)
        publish_issuer(store, IssuerRecord.from_dict(load(stored), stored.key), now=now)
    except BadgeKilnError:  # the lease then simply runs out; the next rotation republishes
        logger.warning("could not release the rotation of issuer %r", slug, exc_info=True)


def _discard(
    store: Store, where: Layout, slug: str, plans: tuple[KeyPlan, ...], options: KeyOptions
) -> set[tuple[str, str]]:
    """Destroy the keys ``plans`` made and no record names, with their key documents; the
    ``(token, name)`` of each one done (a failure is logged and left for the next rotation)."""
    done: set[tuple[str, str]] = set()
    for plan in plans:
        try:
            destroy_planned(store, plan, options)
            for hosted in documents.key_paths(slug, plan.name, plan.family):
                store.delete(hosted.key)
        except BadgeKilnError:
            logger.warning("could not destroy unrecorded key %r of %r", plan.locator, slug, exc_info=True)
            continue
        done.add((plan.token, plan.name))
    return done


def _finish_retirement(store: Store, issuer: IssuerRecord, options: KeyOptions) -> IssuerRecord:
    """Destroy the private halves of ``issuer``'s retired keys, delete the documents of its
    withdrawn ones, then record that (withdrawn keys leave the record). Whatever fails stays
    recorded as it was, for the next rotation to finish; the record as it then is."""
    where = Layout.parse(issuer.public_url)
    named = {k.name for k in issuer.keys}
    # planned keys of rotations that failed, died or were taken over: no commit can name them now
    abandoned = tuple(p for p in issuer.planned if p.token != issuer.rotation and p.name not in named)
    discarded = _discard(store, where, issuer.slug, abandoned, options)
    done: set[str] = set()
    for key in issuer.keys:
        if key.retired is None or (key.destroyed and not key.withdrawn):
            continue
        try:
            if not key.destroyed:
                destroy_private_half(store, key, options)
            if key.withdrawn:
                for hosted in documents.key_paths(issuer.slug, key.name, key.family):
                    store.delete(hosted.key)
        except BadgeKilnError:  # the key stays as it is recorded; the next rotation retries
            logger.warning("could not finish retiring key %r of %r", key.name, issuer.slug, exc_info=True)
            continue
        done.add(key.name)
    if not done and not discarded:
        return issuer

    def record_done(current: StoredObject | None) -> bytes | None:
        record = load_issuer(current, issuer.slug)
        keys = tuple(
            replace(k, destroyed=True) if k.name in done else k
            for k in record.keys
            if not (k.name in done and k.withdrawn)
        )
        planned = tuple(p for p in record.planned if (p.token, p.name) not in discarded)
        if keys == record.keys and planned == record.planned:
            return None
        return dump(replace(record, keys=keys, planned=planned).to_dict())

    try:
        stored = store.update(issuer_record_path(issuer.slug), record_done, **RECORD_HEADERS)
    except BadgeKilnError:  # the rotation has committed: what is done is repeated next time
        logger.warning("could not record the retirement of %r's keys", issuer.slug, exc_info=True)
        return issuer
    return load_issuer(stored, issuer.slug)


def hosting_note(issuer: IssuerRecord) -> str | None:
    """What a person creating ``issuer`` must know about where its documents live, or ``None``:
    under a plain-http public URL (``badgekiln serve`` on loopback) only this deployment can read
    them, so only it can verify the issuer's badges in full."""
    where = Layout.parse(issuer.public_url)
    if where.scheme != "http":
        return None
    readers = (
        "this deployment's pages, its POST /verify and `badgekiln verify --store STORE` read them "
        "from its store"
    )
    if issuer.kind == "key":
        return (
            f"local issuer: its did:key signatures verify anywhere, but its status lists are on plain "
            f"http under {where.base}, which only this deployment can check ({readers}); use an https "
            "public URL for badges others can verify"
        )
    return (
        f"local issuer: its key and profile are on plain http under {where.base}, so its badges verify "
        f"on this deployment only ({readers}); other verifiers refuse keys on http. Use an https "
        "public URL for badges others can verify, or kind 'key' (did:key) for signatures that "
        "verify anywhere"
    )


#: Largest logo (bytes): a small picture beside the issuer's name, fetched with every verify page.
MAX_LOGO_BYTES = 256 * 1024


def update_issuer(
    store: Store,
    ref: str,
    changes: IssuerUpdate | Mapping[str, Any] | None = None,
    *,
    logo: bytes | None = None,
    now: datetime | None = None,
) -> IssuerRecord:
    """Change the profile of issuer ``ref`` (slug or id): the fields ``changes`` gives (an
    :class:`~badgekiln.issue.models.IssuerUpdate` or a mapping of it: name, url, email,
    description) are replaced, and ``logo`` (PNG or SVG) becomes its ``image``. Its documents
    are republished; credentials already issued keep the profile they embed.

    Order: the logo is published first, then the record changed (compare-and-swap), then the
    documents republished from it, so no document ever names a logo that is not there.

    Raises:
        NotFound: no such issuer.
        InvalidField: a bad field, or nothing to change (``field="changes"``).
        InputTooLarge, NotABadgeImage, MalformedImage: a logo too big, or not a PNG or SVG.
        StoreError: the store failed.
    """
    wanted = parse(IssuerUpdate, changes if changes is not None else {})
    fields = wanted.model_dump(exclude_none=True)
    if not fields and logo is None:
        raise InvalidField("nothing to change: give a name, url, email, description or logo", field="changes")
    issuer = get_issuer(store, ref)
    fmt = None if logo is None else check_image(logo, what="the logo", field="logo", limit=MAX_LOGO_BYTES)
    if logo is not None and fmt is not None:
        publish_bytes(store, paths.issuer_logo(issuer.slug, fmt), bytes(logo))

    def change(current: StoredObject | None) -> bytes | None:
        record = load_issuer(current, issuer.slug)
        updated = replace(record, **fields, logo=fmt or record.logo)
        if updated == record:
            return None
        return dump(replace(updated, revision=record.revision + 1).to_dict())

    stored = store.update(issuer_record_path(issuer.slug), change, **RECORD_HEADERS)
    updated = IssuerRecord.from_dict(load(stored), stored.key)
    publish_issuer(store, updated, now=now)
    return updated


def issuer_summary(issuer: IssuerRecord) -> dict[str, Any]:
    """The issuer as the CLI and API show it: id, kind, names, document URLs, keys, and a
    :func:`hosting_note` (``None`` for an issuer others can verify)."""
    where = Layout.parse(issuer.public_url)
    urls: dict[str, str] = {
        "profile": where.url(paths.issuer_profile(issuer.slug)),
        "ob2_issuer": where.url(paths.ob2_issuer(issuer.slug)),
        "ob2_revocation_list": where.url(paths.ob2_revocation_list(issuer.slug)),
        "jwks": where.url(paths.jwks()),
    }
    if issuer.kind == "web":
        urls["did_document"] = where.url(paths.did_document(issuer.slug))
    if issuer.logo is not None:
        urls["logo"] = where.url(paths.issuer_logo(issuer.slug, issuer.logo))
    for purpose in ("revocation", "suspension") if issuer.suspension else ("revocation",):
        urls[f"{purpose}_list"] = where.url(paths.status_list(issuer.slug, issuer.status_list, purpose))
    return {
        "id": issuer.id,
        "slug": issuer.slug,
        "kind": issuer.kind,
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
        "description": issuer.description,
        "suspension": issuer.suspension,
        "created": issuer.created,
        "note": hosting_note(issuer),
        "urls": urls,
        "keys": [
            {
                "name": k.name,
                "family": k.family,
                "alg": "EdDSA" if k.family == "ed25519" else "RS256",
                "method": k.method_id,
                "backend": k.backend,
                "kms_key": k.kms_key,
                "created": k.created,
                "active": k is issuer.active_key(k.family),
                # active, retired (published: what it signed verifies) or withdrawn (leaving)
                "state": "withdrawn" if k.withdrawn else "retired" if k.retired else "active",
                "retired": k.retired,
                "used": k.used,
            }
            for k in issuer.keys
        ],
    }
