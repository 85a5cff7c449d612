"""Writing public documents: with their layout headers, and never letting an older view win.

Documents derived from an issuer record (DID document, profiles, key documents) carry the
record's ``revision`` in the object metadata; :func:`publish_json` with ``revision`` replaces a
stored document only when its revision is not newer, under compare-and-swap. Two concurrent
key rotations can then finish in any order and the DID document still ends up listing both keys.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from badgekiln.errors import Conflict, InputTooLarge
from badgekiln.hosting.layout import Hosted, ImageFormat
from badgekiln.store.base import DEFAULT_RETRY, RetryPolicy, Store, StoredObject, Updater

__all__ = ["check_image", "document_bytes", "publish_bytes", "publish_json", "update_hosted"]

_REVISION = "revision"


def document_bytes(document: Any) -> bytes:
    """JSON bytes of a public document: UTF-8, compact, members in the order built."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def publish_json(store: Store, hosted: Hosted, document: Any, *, revision: int | None = None) -> None:
    """Publish ``document`` at ``hosted`` (see :func:`publish_bytes`)."""
    publish_bytes(store, hosted, document_bytes(document), revision=revision)


def publish_bytes(
    store: Store, hosted: Hosted, body: bytes, *, revision: int | None = None, create_only: bool = False
) -> None:
    """Store ``body`` at ``hosted``'s key with its content type and caching.

    ``create_only`` leaves an existing object alone (documents that are created once and then
    changed only by compare-and-swap: status and revocation lists). ``revision`` replaces the
    stored document only if its recorded revision is not newer.

    Raises:
        StoreError: the store failed (or lost compare-and-swap rounds past its retry budget).
    """
    headers: dict[str, Any] = {"content_type": hosted.content_type, "cache_control": hosted.cache_control}
    if create_only:
        with contextlib.suppress(Conflict):  # created once; later changes are compare-and-swap
            store.create(hosted.key, body, **headers)
        return
    if revision is None:
        store.put(hosted.key, body, **headers)
        return

    def newer(current: StoredObject | None) -> bytes | None:
        if current is not None:
            stored = current.metadata.get(_REVISION, "0")
            if stored.isdigit() and int(stored) > revision:
                return None
            if current.body == body and stored == str(revision):
                return None
        return body

    store.update(hosted.key, newer, metadata={_REVISION: str(revision)}, **headers)


def update_hosted(
    store: Store,
    hosted: Hosted,
    fn: Updater,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
    metadata: dict[str, str] | None = None,
) -> None:
    """Read-modify-write the document at ``hosted`` (:meth:`Store.update`) with its layout headers.

    Raises:
        Conflict: lost ``retry``'s compare-and-swap rounds in a row.
        StoreError: the store failed; whatever ``fn`` raises aborts the update.
    """
    store.update(
        hosted.key,
        fn,
        retry=retry,
        content_type=hosted.content_type,
        cache_control=hosted.cache_control,
        metadata=metadata,
    )


def check_image(image: bytes, *, what: str, field: str, limit: int) -> ImageFormat:
    """The format of ``image`` (an achievement image, a logo) once it is known to be a whole,
    bakeable PNG or SVG of at most ``limit`` bytes; ``what`` names it in errors.

    Raises:
        TypeError: ``image`` is not bytes.
        InputTooLarge: (``field``) over ``limit`` bytes, or declaring more pixels than
            :func:`~badgekiln.dimensions.check_dimensions` allows (``reason="dimensions"``).
        NotABadgeImage, MalformedImage, UnsupportedEncoding: not a well-formed PNG or SVG, or an
            SVG holding scripts, handlers or external references (``reason="active-content"``).
    """
    from badgekiln.baking import bake
    from badgekiln.dimensions import check_dimensions
    from badgekiln.sniff import sniff_image
    from badgekiln.svgcontent import check_inert

    if not isinstance(image, bytes | bytearray):
        raise TypeError(f"{field} must be bytes, not {type(image).__name__}")
    if len(image) > limit:
        raise InputTooLarge(f"{what} is {len(image)} bytes; the limit is {limit}", field=field, limit=limit)
    fmt: ImageFormat = sniff_image(bytes(image))
    check_dimensions(bytes(image), field=field)  # hosted, baked into credentials, shown as og:image
    if fmt == "svg":
        check_inert(bytes(image))  # hosted: it may be opened outside our sandbox CSP
    # read whole as baking reads it (every chunk and CRC, the XML): refused now, not at issuance
    bake(bytes(image), "https://badgekiln.invalid/check.json", spec="ob2")
    return fmt
