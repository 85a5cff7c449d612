"""badgekiln.status.bitstring: the vectors' lists, round trips, bit order, and hostile encodings."""

from __future__ import annotations

import base64
import gzip
import json
import tracemalloc
import zlib
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgekiln.errors import StatusError
from badgekiln.status import MAX_ENCODED_CHARS, MAX_LIST_BYTES, MIN_LIST_ENTRIES, StatusBitstring

OB30 = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
TESTLIST = f"{OB30}/bit-string-list/testlist"
DCC_LISTS = (
    "digitalcredentials-vc-test-fixtures/statusLists/didkey-ed25519Signature2020/e5WK8CbZ1GjycuPombrj",
    "digitalcredentials-verifier-core/src/test-fixtures/status/e5WK8CbZ1GjycuPombrj",
)


def encoded_list(path: Path) -> str:
    value: str = json.loads(path.read_text("utf-8"))["credentialSubject"]["encodedList"]
    return value


def set_entries(bits: StatusBitstring) -> list[int]:
    return [i for i in range(len(bits)) if bits.get(i)]


# --- tiny builders for hostile encodings --------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def u(data: bytes) -> str:
    """The REC form of already-compressed ``data``."""
    return "u" + b64url(data)


def gz(raw: bytes) -> bytes:
    return gzip.compress(raw, mtime=0)


@cache
def gzip_bomb(gib: int = 1) -> bytes:
    """A valid GZIP stream of ``gib`` GiB of zeros (~1 MiB), built without inflating it.

    Deflating zeros with a sync flush after each MiB gives the same bytes for every MiB after
    the first, so the stream is spliced from three compressed chunks; the trailer (CRC-32 and
    size) is computed over the full length, so the bomb is a correct GZIP file.
    """
    chunk, count = bytes(1 << 20), gib << 10
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(chunk) + deflate.flush(zlib.Z_SYNC_FLUSH)
    middle = deflate.compress(chunk) + deflate.flush(zlib.Z_SYNC_FLUSH)
    assert deflate.compress(chunk) + deflate.flush(zlib.Z_SYNC_FLUSH) == middle
    last = deflate.compress(chunk) + deflate.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = crc.to_bytes(4, "little") + ((count << 20) & 0xFFFFFFFF).to_bytes(4, "little")
    return header + first + middle * (count - 2) + last + trailer


# --- the vectors ---------------------------------------------------------------------------------


def test_1edtech_testlist_has_only_bit_23(vectors: Path) -> None:
    bits = StatusBitstring.decode(encoded_list(vectors / TESTLIST))
    assert len(bits) == MIN_LIST_ENTRIES == 131_072
    assert set_entries(bits) == [23]


@pytest.mark.parametrize("rel", DCC_LISTS)
def test_dcc_list_has_bits_2_6_8_and_100000_entries(vectors: Path, rel: str) -> None:
    bits = StatusBitstring.decode(encoded_list(vectors / rel))
    assert len(bits) == 100_000
    assert set_entries(bits) == [2, 6, 8]


def test_decode_of_a_vector_then_encode_round_trips(vectors: Path) -> None:
    bits = StatusBitstring.decode(encoded_list(vectors / TESTLIST))
    assert StatusBitstring.decode(bits.encode()) == bits


# --- bit order and round trips --------------------------------------------------------------------


def test_index_0_is_the_most_significant_bit_of_the_first_byte() -> None:
    bits = StatusBitstring(16)
    bits.set(0)
    bits.set(9)
    assert bits.to_bytes() == b"\x80\x40"


