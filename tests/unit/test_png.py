"""badgekiln.png: the chunk walker, carrier extraction, baking and the optional pixel check.

Hostile images are built in code from tiny helpers, one case per line.
"""

from __future__ import annotations

import io
import itertools
import struct
import tracemalloc
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgekiln import png
from badgekiln.errors import (
    AmbiguousBadge,
    InputTooLarge,
    MalformedImage,
    MalformedPayload,
    NoBadgeData,
    NotABadgeImage,
    UnsupportedEncoding,
)

SIG = png.PNG_SIGNATURE


def chunk(ctype: bytes, data: bytes = b"", *, length: int | None = None, crc: int | None = None) -> bytes:
    """One chunk; ``length``/``crc`` override the true values to build broken ones."""
    stored = zlib.crc32(ctype + data) if crc is None else crc
    return (
        struct.pack(">I", len(data) if length is None else length) + ctype + data + struct.pack(">I", stored)
    )


def itxt(
    keyword: bytes = b"openbadges",
    text: bytes = b'{"id": "https://example.org/a/1"}',
    *,
    flag: int = 0,
    method: int = 0,
    language: bytes = b"",
    translated: bytes = b"",
) -> bytes:
    return chunk(
        b"iTXt", keyword + b"\0" + bytes([flag, method]) + language + b"\0" + translated + b"\0" + text
    )


def text(ctype: bytes, keyword: bytes, body: bytes) -> bytes:
    return chunk(ctype, keyword + b"\0" + body)


IHDR = chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0))  # 2×2 greyscale, 8 bits
IDAT = chunk(b"IDAT", zlib.compress(b"\0\x10\x20\0\x30\x40"))  # two rows: filter byte + 2 pixels
IEND = chunk(b"IEND")
SOFTWARE = text(b"tEXt", b"Software", b"a test")


def build(*middle: bytes, head: bytes = SIG + IHDR, tail: bytes = IEND) -> bytes:
    return head + b"".join(middle) + tail


def chunk_types(data: bytes) -> list[bytes]:
    return [c.type for c in png.walk(data)]


PAYLOAD = b'{"id": "https://example.org/a/1"}'


# --- extraction: what counts as a carrier ---------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "carrier", "payload"),
    [
        (build(itxt(), IDAT), "iTXt:openbadges", PAYLOAD.decode()),
        (build(IDAT, itxt(b"openbadgecredential")), "iTXt:openbadgecredential", PAYLOAD.decode()),
        (build(text(b"tEXt", b"openbadges", "https://example.org/é".encode("latin-1")), IDAT),
         "tEXt:openbadges", "https://example.org/é"),
        (build(itxt(language=b"en-GB", translated=b"Abzeichen"), IDAT), "iTXt:openbadges",
         PAYLOAD.decode()),
        (build(itxt(text=b' \n{"a": 1}\t '), IDAT), "iTXt:openbadges", " \n{\"a\": 1}\t "),
        (build(itxt(text="ünïcödé ✓ 🎓".encode()), IDAT), "iTXt:openbadges", "ünïcödé ✓ 🎓"),
        (build(SOFTWARE, itxt(), IDAT, text(b"zTXt", b"Comment", b"\0x"), chunk(b"tIME", b"\0" * 7)),
         "iTXt:openbadges", PAYLOAD.decode()),
    ],
    ids=["ob2", "ob3-after-idat", "legacy-text-latin1", "language-tag", "whitespace-kept", "unicode",
         "among-other-chunks"],
)  # fmt: skip
def test_extract_finds_the_one_carrier(image: bytes, carrier: str, payload: str) -> None:
    assert png.extract(image) == (carrier, payload)


@pytest.mark.parametrize(
    "image",
    [
        build(IDAT),
        build(SOFTWARE, IDAT),
        build(text(b"tEXt", b"openbadgesX", b"x"), IDAT),
        build(IDAT) + itxt(),  # a carrier after IEND is not part of the image
    ],
    ids=["plain", "other-text", "similar-keyword", "carrier-after-iend"],
)
def test_sound_image_without_carrier_is_no_badge_data(image: bytes) -> None:
    with pytest.raises(NoBadgeData):
        png.extract(image)


