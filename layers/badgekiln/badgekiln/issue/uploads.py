"""Batches too big for one request: a presigned S3 upload, issued asynchronously by the worker.

::

    upload = start_upload(store, "acme", {"achievement": "teamwork", "format": "csv"})
    # the client POSTs the file to upload.url with upload.fields; S3 → SQS → the worker:
    process_upload(store, upload_key("acme", upload.id))
    get_upload(store, "acme", upload.id)["state"]                        # "done"

Objects, all under ``private/uploads/<issuer>/``:

==========================  ===================================================================
``<id>.json``               the job: achievement, format, issuing options, ``state``, summary,
                            the first failed rows (written when the upload is started)
``<id>.upload``             the uploaded file (CSV or JSON Lines); its creation is the S3 event
                            the worker runs on (the bucket notification filters on the suffix)
``<id>.results.jsonl``      one result per row (:meth:`~badgekiln.issue.batch.RowResult.to_dict`,
                            :mod:`~badgekiln.issue.results`)
==========================  ===================================================================

The results are read a page at a time through :func:`upload_results` (``GET`` the job's
``results`` path); a finished job sends ``Upload Completed`` (:mod:`~badgekiln.issue.events`).

``state`` goes ``waiting`` → ``running`` → ``done`` (every row has a result, each ``ok`` or not)
or ``failed`` (the file as a whole is unusable: not UTF-8, a bad CSV header, too many rows).
Rows are issued under idempotency keys derived from the upload id, so a run that is cut short
(a Lambda timeout, a redelivered message) is simply run again: rows already issued are replayed,
the rest are issued. A finished job is never run twice. A row that failed because the store or a
signer did (S3 or KMS throttling, 500s, timeouts past botocore's retries) is not a result but a
reason to run the job again: unless told the run is the ``last`` (the worker's last delivery),
the job stays ``running`` and :func:`process_upload` raises, so the message comes back (found by
fault injection, docs/reliability.md: such a row used to end the job as failed for good, and
uploading the file again would have issued every other row twice).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal
from urllib.parse import unquote_plus

from badgekiln.errors import (
    BadgeKilnError,
    Conflict,
    InputTooLarge,
    InvalidField,
    NotFound,
    SigningError,
    StoreError,
)
from badgekiln.hosting.layout import SLUG, check_slug
from badgekiln.issue import events
from badgekiln.issue.achievements import get_achievement
from badgekiln.issue.batch import BatchSummary, issue_batch, read_rows
from badgekiln.issue.issuers import get_issuer
from badgekiln.issue.models import IssueOptions, ResultsQuery, UploadRequest, parse
from badgekiln.issue.records import RECORD_HEADERS, dump, load, stamp
from badgekiln.issue.results import read_results, result_line
from badgekiln.store.base import UPLOADS, Store, StoredObject

__all__ = [
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_ROWS",
    "UPLOAD_SUFFIX",
    "UPLOAD_TYPES",
    "Notified",
    "Upload",
    "get_upload",
    "job_key",
    "parse_upload_key",
    "process_notification",
    "process_upload",
    "results_key",
    "results_path",
    "start_upload",
    "upload_key",
    "upload_results",
]

Format = Literal["csv", "jsonl"]
#: The Content-Type each format is uploaded with (pinned in the presigned policy).
UPLOAD_TYPES: Final[Mapping[Format, str]] = {"csv": "text/csv", "jsonl": "application/jsonl"}
#: Suffix of uploaded files: the S3 event notification fires on it only (not on results or jobs).
UPLOAD_SUFFIX: Final = ".upload"
#: Largest file accepted (bytes), enforced by S3 through the presigned policy. A row is a
#: recipient and a few short texts (~100 bytes), so 16 MiB holds far more than MAX_UPLOAD_ROWS.
MAX_UPLOAD_BYTES: Final = 16 * 1024 * 1024
#: Most rows in one upload. On S3 an issuance is ~10 object writes; with the worker's threads a
#: few thousand rows fit its 15-minute limit, and a cut-short run resumes where it stopped.
MAX_UPLOAD_ROWS: Final = 5_000
#: Failed rows copied into the job record (all of them are in the results file).
MAX_REPORTED_FAILURES: Final = 100
#: Seconds the presigned form stays usable.
UPLOAD_EXPIRES: Final = 900
#: S3 event records looked at per notification (S3 sends one; anything else is not S3's).
MAX_RECORDS: Final = 10
_ID: Final = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Upload:
    """A started upload: its ``id``, issuer and achievement slugs, format and options, and the
    presigned POST (``url`` and form ``fields``) the file goes to."""

    id: str
    issuer: str
    achievement: str
    format: Format
    options: Mapping[str, Any]
    created: str
    url: str
    fields: Mapping[str, str]

    @property
    def status_path(self) -> str:
        """Where the API reports the job's progress."""
        return f"/issuers/{self.issuer}/uploads/{self.id}"

    def summary(self) -> dict[str, Any]:
        """What the API answers: the form to POST the file with, and where to follow the job."""
        return {
            "upload": self.id,
            "url": self.url,
            "fields": dict(self.fields),
            "content_type": UPLOAD_TYPES[self.format],
            "expires_in": UPLOAD_EXPIRES,
            "status": self.status_path,
        }


