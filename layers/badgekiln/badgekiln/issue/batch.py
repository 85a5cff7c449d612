"""Issue one achievement to many recipients from CSV or JSON Lines, streaming, row by row.

Rows are read one at a time (a file of any length never sits in memory) and each is issued on
its own: a bad row yields an error result and the next row goes on. Every row issues under an
idempotency key, its ``idempotency_key`` column or one derived from the achievement and the
row's content, so running the same file again after an interruption skips what was issued
(``replayed``) and finishes the rest. Two identical rows are one credential.

Columns (CSV header / JSON members): ``recipient`` (required), ``recipient_type`` (``email``,
``url``, ``telephone``, ``id``), ``hashed`` (``true``/``false``), ``name`` (for personalised
images), ``evidence`` (a URL; JSON Lines also a list of evidence objects), ``narrative``,
``valid_until`` (ISO 8601 with a time zone), ``idempotency_key``, ``credential_id``. Their
aliases (``Email``, ``E-mail``, ``First Name`` + ``Last Name`` …) are in
:mod:`badgekiln.issue.columns`; unknown columns are ignored and reported once (``on_ignored``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Final, Literal

from badgekiln.errors import BadgeKilnError, InputError, InputTooLarge, InvalidField, MalformedPayload
from badgekiln.issue import UPLOAD_ROUTE, events
from badgekiln.issue.columns import COLUMNS, read_header, read_members
from badgekiln.issue.credentials import Checked, Issued, check_request, issue_credential
from badgekiln.issue.models import BatchRequest, parse
from badgekiln.issue.records import dump
from badgekiln.store.base import Store
from badgekiln.strictjson import loads_strict

__all__ = [
    "BATCH_TYPES",
    "COLUMNS",
    "MAX_LINE_CHARS",
    "MAX_REQUEST_ROWS",
    "MAX_ROWS",
    "BatchOutcome",
    "BatchRow",
    "BatchSummary",
    "RowResult",
    "issue_batch",
    "issue_request_batch",
    "read_rows",
]

#: Columns that are :class:`~badgekiln.issue.models.IssueRequest` fields as they are.
_REQUEST_COLUMNS: Final = ("evidence", "narrative", "credential_id", "valid_until", "external_id")
#: Longest line (characters): a row is a recipient and a few short texts, not a document.
MAX_LINE_CHARS: Final = 64 * 1024
#: Most rows in one batch; a bigger job is several batches (and the loop stays bounded).
MAX_ROWS: Final = 1_000_000
#: Most rows issued at once with ``workers`` > 1 (results still come out in input order).
MAX_WORKERS: Final = 16
#: Media types of a batch sent in a request body, and the row format each one is.
BATCH_TYPES: Final[Mapping[str, Literal["csv", "jsonl"]]] = {
    "text/csv": "csv",
    "application/jsonl": "jsonl",
    "application/x-ndjson": "jsonl",
    "application/x-jsonlines": "jsonl",
}
#: Most rows a batch sent in one request issues. The HTTP API gives a function 30 s; on S3 one
#: issuance is ~10 object writes, so a hundred rows on a few threads stay well inside it. More
#: goes through :data:`~badgekiln.issue.UPLOAD_ROUTE`.
MAX_REQUEST_ROWS: Final = 100
#: Rows of a batch sent in a request issued at once (they wait on S3 and KMS, not on the CPU).
REQUEST_WORKERS: Final = 4


@dataclass(frozen=True)
class BatchRow:
    """One input row: its ``line`` number (1-based, data rows) and its fields, or why it is bad."""

    line: int
    fields: Mapping[str, Any] = field(default_factory=dict)
    error: BadgeKilnError | None = None


@dataclass(frozen=True)
class RowResult:
    """What happened to one row: ``issued`` (the credential), ``checked`` (a dry run: what would
    be issued) or ``error``."""

    line: int
    idempotency_key: str | None
    issued: Issued | None = None
    error: BadgeKilnError | None = None
    checked: Checked | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """The JSON Lines record of this row."""
        out: dict[str, Any] = {"line": self.line, "ok": self.ok, "idempotency_key": self.idempotency_key}
        if self.issued is not None:
            out.update(
                {
                    "id": self.issued.id,
                    "name": self.issued.name,
                    "public_url": self.issued.public_url,
                    "image_url": self.issued.image_url,
                    "verify_url": self.issued.verify_url,
                    "external_id": self.issued.external_id,
                    "replayed": self.issued.replayed,
                }
            )
        if self.checked is not None:
            out.update({"dry_run": True, **self.checked.summary()})
        if self.error is not None:
            out["error"] = self.error.to_dict()
        return out


@dataclass
class BatchSummary:
    """Running totals over a batch."""

    rows: int = 0
    issued: int = 0
    replayed: int = 0
    failed: int = 0

    def add(self, result: RowResult) -> None:
        """Count ``result`` (a dry run's are counted as what they would be)."""
        self.rows += 1
        if result.error is not None:
            self.failed += 1
        elif (result.issued is not None and result.issued.replayed) or (
            result.checked is not None and result.checked.would != "issue"
        ):
            self.replayed += 1
        else:
            self.issued += 1

    def to_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "issued": self.issued, "replayed": self.replayed, "failed": self.failed}


