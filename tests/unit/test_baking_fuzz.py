"""Fuzzing: whatever bytes arrive, bake and extract return or raise a BadgeKilnError, nothing else.

Mutations start from baked PNGs and SVGs. For PNGs the CRCs are recomputed after mutating, so the
fuzzer reaches the text-chunk parsers instead of stopping at the first CRC check. The quick runs
here take a second; ``make fuzz`` (the ``slow`` marker) runs many more examples.
"""

from __future__ import annotations

import contextlib
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import badgekiln
from badgekiln.errors import BadgeKilnError

JWS = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


PNG = badgekiln.bake(
    b"\x89PNG\r\n\x1a\n"
    + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _chunk(b"tEXt", b"Software\0fuzz")
    + _chunk(b"IDAT", zlib.compress(b"\0\0"))
    + _chunk(b"IEND", b""),
    '{"a": "b"}',
)
SVG = badgekiln.bake(
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><g><rect/></g></svg>', JWS
)
SNIPPETS = [
    b"<openbadges:assertion>",
    b"</openbadges:assertion>",
    b"<openbadges:credential verify='a.b.c'/>",
    b" xmlns:openbadges='http://openbadges.org'",
    b" xmlns:openbadges='https://purl.imsglobal.org/ob/v3p0'",
    b"<![CDATA[",
    b"]]>",
    b"<!DOCTYPE svg [<!ENTITY x 'y'>]>",
    b"&x;",
    b"&#0;",
    b"<!--",
    b"-->",
    b"<?xml version='1.0' encoding='latin-1'?>",
    b"\xff\xfe",
    b"\0",
    b"openbadges\0\0\0\0\0",
    b"openbadgecredential\0\x01\0",
    b"iTXt",
    b"IEND",
]


def _fix_crcs(data: bytearray) -> bytes:
    """Recompute every CRC the chunk lengths still reach, so mutations get past the CRC check."""
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        end = pos + 12 + length
        if end > len(data):
            break
        struct.pack_into(">I", data, end - 4, zlib.crc32(bytes(data[pos + 4 : end - 4])))
        pos = end
    return bytes(data)


@st.composite
def mutated(draw: st.DrawFn, base: bytes, fix_crcs: bool) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "snippet", "duplicate"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "snippet":
            data[at:at] = draw(st.sampled_from(SNIPPETS))
        else:
            size = draw(st.integers(1, 200))
            data[at:at] = data[at : at + size]
    return _fix_crcs(data) if fix_crcs else bytes(data)


def _survives(image: bytes) -> None:
    try:
        found = badgekiln.extract(image)
    except BadgeKilnError:
        pass
    else:
        assert found.payload
    with contextlib.suppress(BadgeKilnError):
        badgekiln.extract(badgekiln.bake(image, JWS))


IMAGES = st.one_of(mutated(PNG, fix_crcs=True), mutated(PNG, fix_crcs=False), mutated(SVG, fix_crcs=False))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(IMAGES)
def test_mutated_images_raise_only_our_errors(image: bytes) -> None:
    _survives(image)


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(IMAGES)
def test_mutated_images_raise_only_our_errors_long(image: bytes) -> None:
    _survives(image)
