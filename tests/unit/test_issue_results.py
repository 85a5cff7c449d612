"""badgekiln.issue.results: a results file read a bounded window at a time, opaque cursors, the cap
on a record. Run on a local store and on S3 (moto in-process); bytes are counted through a store
that wraps the real one, never timed."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badgekiln.errors import Conflict, InvalidField, NotFound, StoreError
from badgekiln.issue import results as res
from badgekiln.issue.models import ResultsQuery
from badgekiln.store import LocalStore, ObjectInfo, ObjectRange, Store, StoredObject, Write
from tests.aws_support import mocked_aws

KEY = "private/uploads/acme/0123456789abcdef0123456789abcdef.results.jsonl"
OTHER = "private/uploads/acme/fedcba9876543210fedcba9876543210.results.jsonl"
BUCKET = "badgekiln-test"


class RangeCounting(Store):
    """``inner``, recording each ranged read (start, bytes) and each whole read."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.ranges: list[tuple[int, int]] = []
        self.whole: list[str] = []
        self.after_first_range: Any = None  # called once, after the first ranged read

    def _get(self, key: str) -> StoredObject:
        self.whole.append(key)
        return self.inner.get(key)

    def _get_range(self, key: str, start: int, length: int) -> ObjectRange:
        part = self.inner.get_range(key, start, length)
        self.ranges.append((start, len(part.body)))
        if self.after_first_range is not None:
            hook, self.after_first_range = self.after_first_range, None
            hook()
        return part

    def _head(self, key: str) -> ObjectInfo:
        return self.inner.head(key)

    def _put(self, write: Write) -> str:
        return self.inner.put(write.key, write.body, content_type=write.content_type)

    def _delete(self, key: str, if_match: str | None) -> None:
        self.inner.delete(key, if_match=if_match)

    def _list(self, prefix: str) -> Iterator[str]:
        return self.inner.list(prefix)

    def read(self) -> int:
        """Bytes read so far, and start counting again."""
        total = sum(size for _, size in self.ranges)
        self.ranges.clear()
        return total