# what _lines yields for a line over MAX_LINE_CHARS (a real line never holds a NUL and no newline)
_TOO_LONG: Final = "\x00too-long"


def _lines(source: IO[str]) -> Iterator[str]:
    while True:
        line = source.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            # swallow the rest of the over-long line, a bounded piece at a time
            while line and not line.endswith("\n"):
                line = source.readline(MAX_LINE_CHARS + 1)
            yield _TOO_LONG
            continue
        yield line


def _rows(lines: Iterator[str], parse: Callable[[int, str], BatchRow]) -> Iterator[BatchRow]:
    """``parse(number, line)`` of every non-blank line, numbered from 1; over-long lines fail alone.

    Raises:
        InputTooLarge: more than :data:`MAX_ROWS` rows.
    """
    number = 0
    for line in lines:
        if not line.strip():
            continue
        number += 1
        if number > MAX_ROWS:
            raise _too_many()
        if line == _TOO_LONG:
            error = f"row {number} is longer than {MAX_LINE_CHARS} characters"
            yield BatchRow(number, error=InputTooLarge(error, line=number, limit=MAX_LINE_CHARS))
        else:
            yield parse(number, line)


def _too_many() -> InputTooLarge:
    return InputTooLarge(f"a batch holds at most {MAX_ROWS} rows; split the file", limit=MAX_ROWS)


#: Told the column names :func:`read_rows` ignores, each name once.
IgnoredColumns = Callable[[Sequence[str]], None]


def read_rows(
    source: IO[str], *, fmt: Literal["csv", "jsonl"], on_ignored: IgnoredColumns | None = None
) -> Iterator[BatchRow]:
    """Stream the rows of ``source`` (text, opened with ``newline=""`` for CSV), their fields
    under our column names (:mod:`~badgekiln.issue.columns`: aliases, name parts joined).

    Blank JSON Lines are skipped. A row that cannot be read becomes a :class:`BatchRow` with
    ``error`` (``MalformedPayload``, ``InputTooLarge``, ``InvalidField``), and reading goes on.
    Unknown columns are ignored: ``on_ignored`` hears each name once (a CSV header's at once, a
    JSON Lines member when it first appears).

    Raises:
        InvalidField: (``field="columns"``) a CSV header without a recipient column or with two
            columns that mean the same (no row could be read).
        InputTooLarge: more than :data:`MAX_ROWS` rows.
    """
    if fmt == "jsonl":
        yield from _jsonl(source, on_ignored)
    elif fmt == "csv":
        yield from _csv(source, on_ignored)
    else:
        raise ValueError("fmt must be 'csv' or 'jsonl'")


def _jsonl(source: IO[str], on_ignored: IgnoredColumns | None) -> Iterator[BatchRow]:
    reported: set[str] = set()

    def row(number: int, line: str) -> BatchRow:
        read = _json_row(number, line)
        if read.error is not None:
            return read
        try:
            fields, ignored = read_members(read.fields, line=number)
        except InvalidField as exc:
            return BatchRow(number, error=exc)
        fresh = [name for name in ignored if name not in reported]
        if fresh and on_ignored is not None and len(reported) < _MAX_REPORTED:
            reported.update(fresh)
            on_ignored(fresh)
        return BatchRow(number, fields)

    return _rows(_lines(source), row)


#: Most ignored JSON Lines member names remembered for reporting (each row may bring new ones).
_MAX_REPORTED: Final = 1000