def test_data_after_iend_is_ignored() -> None:
    image = build(itxt(), IDAT) + itxt(b"openbadgecredential") + b"trailing garbage"
    assert png.extract(image) == ("iTXt:openbadges", PAYLOAD.decode())


# --- hostile and malformed images ----------------------------------------------------------------


def _expect(image: bytes, error: type[Exception], reason: str | None) -> None:
    with pytest.raises(error) as caught:
        png.extract(image)
    assert getattr(caught.value, "reason", None) == reason


@pytest.mark.parametrize(
    ("image", "error", "reason"),
    [
        (b"", NotABadgeImage, None),
        (b"hello, world", NotABadgeImage, None),
        (b"GIF89a" + b"\0" * 20, NotABadgeImage, None),
        (SIG[:5], MalformedImage, "truncated"),
        (b"\x89PNG\n\r\x1a\n" + IHDR + IDAT + IEND, MalformedImage, "signature"),  # text-mode damage
        (SIG, MalformedImage, "truncated"),
        (build(IDAT, tail=b""), MalformedImage, "truncated"),
        (build(IDAT, itxt()[:-6], tail=b""), MalformedImage, "truncated"),  # inside the carrier
        (build(itxt(), IDAT[:-9], tail=b""), MalformedImage, "truncated"),  # inside IDAT after a carrier
        (build(chunk(b"IDAT", b"x" * 10, length=0x7FFFFFFF)), MalformedImage, "truncated"),
        (build(chunk(b"IDAT", b"x" * 10, length=0x80000000)), MalformedImage, "length"),  # 2 GiB
        (build(chunk(b"IDAT", b"x" * 10, length=0xFFFFFFFF)), MalformedImage, "length"),  # 4 GiB
        (build(itxt(), IDAT, head=SIG + chunk(b"IHDR", b"\0" * 13, length=0xFFFFFFF0)), MalformedImage,
         "length"),
        (build(itxt(), IDAT, head=SIG + chunk(b"IHDR", b"\0" * 12)), MalformedImage, "length"),
        (build(IDAT, head=SIG + itxt() + IHDR), MalformedImage, "chunk-order"),  # carrier before IHDR
        (build(IDAT, IHDR), MalformedImage, "chunk-order"),  # a second IHDR
        (build(IDAT, tail=chunk(b"IEND", b"x")), MalformedImage, "length"),
        (build(chunk(b"iT1t", b"x"), IDAT), MalformedImage, "chunk-type"),
        (build(chunk(b"IDAT", b"abc", crc=0), itxt()), MalformedImage, "crc"),
        (build(itxt(), IDAT, tail=chunk(b"IEND", crc=1)), MalformedImage, "crc"),
        (build(itxt(), itxt()), AmbiguousBadge, None),
        (build(itxt(), IDAT, itxt(b"openbadgecredential")), AmbiguousBadge, None),
        (build(text(b"tEXt", b"openbadges", b"https://a.example/1"), itxt()), AmbiguousBadge, None),
        (build(itxt(flag=1, text=zlib.compress(PAYLOAD))), UnsupportedEncoding, "compressed"),
        (build(itxt(flag=1, text=zlib.compress(PAYLOAD)[:-5])), UnsupportedEncoding, "compressed"),
        (build(text(b"zTXt", b"openbadges", b"\0" + zlib.compress(PAYLOAD))), UnsupportedEncoding,
         "compressed"),
        (build(text(b"tEXt", b"openbadgecredential", PAYLOAD)), UnsupportedEncoding, "text-chunk"),
        (build(itxt(text=b"caf\xe9")), UnsupportedEncoding, "utf-8"),
        (build(itxt(text=b"\xed\xa0\x80")), UnsupportedEncoding, "utf-8"),  # an encoded surrogate
        (build(itxt(flag=2)), MalformedImage, "itxt"),
        (build(itxt(method=1)), MalformedImage, "itxt"),
        (build(chunk(b"iTXt", b"openbadges")), MalformedImage, "itxt"),  # no separators at all
        (build(chunk(b"iTXt", b"openbadges\0")), MalformedImage, "itxt"),  # no flag and method
        (build(chunk(b"iTXt", b"openbadges\0\0\0" + PAYLOAD)), MalformedImage, "itxt"),  # one NUL short
        (build(chunk(b"iTXt", b"openbadges\0\0\0en\0" + PAYLOAD)), MalformedImage, "itxt"),
        (build(chunk(b"tEXt", b"openbadges")), MalformedImage, "text"),
        (build(text(b"tEXt", b"openbadges", b"https://a.example/\0x")), MalformedImage, "text"),
    ],
)  # fmt: skip
def test_hostile_png(image: bytes, error: type[Exception], reason: str | None) -> None:
    _expect(image, error, reason)