@pytest.mark.parametrize(("size", "index", "value", "expected"), [
    (2, 0, 0b10, b"\x80\x00"),
    (2, 1, 0b01, b"\x10\x00"),
    (4, 1, 0b1011, b"\x0b\x00"),
    (4, 3, 0b1111, b"\x00\x0f"),
    (8, 1, 0xA5, b"\x00\xa5"),
])  # fmt: skip
def test_multi_bit_values_are_read_most_significant_bit_first(
    size: int, index: int, value: int, expected: bytes
) -> None:
    bits = StatusBitstring(16 // size, status_size=size)
    bits.set(index, value)
    assert bits.to_bytes() == expected
    assert bits.get(index) == value
    assert StatusBitstring.decode(bits.encode(), status_size=size).get(index) == value


def test_set_clear_round_trip_through_the_encoding() -> None:
    bits = StatusBitstring()
    for index in (0, 7, 8, 23, 65_535, MIN_LIST_ENTRIES - 1):
        bits.set(index)
    bits.clear(7)
    decoded = StatusBitstring.decode(bits.encode())
    assert set_entries(decoded) == [0, 8, 23, 65_535, MIN_LIST_ENTRIES - 1]
    decoded.clear(23)
    decoded.set(23, 0)  # clearing twice is harmless
    assert set_entries(StatusBitstring.decode(decoded.encode())) == [0, 8, 65_535, MIN_LIST_ENTRIES - 1]


def test_a_new_list_is_zeroed_and_encodes_deterministically() -> None:
    assert StatusBitstring().to_bytes() == bytes(MIN_LIST_ENTRIES // 8)
    assert StatusBitstring().encode() == StatusBitstring().encode()
    assert StatusBitstring().encode().startswith("uH4sI")  # multibase 'u' + base64url of 1f 8b 08


@pytest.mark.parametrize("spelling", [
    "u" + b64url(gz(b"\x10")),                                      # REC: multibase, base64url, no padding
    b64url(gz(b"\x10")),                                            # StatusList2021: no prefix
    base64.b64encode(gz(b"\x10")).decode(),                         # standard alphabet with padding
    "u" + base64.urlsafe_b64encode(gz(b"\x10")).decode(),           # base64url with padding
])  # fmt: skip
def test_publisher_spellings_decode_to_the_same_list(spelling: str) -> None:
    bits = StatusBitstring.decode(spelling)
    assert bits.to_bytes() == b"\x10"
    assert set_entries(bits) == [3]


# --- hostile encodings --------------------------------------------------------------------------


@pytest.mark.parametrize(("encoded", "reason"), [
    ("", "encoding"),                                   # nothing
    ("u", "encoding"),                                  # prefix only
    ("uH4sI!AAA", "encoding"),                          # not base64
    ("uH4s I", "encoding"),                             # whitespace
    ("uH", "encoding"),                                 # impossible length (1 mod 4 after the prefix)
    ("uH4s=", "encoding"),                              # padding where none fits
    ("u====", "encoding"),                              # padding only
    (u(b"not gzip at all"), "encoding"),                # base64 of something else
    (u(zlib.compress(bytes(64))), "encoding"),          # zlib container, not GZIP
    (u(gz(bytes(64))[:-6]), "encoding"),                # truncated GZIP stream
    (u(gz(bytes(64)) + b"junk"), "encoding"),           # data after the stream
    (u(gz(bytes(64)) + gz(bytes(64))), "encoding"),     # a second GZIP member
    (u(gz(bytes(64))[:-8] + b"\0\0\0\0\x40\0\0\0"), "encoding"),  # wrong CRC-32
    ("u" + "A" * (MAX_ENCODED_CHARS + 1), "too-large"),  # refused before decoding
])  # fmt: skip
def test_hostile_encodings_raise_status_error(encoded: str, reason: str) -> None:
    with pytest.raises(StatusError) as caught:
        StatusBitstring.decode(encoded)
    assert type(caught.value) is StatusError
    assert caught.value.reason == reason
    assert caught.value.details["field"] == "encodedList"


def test_non_string_encoded_list_is_an_encoding_error() -> None:
    with pytest.raises(StatusError) as caught:
        StatusBitstring.decode(123)  # type: ignore[arg-type]
    assert caught.value.reason == "encoding"


def test_gzip_bomb_of_1_gib_is_refused_without_inflating_it() -> None:
    # GIVEN a valid GZIP stream of 1 GiB of zeros, about a thousandth of that compressed
    bomb = gzip_bomb()
    assert len(bomb) < 2 << 20
    encoded = u(bomb)
    # WHEN it is decoded THEN it is refused at the cap, and memory stays near the cap
    tracemalloc.start()
    try:
        with pytest.raises(StatusError) as caught:
            StatusBitstring.decode(encoded)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.reason == "too-large"
    assert caught.value.details["limit"] == MAX_LIST_BYTES
    assert peak < 4 * MAX_LIST_BYTES  # never the gibibyte


def test_a_list_one_byte_over_a_smaller_cap_is_refused_and_at_the_cap_accepted() -> None:
    encoded = u(gz(bytes(1024)))
    assert len(StatusBitstring.decode(encoded, max_bytes=1024)) == 8192
    with pytest.raises(StatusError) as caught:
        StatusBitstring.decode(encoded, max_bytes=1023)
    assert caught.value.reason == "too-large"
    assert caught.value.details["limit"] == 1023


# --- bad calls ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("entries", "size", "error"), [
    (12, 1, ValueError),             # not whole bytes
    (0, 1, ValueError),              # empty
    (MAX_LIST_BYTES * 8 + 8, 1, ValueError),  # over the cap
    (8, 0, ValueError),              # no bits per entry
    (8, 9, ValueError),              # more than MAX_STATUS_SIZE
    (8, True, TypeError),            # a bool is not a size
    (8.0, 1, TypeError),             # nor a float a count
])  # fmt: skip
def test_constructor_refuses_impossible_lists(entries: int, size: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        StatusBitstring(entries, status_size=size)


def test_get_and_set_refuse_out_of_range_indexes_and_values() -> None:
    bits = StatusBitstring(4, status_size=2)
    assert len(bits) == 4
    bits.set(3, 3)
    assert bits.get(3) == 3
    with pytest.raises(IndexError):
        bits.get(4)
    with pytest.raises(IndexError):
        bits.set(-1)
    with pytest.raises(ValueError):
        bits.set(0, 4)
    with pytest.raises(TypeError):
        bits.get(True)
    with pytest.raises(ValueError):
        StatusBitstring.decode(u(gz(b"\0")), max_bytes=0)
    with pytest.raises(ValueError):
        StatusBitstring.decode(u(gz(b"\0")), max_bytes=MAX_LIST_BYTES + 1)


def test_trailing_bits_that_do_not_fill_an_entry_are_not_addressable() -> None:
    bits = StatusBitstring.decode(u(gz(b"\xff")), status_size=3)
    assert len(bits) == 2
    assert bits.bit_length == 8
    assert bits.get(1) == 0b111
    with pytest.raises(IndexError):
        bits.get(2)


# --- properties -----------------------------------------------------------------------------------


@given(st.text(max_size=300) | st.from_regex(r"u?H4sI[A-Za-z0-9_+/=-]{0,200}", fullmatch=True))
@settings(max_examples=300)
def test_any_text_decodes_or_raises_status_error(text: str) -> None:
    try:
        bits = StatusBitstring.decode(text)
    except StatusError as exc:
        reason = exc.reason
    else:
        reason = None
        assert len(bits) == bits.bit_length
    assert reason in {None, "encoding", "too-large"}


@given(
    st.sampled_from([1, 2, 3, 4, 8]),
    st.data(),
)
def test_random_writes_round_trip(size: int, data: st.DataObject) -> None:
    entries = 8 * data.draw(st.integers(1, 64))
    bits = StatusBitstring(entries, status_size=size)
    model = [0] * entries
    for _ in range(data.draw(st.integers(0, 20))):
        index = data.draw(st.integers(0, entries - 1))
        value = data.draw(st.integers(0, (1 << size) - 1))
        bits.set(index, value)
        model[index] = value
    decoded = StatusBitstring.decode(bits.encode(), status_size=size)
    assert [decoded.get(i) for i in range(entries)] == model
