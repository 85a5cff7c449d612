"""Achievements (OB 3.0) / BadgeClasses (OB 2.0): create, find, list.

An achievement belongs to one issuer and is published twice from one record: as an OB 3.0
``Achievement`` and an OB 2.0 ``BadgeClass``, sharing one image (PNG or SVG, checked to be
bakeable when created). Creating is idempotent like issuers: the same request again
republishes; a different achievement under a taken slug is a
:class:`~badgekiln.errors.Conflict`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from badgekiln.errors import InvalidField, NotFound, StoreError
from badgekiln.hosting import layout as paths
from badgekiln.hosting.layout import SLUG, ImageFormat, Layout
from badgekiln.issue import documents
from badgekiln.issue.issuers import get_issuer
from badgekiln.issue.models import AchievementInput, parse
from badgekiln.issue.publish import check_image, publish_bytes, publish_json
from badgekiln.issue.records import (
    IssuerRecord,
    achievement_record_path,
    create_record,
    dump,
    load,
    stamp,
)
from badgekiln.store.base import PRIVATE, Store

__all__ = [
    "MAX_IMAGE_BYTES",
    "achievement_image",
    "achievement_summary",
    "create_achievement",
    "get_achievement",
    "list_achievements",
]

#: Largest achievement image (bytes). Badge images are tens of KB; every baked copy carries it.
MAX_IMAGE_BYTES: Final = 2 * 1024 * 1024
#: Most achievements :func:`list_achievements` returns for one issuer.
MAX_LISTED: Final = 10_000


def _check_image(image: bytes) -> ImageFormat:
    # every credential bakes this image: refuse one that cannot be baked now, not at issuance
    fmt = check_image(image, what="the achievement image", field="image", limit=MAX_IMAGE_BYTES)
    if fmt == "svg":
        _check_template(bytes(image))
    return fmt


def _check_template(image: bytes) -> None:
    """Refuse now a template image that issuing could not fill (issuing fills every template).

    Raises:
        InvalidField: ``field="image"``: unknown, malformed or misplaced placeholders.
    """
    from badgekiln.render import PLACEHOLDERS, is_template, personalise_svg

    if not is_template(image):
        return
    try:
        personalise_svg(image, dict.fromkeys(PLACEHOLDERS, ""))
    except InvalidField as exc:
        raise InvalidField(
            f"the image is a badge template that cannot be filled: {exc.message}",
            field="image",
            reason=exc.reason,
        ) from exc


def create_achievement(
    store: Store,
    issuer_ref: str,
    data: AchievementInput | Mapping[str, Any],
    image: bytes,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Create (or finish creating) an achievement of the issuer; return its record.

    Raises:
        NotFound: no such issuer.
        InvalidField: bad input (``field`` names it; ``image`` for an SVG template with
            unknown, malformed or misplaced ``{{placeholders}}``).
        NotABadgeImage, MalformedImage, InputTooLarge: the image is not a bakeable PNG/SVG
            of at most :data:`MAX_IMAGE_BYTES`.
        Conflict: another achievement of the issuer has that slug (``reason="exists"``).
        StoreError: the store failed.
    """
    data = parse(AchievementInput, data)
    issuer = get_issuer(store, issuer_ref)
    fmt = _check_image(image)
    slug = data.slug or paths.slugify(data.name, fallback="achievement")
    request = hashlib.sha256(
        dump({**data.model_dump(mode="json"), "image": hashlib.sha256(image).hexdigest()})
    ).hexdigest()
    when = now or datetime.now(UTC)
    record = {
        **data.model_dump(mode="json"),
        "slug": slug,
        "issuer": issuer.slug,
        "image_format": fmt,
        "created": stamp(when),
        "request": request,
    }
    record = create_record(
        store,
        achievement_record_path(issuer.slug, slug),
        record,
        taken=f"issuer {issuer.slug!r} already has an achievement {slug!r}; choose another --id",
        field="slug",
    )
    _publish(store, issuer, record, bytes(image))
    return record