# --- malformed chunks: carriers stay strict, the rest is skipped ---------------------------------

OPENBADGESLIB_COMMENT = chunk(b"tEXt", b"Signed with OpenBadgesLib 4.6.3 (OB 2.0 JWS)")  # no NUL at all
#: Text chunks (and one unknown chunk) that break their own layout but cannot be a badge carrier.
NOT_CARRIERS = {
    "text-without-nul": OPENBADGESLIB_COMMENT,
    "text-empty-keyword": chunk(b"tEXt", b"\0openbadges"),
    "text-keyword-80-bytes": chunk(b"tEXt", b"k" * 80 + b"\0x"),
    "text-nul-in-text": text(b"tEXt", b"Comment", b"a\0b"),
    "text-other-case": chunk(b"tEXt", b"OpenBadges https://a.example/1"),
    "text-keyword-mentions-it": chunk(b"tEXt", b"Comment: openbadges"),
    "ztxt-without-nul": chunk(b"zTXt", b"Comment"),
    "ztxt-not-deflate": text(b"zTXt", b"Comment", b"\x07not zlib"),
    "itxt-empty-keyword": chunk(b"iTXt", b"\0\0\0\0\0" + PAYLOAD),
    "itxt-keyword-80-bytes": chunk(b"iTXt", b"k" * 80 + b"\0\0\0\0\0"),
    "itxt-broken-layout": chunk(b"iTXt", b"Comment\0\x05"),
    "itxt-not-utf8": itxt(b"Comment", text=b"caf\xe9"),
    "itxt-compressed-garbage": itxt(b"Comment", flag=1, text=b"not zlib"),
    "unknown-ancillary": chunk(b"prVt", b"\0\xff openbadges\0\0\0\0\0" + PAYLOAD),
}
#: Text chunks whose data begins with a badge keyword but whose keyword field is malformed.
MALFORMED_CARRIERS = {
    "text-without-nul": (chunk(b"tEXt", b"openbadges"), "text"),
    "text-url-without-nul": (chunk(b"tEXt", b"openbadgeshttps://a.example/1"), "text"),
    "text-keyword-too-long": (chunk(b"tEXt", b"openbadges" + b"x" * 70 + b"\0https://a.example/1"), "text"),
    "ztxt-without-nul": (chunk(b"zTXt", b"openbadgecredential"), "text"),
    "itxt-without-nul": (chunk(b"iTXt", b"openbadgecredential" + PAYLOAD), "itxt"),
    "itxt-keyword-too-long": (chunk(b"iTXt", b"openbadges" + b"_" * 70 + b"\0\0\0\0\0" + PAYLOAD), "itxt"),
}


