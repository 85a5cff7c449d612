"""Pixel-size caps read from headers (issue #14 item 3): a PNG whose IHDR or an SVG whose
width/height/viewBox declares more than the caps is refused where badgekiln hosts, bakes or
previews it — nothing is decoded to find out."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from badgekiln.dimensions import MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, check_dimensions, declared_size
from badgekiln.errors import InputTooLarge, NotABadgeImage
from badgekiln.issue import create_achievement, create_issuer
from badgekiln.store import LocalStore
from badgekiln.web.images import picture_from_upload
from tests.issue_support import small_png


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def declaring_png(width: int, height: int) -> bytes:
    """A well-formed PNG file (every CRC right) whose IHDR declares ``width`` × ``height`` RGBA
    but whose image data is a few bytes: ~10 GB once decoded at 50000×50000."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _chunk(b"IEND", b"")
    )


def svg(attributes: str) -> bytes:
    return f'<svg xmlns="http://www.w3.org/2000/svg" {attributes}><rect width="1" height="1"/></svg>'.encode()


BOMBS = [
    declaring_png(50_000, 50_000),
    declaring_png(100_000, 100_000),
    declaring_png(MAX_IMAGE_SIDE + 1, 1),
    declaring_png(4097, 4097),
    svg('width="1e9" height="10"'),
    svg('width="100in" height="100in"'),  # 9600 px a side
    svg('viewBox="0 0 100000 100000"'),
    svg('width="50%" viewBox="0,0,20000,20000"'),  # relative width: the viewBox decides
    svg('width="1e400" height="1"'),  # not finite
]
FINE = [
    small_png(),
    declaring_png(4096, 4096),
    declaring_png(MAX_IMAGE_SIDE, 2),
    svg('width="512" height="512"'),
    svg('width="10cm" height="10cm" viewBox="0 0 1e9 1e9"'),  # absolute sizes win over the viewBox
    svg('width="100%"'),  # nothing declared: sized by whoever shows it
    svg(""),
]


@pytest.mark.parametrize("image", BOMBS)
def test_oversized_images_are_refused_from_their_header(image: bytes) -> None:
    with pytest.raises(InputTooLarge) as caught:
        check_dimensions(image, field="image")
    assert (caught.value.reason, caught.value.details["field"]) == ("dimensions", "image")
    assert caught.value.details["limit"] == MAX_IMAGE_PIXELS


@pytest.mark.parametrize("image", FINE)
def test_images_within_the_caps_pass(image: bytes) -> None:
    check_dimensions(image)


def test_declared_sizes() -> None:
    assert declared_size(declaring_png(3, 5)) == (3.0, 5.0)
    assert declared_size(svg('width="72pt" height="1in"')) == pytest.approx((96.0, 96.0))
    assert declared_size(svg('height="7" viewBox="0 0 30 40"')) == (30.0, 7.0)
    assert declared_size(svg('width="auto"')) is None
    with pytest.raises(NotABadgeImage):
        declared_size(b"GIF89a")


@pytest.mark.parametrize("image", [BOMBS[0], BOMBS[4]])
def test_an_achievement_image_declaring_too_many_pixels_is_refused(tmp_path: Path, image: bytes) -> None:
    store = LocalStore(str(tmp_path))
    create_issuer(
        store, "https://badges.example.org", {"name": "Acme", "url": "https://acme.example", "slug": "acme"}
    )
    achievement = {"name": "Teamwork", "description": "d", "criteria": "c"}
    with pytest.raises(InputTooLarge) as caught:
        create_achievement(store, "acme", achievement, image)
    assert (caught.value.reason, caught.value.details["field"]) == ("dimensions", "image")
    assert not list(tmp_path.rglob("*teamwork*"))  # nothing published


def test_an_uploaded_bomb_is_not_previewed() -> None:
    picture = picture_from_upload(BOMBS[0], "png", "badge")
    assert picture.src is None
    assert picture_from_upload(small_png(), "png", "badge").src is not None