def _publish(store: Store, issuer: IssuerRecord, record: Mapping[str, Any], image: bytes) -> None:
    where = Layout.parse(issuer.public_url)
    fmt: ImageFormat = record["image_format"]
    slug = record["slug"]
    # the image first: both documents point at it
    publish_bytes(store, paths.achievement_image(issuer.slug, slug, fmt), image)
    publish_json(
        store,
        paths.achievement(issuer.slug, slug),
        documents.achievement_document(where, issuer, record, fmt),
    )
    publish_json(
        store,
        paths.badge_class(issuer.slug, slug),
        documents.badge_class_document(where, issuer, record, fmt),
    )


def get_achievement(store: Store, issuer: IssuerRecord, ref: str) -> dict[str, Any]:
    """The achievement of ``issuer`` named by ``ref``: its slug, or its OB 3.0 / OB 2.0 URL.

    Raises:
        NotFound: no such achievement.
        InvalidField: ``ref`` is not a string.
        StoreError: the store failed or the record is corrupt.
    """
    if not isinstance(ref, str) or not ref:
        raise InvalidField("an achievement is named by its slug or URL", field="achievement")
    slug = ref
    if not SLUG.fullmatch(ref):
        path = Layout.parse(issuer.public_url).path_of(ref)
        found = paths.classify(path) if path else None
        if found is None or found.kind not in ("achievement", "badge-class"):
            raise NotFound(
                f"{ref[:200]!r} is not an achievement of issuer {issuer.slug!r}", achievement=ref[:200]
            )
        owner, slug = found.path.split("/")[1], found.path.split("/")[3]
        if owner != issuer.slug:
            raise NotFound(
                f"{ref[:200]!r} is not an achievement of issuer {issuer.slug!r}", achievement=ref[:200]
            )
    try:
        obj = store.get(achievement_record_path(issuer.slug, slug))
    except NotFound:
        raise NotFound(f"issuer {issuer.slug!r} has no achievement {slug!r}", achievement=slug) from None
    record = load(obj)
    for member in ("slug", "name", "description", "criteria", "image_format"):
        if not isinstance(record.get(member), str):
            raise StoreError(f"stored record {obj.key!r} has no valid {member!r}", reason="corrupt-record")
    if record["image_format"] not in ("png", "svg"):
        raise StoreError(f"stored record {obj.key!r} has an unknown image format", reason="corrupt-record")
    return record


def achievement_image(store: Store, issuer: IssuerRecord, record: Mapping[str, Any]) -> bytes:
    """The achievement's image bytes.

    Raises:
        NotFound: the image is missing (the achievement was never fully published).
        StoreError: the store failed.
    """
    return store.get(paths.achievement_image(issuer.slug, record["slug"], record["image_format"]).key).body


def list_achievements(store: Store, issuer_ref: str) -> Iterator[dict[str, Any]]:
    """The issuer's achievements, by slug (at most :data:`MAX_LISTED`).

    Raises:
        NotFound: no such issuer.
        StoreError: the store failed.
    """
    issuer = get_issuer(store, issuer_ref)
    prefix = f"{PRIVATE}issuers/{issuer.slug}/achievements/"
    for count, key in enumerate(store.list(prefix)):
        if count >= MAX_LISTED:
            return
        if key.endswith(".json"):
            yield get_achievement(store, issuer, key[len(prefix) : -len(".json")])


def achievement_summaries(store: Store, issuer_ref: str) -> Iterator[dict[str, Any]]:
    """:func:`achievement_summary` of each of the issuer's achievements, by slug.

    Raises:
        NotFound: no such issuer.
        StoreError: the store failed.
    """
    issuer = get_issuer(store, issuer_ref)
    for record in list_achievements(store, issuer.slug):
        yield achievement_summary(issuer, record)


def achievement_summary(issuer: IssuerRecord, record: Mapping[str, Any]) -> dict[str, Any]:
    """The achievement as the CLI and API show it: ``id`` (the OB 3.0 URL) and its documents."""
    where = Layout.parse(issuer.public_url)
    slug, fmt = record["slug"], record["image_format"]
    return {
        "id": where.url(paths.achievement(issuer.slug, slug)),
        "slug": slug,
        "issuer": issuer.id,
        "name": record["name"],
        "description": record["description"],
        "criteria": record["criteria"],
        "created": record.get("created"),
        "urls": {
            "achievement": where.url(paths.achievement(issuer.slug, slug)),
            "badge_class": where.url(paths.badge_class(issuer.slug, slug)),
            "image": where.url(paths.achievement_image(issuer.slug, slug, fmt)),
        },
    }
