"""Issue one achievement to many recipients from CSV or JSON Lines, streaming, row by row.

Rows are read one at a time (a file of any length never sits in memory) and each is issued on
its own: a bad row yields an error result and the next row goes on. Every row issues under an
idempotency key, its ``idempotency_key`` column or one derived from the achievement and the
row's content, so running the same file again after an interruption skips what was issued
(``replayed``) and finishes the rest. Two identical rows are one credential.

Columns (CSV header / JSON members): ``recipient`` (required), ``recipient_type`` (``email``,
``url``, ``telephone``, ``id``), ``hashed`` (``true``/``false``), ``name`` (for personalised
images), ``evidence`` (a URL; JSON Lines also a list of evidence objects), ``narrative``,
``valid_until`` (ISO 8601 with a time zone), ``idempotency_key``, ``credential_id``. Unknown
columns are an error for that row.
"""

from __future__ import annotations

import csv
import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Final, Literal

from badgekiln._datetimes import parse_aware
from badgekiln.errors import BadgeKilnError, InputTooLarge, InvalidField, MalformedPayload
from badgekiln.issue.credentials import Issued, issue_credential
from badgekiln.issue.records import dump
from badgekiln.store.base import Store
from badgekiln.strictjson import loads_strict

__all__ = [
    "COLUMNS",
    "MAX_LINE_CHARS",
    "MAX_ROWS",
    "OPTIONS",
    "BatchRow",
    "BatchSummary",
    "RowResult",
    "issue_batch",
    "read_rows",
]

COLUMNS: Final = frozenset(
    {
        "recipient",
        "recipient_type",
        "hashed",
        "name",
        "evidence",
        "narrative",
        "valid_until",
        "idempotency_key",
        "credential_id",
    }
)
#: Longest line (characters): a row is a recipient and a few short texts, not a document.
MAX_LINE_CHARS: Final = 64 * 1024
#: Most rows in one batch; a bigger job is several batches (and the loop stays bounded).
MAX_ROWS: Final = 1_000_000
#: Most rows issued at once with ``workers`` > 1 (results still come out in input order).
MAX_WORKERS: Final = 16
#: Issuing options a batch passes on to every row's :func:`~badgekiln.issue.credentials.issue_credential`.
OPTIONS: Final = frozenset({"spec", "proof", "algorithm", "signed", "image", "personalise"})


@dataclass(frozen=True)
class BatchRow:
    """One input row: its ``line`` number (1-based, data rows) and its fields, or why it is bad."""

    line: int
    fields: Mapping[str, Any] = field(default_factory=dict)
    error: BadgeKilnError | None = None


@dataclass(frozen=True)
class RowResult:
    """What happened to one row: ``issued`` (the credential) or ``error``."""

    line: int
    idempotency_key: str | None
    issued: Issued | None = None
    error: BadgeKilnError | None = None

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
                    "replayed": self.issued.replayed,
                }
            )
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
        self.rows += 1
        if result.error is not None:
            self.failed += 1
        elif result.issued is not None and result.issued.replayed:
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


def read_rows(source: IO[str], *, fmt: Literal["csv", "jsonl"]) -> Iterator[BatchRow]:
    """Stream the rows of ``source`` (text, opened with ``newline=""`` for CSV).

    Blank JSON Lines are skipped. A row that cannot be read becomes a :class:`BatchRow` with
    ``error`` (``MalformedPayload``, ``InputTooLarge``), and reading goes on.

    Raises:
        InvalidField: (``field="columns"``) a CSV header without ``recipient`` or with unknown
            columns (no row could be read).
        InputTooLarge: more than :data:`MAX_ROWS` rows.
    """
    if fmt == "jsonl":
        yield from _jsonl(source)
    elif fmt == "csv":
        yield from _csv(source)
    else:
        raise ValueError("fmt must be 'csv' or 'jsonl'")


def _jsonl(source: IO[str]) -> Iterator[BatchRow]:
    return _rows(_lines(source), _json_row)


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