def _base(issuer: str, upload_id: str) -> str:
    check_slug(issuer, field="issuer")
    if not isinstance(upload_id, str) or not _ID.fullmatch(upload_id):
        raise NotFound(f"no upload {str(upload_id)[:80]!r}", upload=str(upload_id)[:80])
    return f"{UPLOADS}{issuer}/{upload_id}"


def job_key(issuer: str, upload_id: str) -> str:
    """The store key of the job record."""
    return _base(issuer, upload_id) + ".json"


def upload_key(issuer: str, upload_id: str) -> str:
    """The store key the file is uploaded to."""
    return _base(issuer, upload_id) + UPLOAD_SUFFIX


def results_key(issuer: str, upload_id: str) -> str:
    """The store key of the per-row results (JSON Lines)."""
    return _base(issuer, upload_id) + ".results.jsonl"


def results_path(issuer: str, upload_id: str) -> str:
    """The API path of an upload's full results (:func:`upload_results`)."""
    return f"/issuers/{issuer}/uploads/{upload_id}/results"


def upload_results(
    store: Store, issuer: str, upload_id: str, query: ResultsQuery | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A page of a finished upload's per-row results, in row order: ``{"upload", "results",
    "next_cursor"}`` (``next_cursor`` ``None`` on the last page). Each result is a
    :meth:`~badgekiln.issue.batch.RowResult.to_dict`; ``query.ok`` keeps the successes or the
    failures only.

    A page reads a bounded part of the results file (:mod:`~badgekiln.issue.results`): when
    ``ok`` leaves it short it may end early, even empty, with a ``next_cursor`` to go on from.

    Raises:
        InvalidField: a bad ``query`` (``field`` names it), or a cursor these results did not
            give out (``field="cursor"``).
        NotFound: no such upload of that issuer.
        Conflict: (``reason="not-finished"``) the upload has no results yet; (``reason="changed"``)
            they were written again while the page was read.
        StoreError: the store failed, or the results file is damaged.
    """
    wanted = parse(ResultsQuery, query or {})
    job = get_upload(store, issuer, upload_id)
    try:
        page, cursor = read_results(store, results_key(issuer, upload_id), wanted)
    except NotFound:
        raise Conflict(
            f"upload {upload_id} has no results (it is {job.get('state')})", reason="not-finished"
        ) from None
    return {"upload": upload_id, "results": page, "next_cursor": cursor}


def parse_upload_key(key: str) -> tuple[str, str]:
    """``(issuer, upload id)`` of an uploaded file's store key.

    Raises:
        InvalidField: (``field="key"``) not the key of an uploaded file.
    """
    rest = key.removeprefix(UPLOADS) if isinstance(key, str) and key.startswith(UPLOADS) else ""
    issuer, _, name = rest.partition("/")
    upload_id = name.removesuffix(UPLOAD_SUFFIX)
    if name == upload_id or not (SLUG.fullmatch(issuer) and _ID.fullmatch(upload_id)):
        raise InvalidField(f"{str(key)[:120]!r} is not an uploaded batch file", field="key")
    return issuer, upload_id


def start_upload(
    store: Store, issuer: str, request: UploadRequest | Mapping[str, Any], *, now: datetime | None = None
) -> Upload:
    """Record a new upload job and presign the file's upload.

    ``request`` (an :class:`~badgekiln.issue.models.UploadRequest` or a mapping of it) names the
    achievement, which must exist, the file's format, and the issuing options for every row.

    Raises:
        NotFound: no such issuer or achievement.
        InvalidField: a bad format or option.
        StoreError: the store cannot presign uploads (``reason="presign-unsupported"``: a local
            directory store), or failed.
    """
    wanted = parse(UploadRequest, request)
    options = wanted.model_dump(include=set(IssueOptions.model_fields), exclude_defaults=True)
    record = get_issuer(store, issuer)
    found = get_achievement(store, record, wanted.achievement)
    upload_id, created = uuid.uuid4().hex, stamp(now or datetime.now(UTC))
    job = {
        "id": upload_id,
        "issuer": record.slug,
        "achievement": found["slug"],
        "format": wanted.format,
        "options": options,
        "state": "waiting",
        "created": created,
    }
    # the form first: a store that cannot presign (a local directory) leaves no job behind
    form = store.presign_upload(
        upload_key(record.slug, upload_id),
        content_type=UPLOAD_TYPES[wanted.format],
        max_bytes=MAX_UPLOAD_BYTES,
        expires=UPLOAD_EXPIRES,
    )
    store.create(job_key(record.slug, upload_id), dump(job), **RECORD_HEADERS)
    return Upload(
        upload_id, record.slug, found["slug"], wanted.format, options, created, form["url"], form["fields"]
    )


def get_upload(store: Store, issuer: str, upload_id: str) -> dict[str, Any]:
    """The job record of an upload (``state``, ``summary``, ``failures`` …).

    Raises:
        NotFound: no such upload of that issuer.
        StoreError: the store failed.
    """
    try:
        return load(store.get(job_key(issuer, upload_id)))
    except NotFound:
        raise NotFound(f"issuer {issuer!r} has no upload {upload_id!r}", upload=upload_id) from None


def _set(store: Store, key: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    def apply(current: StoredObject | None) -> bytes | None:
        if current is None:
            raise NotFound(f"upload job {key!r} disappeared", key=key)
        return dump({**load(current), **changes})

    return load(store.update(key, apply, **RECORD_HEADERS))


def _fail(store: Store, key: str, error: BadgeKilnError, when: datetime) -> dict[str, Any]:
    return _finished(_set(store, key, {"state": "failed", "error": error.to_dict(), "finished": stamp(when)}))


def _finished(job: dict[str, Any]) -> dict[str, Any]:
    """``job``, now done or failed, told to the subscribers (``Upload Completed``)."""
    detail = {
        "issuer": job.get("issuer"),
        "upload": job.get("id"),
        "achievement": job.get("achievement"),
        "state": job.get("state"),
        "summary": job.get("summary"),
        "error": job.get("error"),
        "results": job.get("results"),
    }
    events.publish([events.Event.of("Upload Completed", detail)])
    return job


def _transient(error: BadgeKilnError | None) -> bool:
    """A row error that running the row again may cure: the store or a signer failed, or the
    row's first run still holds its idempotency key."""
    if isinstance(error, Conflict):
        return error.reason == "in-progress"
    return isinstance(error, StoreError | SigningError) and not isinstance(error, NotFound)