@pytest.mark.parametrize("foreign", NOT_CARRIERS.values(), ids=NOT_CARRIERS.keys())
@pytest.mark.parametrize("where", ["before", "after"])
def test_malformed_chunk_that_cannot_be_a_carrier_is_skipped(foreign: bytes, where: str) -> None:
    # GIVEN a badge with a foreign, malformed chunk before or after its carrier
    image = build(foreign, itxt(), IDAT) if where == "before" else build(itxt(), IDAT, foreign)
    # THEN the badge is found, and without the carrier the image is sound but carries no badge
    assert png.extract(image) == ("iTXt:openbadges", PAYLOAD.decode())
    with pytest.raises(NoBadgeData):
        png.extract(build(foreign, IDAT))


@pytest.mark.parametrize("foreign", NOT_CARRIERS.values(), ids=NOT_CARRIERS.keys())
def test_bake_copies_a_malformed_foreign_chunk_byte_for_byte(foreign: bytes) -> None:
    original = build(IDAT, foreign, itxt(b"openbadgecredential"))
    baked = png.bake(original, "new", "ob2")
    assert baked == SIG + IHDR + chunk(b"iTXt", b"openbadges\0\0\0\0\0new") + IDAT + foreign + IEND
    assert png.extract(baked) == ("iTXt:openbadges", "new")


def test_a_malformed_foreign_chunk_is_still_crc_checked() -> None:
    broken = bytearray(OPENBADGESLIB_COMMENT)
    broken[-1] ^= 0x01
    image = build(itxt(), IDAT, bytes(broken))
    with pytest.raises(MalformedImage) as caught:
        png.extract(image)
    assert caught.value.reason == "crc"
    with pytest.raises(MalformedImage):
        png.bake(image, "new", "ob2")


@pytest.mark.parametrize(("carrier", "reason"), MALFORMED_CARRIERS.values(), ids=MALFORMED_CARRIERS.keys())
def test_malformed_chunk_that_could_be_a_carrier_is_an_error(carrier: bytes, reason: str) -> None:
    # alone, beside a sound carrier, before or after it: never guessed around
    for image in (build(carrier, IDAT), build(carrier, itxt(), IDAT), build(itxt(), IDAT, carrier)):
        with pytest.raises(MalformedImage, match="starts with the badge keyword") as caught:
            png.extract(image)
        assert caught.value.reason == reason
        assert caught.value.details["offset"] == image.index(carrier)


@pytest.mark.parametrize(("carrier", "reason"), MALFORMED_CARRIERS.values(), ids=MALFORMED_CARRIERS.keys())
def test_bake_replaces_a_malformed_carrier(carrier: bytes, reason: str) -> None:
    baked = png.bake(build(SOFTWARE, carrier, IDAT), "new", "ob3")
    assert baked == SIG + IHDR + chunk(b"iTXt", b"openbadgecredential\0\0\0\0\0new") + SOFTWARE + IDAT + IEND


def test_truncated_anywhere() -> None:
    whole = build(SOFTWARE, itxt(), IDAT)
    for cut in range(8, len(whole)):
        _expect(whole[:cut], MalformedImage, "truncated")


@pytest.mark.parametrize("index", range(4))
def test_bad_crc_in_any_chunk(index: int) -> None:
    chunks = [IHDR, itxt(), IDAT, IEND]
    broken = bytearray(chunks[index])
    broken[-1] ^= 0x01
    chunks[index] = bytes(broken)
    with pytest.raises(MalformedImage) as caught:
        png.extract(SIG + b"".join(chunks))
    assert caught.value.reason == "crc"
    assert caught.value.details["offset"] == 8 + sum(map(len, chunks[:index]))


@pytest.mark.parametrize("length", [0x80000000, 0xFFFFFFFF])
def test_huge_length_fields_allocate_nothing(length: int) -> None:
    image = build(chunk(b"iTXt", b"openbadges\0\0\0\0\0x", length=length))
    tracemalloc.start()
    try:
        with pytest.raises(MalformedImage):
            png.extract(image)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024


