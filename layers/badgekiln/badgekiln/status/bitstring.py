"""The status bitstring: ``encodedList`` decoding (capped), bit reads and writes, and encoding.

Both W3C Bitstring Status List (REC) and the legacy StatusList2021 store the list as a GZIP
stream of a bitstring, base64-encoded. Entry ``i`` of a list with ``status_size`` bits per entry
occupies bits ``i * status_size`` … ``i * status_size + status_size - 1``, where bit 0 is the
most significant bit of the first byte; a multi-bit value is read most significant bit first.

Decoding accepts what publishers actually write: a multibase ``u`` prefix (the REC) or none
(StatusList2021), the base64url or standard alphabet, with or without padding. Decompression
never inflates past :data:`MAX_LIST_BYTES`, so a gzip bomb costs at most that much memory.
Encoding always writes the REC form: ``u`` + unpadded base64url of a GZIP stream.
"""

from __future__ import annotations

import base64
import gzip
import re
import zlib
from typing import Final

from badgekiln.errors import StatusError

__all__ = [
    "MAX_ENCODED_CHARS",
    "MAX_LIST_BYTES",
    "MAX_STATUS_SIZE",
    "MIN_LIST_ENTRIES",
    "StatusBitstring",
]

#: The REC's minimum list length in entries (16 KiB at one bit each): below it, the few
#: credentials sharing a list lose the "herd privacy" a long list gives them.
MIN_LIST_ENTRIES: Final = 131_072
#: Largest uncompressed bitstring decoded or built (bytes). 16 MiB holds 134 million one-bit
#: entries, 1024 times the minimum and more than any issuer publishes in one list; the cap
#: bounds the memory a gzip bomb (e.g. 1 GiB of zeros, ~1 MiB compressed) can claim.
MAX_LIST_BYTES: Final = 16 << 20
#: Longest ``encodedList`` accepted (characters): base64 of a GZIP stream of a full-size
#: incompressible list (deflate adds at most ~0.03 %) plus the prefix and padding.
MAX_ENCODED_CHARS: Final = 4 * ((MAX_LIST_BYTES + (MAX_LIST_BYTES >> 10) + 64) // 3) + 8
#: Largest ``statusSize`` (bits per entry). The REC requires a ``statusMessage`` for every one
#: of the ``2 ** statusSize`` values; 8 bits (256 messages) is far beyond any published use.
MAX_STATUS_SIZE: Final = 8

_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS  # gzip container only: no raw deflate, no zlib header
_BASE64: Final = re.compile(r"[A-Za-z0-9_+/-]*={0,2}")


def _fail(message: str, reason: str, **details: object) -> StatusError:
    return StatusError(message, reason=reason, **details)


def _check_status_size(status_size: int) -> None:
    if isinstance(status_size, bool) or not isinstance(status_size, int):
        raise TypeError(f"status_size must be an int, not {type(status_size).__name__}")
    if not 1 <= status_size <= MAX_STATUS_SIZE:
        raise ValueError(f"status_size must be between 1 and {MAX_STATUS_SIZE}, not {status_size}")


def _base64_body(encoded: str) -> bytes:
    """The bytes of ``encoded`` (optional ``u`` prefix, either alphabet, optional padding)."""
    # A GZIP stream starts 1f 8b, which is "H4" in base64, so a leading "u" is never data.
    body = encoded[1:] if encoded.startswith("u") else encoded
    if not body or not _BASE64.fullmatch(body):
        raise _fail(
            "encodedList is not base64 (expected 'u' + base64url of a GZIP stream)",
            "encoding",
            field="encodedList",
        )
    unpadded = body.rstrip("=")
    if len(unpadded) % 4 == 1 or (body != unpadded and len(body) % 4):
        raise _fail("encodedList has an impossible base64 length", "encoding", field="encodedList")
    # The pattern and length checks above leave nothing for the decoder to reject.
    text = unpadded.replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _gunzip(compressed: bytes, limit: int) -> bytes:
    """Inflate one GZIP member, refusing output beyond ``limit`` bytes without producing it."""
    inflater = zlib.decompressobj(wbits=_GZIP_WBITS)
    try:
        # max_length makes zlib stop at limit + 1 bytes: the bomb is never inflated past the cap.
        data = inflater.decompress(compressed, limit + 1)
    except zlib.error as exc:
        raise _fail(
            f"encodedList is not a valid GZIP stream ({exc})", "encoding", field="encodedList"
        ) from exc
    if len(data) > limit or inflater.unconsumed_tail:
        raise _fail(
            f"the status list inflates to more than {limit} bytes",
            "too-large",
            field="encodedList",
            limit=limit,
        )
    if not inflater.eof:
        raise _fail("encodedList holds a truncated GZIP stream", "encoding", field="encodedList")
    if inflater.unused_data:
        raise _fail("encodedList has data after the end of its GZIP stream", "encoding", field="encodedList")
    return data


class StatusBitstring:
    """A status list: ``len(self)`` entries of ``status_size`` bits each.

    Verifiers get one from :meth:`decode`; issuers create a zeroed list, :meth:`set` and
    :meth:`clear` entries and publish :meth:`encode` as the list credential's ``encodedList``.

    Example::

        bits = StatusBitstring(131_072)
        bits.set(23)                      # revoke the credential at index 23
        encoded = bits.encode()           # "uH4sI…"
        assert StatusBitstring.decode(encoded).get(23) == 1

    Raises:
        TypeError, ValueError: ``entries`` or ``status_size`` out of range, or a list that does
            not fill whole bytes (``entries * status_size`` must be a multiple of 8).
    """

    __slots__ = ("_bits", "_size")

    def __init__(self, entries: int = MIN_LIST_ENTRIES, *, status_size: int = 1) -> None:
        _check_status_size(status_size)
        if isinstance(entries, bool) or not isinstance(entries, int):
            raise TypeError(f"entries must be an int, not {type(entries).__name__}")
        bits = entries * status_size
        if entries < 1 or bits % 8 or bits > MAX_LIST_BYTES * 8:
            raise ValueError(
                f"entries * status_size must be a positive multiple of 8 bits, at most "
                f"{MAX_LIST_BYTES * 8}; got {entries} * {status_size}"
            )
        self._bits = bytearray(bits // 8)
        self._size = status_size

    @classmethod
    def decode(
        cls, encoded: str, *, status_size: int = 1, max_bytes: int = MAX_LIST_BYTES
    ) -> StatusBitstring:
        """Decode an ``encodedList`` value (see the module docstring for the forms accepted).

        Whole bytes are kept; trailing bits that do not make a whole entry are not addressable.

        Raises:
            TypeError, ValueError: ``status_size`` or ``max_bytes`` out of range (a bad call).
            StatusError: ``reason="encoding"`` (not base64, not GZIP, truncated, trailing data)
                or ``"too-large"`` (over :data:`MAX_ENCODED_CHARS` characters or ``max_bytes``
                inflated bytes; ``limit`` says which).
        """
        _check_status_size(status_size)
        if (
            isinstance(max_bytes, bool)
            or not isinstance(max_bytes, int)
            or not 0 < max_bytes <= MAX_LIST_BYTES
        ):
            raise ValueError(f"max_bytes must be an int between 1 and {MAX_LIST_BYTES}")
        if not isinstance(encoded, str):
            raise _fail(
                f"encodedList must be a string, not {type(encoded).__name__}", "encoding", field="encodedList"
            )
        if len(encoded) > MAX_ENCODED_CHARS:
            raise _fail(
                f"encodedList is longer than {MAX_ENCODED_CHARS} characters",
                "too-large",
                field="encodedList",
                limit=MAX_ENCODED_CHARS,
            )
        data = _gunzip(_base64_body(encoded), max_bytes)
        self = cls.__new__(cls)
        self._bits = bytearray(data)
        self._size = status_size
        return self

    @property
    def status_size(self) -> int:
        """Bits per entry."""
        return self._size

    @property
    def bit_length(self) -> int:
        """Length of the uncompressed bitstring in bits."""
        return len(self._bits) * 8

    def __len__(self) -> int:
        """Number of whole entries."""
        return self.bit_length // self._size

    def _start(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"index must be an int, not {type(index).__name__}")
        if not 0 <= index < len(self):
            raise IndexError(f"status list index {index} is outside 0..{len(self) - 1}")
        return index * self._size

    def get(self, index: int) -> int:
        """The status value of entry ``index`` (``0`` … ``2 ** status_size - 1``).

        Raises:
            TypeError: ``index`` is not an int.
            IndexError: ``index`` is outside the list (verifiers check the range first and
                raise :class:`~badgekiln.errors.StatusError` with ``reason="range"``).
        """
        start = self._start(index)
        value = 0
        for position in range(start, start + self._size):
            value = (value << 1) | ((self._bits[position >> 3] >> (7 - (position & 7))) & 1)
        return value

    def set(self, index: int, value: int = 1) -> None:
        """Store ``value`` in entry ``index`` (``1`` = revoked/suspended for one-bit lists).

        Raises:
            TypeError: ``index`` or ``value`` is not an int.
            IndexError: ``index`` is outside the list.
            ValueError: ``value`` does not fit in ``status_size`` bits.
        """
        start = self._start(index)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"value must be an int, not {type(value).__name__}")
        if not 0 <= value < (1 << self._size):
            raise ValueError(f"value {value} does not fit in {self._size} bit(s)")
        for offset in range(self._size):
            position = start + offset
            mask = 1 << (7 - (position & 7))
            if (value >> (self._size - 1 - offset)) & 1:
                self._bits[position >> 3] |= mask
            else:
                self._bits[position >> 3] &= ~mask & 0xFF

    def clear(self, index: int) -> None:
        """Reset entry ``index`` to 0 (reinstate / unsuspend).

        Raises:
            TypeError, IndexError: as :meth:`set`.
        """
        self.set(index, 0)

    def to_bytes(self) -> bytes:
        """The uncompressed bitstring."""
        return bytes(self._bits)

    def encode(self) -> str:
        """The REC ``encodedList``: ``u`` + unpadded base64url of a GZIP stream (mtime 0, so
        equal lists encode to equal strings)."""
        compressed = gzip.compress(bytes(self._bits), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusBitstring):
            return NotImplemented
        return self._size == other._size and self._bits == other._bits

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"StatusBitstring(entries={len(self)}, status_size={self._size})"