def process_upload(
    store: Store, key: str, *, workers: int = 1, now: datetime | None = None, last: bool = True
) -> dict[str, Any]:
    """Issue every row of the uploaded file at ``key``; return the finished job record.

    A file that is unusable as a whole ends the job ``failed`` (returned, not raised: running it
    again cannot help). Row errors are results, except the store or a signer failing for a row
    when this run is not the ``last``: then the job stays ``running`` and StoreError is raised.
    A finished job is returned as it is.

    Raises:
        InvalidField: ``key`` is not an uploaded file's key.
        NotFound: no job for it (the object was not uploaded through :func:`start_upload`).
        StoreError, SigningError: the store or a signer failed before the results were saved, or
            (``last`` false; ``reason="rows-failed"``) for some rows (transient: run it again;
            rows already issued are replayed).
    """
    issuer, upload_id = parse_upload_key(key)
    jkey = job_key(issuer, upload_id)
    job = get_upload(store, issuer, upload_id)
    if job.get("state") in ("done", "failed"):
        return job
    when = now or datetime.now(UTC)
    fmt: Format = "jsonl" if job.get("format") == "jsonl" else "csv"
    body = store.get(key).body
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        error = InvalidField(
            f"the uploaded file is not UTF-8 (byte {exc.start})", field="file", offset=exc.start
        )
        return _fail(store, jkey, error, when)
    try:
        rows = list(itertools.islice(read_rows(io.StringIO(text, newline=""), fmt=fmt), MAX_UPLOAD_ROWS + 1))
    except (InvalidField, InputTooLarge) as exc:
        return _fail(store, jkey, exc, when)
    if len(rows) > MAX_UPLOAD_ROWS:
        too_many = InputTooLarge(
            f"an upload holds at most {MAX_UPLOAD_ROWS} rows; split the file", limit=MAX_UPLOAD_ROWS
        )
        return _fail(store, jkey, too_many, when)
    _set(store, jkey, {"state": "running", "started": stamp(when)})
    summary = BatchSummary()
    lines: list[str] = []
    failures: list[dict[str, Any]] = []
    batch = {**(job.get("options") or {}), "achievement": job.get("achievement")}
    results = list(issue_batch(store, issuer, batch, rows, workers=workers, key_prefix=f"upload:{upload_id}"))
    again = sum(1 for result in results if _transient(result.error))
    if again and not last:
        raise StoreError(
            f"{again} rows of upload {upload_id} met a store or signer failure; run it again",
            key=key,
            reason="rows-failed",
            rows=again,
        )
    for result in results:
        summary.add(result)
        entry = result.to_dict()
        lines.append(result_line(entry))
        if not result.ok and len(failures) < MAX_REPORTED_FAILURES:
            failures.append(entry)
    store.put(
        results_key(issuer, upload_id),
        ("\n".join(lines) + "\n").encode("utf-8") if lines else b"",
        content_type=UPLOAD_TYPES["jsonl"],
        cache_control=RECORD_HEADERS["cache_control"],
    )
    done = {
        "state": "done",
        "summary": summary.to_dict(),
        "failures": failures,
        "results": results_path(issuer, upload_id),
        "finished": stamp(datetime.now(UTC)),
    }
    return _finished(_set(store, jkey, done))