def test_compressed_carrier_is_never_inflated() -> None:
    # GIVEN a 1 KB iTXt that would inflate to 64 MiB (a zlib bomb)
    bomb = zlib.compress(b"\0" * (64 << 20), 1)
    image = build(itxt(flag=1, text=bomb), IDAT)
    # WHEN it is extracted THEN it is refused without allocating the inflated size
    tracemalloc.start()
    try:
        with pytest.raises(UnsupportedEncoding):
            png.extract(image)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_too_many_chunks() -> None:
    image = build(chunk(b"teXt") * png.MAX_CHUNKS, IDAT)
    with pytest.raises(InputTooLarge):
        png.walk(image)


def test_walk_reports_spans() -> None:
    image = build(itxt(), IDAT) + b"after"
    chunks = png.walk(image)
    assert [c.type for c in chunks] == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]
    assert chunks[0].start == 8
    assert chunks[-1].end == len(image) - len(b"after")
    assert all(a.end == b.start for a, b in itertools.pairwise(chunks))
    assert image[chunks[2].data_start : chunks[2].data_end] == IDAT[8:-4]


def test_a_bytearray_is_read_and_baked_like_bytes() -> None:
    image = build(itxt(), SOFTWARE, IDAT)
    assert png.extract(bytearray(image)) == png.extract(image)
    assert png.bake(bytearray(image), "new", "ob2") == png.bake(image, "new", "ob2")


def test_walk_rejects_str() -> None:
    with pytest.raises(TypeError):
        png.walk("\x89PNG")  # type: ignore[arg-type]


# --- baking ------------------------------------------------------------------------------------


def test_bake_inserts_one_itxt_after_ihdr_and_copies_the_rest() -> None:
    original = build(SOFTWARE, IDAT, chunk(b"tIME", b"\0" * 7))
    baked = png.bake(original, "https://example.org/a/1", "ob2")
    expected_itxt = chunk(b"iTXt", b"openbadges\0\0\0\0\0https://example.org/a/1")
    assert baked == SIG + IHDR + expected_itxt + original[len(SIG + IHDR) :]


def test_bake_ob3_uses_the_credential_keyword() -> None:
    baked = png.bake(build(IDAT), "a.b.c", "ob3")
    assert baked == SIG + IHDR + chunk(b"iTXt", b"openbadgecredential\0\0\0\0\0a.b.c") + IDAT + IEND


def test_bake_removes_every_existing_carrier_and_trailing_data() -> None:
    original = (
        build(
            itxt(),
            SOFTWARE,
            text(b"tEXt", b"openbadges", b"https://old.example/1"),
            IDAT,
            text(b"zTXt", b"openbadgecredential", b"\0" + zlib.compress(b"x")),
            itxt(b"openbadgecredential", flag=1, text=zlib.compress(b"x")),
        )
        + b"junk after IEND"
    )
    baked = png.bake(original, "new", "ob3")
    assert chunk_types(baked) == [b"IHDR", b"iTXt", b"tEXt", b"IDAT", b"IEND"]
    assert baked.endswith(IEND)
    assert png.extract(baked) == ("iTXt:openbadgecredential", "new")


def test_rebaking_is_idempotent() -> None:
    image = build(SOFTWARE, IDAT)
    once = png.bake(image, "first", "ob2")
    assert png.bake(once, "second", "ob2") == png.bake(image, "second", "ob2")
    assert png.bake(once, "first", "ob2") == once


def test_bake_refuses_a_corrupt_image() -> None:
    with pytest.raises(MalformedImage) as caught:
        png.bake(build(chunk(b"IDAT", b"abc", crc=7)), "x", "ob2")
    assert caught.value.reason == "crc"


def test_bake_refuses_bad_calls_and_unencodable_payloads() -> None:
    with pytest.raises(ValueError, match="spec"):
        png.bake(build(IDAT), "x", "ob4")  # type: ignore[arg-type]
    with pytest.raises(MalformedPayload):
        png.bake(build(IDAT), "lone \ud800 surrogate", "ob2")


@given(st.text(max_size=300), st.sampled_from(["ob2", "ob3"]))
def test_round_trip_any_text(payload: str, spec: str) -> None:
    carrier, found = png.extract(png.bake(build(SOFTWARE, IDAT), payload, spec))  # type: ignore[arg-type]
    assert found == payload
    assert carrier == ("iTXt:openbadges" if spec == "ob2" else "iTXt:openbadgecredential")


