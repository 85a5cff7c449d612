"""cairosvg's ``url_fetcher``: decode ``data:`` URIs within budget, refuse every other URL.

cairosvg calls the fetcher for ``<image href>``, for ``<use>``/``<tref>`` hrefs that are not
plain fragments, and for CSS ``@import``; relative paths reach it as ``file://`` URLs. The scan
(:mod:`badgekiln.render._scan`) already refuses all of those but ``data:`` images; this is the
second lock, and the place where embedded images are checked before cairo or Pillow decode them.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
from urllib.parse import unquote_to_bytes

from badgekiln.errors import InputTooLarge, RenderError
from badgekiln.render._scan import Budget, scan_svg
from badgekiln.render.limits import RenderLimits

__all__ = ["DataUriFetcher"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IHDR = b"\x00\x00\x00\rIHDR"
#: The same sniffing cairosvg's image() does, so we check exactly what it will decode.
_SVG_STARTS = (b"<svg ", b"<?xml", b"<!DOC", b"\x1f\x8b")


class DataUriFetcher:
    """A ``url_fetcher(url, resource_type) -> bytes`` for one render; not reusable across renders."""

    def __init__(self, limits: RenderLimits, budget: Budget) -> None:
        self._limits = limits
        self._budget = budget

    def __call__(self, url: str, resource_type: str) -> bytes:
        """Return the bytes of a ``data:`` URI after checking them.

        Raises:
            RenderError: not a ``data:`` URI, a stylesheet, an undecodable URI, or an embedded
                image that is not PNG, JPEG or SVG or is too large (``reason`` says which).
            InputTooLarge: the render decoded more than ``max_embedded_bytes`` in total.
        """
        if url[:5].lower() != "data:":
            shown = url if len(url) <= 120 else url[:117] + "..."
            raise RenderError(
                f"refused to fetch {shown!r}: only data: URIs are rendered",
                reason="external-reference",
                url=shown,
            )
        if resource_type == "text/css":
            raise RenderError("stylesheet imports are not rendered", reason="external-reference")
        data = self._decode(url)
        if resource_type == "image/svg+xml":
            self._check_svg(data)
        else:
            self._check_image(data)
        return data

    def _decode(self, url: str) -> bytes:
        header, comma, payload = url[5:].partition(",")
        if not comma:
            raise RenderError("a data: URI has no ',' before its data", reason="data-uri")
        raw = unquote_to_bytes(payload)
        if header.lower().endswith(";base64"):
            try:
                raw = base64.b64decode(b"".join(raw.split()), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise RenderError("a data: URI is not valid base64", reason="data-uri") from exc
        self._budget.embedded_bytes -= len(raw)
        if self._budget.embedded_bytes < 0:
            raise self._too_large()
        return raw

    def _too_large(self) -> InputTooLarge:
        return InputTooLarge(
            f"embedded data: URIs decode to more than {self._limits.max_embedded_bytes} bytes",
            reason="embedded-bytes",
            limit=self._limits.max_embedded_bytes,
        )

    def _check_image(self, data: bytes) -> None:
        if len(data) < 5:
            return  # cairosvg skips it
        if data.startswith(_PNG_SIGNATURE[:4]):
            self._check_png(data)
        elif data.startswith(_SVG_STARTS) or b"<svg" in data:
            self._check_svg(data)
        else:
            self._check_jpeg(data)

    def _check_svg(self, data: bytes) -> None:
        # an embedded SVG is parsed and drawn like the document, on the same budget
        scan_svg(data, self._limits, self._budget)

    def _check_png(self, data: bytes) -> None:
        if data[:8] != _PNG_SIGNATURE or data[8:16] != _IHDR or len(data) < 24:
            raise RenderError("an embedded PNG image is malformed", reason="embedded-image")
        width, height = struct.unpack(">II", data[16:24])
        self._check_pixels(width, height, "PNG")

    def _check_jpeg(self, data: bytes) -> None:
        # Pillow is already loaded by cairosvg; formats= stops it from trying its other decoders
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
                width, height = image.size
        except Image.DecompressionBombError as exc:  # Pillow's own, far higher, pixel cap
            raise self._over_pixels("JPEG", "claims far too many pixels") from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise RenderError(
                "an embedded image is not PNG, JPEG or SVG; convert it to PNG", reason="embedded-image"
            ) from exc
        self._check_pixels(width, height, "JPEG")

    def _check_pixels(self, width: int, height: int, kind: str) -> None:
        if width * height > self._limits.max_pixels:
            raise self._over_pixels(kind, f"is {width}×{height} pixels")

    def _over_pixels(self, kind: str, what: str) -> RenderError:
        return RenderError(
            f"an embedded {kind} image {what}; the limit is {self._limits.max_pixels} pixels",
            reason="embedded-image",
            limit=self._limits.max_pixels,
        )
