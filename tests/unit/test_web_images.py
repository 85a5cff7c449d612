"""badgekiln.web.images: only PNG we checked or rendered reaches a page; og images are cached."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from urllib.parse import quote

import png
import pytest

from badgekiln.store import LocalStore
from badgekiln.web import images
from badgekiln.web.images import (
    MAX_INLINE_IMAGE_BYTES,
    cached_png,
    picture_from_data_uri,
    picture_from_upload,
    png_data_uri,
)

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    b'<rect width="40" height="40" fill="#123"/></svg>'
)


def small_png(size: int = 8) -> bytes:
    out = io.BytesIO()
    png.Writer(size, size, greyscale=True).write(out, [[128] * size for _ in range(size)])
    return out.getvalue()


def decoded(uri: str | None) -> bytes:
    assert uri is not None
    assert uri.startswith("data:image/png;base64,")
    return base64.b64decode(uri.split(",", 1)[1])


def test_png_data_uris_only_for_small_pngs() -> None:
    image = small_png()
    assert decoded(png_data_uri(image)) == image
    assert png_data_uri(b"GIF89a...") is None
    assert png_data_uri(b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_INLINE_IMAGE_BYTES) is None


def test_an_uploaded_svg_is_shown_as_a_rendered_png() -> None:
    picture = picture_from_upload(SVG, "svg", "Badge image: X")
    assert decoded(picture.src).startswith(b"\x89PNG\r\n\x1a\n")
    assert (picture.alt, picture.note) == ("Badge image: X", None)


def test_an_svg_that_would_fetch_is_not_rendered() -> None:
    hostile = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink" width="9" '
        b'height="9"><image x:href="http://127.0.0.1:9/x.png" width="9" height="9"/></svg>'
    )
    picture = picture_from_upload(hostile, "svg", "Badge image")
    assert picture.src is None
    assert picture.note is not None
    assert picture.note.startswith("The SVG image was not previewed: ")


def test_data_uri_images() -> None:
    image = small_png()
    as_base64 = "data:image/png;base64," + base64.b64encode(image).decode()
    assert decoded(picture_from_data_uri(as_base64, "x").src) == image
    svg = "data:image/svg+xml," + quote(SVG.decode())
    assert decoded(picture_from_data_uri(svg, "x").src).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("uri", "note"),
    [
        (None, None),
        ("https://issuer.example/badge.png", "The badge's image is not embedded in it."),
        ("data:image/png;base64,@@@", "The badge's embedded image is malformed (bad base64)."),
        ("data:text/html;base64,PHNjcmlwdD4=", "The badge's embedded image is neither PNG nor SVG."),
        ("data:image/png;base64", "The badge's embedded image is too large or malformed to preview."),
    ],
)
def test_data_uris_that_are_not_shown(uri: str | None, note: str | None) -> None:
    picture = picture_from_data_uri(uri, "x")
    assert (picture.src, picture.note) == (None, note)


def test_a_png_that_is_not_a_png_is_not_shown() -> None:
    picture = picture_from_data_uri("data:image/png;base64," + base64.b64encode(b"<html>").decode(), "x")
    assert picture.src is None
    assert picture.note == "The image is not a PNG and cannot be previewed."
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_INLINE_IMAGE_BYTES
    assert (
        picture_from_upload(big, "png", "x").note
        == f"The image is too large to preview here ({len(big):,} bytes)."
    )


def test_og_images_are_rendered_once_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStore(str(tmp_path))
    calls: list[int] = []
    real = images.render_png

    def counting(svg: bytes, size: int) -> tuple[bytes | None, str | None]:
        calls.append(size)
        return real(svg, size)

    monkeypatch.setattr(images, "render_png", counting)
    first = cached_png(store, SVG)
    assert first is not None
    assert first.startswith(b"\x89PNG")
    assert cached_png(store, SVG) == first
    assert calls == [images.OG_IMAGE_SIZE]
    keys = list(store.list("public/pages/og/"))
    assert len(keys) == 1
    assert store.head(keys[0]).content_type == "image/png"


def test_an_unrenderable_og_image_is_none(tmp_path: Path) -> None:
    assert cached_png(LocalStore(str(tmp_path)), b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None


def test_issuer_logos_embedded_or_hosted_here_only() -> None:
    from badgekiln.fetch import Fetcher, MockTransport, TransportRequest, TransportResponse
    from badgekiln.web.images import issuer_logo

    asked: list[str] = []

    def site(request: TransportRequest) -> TransportResponse:
        asked.append(request.url)
        if request.url.endswith("logo.png"):
            return TransportResponse(200, {"content-type": "image/png"}, small_png())
        return TransportResponse(404)

    def network(request: TransportRequest) -> TransportResponse:
        raise AssertionError(f"logo fetched from the network: {request.url}")

    fetcher = Fetcher(
        transport=MockTransport(network), mounts={"http://127.0.0.1:8080/": MockTransport(site)}
    )
    embedded = issuer_logo("data:image/png;base64," + base64.b64encode(small_png()).decode(), "Acme", fetcher)
    assert embedded is not None
    assert decoded(embedded.src) == small_png()
    assert embedded.alt == "Logo of Acme"
    hosted = issuer_logo("http://127.0.0.1:8080/issuers/acme/logo.png", "Acme", fetcher)
    assert hosted is not None
    assert decoded(hosted.src) == small_png()
    assert asked == ["http://127.0.0.1:8080/issuers/acme/logo.png"]
    # elsewhere (never loaded), missing here, or not an image: no logo, no error
    for image in (
        "https://acme.example/logo.png",
        "http://127.0.0.1:8080/issuers/acme/missing.png",
        "data:text/html,<script>",
        None,
    ):
        assert issuer_logo(image, "Acme", fetcher) is None
