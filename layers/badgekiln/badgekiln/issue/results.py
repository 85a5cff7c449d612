"""An upload's per-row results file: JSON Lines written once, read back a bounded page at a time.

The worker writes one record per row (:meth:`~badgekiln.issue.batch.RowResult.to_dict`), in row
order, each on its own line and at most :data:`MAX_RESULT_BYTES` long (:func:`result_line` cuts a
longer one down). A page is read with :meth:`~badgekiln.store.base.Store.get_range`, a
:data:`RESULTS_WINDOW` at a time from where the page before ended, never the whole file: a page
reads at most :data:`RESULTS_PAGE_BYTES` (and one window more) however far in it is, so paging
through a file costs its size once, not its size per page.

The cursor a page hands out is opaque: the byte offset of the row it goes on from, the line
number up to which rows are behind, and a check over those two, the file's key and its ETag. A
cursor that was altered, belongs to another upload, or to results since written again (another
ETag) is refused with InvalidField (``field="cursor"``, ``reason="cursor"``); so is one whose
offset is not the first byte of a row. A numeric cursor (a line number, as the first version of
this API handed out) is still taken: the file is read from its start and the rows up to that line
are skipped, a page's byte budget at a time (so a far one may first give empty pages).

A page holds at most ``limit`` rows; when the ``ok`` filter leaves it short it ends after
:data:`RESULTS_PAGE_BYTES` with the cursor to go on from: a page may then be short, or even empty,
with a ``next_cursor``. ``next_cursor`` is ``None`` only when the file has been read to its end.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from badgekiln.errors import Conflict, InvalidField, StoreError
from badgekiln.issue.models import ResultsQuery
from badgekiln.store.base import Store, normalise_etag

__all__ = [
    "MAX_RESULT_BYTES",
    "RESULTS_PAGE_BYTES",
    "RESULTS_WINDOW",
    "read_results",
    "result_line",
]

#: Bytes of the results file read at a time: a hundred rows or so.
RESULTS_WINDOW: Final = 64 * 1024
#: Most bytes one page reads (one window more at most): a page the ``ok`` filter leaves short ends
#: there, with a cursor to go on from. 1000 rows of ~600 bytes, the largest page, fit.
RESULTS_PAGE_BYTES: Final = 1024 * 1024
#: Longest result record (bytes, its newline included). A record is a few short texts and URLs
#: (~600 bytes); one over this is cut down when written (:func:`result_line`).
MAX_RESULT_BYTES: Final = 64 * 1024
#: Longest member a cut-down record keeps (bytes of its JSON); an error keeps its code and message.
_MAX_KEPT_MEMBER: Final = 2048

#: Opaque cursors start with their version; a numeric cursor is a line number (the first version).
_CURSOR_VERSION: Final = "r1"
_OPAQUE: Final = re.compile(r"([0-9]{1,12})\.([0-9]{1,9})\.([0-9a-f]{16})")
_NUMERIC: Final = re.compile(r"[0-9]{1,9}")


def result_line(entry: Mapping[str, Any]) -> str:
    """``entry`` as one line of the results file (no newline), under :data:`MAX_RESULT_BYTES`.

    A record over it keeps its ``line``, ``ok`` and every member of at most 2 KiB (an error its
    ``code`` and the start of its ``message``); ``truncated`` lists the members left out.
    """
    line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    if len(line.encode()) < MAX_RESULT_BYTES:
        return line
    kept: dict[str, Any] = {}
    for name, value in entry.items():
        if len(json.dumps(value, ensure_ascii=False).encode()) <= _MAX_KEPT_MEMBER:
            kept[name] = value
    left_out = sorted(str(name) for name in entry if name not in kept)
    error = entry.get("error")
    if "error" not in kept and isinstance(error, Mapping):
        kept["error"] = {"code": error.get("code"), "message": str(error.get("message", ""))[:200]}
    kept["truncated"] = left_out
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":"))


def _bad_cursor() -> InvalidField:
    return InvalidField(
        "cursor is not one these results gave out, or they were written again since: "
        "start from the first page",
        field="cursor",
        reason="cursor",
    )


def _check(key: str, etag: str, offset: int, after: int) -> str:
    """What binds a cursor to its file's key and version (a check against damage and edits, not
    a secret: a cursor that passes points at a row of this very file)."""
    text = f"badgekiln:results-cursor\0{key}\0{normalise_etag(etag)}\0{offset}\0{after}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cursor(key: str, etag: str, offset: int, after: int) -> str:
    text = f"{offset}.{after}.{_check(key, etag, offset, after)}"
    return _CURSOR_VERSION + base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _decode(cursor: str | None) -> tuple[int, int, str | None]:
    """``(offset, after, check)`` of a cursor; ``check`` ``None`` for none or a numeric one.

    Raises:
        InvalidField: (``field="cursor"``) it is neither.
    """
    if cursor is None:
        return 0, 0, None
    if _NUMERIC.fullmatch(cursor):
        return 0, int(cursor), None
    if not cursor.startswith(_CURSOR_VERSION):
        raise _bad_cursor()
    encoded = cursor.removeprefix(_CURSOR_VERSION)
    try:
        text = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise _bad_cursor() from None
    found = _OPAQUE.fullmatch(text)
    if found is None:
        raise _bad_cursor()
    return int(found[1]), int(found[2]), found[3]


class _ResultsFile:
    """The results file read forward from ``offset`` (a row's first byte), a window at a time."""

    def __init__(self, store: Store, key: str, offset: int) -> None:
        self.store = store
        self.key = key
        #: First byte not yet handed out in a row.
        self.offset = offset
        #: Bytes read from the store so far.
        self.read = 0
        self.etag = ""
        self.size = 0
        self._buffer = b""  # bytes from offset on, read but not handed out
        self._last_line = 0

    def _window(self, start: int) -> bytes:
        part = self.store.get_range(self.key, start, RESULTS_WINDOW)
        if self.etag and normalise_etag(part.etag) != normalise_etag(self.etag):
            raise Conflict(
                "the results were written again while this page was read; ask again",
                key=self.key,
                reason="changed",
            )
        self.etag, self.size = part.etag, part.size
        self.read += len(part.body)
        return part.body

    def open(self) -> None:
        """Read the first window (from the byte before ``offset``, which must end a row).

        Raises:
            NotFound: there is no results file.
            InvalidField: (``field="cursor"``) ``offset`` is not a row's first byte.
            StoreError: the store failed.
        """
        if self.offset == 0:
            self._buffer = self._window(0)
            return
        body = self._window(self.offset - 1)
        if body[:1] != b"\n":
            raise _bad_cursor()
        self._buffer = body[1:]

    @property
    def ended(self) -> bool:
        """Every row was handed out."""
        return self.offset >= self.size and not self._buffer

    def rows(self, budget: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(first byte, record)`` of each row from ``offset`` on, until the end of the file or,
        once ``budget`` bytes have been read, the end of what was read.

        Raises:
            StoreError: (``reason="corrupt"``) a record that is not one, or out of order.
            Conflict: (``reason="changed"``) the file was written again meanwhile.
        """
        at = 0  # where the next row starts in _buffer
        while True:
            end = self._buffer.find(b"\n", at)
            if end < 0:
                self._buffer = self._buffer[at:]
                at = 0
                read_to = self.offset + len(self._buffer)
                if read_to >= self.size:
                    if self._buffer:
                        raise self._corrupt("its last row has no end")
                    return
                if len(self._buffer) >= MAX_RESULT_BYTES:
                    raise self._corrupt(f"a row is longer than {MAX_RESULT_BYTES} bytes")
                if self.read >= budget:
                    return
                self._buffer += self._window(read_to)
                continue
            start, record = self.offset, self._record(self._buffer[at:end])
            self.offset += end + 1 - at
            at = end + 1
            yield start, record

    def _record(self, line: bytes) -> dict[str, Any]:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        number = record.get("line") if isinstance(record, dict) else None
        if not (
            isinstance(record, dict)
            and type(number) is int
            and number > self._last_line
            and isinstance(record.get("ok"), bool)
        ):
            raise self._corrupt(f"the row at byte {self.offset} is not a result after line {self._last_line}")
        self._last_line = number
        return record

    def _corrupt(self, why: str) -> StoreError:
        return StoreError(f"the results file {self.key!r} is damaged: {why}", key=self.key, reason="corrupt")


def read_results(store: Store, key: str, query: ResultsQuery) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the results file at ``key`` as ``query`` asks: its records, in row order, and
    the cursor of the next page (``None``: the file was read to its end).

    Raises:
        InvalidField: (``field="cursor"``) a cursor these results did not give out.
        NotFound: no results file.
        Conflict: (``reason="changed"``) the file was written again while the page was read.
        StoreError: the store failed, or the file is damaged (``reason="corrupt"``).
    """
    offset, after, check = _decode(query.cursor)
    results = _ResultsFile(store, key, offset)
    results.open()
    if check is not None and (offset >= results.size or check != _check(key, results.etag, offset, after)):
        raise _bad_cursor()
    page: list[dict[str, Any]] = []
    last = after
    for start, record in results.rows(RESULTS_PAGE_BYTES):
        # rows up to after are skipped: behind a numeric cursor, the file is read from its start
        if record["line"] > after and (query.ok is None or record["ok"] is query.ok):
            if len(page) == query.limit:
                return page, _cursor(key, results.etag, start, last)
            page.append(record)
        last = max(last, record["line"])
    return page, None if results.ended else _cursor(key, results.etag, results.offset, last)