@pytest.fixture(params=["local", "s3"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RangeCounting]:
    if request.param == "local":
        yield RangeCounting(LocalStore(tmp_path / "store"))
        return
    import boto3

    from badgekiln.store.s3 import S3Store

    with mocked_aws(monkeypatch):
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield RangeCounting(S3Store(BUCKET, "tenant", client=client))


def record(line: int, *, ok: bool | None = None, pad: int = 0) -> dict[str, Any]:
    """A result as the worker writes it (~330 bytes; every 7th row failed unless ``ok`` says)."""
    ok = line % 7 != 0 if ok is None else ok
    out: dict[str, Any] = {"line": line, "ok": ok, "idempotency_key": f"upload:0123456789abcdef:{line}"}
    if ok:
        out.update(
            {
                "id": f"urn:uuid:00000000-0000-4000-8000-{line:012d}",
                "public_url": f"https://badges.example.org/issuers/acme/credentials/c{line}.json",
                "verify_url": f"https://badges.example.org/v/acme/c{line}",
                "replayed": False,
            }
        )
    else:
        out["error"] = {"code": "invalid-field", "message": "recipient is not an e-mail address"}
    if pad:
        out["name"] = "x" * pad
    return out


def write(store: Store, records: list[dict[str, Any]], key: str = KEY) -> bytes:
    body = "".join(res.result_line(r) + "\n" for r in records).encode()
    store.put(key, body, content_type="application/jsonl")
    return body


def page(store: Store, key: str = KEY, **query: Any) -> tuple[list[dict[str, Any]], str | None]:
    return res.read_results(store, key, ResultsQuery.model_validate(query))


def every_page(
    store: Store, cursor: str | None = None, **query: Any
) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
    while True:
        rows, cursor = page(store, **query, **({"cursor": cursor} if cursor else {}))
        yield rows, cursor
        if cursor is None:
            return


# --- paging ---------------------------------------------------------------------------------------


def test_each_page_reads_a_bounded_window_never_the_file(store: RangeCounting) -> None:
    # GIVEN a results file of 6,000 rows (~2 MB)
    records = [record(n) for n in range(1, 6001)]
    body = write(store, records)
    assert len(body) > 1_500_000
    store.read()
    # WHEN it is paged through 100 rows at a time
    seen: list[dict[str, Any]] = []
    per_page: list[int] = []
    for rows, _ in every_page(store, limit=100):
        seen.extend(rows)
        per_page.append(store.read())
    # THEN every row comes once, in order; no page read the whole file, nor more than its own
    # rows and two windows (the row it stops before, the byte before its cursor)
    assert seen == records
    assert store.whole == []
    assert len(per_page) == 60
    row_bytes = max(len(res.result_line(r)) + 1 for r in records)
    assert max(per_page) <= 100 * row_bytes + 2 * res.RESULTS_WINDOW
    # and over the whole walk the file was read about once, not once per page
    assert sum(per_page) <= len(body) + 60 * (2 * res.RESULTS_WINDOW)


def test_a_filter_that_matches_little_ends_the_page_at_the_byte_budget(
    store: RangeCounting, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN 3,000 rows of which only the last failed, and a budget of 256 KiB a page
    monkeypatch.setattr(res, "RESULTS_PAGE_BYTES", 256 * 1024)
    records = [record(n, ok=n != 3000) for n in range(1, 3001)]
    body = write(store, records)
    store.read()
    # WHEN the failures are asked for
    pages = []
    for rows, cursor in every_page(store, ok=False, limit=10):
        pages.append((rows, cursor, store.read()))
    # THEN the short pages end at the budget with a cursor, and the last one holds the failure
    assert [rows for rows, _, _ in pages[:-1]] == [[]] * (len(pages) - 1)
    assert all(cursor is not None for _, cursor, _ in pages[:-1])
    assert pages[-1][:2] == ([records[-1]], None)
    assert max(read for _, _, read in pages) < 256 * 1024 + res.RESULTS_WINDOW + 1
    assert len(body) // (256 * 1024 + res.RESULTS_WINDOW) <= len(pages) <= len(body) // (256 * 1024) + 1


@pytest.mark.parametrize("ok", [True, False])
@pytest.mark.parametrize("limit", [1, 13, 1000])
def test_filters_across_window_boundaries(
    store: RangeCounting, monkeypatch: pytest.MonkeyPatch, ok: bool, limit: int
) -> None:
    # GIVEN windows of 1,000 bytes (rows straddle them) and a budget of 5 windows
    monkeypatch.setattr(res, "RESULTS_WINDOW", 1000)
    monkeypatch.setattr(res, "RESULTS_PAGE_BYTES", 5000)
    records = [record(n) for n in range(1, 121)]
    write(store, records)
    # WHEN one kind is paged through
    seen = [row for rows, _ in every_page(store, ok=ok, limit=limit) for row in rows]
    # THEN it is exactly those rows, in order
    assert seen == [r for r in records if r["ok"] is ok]


def test_rows_longer_than_a_window(store: RangeCounting, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(res, "RESULTS_WINDOW", 1000)
    monkeypatch.setattr(res, "RESULTS_PAGE_BYTES", 4000)
    records = [record(n, pad=3500 if n % 3 == 0 else 0) for n in range(1, 31)]
    write(store, records)
    pages = list(every_page(store, limit=4))
    assert [row for rows, _ in pages for row in rows] == records
    assert all(rows for rows, _ in pages)  # each page gets on by at least one row


def test_the_last_page_has_no_cursor(store: RangeCounting) -> None:
    records = [record(n) for n in range(1, 11)]
    write(store, records)
    assert page(store, limit=10) == (records, None)
    first, cursor = page(store, limit=5)
    assert first == records[:5]
    assert page(store, limit=5, cursor=cursor) == (records[5:], None)
    # the filter: a page ends at the next match, the last when no other row matches
    records = [record(n) for n in range(1, 21)]
    write(store, records)
    failed, cursor = page(store, ok=False, limit=1)
    assert failed == [records[6]]
    assert page(store, ok=False, limit=1, cursor=cursor) == ([records[13]], None)


def test_an_empty_results_file(store: RangeCounting) -> None:
    store.put(KEY, b"", content_type="application/jsonl")
    assert page(store) == ([], None)


def test_no_results_file_is_not_found(store: RangeCounting) -> None:
    with pytest.raises(NotFound):
        page(store)


# --- cursors --------------------------------------------------------------------------------------


def test_numeric_cursors_of_old_go_on_after_their_line(
    store: RangeCounting, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [record(n) for n in range(1, 2001)]
    write(store, records)
    assert page(store, cursor="5", limit=3)[0] == records[5:8]
    assert page(store, cursor="2000") == ([], None)
    # one far in is skipped to within the byte budget, then its opaque cursor goes on
    monkeypatch.setattr(res, "RESULTS_PAGE_BYTES", 100 * 1024)
    seen = [row for rows, _ in every_page(store, cursor="1500", limit=1000) for row in rows]
    assert seen == records[1500:]


def _opaque(cursor: str) -> tuple[int, int, str]:
    text = base64.urlsafe_b64decode(cursor[2:] + "=" * (-len(cursor[2:]) % 4)).decode()
    offset, after, check = text.split(".")
    return int(offset), int(after), check


def _forge(offset: int, after: int, check: str) -> str:
    return "r1" + base64.urlsafe_b64encode(f"{offset}.{after}.{check}".encode()).rstrip(b"=").decode()


def _refused(store: Store, cursor: str, key: str = KEY) -> InvalidField:
    # past the model (whose pattern would refuse some first): read_results checks for itself
    query = ResultsQuery.model_construct(cursor=cursor, ok=None, limit=100)
    with pytest.raises(InvalidField) as caught:
        res.read_results(store, key, query)
    assert (caught.value.details["field"], caught.value.reason) == ("cursor", "cursor")
    return caught.value


def test_a_cursor_is_opaque_and_bound_to_its_file(store: RangeCounting) -> None:
    # GIVEN two uploads' results and a cursor of the first
    records = [record(n) for n in range(1, 101)]
    body = write(store, records)
    write(store, [record(n, pad=5) for n in range(1, 101)], key=OTHER)
    _, cursor = page(store, limit=10)
    assert cursor is not None
    assert cursor.startswith("r1")
    offset, after, check = _opaque(cursor)
    assert (body[offset - 1 : offset], after) == (b"\n", 10)
    # THEN any change to it is refused: its offset, its line, its check
    for forged in (
        _forge(offset + 1, after, check),
        _forge(offset - 1, after, check),
        _forge(offset, after + 1, check),
        _forge(offset, after, "0" * 16),
        _forge(len(body) + 10, after, check),
    ):
        _refused(store, forged)
    # as is the cursor on another upload's results
    _refused(store, cursor, key=OTHER)
    # but it still works on its own
    assert page(store, limit=10, cursor=cursor)[0] == records[10:20]


def test_a_well_checked_cursor_must_still_point_at_a_row(store: RangeCounting) -> None:
    # a forger who recomputes the check reaches only a row of this file: another page of it
    records = [record(n) for n in range(1, 101)]
    body = write(store, records)
    etag = store.head(KEY).etag
    row_11 = body.index(b'{"line":11,')
    for after, first in ((10, 11), (11, 12), (0, 11)):
        cursor = _forge(row_11, after, res._check(KEY, etag, row_11, after))
        assert page(store, cursor=cursor, limit=1)[0] == [records[first - 1]]
    for offset, after in ((row_11 + 3, 10), (row_11 - 1, 10), (len(body), 100), (len(body) + 5, 100)):
        _refused(store, _forge(offset, after, res._check(KEY, etag, offset, after)))


def test_every_one_character_change_to_a_cursor_is_refused_or_changes_nothing(tmp_path: Path) -> None:
    # GIVEN a cursor into 100 rows
    store = LocalStore(tmp_path)
    write(store, [record(n) for n in range(1, 101)])
    _, cursor = page(store, limit=10)
    assert cursor is not None
    expected = page(store, limit=10, cursor=cursor)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # WHEN each of its characters is replaced by every other one (or dropped)
    refused: list[Any] = []
    for at in range(len(cursor)):
        for changed in [cursor[:at] + cursor[at + 1 :]] + [
            cursor[:at] + c + cursor[at + 1 :] for c in alphabet if c != cursor[at]
        ]:
            query = ResultsQuery.model_construct(cursor=changed, ok=None, limit=10)
            try:
                got = res.read_results(store, KEY, query)
            except InvalidField as exc:
                refused.append(exc.details["field"])
                continue
            # THEN it is refused, or (bits base64 drops at its end) it reads the very same page
            assert got == expected, changed
    assert set(refused) == {"cursor"}
    assert len(refused) > 60 * len(cursor)


@pytest.mark.parametrize(
    "garbage",
    [
        "r1",
        "r1!!",
        "r1" + "A" * 30,
        "x1" + _forge(10, 1, "0" * 16)[2:],
        "r1" + base64.urlsafe_b64encode(b"1.2").decode(),
        "abc",
        "1234567890",
    ],
)
def test_garbage_cursors_are_refused(store: RangeCounting, garbage: str) -> None:
    write(store, [record(n) for n in range(1, 11)])
    _refused(store, garbage)


def test_a_cursor_of_results_written_again_is_stale(store: RangeCounting) -> None:
    write(store, [record(n) for n in range(1, 101)])
    _, cursor = page(store, limit=10)
    assert cursor is not None
    write(store, [record(n, pad=1) for n in range(1, 101)])  # the same rows, other bytes
    _refused(store, cursor)


def test_results_written_again_while_a_page_is_read_conflict(
    store: RangeCounting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(res, "RESULTS_WINDOW", 1000)
    write(store, [record(n) for n in range(1, 101)])
    store.after_first_range = lambda: write(store, [record(n, pad=1) for n in range(1, 101)])
    with pytest.raises(Conflict) as caught:
        page(store, limit=50)
    assert caught.value.reason == "changed"


# --- damage and the cap on a record -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"line":1,"ok":true}\n{"line":2,"ok":true}',  # the last row has no end
        b'{"line":1,"ok":true}\nnot json\n',
        b'{"line":2,"ok":true}\n{"line":1,"ok":true}\n',  # out of order
        b'{"line":1,"ok":"yes"}\n',
        b'{"line":true,"ok":true}\n',
        b"[1]\n",
        b"[" * 100_000 + b"\n",  # longer than a row may be
        b"\n",
    ],
)
def test_a_damaged_results_file_is_a_store_error(store: RangeCounting, body: bytes) -> None:
    store.put(KEY, body, content_type="application/jsonl")
    with pytest.raises(StoreError) as caught:
        page(store, limit=1000)
    assert caught.value.reason == "corrupt"


def test_result_line_leaves_a_record_as_it_is() -> None:
    entry = record(3)
    assert json.loads(res.result_line(entry)) == entry
    assert "\n" not in res.result_line({**entry, "name": "a\nb"})


def test_result_line_cuts_a_record_over_the_cap_down() -> None:
    entry = {
        **record(7, ok=False),
        "name": "é" * 40_000,
        "error": {"code": "invalid-field", "message": "m" * 5000, "errors": ["x" * 2000] * 50},
    }
    line = res.result_line(entry)
    cut = json.loads(line)
    assert len(line.encode()) < res.MAX_RESULT_BYTES
    assert (cut["line"], cut["ok"], cut["idempotency_key"]) == (7, False, entry["idempotency_key"])
    assert cut["error"] == {"code": "invalid-field", "message": "m" * 200}
    assert cut["truncated"] == ["error", "name"]