def test_round_trip_large_payload() -> None:
    payload = "é" * 3_000_000
    assert png.extract(png.bake(build(IDAT), payload, "ob2"))[1] == payload


# --- pixel check (pypng) ----------------------------------------------------------------------


def _pypng(width: int, height: int, *, interlace: bool = False) -> bytes:
    import png as pypng

    out = io.BytesIO()
    rows = [[(x * 7 + y * 13) % 256 for x in range(width * 3)] for y in range(height)]
    pypng.Writer(width, height, greyscale=False, interlace=interlace).write(out, rows)
    return out.getvalue()


@pytest.mark.parametrize("image", [build(IDAT), _pypng(17, 9), _pypng(17, 9, interlace=True)])
def test_check_pixels_accepts_sound_images(image: bytes) -> None:
    png.check_pixels(image)


def _with_idat(stream: bytes, ihdr: bytes = IHDR) -> bytes:
    return SIG + ihdr + chunk(b"IDAT", stream) + IEND


@pytest.mark.parametrize(
    ("image", "error"),
    [
        (_with_idat(b"not zlib at all"), MalformedImage),
        (_with_idat(zlib.compress(b"\0\x10\x20\0\x30\x40")[:-3]), MalformedImage),  # truncated zlib
        (_with_idat(zlib.compress(b"\0\x10\x20")), MalformedImage),  # too few rows
        (_with_idat(zlib.compress(b"\x05\x10\x20\0\x30\x40")), MalformedImage),  # filter type 5
        (_with_idat(zlib.compress(b"\0" * (32 << 20))), MalformedImage),  # a bomb: 32 MiB for 6 bytes
        (_with_idat(zlib.compress(b"\0\x10\x20\0\x30\x40") + b"extra"), MalformedImage),
        (build(SOFTWARE), MalformedImage),  # no IDAT
        (build(IDAT, SOFTWARE, IDAT), MalformedImage),  # IDAT not consecutive
        (_with_idat(b"", chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 3, 2, 0, 0, 0))), MalformedImage),
        (_with_idat(b"", chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 2, 8, 0, 0, 0, 0))), MalformedImage),
        (_with_idat(b"", chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 1, 0, 0))), MalformedImage),
        (_with_idat(b"", chunk(b"IHDR", struct.pack(">IIBBBBB", 65535, 65535, 16, 6, 0, 0, 0))),
         InputTooLarge),
    ],
    ids=["garbage", "truncated-zlib", "short", "bad-filter", "bomb", "after-stream", "no-idat",
         "split-idat", "bad-depth", "zero-width", "bad-compression", "huge"],
)  # fmt: skip
def test_check_pixels_refuses_broken_data(image: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        png.check_pixels(image)
    if error is MalformedImage:
        assert caught.value.reason == "pixels"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "palette",
    [b"", chunk(b"PLTE", b"\xff\0\0")],
    ids=["no-palette", "index-past-palette"],
)
def test_check_pixels_translates_pypng_errors(palette: bytes) -> None:
    # GIVEN a palette image with sound zlib data that pypng refuses to map to colours
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 3, 0, 0, 0))
    image = SIG + ihdr + palette + chunk(b"IDAT", zlib.compress(b"\0\x07")) + IEND
    # THEN the pypng error surfaces as our own
    with pytest.raises(MalformedImage) as caught:
        png.check_pixels(image)
    assert caught.value.reason == "pixels"


def _paeth_rgba(side: int) -> bytes:
    """A ``side``×``side`` RGBA image whose every row is Paeth-filtered: pypng's slowest path."""
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0))
    return _with_idat(zlib.compress((b"\x04" + b"\0" * 4 * side) * side, 9), ihdr)