@dataclass(frozen=True)
class Notified:
    """What became of one object an S3 event notification named: the finished ``job``, or why
    it was ``dropped`` (retrying cannot change that)."""

    bucket: str | None
    name: str | None
    job: Mapping[str, Any] | None = None
    dropped: str | None = None


def _created(notification: Any) -> list[tuple[str, str]]:
    """``(bucket, name)`` of each ObjectCreated record (names unquoted: S3 writes a space as +)."""
    records = notification.get("Records") if isinstance(notification, dict) else None
    if not isinstance(records, list):
        return []
    found = []
    for record in records[:MAX_RECORDS]:
        if not isinstance(record, dict) or not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        s3 = record.get("s3")
        bucket = s3.get("bucket") if isinstance(s3, dict) else None
        name = s3.get("object") if isinstance(s3, dict) else None
        bucket = bucket.get("name") if isinstance(bucket, dict) else None
        name = name.get("key") if isinstance(name, dict) else None
        if isinstance(bucket, str) and isinstance(name, str):
            found.append((bucket, unquote_plus(name)))
    return found


def process_notification(
    store: Store, message: str, *, workers: int = 1, last: bool = True
) -> list[Notified]:
    """Issue every upload an S3 event notification (one SQS message's body) names (``last``:
    as :func:`process_upload`).

    What retrying cannot change is dropped and said so, not raised: a message that is not JSON
    (S3's ``s3:TestEvent`` names no object), objects of another bucket or outside the uploads,
    and objects not uploaded through :func:`start_upload`.

    Raises:
        StoreError, SigningError: transient: process the message again (rows already issued
            are replayed).
    """
    try:
        notification = json.loads(message)
    except ValueError:
        return [Notified(None, None, dropped="a message that is not JSON")]
    outcomes = []
    for bucket, name in _created(notification):
        key = store.key_of(bucket, name)
        if key is None or not key.endswith(UPLOAD_SUFFIX):
            outcomes.append(Notified(bucket, name, dropped="an event for another object"))
            continue
        try:
            job = process_upload(store, key, workers=workers, last=last)
        except (InvalidField, NotFound):
            outcomes.append(Notified(bucket, name, dropped="an event for an object no upload made"))
            continue
        outcomes.append(Notified(bucket, name, job=job))
    return outcomes