def _csv(source: IO[str]) -> Iterator[BatchRow]:
    lines = _lines(source)
    header_line = next(lines, None)
    if header_line is None:
        return
    if header_line == _TOO_LONG:
        raise InvalidField(f"the CSV header is longer than {MAX_LINE_CHARS} characters", field="columns")
    header = next(csv.reader([header_line]))
    columns = [c.strip() for c in header]
    unknown = sorted(set(columns) - COLUMNS)
    if "recipient" not in columns or unknown or len(set(columns)) != len(columns):
        raise InvalidField(
            f"the CSV header must name a 'recipient' column and only known columns "
            f"({', '.join(sorted(COLUMNS))}), each once; found {', '.join(columns)[:200]}",
            field="columns",
        )

    def row(number: int, line: str) -> BatchRow:
        try:
            values = next(csv.reader([line], strict=True))
        except csv.Error as exc:
            return _malformed(number, f"is not valid CSV: {exc}")
        if len(values) != len(columns):
            return _malformed(number, f"has {len(values)} fields; the header names {len(columns)}")
        return BatchRow(number, {c: v for c, v in zip(columns, values, strict=True) if v != ""})

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


def _arguments(row: BatchRow, key_prefix: str) -> tuple[str, dict[str, Any]]:
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
    kwargs: dict[str, Any] = {"recipient": recipient}
    if "evidence" in fields:
        kwargs["evidence"] = fields["evidence"]
    if "narrative" in fields:
        kwargs["narrative"] = fields["narrative"]
    if "credential_id" in fields:
        kwargs["credential_id"] = fields["credential_id"]
    if "valid_until" in fields:
        try:
            kwargs["valid_until"] = parse_aware(str(fields["valid_until"]))
        except ValueError:
            raise InvalidField(
                f"row {row.line}: valid_until must be an ISO 8601 date-time with a time zone",
                field="valid_until",
                line=row.line,
            ) from None
    key = fields.get("idempotency_key")
    if key is None:
        key = _derived_key(key_prefix, {k: v for k, v in fields.items() if k != "idempotency_key"})
    elif not isinstance(key, str):
        raise InvalidField(
            f"row {row.line}: idempotency_key must be text", field="idempotency_key", line=row.line
        )
    return key, kwargs


def issue_batch(
    store: Store,
    issuer: str,
    achievement: str,
    rows: Iterable[BatchRow | Mapping[str, Any]],
    *,
    workers: int = 1,
    key_prefix: str | None = None,
    now: Callable[[], datetime] | None = None,
    **options: Any,
) -> Iterator[RowResult]:
    """Issue ``achievement`` of ``issuer`` for each row; yield one :class:`RowResult` per row, in order.

    ``rows`` are :class:`BatchRow` (from :func:`read_rows`) or plain mappings of the columns.
    ``options`` go to :func:`~badgekiln.issue.credentials.issue_credential` for every row
    (``spec``, ``proof``, ``algorithm``, ``signed``, ``image``, ``personalise``). Derived
    idempotency keys start with ``key_prefix`` (default ``batch:<issuer>:<achievement>``).
    With ``workers`` > 1 rows are issued concurrently, at most ``2 × workers`` in flight.

    Raises:
        ValueError: ``workers`` out of range, or an option that is not an issuing option.
        InvalidField, InputTooLarge: as :func:`read_rows`, for the source as a whole.
    """
    if set(options) - OPTIONS:
        raise ValueError(f"unknown option(s): {', '.join(sorted(set(options) - OPTIONS))}")
    if not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be between 1 and {MAX_WORKERS}")
    prefix = key_prefix or f"batch:{issuer}:{achievement}"

    def one(row: BatchRow) -> RowResult:
        if row.error is not None:
            return RowResult(row.line, None, error=row.error)
        key: str | None = None
        try:
            key, kwargs = _arguments(row, prefix)
            issued = issue_credential(
                store,
                issuer,
                achievement,
                idempotency_key=key,
                now=now() if now else None,
                **kwargs,
                **options,
            )
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
