"""Batches: streaming CSV / JSON Lines, per-row results and errors, resumable, in order."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badgekiln.errors import InputError, InputTooLarge, InvalidField, MalformedPayload
from badgekiln.issue import UPLOAD_ROUTE
from badgekiln.issue.batch import (
    MAX_LINE_CHARS,
    MAX_REQUEST_ROWS,
    BatchRow,
    BatchSummary,
    issue_batch,
    issue_request_batch,
    read_rows,
)
from badgekiln.store import LocalStore
from badgekiln.verification import verify
from tests.issue_support import names, public_documents, seed_acme

PUBLIC_URL = "https://badges.example.org"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("batch")
    store = LocalStore(str(root))
    seed_acme(store)
    return root


@pytest.fixture
def store(seeded: Path, tmp_path: Path) -> LocalStore:
    shutil.copytree(seeded, tmp_path / "s")
    return LocalStore(str(tmp_path / "s"))


CSV = '''recipient,name,evidence,narrative,idempotency_key
ada@example.org,Ada,https://ada.example/work,Led the team,row-1
not-an-email,Bob,,,row-2
cy@example.org,Cy,ftp://bad,,row-3
"dee@example.org","Dee, Jr.",,"Said ""hi""",row-4
'''


def run(
    store: LocalStore, rows: Any, *, workers: int = 1, key_prefix: str | None = None, **options: Any
) -> tuple[list[dict[str, Any]], BatchSummary]:
    summary = BatchSummary()
    out = []
    batch = {"achievement": "teamwork", **options}
    for result in issue_batch(store, "acme", batch, rows, workers=workers, key_prefix=key_prefix):
        summary.add(result)
        out.append(result.to_dict())
    return out, summary


def test_csv_rows_issue_or_fail_on_their_own(store: LocalStore) -> None:
    results, summary = run(store, read_rows(io.StringIO(CSV, newline=""), fmt="csv"))
    assert [r["line"] for r in results] == [1, 2, 3, 4]
    assert [r["ok"] for r in results] == [True, False, False, True]
    assert results[1]["error"]["code"] == "invalid-field"
    assert results[1]["error"]["field"] == "recipient.identity"
    assert results[2]["error"]["field"] == "evidence.0.id"
    # every failing field as the API lists them: JSON objects, not a Python repr string
    assert results[1]["error"]["errors"][0]["loc"] == ["recipient", "identity"]
    assert {"loc", "type", "msg"} == set(results[1]["error"]["errors"][0])
    assert json.loads(json.dumps(results[1]))["error"] == results[1]["error"]
    assert summary.to_dict() == {"rows": 4, "issued": 2, "replayed": 0, "failed": 2}
    documents = public_documents(store, PUBLIC_URL)
    for result, who in ((results[0], "ada@example.org"), (results[3], "dee@example.org")):
        stored = store.get("public/" + result["public_url"][len(PUBLIC_URL) + 1 :]).body
        assert verify(stored, documents=documents, offline=True, recipient=who).valid
    narrative = json.loads(store.get("public/" + results[3]["public_url"][len(PUBLIC_URL) + 1 :]).body)
    assert narrative["credentialSubject"]["narrative"] == 'Said "hi"'


def test_running_the_file_again_resumes(store: LocalStore) -> None:
    # GIVEN a batch interrupted after two rows
    partial = issue_batch(
        store, "acme", {"achievement": "teamwork"}, read_rows(io.StringIO(CSV, newline=""), fmt="csv")
    )
    first = [next(partial), next(partial)]
    partial.close()
    # WHEN the whole file runs again  THEN issued rows are replayed, the rest issued, none twice
    results, summary = run(store, read_rows(io.StringIO(CSV, newline=""), fmt="csv"))
    assert results[0]["replayed"] is True
    assert results[0]["id"] == first[0].issued.id
    assert results[3]["replayed"] is False
    assert summary.to_dict() == {"rows": 4, "issued": 1, "replayed": 1, "failed": 2}
    assert len(names(store, "private/issuers/acme/credentials/")) == 2


def test_derived_keys_make_identical_rows_one_credential(store: LocalStore) -> None:
    text = "recipient\nada@example.org\nbob@example.org\nada@example.org\n"
    results, summary = run(store, read_rows(io.StringIO(text, newline=""), fmt="csv"))
    assert results[0]["id"] == results[2]["id"]
    assert results[2]["replayed"] is True
    assert results[0]["idempotency_key"].startswith("batch:acme:teamwork:")
    assert summary.issued == 2
    again, _ = run(store, read_rows(io.StringIO(text, newline=""), fmt="csv"), key_prefix="cohort-2")
    assert {r["replayed"] for r in again} == {False, True}  # a new prefix is a new batch


def test_json_lines(store: LocalStore) -> None:
    lines = [
        json.dumps(
            {"recipient": "ada@example.org", "evidence": [{"name": "Essay", "narrative": "Wrote it"}]}
        ),
        "",
        "{not json",
        "[1, 2]",
        json.dumps({"recipient": "bob@example.org", "hashed": False, "valid_until": "2099-01-01T00:00:00Z"}),
        json.dumps({"recipient": "cy@example.org", "recipient_email": "cy@example.org"}),
        json.dumps({"recipient": "dee@example.org", "valid_until": "tomorrow"}),
        json.dumps({"recipient": "eve@example.org", "hashed": "perhaps"}),
        "x" * (MAX_LINE_CHARS + 10),
        json.dumps({"recipient": "fay@example.org"}),
    ]
    results, summary = run(store, read_rows(io.StringIO("\n".join(lines) + "\n"), fmt="jsonl"))
    codes = [r["error"]["code"] if not r["ok"] else "ok" for r in results]
    assert codes == [
        "ok",
        "malformed-payload",
        "malformed-payload",
        "ok",
        "invalid-field",
        "invalid-field",
        "invalid-field",
        "input-too-large",
        "ok",
    ]
    assert [r["line"] for r in results] == list(range(1, 10))
    assert summary.failed == 6
    bob = json.loads(store.get("public/" + results[3]["public_url"][len(PUBLIC_URL) + 1 :]).body)
    assert bob["credentialSubject"]["identifier"][0]["identityHash"] == "bob@example.org"
    assert bob["validUntil"] == "2099-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("line", "error", "reason"),
    [
        ("[" * 5000, InputTooLarge, "depth"),
        ('{"recipient": "\\ud800@example.org"}', MalformedPayload, "utf-8"),
        ('{"recipient": "ada@example.org", "name": "\\udfff"}', MalformedPayload, "utf-8"),
        ('{"recipient": "ada@example.org", "recipient": "b@example.org"}', MalformedPayload, "duplicate-key"),
        ('{"recipient": "ada@example.org", "hashed": NaN}', MalformedPayload, "json"),
    ],
    ids=["deep", "surrogate-recipient", "surrogate-name", "duplicate-key", "nan"],
)
def test_hostile_json_lines_fail_alone(store: LocalStore, line: str, error: type, reason: str) -> None:
    text = line + "\n" + json.dumps({"recipient": "fay@example.org"}) + "\n"
    rows = list(read_rows(io.StringIO(text), fmt="jsonl"))
    assert isinstance(rows[0].error, error)
    assert (rows[0].error.reason, rows[0].error.details["line"]) == (reason, 1)
    assert "url" not in rows[0].error.details
    results, summary = run(store, rows)
    assert [r["ok"] for r in results] == [False, True]
    assert summary.failed == 1


@pytest.mark.parametrize(
    "until", ["9999-12-31T23:59:59-01:00", "2099-01-01T00:00:00", "0001-01-01T00:00:00+05:00"]
)
def test_a_valid_until_beyond_utc_or_without_a_zone_fails_its_row_alone(
    store: LocalStore, until: str
) -> None:
    # the row's date used to end the whole batch with a ValueError/OverflowError traceback
    text = json.dumps({"recipient": "ada@example.org", "valid_until": until}) + "\n"
    text += json.dumps({"recipient": "fay@example.org"}) + "\n"
    results, summary = run(store, read_rows(io.StringIO(text), fmt="jsonl"))
    assert [r["ok"] for r in results] == [False, True]
    assert results[0]["error"]["code"] == "invalid-field"
    assert summary.failed == 1


def test_rows_are_read_as_they_are_issued(store: LocalStore) -> None:
    read: list[int] = []

    def source() -> Iterator[dict[str, str]]:
        for n in range(5):
            read.append(n)
            yield {"recipient": f"r{n}@example.org"}

    results = issue_batch(store, "acme", {"achievement": "teamwork"}, source())
    next(results)
    assert read == [0]  # streaming: the rest is not read yet
    assert len(list(results)) == 4


def test_workers_keep_input_order(store: LocalStore) -> None:
    rows = [{"recipient": f"r{n}@example.org"} if n != 3 else {"recipient": "bad"} for n in range(12)]
    results, summary = run(store, rows, workers=4)
    assert [r["line"] for r in results] == list(range(1, 13))
    assert summary.to_dict() == {"rows": 12, "issued": 11, "replayed": 0, "failed": 1}
    assert len(names(store, "private/issuers/acme/credentials/")) == 11


def test_options_apply_to_every_row(store: LocalStore) -> None:
    results, _ = run(store, [BatchRow(1, {"recipient": "ada@example.org"})], spec="ob2", signed=True)
    assert results[0]["id"].startswith("urn:uuid:")
    with pytest.raises(InvalidField) as caught:  # a batch's options are checked before any row
        run(store, [BatchRow(1, {"recipient": "ada@example.org"})], recipient="x")
    assert caught.value.details["field"] == "recipient"
    with pytest.raises(InvalidField) as caught:
        run(store, [BatchRow(1, {"recipient": "ada@example.org"})], spec="ob9")
    assert caught.value.details["field"] == "spec"
    with pytest.raises(ValueError, match="workers"):
        run(store, [], workers=0)


@pytest.mark.parametrize(
    "header",
    [
        "name,evidence",
        "recipient,recipient",
        "email,Recipient",
        "Name,First Name,email",
        "first_name,email,Given Name",
        "",
        "recipient," * MAX_LINE_CHARS,
        'recipient,"unterminated',
    ],
    ids=[
        "no-recipient",
        "twice",
        "two-recipients",
        "name-and-part",
        "two-first-names",
        "empty",
        "too-long",
        "bad-csv",
    ],
)
def test_bad_csv_headers(header: str) -> None:
    rows = read_rows(io.StringIO(header + "\nada@example.org\n", newline=""), fmt="csv")
    with pytest.raises(InvalidField) as caught:
        list(rows)
    assert caught.value.details["field"] == "columns"
    assert "\x00" not in caught.value.message


def test_an_empty_file_has_no_rows() -> None:
    assert list(read_rows(io.StringIO(""), fmt="csv")) == []
    assert list(read_rows(io.StringIO("\n\n"), fmt="jsonl")) == []


def test_csv_row_errors() -> None:
    text = 'recipient,name\nada@example.org\n"unterminated,x\nbob@example.org,Bob\n'
    rows = list(read_rows(io.StringIO(text, newline=""), fmt="csv"))
    assert isinstance(rows[0].error, MalformedPayload)  # one field for two columns
    assert rows[-1].fields == {"recipient": "bob@example.org", "name": "Bob"}
    long_line = "recipient\n" + "a" * (MAX_LINE_CHARS + 1) + "\nok@example.org\n"
    rows = list(read_rows(io.StringIO(long_line, newline=""), fmt="csv"))
    assert isinstance(rows[0].error, InputTooLarge)
    assert rows[1].fields == {"recipient": "ok@example.org"}


def test_a_batch_sent_in_a_request(store: LocalStore) -> None:
    body = b"\xef\xbb\xbfrecipient\nada@example.org\nnope\n"  # a BOM is fine
    outcome = issue_request_batch(store, "acme", {"achievement": "teamwork"}, body, media_type="text/csv")
    assert outcome.summary.to_dict() == {"rows": 2, "issued": 1, "replayed": 0, "failed": 1}
    assert [r["ok"] for r in outcome.to_dict()["results"]] == [True, False]


def test_a_batch_sent_in_a_request_is_bounded_and_checked_first(store: LocalStore) -> None:
    rows = "".join(f'{{"recipient": "u{n}@example.org"}}\n' for n in range(MAX_REQUEST_ROWS + 1))
    with pytest.raises(InputTooLarge) as too_many:
        issue_request_batch(
            store, "acme", {"achievement": "teamwork"}, rows.encode(), media_type="application/jsonl"
        )
    assert (too_many.value.details["limit"], too_many.value.details["upload"]) == (
        MAX_REQUEST_ROWS,
        UPLOAD_ROUTE,
    )
    with pytest.raises(InputError) as not_text:
        issue_request_batch(
            store, "acme", {"achievement": "teamwork"}, b"recipient\n\xff\n", media_type="text/csv"
        )
    assert not_text.value.reason == "utf-8"
    # the options are the request's error, before the body is even decoded
    with pytest.raises(InvalidField) as bad:
        issue_request_batch(
            store, "acme", {"achievement": "teamwork", "spec": "ob9"}, b"\xff", media_type="text/csv"
        )
    assert bad.value.details["field"] == "spec"
    with pytest.raises(ValueError, match="media_type"):
        issue_request_batch(store, "acme", {"achievement": "teamwork"}, b"", media_type="text/plain")
    assert names(store, "private/issuers/acme/credentials/") == []


@pytest.mark.parametrize(
    ("header", "values", "fields"),
    [
        ("email,first_name,last_name", "ada@example.org,Ada,Lovelace", {"name": "Ada Lovelace"}),
        ("Recipient,Name", "ada@example.org,Ada Lovelace", {"name": "Ada Lovelace"}),
        ("E-mail,First Name,Last Name", "ada@example.org, Ada , Lovelace", {"name": "Ada Lovelace"}),
        ("EMAIL ADDRESS,Surname", "ada@example.org,Lovelace", {"name": "Lovelace"}),
        ("email,Given_Name,Family-Name", "ada@example.org,Ada,", {"name": "Ada"}),
        ("recipient_email,Full Name,Expires", "ada@example.org,Ada L,2099-01-01T00:00:00Z",
         {"name": "Ada L", "valid_until": "2099-01-01T00:00:00Z"}),
        ("email,Identity Type,Evidence URL", "ada@example.org,email,https://e.example/1",
         {"recipient_type": "email", "evidence": "https://e.example/1"}),
    ],
)  # fmt: skip
def test_csv_column_aliases(header: str, values: str, fields: dict[str, str]) -> None:
    rows = list(read_rows(io.StringIO(f"{header}\n{values}\n", newline=""), fmt="csv"))
    assert [row.error for row in rows] == [None]
    assert rows[0].fields == {"recipient": "ada@example.org", **fields}


def test_unknown_columns_are_ignored_and_reported_once() -> None:
    heard: list[list[str]] = []
    text = "Department,email,Notes\nSales,ada@example.org,hi\nOps,bob@example.org,\n"
    rows = list(
        read_rows(io.StringIO(text, newline=""), fmt="csv", on_ignored=lambda n: heard.append(list(n)))
    )
    assert [row.fields for row in rows] == [
        {"recipient": "ada@example.org"},
        {"recipient": "bob@example.org"},
    ]
    assert heard == [["Department", "Notes"]]
    heard.clear()
    lines = [
        {"Email": "ada@example.org", "team": "a"},
        {"recipient": "bob@example.org", "team": "b", "desk": 4},
        {"e-mail": "cy@example.org", "First Name": "Cy", "LAST_NAME": "Young"},
        {"email": "dee@example.org", "recipient": "dee@example.org"},
        {"email": "eve@example.org", "first_name": 1},
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    rows = list(read_rows(io.StringIO(text), fmt="jsonl", on_ignored=lambda n: heard.append(list(n))))
    assert heard == [["team"], ["desk"]]
    assert rows[0].fields == {"recipient": "ada@example.org"}
    assert rows[2].fields == {"recipient": "cy@example.org", "name": "Cy Young"}
    assert isinstance(rows[3].error, InvalidField)
    assert (rows[3].error.reason, rows[3].error.details["line"]) == ("ambiguous", 4)
    assert isinstance(rows[4].error, InvalidField)
    assert rows[4].error.details["field"] == "name"


def test_an_ambiguous_header_names_both_columns() -> None:
    with pytest.raises(InvalidField) as caught:
        list(read_rows(io.StringIO("email,Recipient\nx@example.org,y@example.org\n", newline=""), fmt="csv"))
    assert caught.value.message == (
        "the CSV header has both 'email' and 'Recipient' for recipient; keep one of them"
    )
    assert caught.value.reason == "ambiguous"
    with pytest.raises(InvalidField) as caught:
        list(read_rows(io.StringIO("Name,email,Last Name\n", newline=""), fmt="csv"))
    assert (
        caught.value.message
        == "the CSV header has both 'Name' and 'Last Name' for the name; keep one of them"
    )
    with pytest.raises(InvalidField) as caught:
        list(read_rows(io.StringIO("Department,Notes\n", newline=""), fmt="csv"))
    assert caught.value.reason == "no-recipient"
    assert "found 'Department', 'Notes'" in caught.value.message
