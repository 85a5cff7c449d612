"""Badge images as pages show them: PNG only, and only PNG we checked or produced.

An uploaded SVG is never put in a page as SVG (an ``<svg>`` inline, or an ``<img>`` of an SVG we
did not sanitise, is active content in the first case and a parser of strangers' XML in both):
it is rendered to PNG with :mod:`badgekiln.render`, whose hardened pass refuses external
references, entities and drawing bombs. A PNG is shown as a ``data:`` URI after its signature is
checked; a browser decodes it as an image and nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote_to_bytes

from badgekiln.dimensions import check_dimensions
from badgekiln.errors import BadgeKilnError, InputTooLarge, NotFound
from badgekiln.hosting.media import CACHE_IMMUTABLE, TYPE_PNG
from badgekiln.png import PNG_SIGNATURE
from badgekiln.store.base import Store, public_path
from badgekiln.web.view import Picture

if TYPE_CHECKING:
    from badgekiln.fetch import Fetcher

__all__ = [
    "MAX_INLINE_IMAGE_BYTES",
    "OG_IMAGE_SIZE",
    "PREVIEW_SIZE",
    "cached_png",
    "issuer_logo",
    "picture_from_data_uri",
    "picture_from_upload",
    "png_data_uri",
    "render_png",
]

_log = logging.getLogger(__name__)

#: Largest PNG put into a page as a data: URI. Base64 adds a third, and a Lambda answer is at
#: most 6 MB: a 1 MiB image keeps the page small enough to load fast on a phone, too.
MAX_INLINE_IMAGE_BYTES: Final = 1024 * 1024
#: Longer side of an SVG badge rendered for a result page (CSS shows it at up to 240 px).
PREVIEW_SIZE: Final = 480
#: Longer side of the PNG shared as og:image: LinkedIn and Twitter show badges at 400 px or less.
OG_IMAGE_SIZE: Final = 512
#: Where rendered PNGs are cached, by the SHA-256 of the SVG and the size (content-addressed,
#: so an entry never goes stale and two writers write the same bytes).
OG_CACHE_PREFIX: Final = "pages/og"


def png_data_uri(png: bytes) -> str | None:
    """A ``data:image/png`` URI for ``png``, or ``None`` when it is no PNG or too large to inline."""
    if not png.startswith(PNG_SIGNATURE) or len(png) > MAX_INLINE_IMAGE_BYTES:
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_png(svg: bytes, size: int) -> tuple[bytes | None, str | None]:
    """(PNG, None) for an SVG badge rendered at ``size`` px, or (None, why not) in words."""
    try:
        from badgekiln.render import svg_to_png

        return svg_to_png(svg, size=size), None
    except BadgeKilnError as exc:
        return None, f"The SVG image was not previewed: {exc.message}."
    except RuntimeError:  # libcairo missing: a deployment fault, not the badge's
        _log.exception("SVG rendering is unavailable")
        return None, "SVG previews are not available on this server."


def picture_from_upload(image: bytes, fmt: str, alt: str) -> Picture:
    """The picture of an uploaded badge image (``fmt`` ``png`` or ``svg``, as extraction found);
    none for one declaring more pixels than a browser should be asked to decode."""
    try:
        check_dimensions(image)
    except InputTooLarge as exc:
        return Picture(None, alt, f"The image is not previewed: {exc.message}.")
    except BadgeKilnError:
        pass  # not a readable PNG or SVG: said below
    if fmt == "svg":
        png, why = render_png(image, PREVIEW_SIZE)
        if png is None:
            return Picture(None, alt, why)
        image = png
    if not image.startswith(PNG_SIGNATURE):
        return Picture(None, alt, "The image is not a PNG and cannot be previewed.")
    uri = png_data_uri(image)
    if uri is None:
        return Picture(None, alt, f"The image is too large to preview here ({len(image):,} bytes).")
    return Picture(uri, alt)


def picture_from_data_uri(uri: str | None, alt: str) -> Picture:
    """The picture for a badge whose image is a ``data:`` URI (PNG or SVG), else none.

    Badge images given by URL are not fetched for a preview; the page links to them instead.
    """
    if not uri or not uri.startswith("data:"):
        return Picture(None, alt, "The badge's image is not embedded in it." if uri else None)
    header, comma, payload = uri[5:].partition(",")
    if not comma or len(payload) > MAX_INLINE_IMAGE_BYTES * 2:
        return Picture(None, alt, "The badge's embedded image is too large or malformed to preview.")
    media, *params = header.split(";")
    try:
        data = base64.b64decode(payload, validate=True) if "base64" in params else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return Picture(None, alt, "The badge's embedded image is malformed (bad base64).")
    kind = {"image/png": "png", "image/svg+xml": "svg"}.get(media.strip().lower())
    if kind is None:
        return Picture(None, alt, "The badge's embedded image is neither PNG nor SVG.")
    return picture_from_upload(data, kind, alt)


def issuer_logo(image: str | None, name: str, fetcher: Fetcher) -> Picture | None:
    """The issuer's logo as a page may show it, or ``None``: an embedded ``data:`` image, or one
    this deployment hosts itself (read through ``fetcher``'s mounts, never the network). Logos
    elsewhere are not loaded, as badge images are not."""
    alt = f"Logo of {name}"
    if not image:
        return None
    if image.startswith("data:"):
        picture = picture_from_data_uri(image, alt)
        return picture if picture.src else None
    if not fetcher.serves_locally(image):
        return None
    try:
        body = fetcher.get(
            image, accept=("image/png", "image/svg+xml"), max_bytes=MAX_INLINE_IMAGE_BYTES
        ).body
    except BadgeKilnError:
        return None
    picture = picture_from_upload(body, "png" if body.startswith(PNG_SIGNATURE) else "svg", alt)
    return picture if picture.src else None


def cached_png(store: Store, svg: bytes, size: int = OG_IMAGE_SIZE) -> bytes | None:
    """``svg`` rendered to PNG once and kept in the store's public space (``public/pages/og/``).

    A failed cache write is logged and the rendered PNG still returned; a failed render is
    ``None`` (the page then has no og:image rather than an error).
    """
    digest = hashlib.sha256(svg).hexdigest()
    key = public_path(*OG_CACHE_PREFIX.split("/"), f"{digest}-{size}.png")
    try:
        return store.get(key).body
    except NotFound:
        pass
    except BadgeKilnError:
        _log.warning("og image cache unreadable", exc_info=True)
    png, why = render_png(svg, size)
    if png is None:
        _log.info("og image not rendered: %s", why)
        return None
    try:
        store.put(key, png, content_type=TYPE_PNG, cache_control=CACHE_IMMUTABLE)
    except BadgeKilnError:
        _log.warning("og image not cached", exc_info=True)
    return png
