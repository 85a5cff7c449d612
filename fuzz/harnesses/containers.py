"""PNG and SVG reading and baking: ``extract``, ``bake``, the PNG pixel-size check, round trips.

The input is an image. Each case extracts from it, bakes one of three payloads into it (a JSON
credential, a compact JWS, a hosted-assertion URL; chosen by the input's length so a case is
reproducible) and, when baking succeeded, checks the property every badge relies on:
``extract(bake(image, p)).payload == p`` with the spec the payload says, and baking it again
changes nothing. The ``pixels`` variant runs ``png.check_pixels`` (``badgekiln bake
--check-pixels``: every row decoded, within the decompressed-size cap) on the same PNG seeds; it
decodes pixels, so it is a harness of its own and of the smaller campaign.

The PNG harness has a custom mutator: libFuzzer's mutation, then, for three cases in four, every
chunk CRC the lengths still reach is recomputed, so mutations get past the CRC check into the
chunk parsers while the CRC check itself stays fuzzed.
"""

from __future__ import annotations

import contextlib
import random
import struct
import zlib
from collections.abc import Callable, Iterator

import badgekiln
from badgekiln import png
from badgekiln.errors import BadgeKilnError
from fuzz.harnesses.seeds import VECTORS, files
from fuzz.oracle import OracleViolation

__all__ = ["make_mutator", "make_target", "seeds"]

_CREDENTIAL = (
    '{"@context": ["https://www.w3.org/ns/credentials/v2", '
    '"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"], '
    '"type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": "https://issuer.example/"}'
)
_JWS = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
_URL = "https://issuer.example/assertions/1.json"
#: (payload, the spec bake must record for it)
_PAYLOADS = ((_CREDENTIAL, "ob3"), (_JWS, "ob2"), (_URL, "ob2"))


def make_target(variant: str) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        if variant == "pixels":
            png.check_pixels(data)
            return
        with contextlib.suppress(BadgeKilnError):
            badgekiln.extract(data)
        payload, spec = _PAYLOADS[len(data) % len(_PAYLOADS)]
        baked = badgekiln.bake(data, payload)
        found = badgekiln.extract(baked)
        if (found.payload, found.spec) != (payload, spec):
            raise OracleViolation(
                f"bake/extract round trip: baked {payload[:40]!r} ({spec}), "
                f"extracted {found.payload[:40]!r} ({found.spec}) from {found.carrier}"
            )
        if badgekiln.bake(baked, payload) != baked:
            raise OracleViolation("baking the same payload twice changed the image")

    return target


def make_mutator(variant: str) -> Callable[[bytes, int, int], bytes] | None:
    if variant not in ("png", "pixels"):
        return None
    import atheris

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        mutated: bytes = atheris.Mutate(data, max_size)
        if random.Random(seed).random() < 0.75:  # not cryptographic
            return fix_crcs(mutated)
        return mutated

    return mutate


def fix_crcs(data: bytes) -> bytes:
    """``data`` with the CRC of every chunk its lengths still reach recomputed."""
    out = bytearray(data)
    pos = 8
    while pos + 12 <= len(out):
        (length,) = struct.unpack_from(">I", out, pos)
        end = pos + 12 + length
        if end > len(out):
            break
        struct.pack_into(">I", out, end - 4, zlib.crc32(bytes(out[pos + 4 : end - 4])))
        pos = end
    return bytes(out)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _tiny_png(*extra: bytes) -> bytes:
    return (
        png.PNG_SIGNATURE
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + b"".join(extra)
        + _chunk(b"IDAT", zlib.compress(b"\0\0"))
        + _chunk(b"IEND", b"")
    )


def _png_seeds() -> Iterator[tuple[str, bytes]]:
    yield from files(VECTORS.rglob("*.png"))
    tiny = _tiny_png()
    yield "made/tiny.png", tiny
    for payload, _ in _PAYLOADS:
        yield f"made/baked-{len(payload)}.png", badgekiln.bake(tiny, payload)
    yield "made/text-carrier.png", _tiny_png(_chunk(b"tEXt", b"openbadges\0" + _URL.encode()))
    yield "made/ztxt-carrier.png", _tiny_png(_chunk(b"zTXt", b"openbadges\0\0" + zlib.compress(b"{}")))
    yield (
        "made/compressed-itxt.png",
        _tiny_png(_chunk(b"iTXt", b"openbadgecredential\0\1\0\0\0" + zlib.compress(_JWS.encode()))),
    )
    yield (
        "made/two-carriers.png",
        _tiny_png(
            _chunk(b"tEXt", b"openbadges\0" + _URL.encode()), _chunk(b"iTXt", b"openbadges\0\0\0\0\0" + b"{}")
        ),
    )


_SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><g><rect/></g></svg>'


def _svg_seeds() -> Iterator[tuple[str, bytes]]:
    yield from files(VECTORS.rglob("*.svg"))
    yield "made/plain.svg", _SVG
    for payload, _ in _PAYLOADS:
        yield f"made/baked-{len(payload)}.svg", badgekiln.bake(_SVG, payload)
    yield (
        "made/latin1.svg",
        b"<?xml version='1.0' encoding='latin-1'?><svg xmlns='http://www.w3.org/2000/svg'>\xe9</svg>",
    )
    yield "made/utf16.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16")
    yield (
        "made/cdata.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        b"<openbadges:credential><![CDATA[{}]]></openbadges:credential></svg>",
    )


def seeds(variant: str) -> Iterator[tuple[str, bytes]]:
    return _svg_seeds() if variant == "svg" else _png_seeds()