def _json_row(number: int, line: str) -> BatchRow:
    # strict: a nesting too deep for the parser or a lone surrogate escape fails this row alone
    # (a surrogate would otherwise crash encoding the row's idempotency key or its result)
    try:
        value = loads_strict(line.encode("utf-8", "surrogatepass"), source=f"row {number}")
    except (MalformedPayload, InputTooLarge) as exc:
        details = {k: v for k, v in exc.details.items() if k != "url"}
        return BatchRow(number, error=type(exc)(exc.message, **details, line=number))
    if not isinstance(value, dict):
        return _malformed(number, "is not a JSON object")
    return BatchRow(number, value)


def _malformed(number: int, what: str) -> BatchRow:
    return BatchRow(number, error=MalformedPayload(f"row {number} {what}", line=number))


def _csv(source: IO[str], on_ignored: IgnoredColumns | None) -> Iterator[BatchRow]:
    lines = _lines(source)
    header_line = next(lines, None)
    if header_line is None:
        return
    if header_line == _TOO_LONG:
        raise InvalidField(f"the CSV header is longer than {MAX_LINE_CHARS} characters", field="columns")
    try:
        header = next(csv.reader([header_line], strict=True))
    except csv.Error as exc:
        raise InvalidField(f"the CSV header is not valid CSV: {exc}", field="columns") from None
    columns = read_header(header)
    if columns.ignored and on_ignored is not None:
        on_ignored(columns.ignored)

    def row(number: int, line: str) -> BatchRow:
        try:
            values = next(csv.reader([line], strict=True))
        except csv.Error as exc:
            return _malformed(number, f"is not valid CSV: {exc}")
        if len(values) != len(columns.positions):
            return _malformed(number, f"has {len(values)} fields; the header names {len(columns.positions)}")
        return BatchRow(number, columns.fields(values))

    yield from _rows(lines, row)


def _flag(value: Any, line: int) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise InvalidField(f"row {line}: hashed must be true or false", field="hashed", line=line)


def _derived_key(prefix: str, fields: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(dump(dict(fields))).hexdigest()
    return f"{prefix}:{digest}"


def _request(row: BatchRow, batch: BatchRequest, key_prefix: str) -> tuple[str, dict[str, Any]]:
    """The row's idempotency key and its :class:`~badgekiln.issue.models.IssueRequest` fields:
    the batch's achievement and options, the row's recipient and the rest of its columns."""
    fields = dict(row.fields)
    unknown = sorted(set(fields) - COLUMNS)
    if unknown:
        raise InvalidField(f"row {row.line}: unknown column(s) {', '.join(unknown)[:200]}", field=unknown[0])
    if not isinstance(fields.get("recipient"), str):
        raise InvalidField(f"row {row.line}: recipient is required", field="recipient", line=row.line)
    recipient: dict[str, Any] = {"identity": fields["recipient"]}
    if "recipient_type" in fields:
        recipient["type"] = fields["recipient_type"]
    if "hashed" in fields:
        recipient["hashed"] = _flag(fields["hashed"], row.line)
    if "name" in fields:
        recipient["name"] = fields["name"]
    request = {**batch.model_dump(), "recipient": recipient}
    request.update({c: fields[c] for c in _REQUEST_COLUMNS if c in fields})
    key = fields.get("idempotency_key")
    if key is None:
        key = _derived_key(key_prefix, {k: v for k, v in fields.items() if k != "idempotency_key"})
    elif not isinstance(key, str):
        raise InvalidField(
            f"row {row.line}: idempotency_key must be text", field="idempotency_key", line=row.line
        )
    return key, request


def issue_batch(
    store: Store,
    issuer: str,
    batch: BatchRequest | Mapping[str, Any],
    rows: Iterable[BatchRow | Mapping[str, Any]],
    *,
    workers: int = 1,
    key_prefix: str | None = None,
    now: Callable[[], datetime] | None = None,
    dry_run: bool = False,
) -> Iterator[RowResult]:
    """Issue ``batch``'s achievement of ``issuer`` for each row, with ``batch``'s options (a
    :class:`~badgekiln.issue.models.BatchRequest` or a mapping of it); yield one
    :class:`RowResult` per row, in order.

    With ``dry_run`` every row is checked as issuing would check it and its result says what
    would happen (``checked``: issue, replay or wait); nothing is written to the store.

    ``rows`` are :class:`BatchRow` (from :func:`read_rows`) or plain mappings of the columns.
    Derived idempotency keys start with ``key_prefix`` (default ``batch:<issuer>:<achievement>``).
    With ``workers`` > 1 rows are issued concurrently, at most ``2 × workers`` in flight.

    Raises:
        ValueError: ``workers`` out of range.
        InvalidField: a bad ``batch`` (before any row is read).
        InputTooLarge: as :func:`read_rows`, for the source as a whole.
    """
    if not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be between 1 and {MAX_WORKERS}")
    options = parse(BatchRequest, batch)
    prefix = key_prefix or f"batch:{issuer}:{options.achievement}"

    def one(row: BatchRow) -> RowResult:
        if row.error is not None:
            return RowResult(row.line, None, error=row.error)
        key: str | None = None
        try:
            key, request = _request(row, options, prefix)
            when = now() if now else None
            if dry_run:
                checked = check_request(store, issuer, request, idempotency_key=key, now=when)
                return RowResult(row.line, key, checked=checked)
            issued = issue_credential(store, issuer, request, idempotency_key=key, now=when)
        except BadgeKilnError as exc:
            return RowResult(row.line, key, error=exc)
        return RowResult(row.line, key, issued=issued)

    def numbered() -> Iterator[BatchRow]:
        for count, row in enumerate(rows, start=1):
            if count > MAX_ROWS:
                raise _too_many()
            yield row if isinstance(row, BatchRow) else BatchRow(count, row)

    if workers == 1:
        for row in numbered():
            yield one(row)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="badgekiln-batch") as pool:
        window: deque[Future[RowResult]] = deque()
        for row in numbered():
            window.append(pool.submit(one, row))
            if len(window) >= 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


