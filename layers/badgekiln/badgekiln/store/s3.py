"""A store in an S3 bucket (any S3 endpoint: ``AWS_ENDPOINT_URL`` is honoured by boto3 itself).

Conditional writes are S3's own: ``If-None-Match: *`` for create-only, ``If-Match: <ETag>`` for
compare-and-swap (PutObject supports both since November 2024, DeleteObject ``If-Match`` too).
Many records are deleted at once with DeleteObjects (1,000 keys a request).
S3 answers a failed precondition with 412 ``PreconditionFailed`` and a write racing another
conditional write with 409 ``ConditionalRequestConflict``; both become
:class:`~badgekiln.errors.Conflict`, which :meth:`Store.update` retries with backoff.

The client is botocore's (:func:`badgekiln.awsclients.client`: the service data badgekiln ships),
made when a store is built without an injected one: boto3's own session adds only its resource and
transfer layers, which the store never uses, and importing it first cost ~50 ms of every S3
function's cold start (~150 ms of CPU on a busy development machine; bench/bench_coldstart.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from badgekiln.errors import Conflict, InvalidField, NotFound, StoreError
from badgekiln.extras import requires
from badgekiln.store.base import MAX_OBJECT_BYTES, ObjectInfo, ObjectRange, Store, StoredObject, Write

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import DeleteObjectRequestTypeDef, PutObjectRequestTypeDef

__all__ = ["S3Store"]
#: Keys per ListObjectsV2 page (S3's maximum): memory per page stays bounded.
_PAGE_SIZE = 1000
#: botocore's own retries cover throttling and dropped connections; our CAS loop covers races.
_CLIENT_RETRIES = 3

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}(?:/[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}){0,7}")
_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_MISSING_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
#: GetObject's Content-Range answer to a Range request: first and last byte, and the object's size.
_CONTENT_RANGE = re.compile(r"bytes ([0-9]+)-([0-9]+)/([0-9]+)")


def _default_client() -> S3Client:
    with requires("aws", "an s3:// store"):
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

    from badgekiln.awsclients import client

    config = Config(
        retries={"mode": "standard", "max_attempts": _CLIENT_RETRIES},
        max_pool_connections=32,
        connect_timeout=5,
        read_timeout=30,
    )
    try:
        return cast("S3Client", client("s3", config))
    except BotoCoreError as exc:
        raise StoreError(f"cannot set up the S3 client: {exc}", reason="config") from exc


def _headers(response: Mapping[str, Any]) -> dict[str, Any]:
    """The ETag and headers of a GetObject or HeadObject answer, as ObjectInfo fields."""
    return {
        "etag": response["ETag"],
        "content_type": response.get("ContentType", "binary/octet-stream"),
        "cache_control": response.get("CacheControl"),
        "metadata": MappingProxyType(dict(response.get("Metadata", {}))),
    }


def _range_size(content_range: str, start: int, got: int, length: int) -> int | None:
    """The object's size from GetObject's Content-Range, if the ``got`` bytes are the range from
    ``start`` asked for (at most ``length``); ``None`` if not."""
    found = _CONTENT_RANGE.fullmatch(content_range)
    if found is None or int(found[1]) != start or got != int(found[2]) - start + 1 or got > length:
        return None
    return int(found[3])


def _too_large(key: str) -> StoreError:
    return StoreError(
        f"object {key!r} is over the {MAX_OBJECT_BYTES}-byte limit",
        key=key,
        reason="too-large",
        limit=MAX_OBJECT_BYTES,
    )


class S3Store(Store):
    """Objects in ``bucket`` under an optional key ``prefix`` shared by all keys.

    Example::

        store = S3Store.from_url("s3://badges-example/prod")
        store.create("public/issuers/acme.json", b"{}", content_type="application/ld+json")
    """

    def __init__(self, bucket: str, prefix: str = "", *, client: S3Client | None = None) -> None:
        """Raises: InvalidField (``field="store"``) for a malformed bucket name or prefix."""
        if not _BUCKET.fullmatch(bucket) or ".." in bucket:
            raise InvalidField(f"{bucket[:80]!r} is not an S3 bucket name", field="store", reason="bucket")
        prefix = prefix.strip("/")
        if prefix and not (_PREFIX.fullmatch(prefix) and ".." not in prefix.split("/")):
            raise InvalidField(
                f"S3 key prefix {prefix[:80]!r} must be up to 8 segments of A-Z a-z 0-9 . _ -",
                field="store",
                reason="prefix",
            )
        self.bucket = bucket
        self.prefix = prefix
        self._root = f"{prefix}/" if prefix else ""
        self._client = client if client is not None else _default_client()

    @classmethod
    def from_url(cls, url: str, *, client: S3Client | None = None) -> S3Store:
        """A store for ``s3://bucket`` or ``s3://bucket/prefix``.

        Raises:
            InvalidField: (``field="store"``) not such a URL.
        """
        bad = InvalidField(f"{url[:80]!r} is not an s3://bucket/prefix URL", field="store", reason="url")
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # an unclosed IPv6 bracket in the host
            raise bad from exc
        if (
            parts.scheme != "s3"
            or not parts.hostname
            or parts.query
            or parts.fragment
            or "@" in parts.netloc
            or ":" in parts.netloc
        ):
            raise bad
        return cls(parts.netloc, parts.path, client=client)

    def __repr__(self) -> str:
        return f"S3Store('s3://{self.bucket}/{self.prefix}')"

    def _key_of(self, bucket: str, name: str) -> str | None:
        if bucket != self.bucket or not name.startswith(self._root):
            return None
        return name[len(self._root) :]

    # --- errors -----------------------------------------------------------------------------

    def _translate(self, exc: Exception, action: str, key: str, *, conditional: bool = False) -> StoreError:
        """Turn a botocore exception into ours (``conditional``: a missing object fails the condition)."""
        from botocore.exceptions import ClientError

        if not isinstance(exc, ClientError):
            return StoreError(f"S3 {action} of {key!r} failed: {exc}", key=key, reason="connection")
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "") or code)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _CONFLICT_CODES or status == 412:
            return Conflict(
                f"{key!r} changed or exists already ({code})", key=key, reason="precondition", aws_code=code
            )
        if code in _MISSING_CODES or (status == 404 and code != "NoSuchBucket"):
            if conditional:
                return Conflict(f"no object under {key!r} to replace", key=key, reason="gone", aws_code=code)
            return NotFound(f"no object under {key!r}", key=key, aws_code=code)
        return StoreError(
            f"S3 {action} of {key!r} failed: {code}: {message}", key=key, aws_code=code, status=status
        )

    # --- reads ------------------------------------------------------------------------------

    def _get(self, key: str) -> StoredObject:
        # StoreError: S3 failed (``aws_code`` gives its code) or the object is over the size cap
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._root + key)
            stream = response["Body"]
            try:
                if response.get("ContentLength", 0) > MAX_OBJECT_BYTES:
                    raise _too_large(key)
                body = stream.read(MAX_OBJECT_BYTES + 1)
            finally:
                stream.close()
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, "read", key) from exc
        if len(body) > MAX_OBJECT_BYTES:
            raise _too_large(key)
        return StoredObject(key=key, size=len(body), body=body, **_headers(response))

    def _get_range(self, key: str, start: int, length: int) -> ObjectRange:
        # GetObject with Range: S3 sends those bytes only and says the whole size in Content-Range;
        # a range from the end on is its 416 InvalidRange, answered from HeadObject (no bytes)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client.get_object(
                Bucket=self.bucket, Key=self._root + key, Range=f"bytes={start}-{start + length - 1}"
            )
            stream = response["Body"]
            try:
                body = stream.read(length + 1)
            finally:
                stream.close()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "InvalidRange":
                raise self._translate(exc, "read", key) from exc
            info = self._head(key)
            if start < info.size:  # the object grew between the two requests: ask again
                raise StoreError(
                    f"S3 refused bytes {start}– of {key!r} ({info.size} bytes)", key=key, reason="range"
                ) from exc
            return ObjectRange(**info.fields(), start=start, body=b"")
        except BotoCoreError as exc:
            raise self._translate(exc, "read", key) from exc
        size = _range_size(response.get("ContentRange", ""), start, len(body), length)
        if size is None and response.get("ContentLength") == 0 and not body:
            # a 200 with the whole object, as an endpoint may answer for an empty one
            size = 0
        if size is None:
            raise StoreError(
                f"S3 answered a range of {key!r} with other bytes ({response.get('ContentRange')!r})",
                key=key,
                reason="range",
            )
        return ObjectRange(key=key, size=size, start=start, body=body, **_headers(response))

    def _head(self, key: str) -> ObjectInfo:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client.head_object(Bucket=self.bucket, Key=self._root + key)
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, "head", key) from exc
        return ObjectInfo(key=key, size=response.get("ContentLength", 0), **_headers(response))

    def _list(self, prefix: str) -> Iterator[str]:
        return self._list_after(prefix, "")

    def _list_after(self, prefix: str, start_after: str) -> Iterator[str]:
        # 1000 keys per S3 request (memory per page stays bounded); StartAfter: S3 starts there
        from botocore.exceptions import BotoCoreError, ClientError

        paginator = self._client.get_paginator("list_objects_v2")
        where: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self._root + prefix}
        if start_after:
            where["StartAfter"] = self._root + start_after
        pages = paginator.paginate(**where, PaginationConfig={"PageSize": _PAGE_SIZE})
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(self._root) :]
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, "list", prefix) from exc

    # --- writes -----------------------------------------------------------------------------

    def _put(self, write: Write) -> str:
        # S3's answers: 412 PreconditionFailed or 409 ConditionalRequestConflict → Conflict, as is
        # a missing object under if_match; any other failure → StoreError with S3's aws_code
        from botocore.exceptions import BotoCoreError, ClientError

        params: PutObjectRequestTypeDef = {
            "Bucket": self.bucket,
            "Key": self._root + write.key,
            "Body": write.body,
            "ContentType": write.content_type,
            "Metadata": dict(write.metadata),
        }
        if write.cache_control is not None:
            params["CacheControl"] = write.cache_control
        if write.if_none_match:
            params["IfNoneMatch"] = "*"
        if write.if_match is not None:
            params["IfMatch"] = write.if_match
        try:
            response = self._client.put_object(**params)
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, "write", write.key, conditional=write.if_match is not None) from exc
        return response["ETag"]

    def _delete(self, key: str, if_match: str | None) -> None:
        # a missing object without if_match is not an error, as in S3
        from botocore.exceptions import BotoCoreError, ClientError

        params: DeleteObjectRequestTypeDef = {"Bucket": self.bucket, "Key": self._root + key}
        if if_match is not None:
            params["IfMatch"] = if_match
        try:
            self._client.delete_object(**params)
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, "delete", key, conditional=if_match is not None) from exc

    def _delete_many(self, keys: Sequence[str]) -> None:
        # DeleteObjects, up to 1,000 keys a request; S3 answers per key, so a partial failure
        # comes back in "Errors" of a 200 answer, not as an exception
        from botocore.exceptions import BotoCoreError, ClientError

        for start in range(0, len(keys), _PAGE_SIZE):
            chunk = keys[start : start + _PAGE_SIZE]
            try:
                response = self._client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self._root + key} for key in chunk], "Quiet": True},
                )
            except (BotoCoreError, ClientError) as exc:
                raise self._translate(exc, "delete", chunk[0]) from exc
            errors = response.get("Errors", [])
            if errors:
                first = errors[0]
                key = first.get("Key", "")[len(self._root) :]
                code = first.get("Code", "Unknown")
                raise StoreError(
                    f"S3 delete of {key!r} failed: {code}: {first.get('Message', code)} "
                    f"({len(errors)} of {len(chunk)} keys not deleted)",
                    key=key,
                    aws_code=code,
                    failed=len(errors),
                )

    # --- uploads ----------------------------------------------------------------------------

    def _presign_upload(self, key: str, content_type: str, max_bytes: int, expires: int) -> dict[str, Any]:
        # a presigned POST: S3 itself enforces the key, the Content-Type, the size range and expiry
        from botocore.exceptions import BotoCoreError

        try:
            form = self._client.generate_presigned_post(
                Bucket=self.bucket,
                Key=self._root + key,
                Fields={"Content-Type": content_type},
                Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
                ExpiresIn=expires,
            )
        except BotoCoreError as exc:
            raise StoreError(
                f"cannot presign an upload to {key!r}: {exc}", key=key, reason="presign"
            ) from exc
        return {"url": form["url"], "fields": dict(form["fields"])}