def test_check_pixels_refuses_what_pypng_cannot_decode_in_time_before_decoding() -> None:
    # GIVEN a 21 KB PNG whose 2048×2048 Paeth-filtered rows pypng undoes in pure Python at ~4.5 MB/s
    # (a hang for the fuzzing oracle: 4 s of CPU, and 30 s for 128 MiB, the cap before)
    image = _paeth_rgba(2048)
    assert len(image) < 32_000
    # THEN the pixel check refuses it from IHDR alone, before inflating or decoding anything
    with pytest.raises(InputTooLarge) as caught:
        png.check_pixels(image)
    assert caught.value.details["limit"] == png.MAX_RAW_IMAGE_BYTES == 6 * 1024 * 1024
    # AND a 1024×1024 RGBA badge is still checked (its 4 MiB are under the cap)
    png.check_pixels(_paeth_rgba(1024))


def test_crc_backend_is_reported() -> None:
    assert png.CRC32_BACKEND in {"zlib-ng", "isal", "zlib"}


# --- the strided walk over runs of equal chunks -------------------------------------------------

RUN = png.RUN_MIN_LENGTH


def idats(count: int, length: int = RUN, *, seed: int = 0) -> list[bytes]:
    return [chunk(b"IDAT", bytes([(seed + i) % 251]) * length) for i in range(count)]


def corrupt(image: bytes, at: int) -> bytes:
    return image[:at] + bytes([image[at] ^ 0x40]) + image[at + 1 :]


def outcome(image: bytes | bytearray) -> object:
    """What walk() says of ``image``: its chunks, or the error's class and details."""
    try:
        return png.walk(image)
    except (MalformedImage, InputTooLarge, NotABadgeImage) as exc:
        return type(exc), exc.details, exc.message


def _run_images() -> list[bytes]:
    run = b"".join(idats(300))
    long_run = build(run)
    stride = RUN + 12
    first_run_chunk = len(SIG + IHDR)
    images = [
        long_run,
        build(run, itxt(), b"".join(idats(3, RUN + 5))),  # a run, a carrier, another run
        build(b"".join(idats(2)), *idats(1, RUN - 1)),  # a run of two, then a shorter last chunk
        build(*idats(5, RUN - 1)),  # equal chunks under the run length: the plain loop
        (SIG + IHDR + run)[:-3],  # truncated inside the run's last chunk
        SIG + IHDR + run,  # the run ends the data: no IEND header
        SIG + IHDR + run + IEND[:5],  # a partial header after the run
        build(run, chunk(b"IEND", b"x" * RUN)),  # a non-empty IEND after the run (not run into)
        build(b"".join(idats(3)), chunk(b"IDAT", b"\0" * RUN, length=RUN + 1)),  # length changes
    ]
    # a CRC or a type broken in the first, a middle and the last chunk of the run
    for index in (0, 1, 150, 299):
        images.append(corrupt(long_run, first_run_chunk + index * stride + stride - 2))  # CRC byte
        images.append(corrupt(long_run, first_run_chunk + index * stride + 20))  # a data byte
        images.append(corrupt(long_run, first_run_chunk + index * stride + 5))  # a type letter
        images.append(corrupt(long_run, first_run_chunk + index * stride + 2))  # the length
    return images


@pytest.mark.parametrize("image", _run_images())
def test_strided_walk_says_what_the_chunk_loop_says(image: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = outcome(image)
    assert outcome(bytearray(image)) == fast
    monkeypatch.setattr(png, "RUN_MIN_LENGTH", 1 << 40)  # every chunk through the plain loop
    assert outcome(image) == fast


def test_strided_walk_counts_run_chunks_toward_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(png, "MAX_CHUNKS", 200)
    with pytest.raises(InputTooLarge):
        png.walk(build(b"".join(idats(199))))  # IHDR, 199 IDATs, IEND: 201 chunks
    assert len(png.walk(build(b"".join(idats(198))))) == 200


def test_a_carrier_after_a_long_run_is_found() -> None:
    image = build(b"".join(idats(1000)), itxt())
    assert png.extract(image) == ("iTXt:openbadges", '{"id": "https://example.org/a/1"}')