@dataclass(frozen=True)
class BatchOutcome:
    """Every row's result of a batch, and the totals."""

    summary: BatchSummary
    results: tuple[RowResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"summary": …, "results": [...]}`` as the HTTP API answers it."""
        return {"summary": self.summary.to_dict(), "results": [r.to_dict() for r in self.results]}


def issue_request_batch(
    store: Store, issuer: str, batch: BatchRequest | Mapping[str, Any], body: bytes, *, media_type: str
) -> BatchOutcome:
    """Issue a batch sent in one HTTP request: ``body`` is UTF-8 CSV or JSON Lines, as
    ``media_type`` (one of :data:`BATCH_TYPES`) says, of at most :data:`MAX_REQUEST_ROWS` rows.

    ``batch``'s achievement and options are checked before any row is read: a bad one is the
    request's error, not every row's.

    Raises:
        ValueError: ``media_type`` is not one of :data:`BATCH_TYPES` (a bad call).
        InvalidField: a bad ``batch``, or a CSV header that names no recipient.
        InputError: the body is not UTF-8 (``reason="utf-8"``).
        InputTooLarge: more rows than :data:`MAX_REQUEST_ROWS` (the answer names the upload route).

    Then the ``Batch Completed`` event is sent (:mod:`~badgekiln.issue.events`), after each
    issued row's own ``Credential Issued``.
    """
    fmt = BATCH_TYPES.get(media_type)
    if fmt is None:
        raise ValueError(f"media_type must be one of {', '.join(BATCH_TYPES)}")
    options = parse(BatchRequest, batch)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("The batch body is not UTF-8 text.", reason="utf-8", offset=exc.start) from exc
    rows = list(itertools.islice(read_rows(io.StringIO(text, newline=""), fmt=fmt), MAX_REQUEST_ROWS + 1))
    if len(rows) > MAX_REQUEST_ROWS:
        raise InputTooLarge(
            f"A batch sent in the request holds at most {MAX_REQUEST_ROWS} rows; send bigger files "
            f"through {UPLOAD_ROUTE}, which returns a presigned upload.",
            limit=MAX_REQUEST_ROWS,
            upload=UPLOAD_ROUTE,
        )
    summary = BatchSummary()
    results = []
    for result in issue_batch(store, issuer, options, rows, workers=REQUEST_WORKERS):
        summary.add(result)
        results.append(result)
    detail = {"issuer": issuer, "achievement": options.achievement, "summary": summary.to_dict()}
    events.publish([events.Event.of("Batch Completed", detail)])
    return BatchOutcome(summary, tuple(results))
