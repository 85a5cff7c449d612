"""PNG containers: find, read and replace the Open Badges text chunk, never touching pixels.

The walk is strict and never copies image data: the signature is checked first; every chunk's
length is checked (≤ 2^31−1 and inside the input) *before* anything is sliced; every CRC is
verified, runs of equal image-data chunks in bulk (:data:`RUN_MIN_LENGTH`) — a few bytes per chunk
are all it allocates; IHDR
must come first and IEND ends the image (bytes after IEND are not part of it, so a carrier there
does not count, and :func:`bake` drops them). Chunk data is only ever addressed through
``memoryview`` slices of the input; baking splices those slices around one new ``iTXt`` chunk, so
image data is copied exactly once, into the output.

Carriers (standards.md §1–3): ``iTXt`` keyword ``openbadges`` (OB 2.0), ``iTXt`` keyword
``openbadgecredential`` (OB 3.0) and the legacy ``tEXt`` keyword ``openbadges`` (a hosted URL,
Latin-1). Two or more carriers, a compressed carrier (``zTXt`` or an ``iTXt`` compression flag)
and a malformed ``iTXt`` are errors: they are never guessed around and never inflated.

Which chunks could be a carrier (the rule README.md documents): only text chunks (``tEXt``,
``zTXt``, ``iTXt``) can carry a badge. A text chunk whose keyword (1–79 bytes before the first
NUL) is exactly ``openbadges`` or ``openbadgecredential`` is a carrier, and is then held to its
full layout. A text chunk whose keyword field is itself malformed (empty, or no NUL within 80
bytes) is a malformed carrier when its data *begins with* one of those keywords, because a lenient
reader could take it for one; any other text chunk, and every other ancillary chunk, has nothing
to do with the badge: its CRC is checked like every chunk's, its layout is not examined, and
:func:`bake` copies it byte for byte. So openbadgeslib's NUL-less ``tEXt`` comment ("Signed with
OpenBadgesLib …") is skipped, while ``tEXt`` data ``openbadgeshttps://…`` is refused. Keywords
compare byte for byte, as PNG keywords are case-sensitive and every Open Badges reader we know
(openbadges-bakery, openbadgeslib, Pillow) matches them exactly.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, NamedTuple, Protocol

from badgekiln.errors import (
    AmbiguousBadge,
    InputTooLarge,
    MalformedImage,
    MalformedPayload,
    NoBadgeData,
    NotABadgeImage,
    UnsupportedEncoding,
)

__all__ = [
    "CRC32_BACKEND",
    "KEYWORDS",
    "MAX_CHUNKS",
    "MAX_CHUNK_LENGTH",
    "MAX_RAW_IMAGE_BYTES",
    "PNG_SIGNATURE",
    "RUN_MIN_LENGTH",
    "Chunk",
    "bake",
    "check_pixels",
    "extract",
    "walk",
]

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

#: The PNG specification caps a chunk's data length at 2^31−1; anything larger is corrupt or
#: hostile, and is refused before it can size an allocation.
MAX_CHUNK_LENGTH: Final = 2**31 - 1

#: Chunks walked per image. libpng writes 8 KiB IDAT chunks, so 100 000 chunks is ~800 MB of
#: image data; the cap stops a file of empty chunks from keeping the Python loop busy.
MAX_CHUNKS: Final = 100_000

#: Decompressed image data :func:`check_pixels` agrees to decode (a 1024×1024 RGBA image is 4 MiB).
#: pypng undoes row filters in pure Python, about 4.5 MiB a second for Paeth-filtered rows (the
#: slowest), so the cap bounds time as well as memory: the worst image it admits decodes in about
#: 1.3 s of CPU (128 MiB, the memory bound alone, took half a minute for a 170 KB file).
MAX_RAW_IMAGE_BYTES: Final = 6 * 1024 * 1024

#: Badge keywords and the spec each one carries.
KEYWORDS: Final[Mapping[bytes, Literal["ob2", "ob3"]]] = MappingProxyType(
    {b"openbadges": "ob2", b"openbadgecredential": "ob3"}
)

#: Encoders split image data into equal chunks (libpng 8 KiB, others 32 or 64 KiB): a 20 MB image
#: is thousands of them, and a Python step per chunk was most of the walk. From this length on, a
#: run of chunks with the same length and type is checked column by column and its CRCs computed
#: without a Python step per chunk (20 MB of 8 KiB IDATs: 5.3 → 2.3 ms). Shorter chunks take the
#: plain loop, so a file of tiny chunks cannot make the probes cost more than the loop.
RUN_MIN_LENGTH: Final = 1024
_RUN_PROBE: Final = 64  # chunks probed at first; the window doubles while the run holds

_TEXT_CHUNKS: Final = frozenset({b"iTXt", b"tEXt", b"zTXt"})
_KEYWORD_MAX: Final = 79  # PNG: a keyword is 1–79 Latin-1 bytes followed by a NUL
_HEADER = struct.Struct(">I4s")
_TRAILER = struct.Struct(">II4s")  # a chunk's CRC, then the next chunk's length and type
_U32 = struct.Struct(">I")
_IHDR = struct.Struct(">IIBBBBB")


class _Crc32(Protocol):
    def __call__(self, data: bytes | bytearray | memoryview, value: int = 0, /) -> int: ...


def _pick_crc32() -> tuple[_Crc32, str]:
    # SIMD CRC-32 is 6–15× faster than stdlib zlib here (8 KiB: zlib-ng 51, isal 31, zlib 4.7 GB/s;
    # 20 MiB: 28 / 29 / 4.9 GB/s). zlib-ng is a runtime dependency; the others are fallbacks.
    try:
        from zlib_ng.zlib_ng import crc32 as crc_ng

        return crc_ng, "zlib-ng"
    except ImportError:  # pragma: no cover - depends on the installed wheels
        pass
    try:  # pragma: no cover - depends on the installed wheels
        from isal.isal_zlib import crc32 as crc_isal  # type: ignore[import-not-found,unused-ignore]

        return crc_isal, "isal"
    except ImportError:  # pragma: no cover - depends on the installed wheels
        import zlib

        return zlib.crc32, "zlib"


_crc32, CRC32_BACKEND = _pick_crc32()


class Chunk(NamedTuple):
    """One chunk of a walked PNG: its type and the byte span ``[start, end)`` of the whole chunk
    (length field to CRC inclusive) in the input."""

    type: bytes
    start: int
    end: int

    @property
    def data_start(self) -> int:
        return self.start + 8

    @property
    def data_end(self) -> int:
        return self.end - 4


class _Layout(NamedTuple):
    """A walked PNG, kept flat for speed: chunk ``i`` starts at ``starts[i]`` and ends where the
    next one starts (the last, IEND, at ``end``); its type is ``types[4 * i : 4 * i + 4]``."""

    starts: list[int]
    types: bytes
    end: int

    def chunk(self, index: int) -> Chunk:
        following = index + 1
        end = self.starts[following] if following < len(self.starts) else self.end
        return Chunk(self.types[4 * index : 4 * index + 4], self.starts[index], end)

    def indices(self, ctype: bytes) -> list[int]:
        """Indices of the chunks of one type (a search of ``types``, kept to 4-byte alignment)."""
        found = []
        at = self.types.find(ctype)
        while at != -1:
            if at % 4 == 0:
                found.append(at // 4)
            at = self.types.find(ctype, at + 1)
        return found


def walk(data: bytes) -> list[Chunk]:
    """Walk the chunks from the signature to IEND, verifying each length, type and CRC.

    Returns the chunks up to and including IEND; bytes after IEND are not part of the image.

    Raises:
        NotABadgeImage: the input does not start with the PNG signature.
        MalformedImage: ``reason`` is ``signature`` (a damaged signature), ``truncated``,
            ``length``, ``chunk-type``, ``crc`` or ``chunk-order`` (IHDR not first, IEND not empty…).
        InputTooLarge: more than :data:`MAX_CHUNKS` chunks.
    """
    layout = _walk(data)
    return [layout.chunk(i) for i in range(len(layout.starts))]


def _truncated(pos: int, size: int, need: int, ctype: bytes | None = None) -> MalformedImage:
    where = f"inside chunk {ctype.decode('latin-1')!r} " if ctype else ""
    return MalformedImage(
        f"the PNG is truncated {where}at byte {pos}: {need} bytes needed, {size - pos} present",
        reason="truncated",
        offset=pos,
        chunk=ctype.decode("latin-1") if ctype else None,
    )


def _run_length(data: bytes, pos: int, header: bytes, stride: int) -> int:
    """How many chunks from ``pos`` on have exactly ``header`` (length and type) every ``stride``
    bytes and lie wholly inside ``data``: each of the header's 8 bytes is compared as one column
    (an extended slice, one byte per chunk), in windows that double while the run holds."""
    fits = (len(data) - pos) // stride
    found = 0
    window = _RUN_PROBE
    while found < fits:
        count = min(window, fits - found)
        start = pos + found * stride
        stop = start + count * stride
        matched = count
        for offset in range(8):
            column = data[start + offset : stop : stride]
            matched = min(matched, count - len(column.lstrip(header[offset : offset + 1])))
        found += matched
        if matched < count:
            break
        window *= 2
    return found


def _check_run_crcs(data: bytes, pos: int, stride: int, count: int, ctype: bytes) -> None:
    """Verify the CRCs of ``count`` chunks of ``stride`` bytes from ``pos`` without a Python step
    per chunk: ``map`` drives the zero-copy slices and the CRC function, and the stored CRCs are
    gathered column by column into big-endian words.

    Raises:
        MalformedImage: ``reason="crc"`` for the first chunk whose CRC does not match.
    """
    end = pos + count * stride
    view = memoryview(data)
    typed = map(slice, range(pos + 4, end, stride), range(pos + stride - 4, end, stride))
    computed = array(_WORD, map(_crc32, map(view.__getitem__, typed)))
    if _SWAP:
        computed.byteswap()
    stored = bytearray(4 * count)
    for offset in range(4):
        stored[offset::4] = data[pos + stride - 4 + offset : end : stride]
    found = computed.tobytes()
    if found != stored:
        bad = next(i for i in range(count) if found[4 * i : 4 * i + 4] != stored[4 * i : 4 * i + 4])
        raise _crc_error(ctype, pos + bad * stride)


def _crc_error(ctype: bytes, pos: int) -> MalformedImage:
    return MalformedImage(
        f"CRC mismatch in chunk {ctype.decode('latin-1')!r} at byte {pos}: the file is corrupt",
        reason="crc",
        offset=pos,
        chunk=ctype.decode("latin-1"),
    )


# CRCs are gathered as native unsigned 32-bit words and compared as big-endian bytes
_WORD: Final = next(code for code in "IL" if array(code).itemsize == 4)
_SWAP: Final = sys.byteorder == "little"


def _walk(data: bytes) -> _Layout:
    # The hot loop of every PNG operation: one struct unpack per chunk reads its stored CRC
    # together with the next chunk's header, the CRC runs on a zero-copy slice, and the checks
    # that need no per-chunk work (type letters, a second IHDR) run once on the joined types.
    # Runs of equal chunks (image data) skip the per-chunk loop (_run_length, _check_run_crcs).
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"PNG data must be bytes, not {type(data).__name__}")
    if data[:8] != PNG_SIGNATURE:
        if 4 <= len(data) < 8 and PNG_SIGNATURE.startswith(data):
            raise _truncated(0, len(data), 8)
        if data[1:4] == b"PNG":
            # "\x89PNG" with mangled line endings: a PNG damaged by a text-mode transfer.
            raise MalformedImage(
                "the PNG signature is damaged (was the file transferred in text mode?)",
                reason="signature",
            )
        raise NotABadgeImage("not a PNG image: the 8-byte PNG signature is missing")
    size = len(data)
    if size < 8 + 12:
        raise _truncated(8, size, 12)
    length, ctype = _HEADER.unpack_from(data, 8)
    if ctype != b"IHDR":
        raise MalformedImage(
            f"the first chunk must be IHDR, found {bytes(ctype)!r}", reason="chunk-order", offset=8
        )
    if length != 13:
        raise MalformedImage(
            f"IHDR must hold 13 bytes, not {length}", reason="length", offset=8, chunk="IHDR"
        )
    view = memoryview(data)
    crc32 = _crc32
    trailer = _TRAILER.unpack_from
    starts: list[int] = []
    types: list[bytes] = []
    pos = 8
    while True:
        if len(starts) >= MAX_CHUNKS:
            raise InputTooLarge(f"the PNG has more than {MAX_CHUNKS} chunks", limit=MAX_CHUNKS)
        if length > MAX_CHUNK_LENGTH:
            raise MalformedImage(
                f"chunk at byte {pos} claims {length} bytes, over the PNG limit of 2^31-1",
                reason="length",
                offset=pos,
                chunk=ctype.decode("latin-1"),
            )
        end = pos + 12 + length
        if end + 8 <= size:
            stored, next_length, next_type = trailer(data, end - 4)
        elif end <= size:
            (stored,), next_length, next_type = _U32.unpack_from(data, end - 4), -1, b""
        else:
            raise _truncated(pos, size, length + 12, ctype)
        if crc32(view[pos + 4 : end - 4]) != stored:
            raise _crc_error(ctype, pos)
        starts.append(pos)
        types.append(ctype)
        if ctype == b"IEND":
            break
        if next_length < 0:
            raise _truncated(end, size, 12)
        if next_length == length >= RUN_MIN_LENGTH and next_type == ctype != b"IEND":
            stride = length + 12
            run = min(_run_length(data, end, data[pos : pos + 8], stride), MAX_CHUNKS - len(starts))
            if run:
                _check_run_crcs(data, end, stride, run, ctype)
                starts.extend(range(end, end + run * stride, stride))
                types.extend([ctype] * run)
                end += run * stride
                if end + 8 > size:  # as the loop finds it: the run's last chunk ends the data
                    raise _truncated(end, size, 12)
                next_length, next_type = _HEADER.unpack_from(data, end)
        pos, length, ctype = end, next_length, next_type
    layout = _Layout(starts, b"".join(types), end)
    if not layout.types.isalpha():
        bad = next(i for i, t in enumerate(types) if not t.isalpha())
        raise MalformedImage(
            f"chunk at byte {starts[bad]} has an invalid type {types[bad]!r}",
            reason="chunk-type",
            offset=starts[bad],
        )
    if len(layout.indices(b"IHDR")) > 1:
        second = starts[layout.indices(b"IHDR")[1]]
        raise MalformedImage(f"a second IHDR chunk at byte {second}", reason="chunk-order", offset=second)
    if length:
        raise MalformedImage("the IEND chunk must be empty", reason="length", offset=pos, chunk="IEND")
    return layout


class _Carrier(NamedTuple):
    """A text chunk that is or could be a badge carrier: its (badge) keyword, and what is wrong with
    its keyword field (``None`` when the keyword is sound)."""

    chunk: Chunk
    keyword: bytes
    malformed: str | None


def _carriers(data: bytes, layout: _Layout) -> list[_Carrier]:
    """Every text chunk that is or could be a badge carrier (see the module docstring), in file order."""
    found = []
    for index in sorted(i for ctype in _TEXT_CHUNKS for i in layout.indices(ctype)):
        chunk = layout.chunk(index)
        start, end = chunk.data_start, chunk.data_end
        nul = data.find(b"\0", start, min(end, start + _KEYWORD_MAX + 1))
        if nul > start:
            keyword = bytes(data[start:nul])  # hashable even when the image is a bytearray
            if keyword in KEYWORDS:
                found.append(_Carrier(chunk, keyword, None))
            continue
        # No sound keyword (empty, or no NUL within 80 bytes): a carrier only if it starts like one.
        for keyword in KEYWORDS:
            if data.startswith(keyword, start, end):
                ended = data.find(b"\0", start, end) != -1
                problem = "its keyword is longer than 79 bytes" if ended else "no NUL ends its keyword"
                found.append(_Carrier(chunk, keyword, problem))
    return found


def extract(data: bytes) -> tuple[str, str]:
    """Return ``(carrier, payload)``: the one badge carrier of a PNG and its exact text.

    ``carrier`` is ``"iTXt:openbadges"``, ``"iTXt:openbadgecredential"`` or ``"tEXt:openbadges"``.

    Raises:
        NotABadgeImage, MalformedImage, InputTooLarge: see :func:`walk`; also ``reason="itxt"`` /
            ``"text"`` for a text chunk that breaks its layout.
        NoBadgeData: a sound PNG without a carrier.
        AmbiguousBadge: two or more carriers.
        UnsupportedEncoding: a compressed carrier, OB 3.0 data in ``tEXt``, or text that is not
            strict UTF-8.
    """
    carriers = _carriers(data, _walk(data))
    for malformed in carriers:
        if malformed.malformed is not None:
            name = malformed.chunk.type.decode("latin-1")
            raise MalformedImage(
                f"{name} chunk at byte {malformed.chunk.start} starts with the badge keyword "
                f"{malformed.keyword.decode()!r} but {malformed.malformed}",
                reason="itxt" if malformed.chunk.type == b"iTXt" else "text",
                offset=malformed.chunk.start,
                chunk=name,
            )
    if not carriers:
        raise NoBadgeData(
            "the PNG carries no Open Badges data (no 'openbadges' or 'openbadgecredential' chunk)"
        )
    if len(carriers) > 1:
        where = ", ".join(f"{c.type.decode()} {k.decode()!r} at byte {c.start}" for c, k, _ in carriers)
        raise AmbiguousBadge(
            f"the PNG has {len(carriers)} badge chunks ({where}); a badge must have exactly one",
            count=len(carriers),
        )
    chunk, keyword, _ = carriers[0]
    name = f"{chunk.type.decode()}:{keyword.decode()}"
    text_start = chunk.data_start + len(keyword) + 1
    if chunk.type == b"zTXt":
        raise UnsupportedEncoding(
            f"the badge chunk at byte {chunk.start} is a compressed zTXt; Open Badges forbid compression",
            reason="compressed",
            offset=chunk.start,
            chunk=name,
        )
    if chunk.type == b"tEXt":
        if keyword != b"openbadges":
            raise UnsupportedEncoding(
                f"OB 3.0 data must be in an iTXt chunk, not tEXt (byte {chunk.start})",
                reason="text-chunk",
                offset=chunk.start,
                chunk=name,
            )
        if data.find(b"\0", text_start, chunk.data_end) != -1:
            raise MalformedImage(
                f"the tEXt chunk at byte {chunk.start} has a NUL inside its text",
                reason="text",
                offset=chunk.start,
                chunk=name,
            )
        return name, data[text_start : chunk.data_end].decode("latin-1")
    return name, _itxt_text(data, chunk, text_start, name)


def _itxt_text(data: bytes, chunk: Chunk, pos: int, name: str) -> str:
    """Decode an iTXt after its keyword: flag, method, language tag, translated keyword, text."""

    def bad(what: str) -> MalformedImage:
        return MalformedImage(
            f"the {name} chunk at byte {chunk.start} is malformed: {what}",
            reason="itxt",
            offset=chunk.start,
            chunk=name,
        )

    end = chunk.data_end
    if pos + 2 > end:
        raise bad("compression flag and method are missing")
    flag, method = data[pos], data[pos + 1]
    if flag == 1:
        raise UnsupportedEncoding(
            f"the {name} chunk at byte {chunk.start} is compressed; Open Badges forbid compression",
            reason="compressed",
            offset=chunk.start,
            chunk=name,
        )
    if flag != 0:
        raise bad(f"compression flag is {flag}, not 0")
    if method != 0:
        raise bad(f"compression method is {method}, not 0")
    # The language tag and translated keyword are legal and carry no badge meaning: skip them.
    language_end = data.find(b"\0", pos + 2, end)
    if language_end == -1:
        raise bad("the language tag is not terminated by a NUL")
    translated_end = data.find(b"\0", language_end + 1, end)
    if translated_end == -1:
        raise bad("the translated keyword is not terminated by a NUL")
    try:
        return data[translated_end + 1 : end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsupportedEncoding(
            f"the {name} text is not valid UTF-8 (byte {translated_end + 1 + exc.start})",
            reason="utf-8",
            offset=translated_end + 1 + exc.start,
            chunk=name,
        ) from exc


def bake(data: bytes, payload: str, spec: Literal["ob2", "ob3"]) -> bytes:
    """Return the PNG with ``payload`` in one uncompressed iTXt chunk right after IHDR.

    Every existing chunk that is or could be a carrier (any ``iTXt``/``tEXt``/``zTXt`` with either
    badge keyword, sound or not) is removed; all other chunks, malformed text chunks that cannot be
    a carrier included, are copied byte for byte; anything after IEND is dropped. The payload is stored as
    given: callers validate it (``badgekiln.bake`` does).

    Raises:
        NotABadgeImage, MalformedImage, InputTooLarge: see :func:`walk`.
        MalformedPayload: the payload cannot be encoded as UTF-8 (lone surrogates).
    """
    keyword = {"ob2": b"openbadges", "ob3": b"openbadgecredential"}.get(spec)
    if keyword is None:
        raise ValueError(f"spec must be 'ob2' or 'ob3', not {spec!r}")
    layout = _walk(data)
    try:
        text = payload.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedPayload(
            f"the payload cannot be encoded as UTF-8 (character {exc.start})", reason="utf-8"
        ) from exc
    body = keyword + b"\0\0\0\0\0"  # NUL, flag 0, method 0, empty language, empty translation
    if len(body) + len(text) > MAX_CHUNK_LENGTH:
        raise InputTooLarge("the payload does not fit in one PNG chunk", limit=MAX_CHUNK_LENGTH)
    crc = _crc32(text, _crc32(body, _crc32(b"iTXt", 0)))
    view = memoryview(data)
    # Copy the image in as few slices as possible: runs of kept chunks between dropped carriers.
    ihdr_end = layout.starts[1]
    parts: list[bytes | memoryview] = [
        view[:ihdr_end],
        _HEADER.pack(len(body) + len(text), b"iTXt"),
        body,
        text,
        _U32.pack(crc),
    ]
    run_start = ihdr_end
    for chunk, _, _ in _carriers(data, layout):
        parts.append(view[run_start : chunk.start])
        run_start = chunk.end
    parts.append(view[run_start : layout.end])
    return b"".join(parts)


def check_pixels(data: bytes) -> None:
    """Decode every pixel row with pypng, to prove the image data is sound before baking it.

    Memory stays bounded: IHDR gives the exact size of the decompressed data, which must be at most
    :data:`MAX_RAW_IMAGE_BYTES`; the zlib stream is first inflated incrementally with that budget
    (so a zlib bomb stops at the budget), and only then handed to pypng, whose rows are discarded
    as they come.

    Raises:
        NotABadgeImage, MalformedImage, InputTooLarge: see :func:`walk`; ``reason="pixels"`` when
            the header, the zlib stream or a row filter is broken.
        InputTooLarge: the decompressed image would exceed :data:`MAX_RAW_IMAGE_BYTES`.
    """
    chunks = walk(data)
    expected = _raw_size(data, chunks[0])
    _inflate_within(data, chunks, expected)
    import warnings
    import zlib

    import png as pypng

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pypng only warns about e.g. a missing palette
            reader = pypng.Reader(bytes=bytes(memoryview(data)[: chunks[-1].end]))
            _width, _height, rows, _info = reader.asDirect()  # applies palette and transparency
            for _row in rows:
                pass
    except (pypng.Error, zlib.error, ValueError, TypeError, IndexError, Warning) as exc:
        raise MalformedImage(f"the PNG pixel data does not decode: {exc}", reason="pixels") from exc


def _pixels_error(what: str) -> MalformedImage:
    return MalformedImage(f"the PNG image data is broken: {what}", reason="pixels")


_CHANNELS: Final = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_DEPTHS: Final = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_ADAM7: Final = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


def _raw_size(data: bytes, ihdr: Chunk) -> int:
    """Bytes of filtered scanlines the IHDR promises (filter bytes included)."""
    width, height, depth, colour, compression, filtering, interlace = _IHDR.unpack_from(data, ihdr.data_start)
    if not (0 < width <= MAX_CHUNK_LENGTH and 0 < height <= MAX_CHUNK_LENGTH):
        raise _pixels_error(f"image size {width}x{height} is invalid")
    if depth not in _DEPTHS.get(colour, ()):
        raise _pixels_error(f"bit depth {depth} is invalid for colour type {colour}")
    if compression or filtering or interlace not in (0, 1):
        raise _pixels_error("unknown compression, filter or interlace method")
    bits = depth * _CHANNELS[colour]
    if interlace == 0:
        passes = [(width, height)]
    else:
        passes = [((width - x + dx - 1) // dx, (height - y + dy - 1) // dy) for x, y, dx, dy in _ADAM7]
    total: int = sum(h * (1 + (w * bits + 7) // 8) for w, h in passes if w and h)
    if total > MAX_RAW_IMAGE_BYTES:
        raise InputTooLarge(
            f"the {width}x{height} image inflates to {total} bytes, over the {MAX_RAW_IMAGE_BYTES}-byte cap",
            limit=MAX_RAW_IMAGE_BYTES,
        )
    return total


def _inflate_within(data: bytes, chunks: list[Chunk], expected: int) -> None:
    """Inflate the IDAT stream with a budget of ``expected`` bytes and check it ends exactly there."""
    import zlib

    idat = [i for i, chunk in enumerate(chunks) if chunk.type == b"IDAT"]
    if not idat:
        raise _pixels_error("there is no IDAT chunk")
    if idat[-1] - idat[0] + 1 != len(idat):
        raise _pixels_error("IDAT chunks are not consecutive")
    view = memoryview(data)
    inflater = zlib.decompressobj()
    produced = 0
    try:
        for index in idat:
            pending: bytes | memoryview = view[chunks[index].data_start : chunks[index].data_end]
            while pending:
                produced += len(inflater.decompress(pending, 1 << 20))
                if produced > expected:
                    raise _pixels_error(f"the image data inflates past the {expected} bytes IHDR allows")
                pending = inflater.unconsumed_tail
                if inflater.eof:
                    break
            if inflater.eof and (inflater.unused_data or index != idat[-1]):
                raise _pixels_error("data follows the end of the zlib stream")
    except zlib.error as exc:
        raise _pixels_error(f"zlib: {exc}") from exc
    if not inflater.eof:
        raise _pixels_error("the zlib stream is truncated")
    if produced != expected:
        raise _pixels_error(f"the image data holds {produced} bytes, IHDR needs {expected}")
