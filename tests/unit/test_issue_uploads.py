"""badgekiln.issue.uploads: job records, key parsing, whole-file failures and resumable runs.

The presigned POST itself needs S3 (tests/integration/test_issue_handler.py, e2e); here a local
store stands in, with the uploaded file written where the form would put it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from badgekiln.errors import InvalidField, NotFound, StoreError
from badgekiln.issue import uploads as up
from badgekiln.store import LocalStore, Store
from tests.issue_support import seed_acme

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>'
ID = "0123456789abcdef0123456789abcdef"


class PresigningStore(LocalStore):
    """A local store that hands out a fake form, as S3Store.presign_upload would."""

    def _presign_upload(self, key: str, content_type: str, max_bytes: int, expires: int) -> dict[str, Any]:
        return {"url": "https://s3.example/bucket", "fields": {"key": key, "Content-Type": content_type}}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    target = PresigningStore(tmp_path / "store")
    seed_acme(target, SVG)
    return target


def uploaded(store: Store, body: bytes, fmt: str = "csv", **options: Any) -> str:
    upload = up.start_upload(store, "acme", {"achievement": "teamwork", "format": fmt, **options})
    assert upload.fields["key"] == up.upload_key("acme", upload.id)
    store.put(upload.fields["key"], body, content_type=upload.fields["Content-Type"])
    return str(upload.fields["key"])


def test_keys_round_trip() -> None:
    assert up.upload_key("acme", ID) == f"private/uploads/acme/{ID}.upload"
    assert up.job_key("acme", ID) == f"private/uploads/acme/{ID}.json"
    assert up.results_key("acme", ID) == f"private/uploads/acme/{ID}.results.jsonl"
    assert up.parse_upload_key(up.upload_key("acme", ID)) == ("acme", ID)


@pytest.mark.parametrize(
    "key",
    [
        f"private/uploads/acme/{ID}.json",
        f"private/uploads/acme/{ID}.results.jsonl",
        f"private/uploads/ACME/{ID}.upload",
        "private/uploads/acme/xyz.upload",
        f"private/uploads/acme/sub/{ID}.upload",
        f"public/uploads/acme/{ID}.upload",
        f"private/uploads/{ID}.upload",
        "",
    ],
)
def test_other_keys_are_not_uploads(key: str) -> None:
    with pytest.raises(InvalidField) as caught:
        up.parse_upload_key(key)
    assert caught.value.details["field"] == "key"


def test_start_records_a_waiting_job(store: Store) -> None:
    upload = up.start_upload(store, "acme", {"achievement": "teamwork", "format": "jsonl", "spec": "ob2"})
    job = up.get_upload(store, "acme", upload.id)
    assert {k: job[k] for k in ("state", "achievement", "format", "options")} == {
        "state": "waiting",
        "achievement": "teamwork",
        "format": "jsonl",
        "options": {"spec": "ob2"},
    }
    assert upload.fields["Content-Type"] == "application/jsonl"
    assert upload.summary() == {
        "upload": upload.id,
        "url": "https://s3.example/bucket",
        "fields": dict(upload.fields),
        "content_type": "application/jsonl",
        "expires_in": up.UPLOAD_EXPIRES,
        "status": f"/issuers/acme/uploads/{upload.id}",
    }


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"format": "xlsx"}, InvalidField, "format"),
        ({"format": "csv", "recipient": "x"}, InvalidField, "recipient"),
        ({"format": "csv", "spec": "ob4"}, InvalidField, "spec"),
        ({"format": "csv", "achievement": "nope"}, NotFound, None),
        ({"format": "csv", "issuer": "nobody"}, NotFound, None),
    ],
)
def test_start_refuses(
    store: Store, kwargs: dict[str, Any], error: type[Exception], field: str | None
) -> None:
    issuer = kwargs.pop("issuer", "acme")
    with pytest.raises(error) as caught:
        up.start_upload(store, issuer, {"achievement": "teamwork", **kwargs})
    if field is not None:
        assert caught.value.details["field"] == field  # type: ignore[attr-defined]


def test_a_local_directory_store_cannot_presign(tmp_path: Path) -> None:
    plain = LocalStore(tmp_path / "plain")
    seed_acme(plain, SVG)
    with pytest.raises(StoreError) as caught:
        up.start_upload(plain, "acme", {"achievement": "teamwork", "format": "csv"})
    assert caught.value.reason == "presign-unsupported"


def test_rows_are_issued_with_options_and_a_finished_job_is_not_run_again(store: Store) -> None:
    key = uploaded(store, b'{"recipient": "a@example.org"}\n{"recipient": 5}\n', fmt="jsonl", spec="ob2")
    job = up.process_upload(store, key)
    assert (job["state"], job["summary"]) == ("done", {"rows": 2, "issued": 1, "replayed": 0, "failed": 1})
    results = [
        json.loads(line) for line in store.get(up.results_key(*up.parse_upload_key(key))).body.splitlines()
    ]
    assert results[0]["public_url"].startswith("https://badges.example.org/issuers/acme/assertions/")
    assert up.process_upload(store, key) == job


def test_an_interrupted_run_resumes_and_replays_what_was_issued(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = uploaded(store, b"recipient\na@example.org\nb@example.org\n")
    real_put = store.put

    def crash_on_results(target: str, body: bytes, **kwargs: Any) -> str:
        if target.endswith(".results.jsonl"):
            raise StoreError("S3 went away", reason="connection")
        return real_put(target, body, **kwargs)

    monkeypatch.setattr(store, "put", crash_on_results)
    with pytest.raises(StoreError):
        up.process_upload(store, key)
    assert up.get_upload(store, *up.parse_upload_key(key))["state"] == "running"
    monkeypatch.setattr(store, "put", real_put)
    job = up.process_upload(store, key)
    assert job["summary"] == {"rows": 2, "issued": 0, "replayed": 2, "failed": 0}


def test_a_row_the_store_failed_sends_the_job_round_again_until_the_last_run(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = uploaded(store, b"recipient\na@example.org\nb@example.org\n")
    real_create = store.create
    failing = [True]

    def throttled(target: str, body: bytes, **kwargs: Any) -> str:
        # S3 throttles the second row's credential record past botocore's retries
        issued = next(iter(store.list("private/issuers/acme/credentials/")), None)
        if failing[0] and "/credentials/" in target and issued is not None:
            raise StoreError("S3 read failed: SlowDown", key=target, aws_code="SlowDown")
        return real_create(target, body, **kwargs)

    monkeypatch.setattr(store, "create", throttled)
    # WHEN a delivery that is not the last meets it  THEN the job is not finished: the message comes back
    with pytest.raises(StoreError) as caught:
        up.process_upload(store, key, last=False)
    assert (caught.value.reason, caught.value.details["rows"]) == ("rows-failed", 1)
    assert up.get_upload(store, *up.parse_upload_key(key))["state"] == "running"
    # WHEN the next delivery finds S3 well  THEN every row is issued once
    failing[0] = False
    job = up.process_upload(store, key, last=False)
    assert job["summary"] == {"rows": 2, "issued": 1, "replayed": 1, "failed": 0}


def test_the_last_run_records_rows_the_store_failed(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    key = uploaded(store, b"recipient\na@example.org\n")

    def throttled(target: str, body: bytes, **kwargs: Any) -> str:
        raise StoreError("S3 write failed: SlowDown", key=target, aws_code="SlowDown")

    monkeypatch.setattr(store, "create", throttled)
    job = up.process_upload(store, key)  # last=True: the default outside the worker
    assert (job["state"], job["summary"]["failed"]) == ("done", 1)
    assert job["failures"][0]["error"]["code"] == "store-error"


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        (b"\xff\xfe not text", "invalid-field", "file"),
        (b"name\nAda\n", "invalid-field", "columns"),
        (b"recipient\n" + b"x@example.org\n" * (up.MAX_UPLOAD_ROWS + 1), "input-too-large", None),
    ],
    ids=["not-utf8", "bad-header", "too-many-rows"],
)
def test_unusable_files_fail_the_job(store: Store, body: bytes, code: str, detail: str | None) -> None:
    key = uploaded(store, body)
    job = up.process_upload(store, key)
    assert (job["state"], job["error"]["code"]) == ("failed", code)
    if detail is not None:
        assert job["error"]["field"] == detail
    assert "summary" not in job


def test_a_file_without_a_job_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        up.process_upload(store, up.upload_key("acme", ID))
