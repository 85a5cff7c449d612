"""A store in an S3 bucket (any S3 endpoint: ``AWS_ENDPOINT_URL`` is honoured by boto3 itself).

Conditional writes are S3's own: ``If-None-Match: *`` for create-only, ``If-Match: <ETag>`` for
compare-and-swap (PutObject supports both since November 2024, DeleteObject ``If-Match`` too).
S3 answers a failed precondition with 412 ``PreconditionFailed`` and a write racing another
conditional write with 409 ``ConditionalRequestConflict``; both become
:class:`~badgekiln.errors.Conflict`, which :meth:`Store.update` retries with backoff.

boto3 is imported only when a store is built without an injected client.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from badgekiln.errors import Conflict, InvalidField, NotFound, StoreError
from badgekiln.store.base import (
    MAX_OBJECT_BYTES,
    UPLOADS,
    ObjectInfo,
    Store,
    StoredObject,
    validate_etag,
    validate_headers,
    validate_key,
    validate_prefix,
    validate_write,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import DeleteObjectRequestTypeDef, PutObjectRequestTypeDef

__all__ = ["MAX_PRESIGN_SECONDS", "MAX_UPLOAD_BYTES", "S3Store"]

logger = logging.getLogger(__name__)

#: Largest batch file a presigned upload admits (bytes). Batches are read row by row, so this only
#: bounds storage cost and the run time of one batch.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
#: Longest validity of a presigned upload (seconds): long enough for a slow link, short enough
#: that a leaked form is soon useless.
MAX_PRESIGN_SECONDS = 3600
#: Keys per ListObjectsV2 page (S3's maximum): memory per page stays bounded.
_PAGE_SIZE = 1000
#: botocore's own retries cover throttling and dropped connections; our CAS loop covers races.
_CLIENT_RETRIES = 3

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}(?:/[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}){0,7}")
_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_MISSING_CODES = frozenset({"NoSuchKey", "NotFound", "404"})


def _default_client() -> S3Client:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    config = Config(
        retries={"mode": "standard", "max_attempts": _CLIENT_RETRIES},
        max_pool_connections=32,
        connect_timeout=5,
        read_timeout=30,
    )
    try:
        return boto3.client("s3", config=config)
    except BotoCoreError as exc:
        raise StoreError(f"cannot set up the S3 client: {exc}", reason="config") from exc


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

    def get(self, key: str) -> StoredObject:
        """The object under ``key``.

        Raises:
            InvalidField: ``key`` breaks the key rules.
            NotFound: nothing is stored under ``key``.
            StoreError: S3 failed (``aws_code`` gives its code) or the object is over the size cap.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        validate_key(key)
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._root + key)
            stream = response["Body"]
            try:
                if response.get("ContentLength", 0) > MAX_OBJECT_BYTES:
                    raise StoreError(
                        f"object {key!r} is over the {MAX_OBJECT_BYTES}-byte limit",
                        key=key,
                        reason="too-large",
                        limit=MAX_OBJECT_BYTES,
                    )
                body = stream.read(MAX_OBJECT_BYTES + 1)
            finally:
                stream.close()
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, "read", key) from exc
        if len(body) > MAX_OBJECT_BYTES:
            raise StoreError(
                f"object {key!r} is over the {MAX_OBJECT_BYTES}-byte limit",
                key=key,
                reason="too-large",
                limit=MAX_OBJECT_BYTES,
            )
        return StoredObject(
            key=key,
            etag=response["ETag"],
            size=len(body),
            content_type=response.get("ContentType", "binary/octet-stream"),
            cache_control=response.get("CacheControl"),
            metadata=MappingProxyType(dict(response.get("Metadata", {}))),
            body=body,
        )

    def head(self, key: str) -> ObjectInfo:
        """The object's ETag, size and headers.

        Raises:
            InvalidField: ``key`` breaks the key rules.
            NotFound: nothing is stored under ``key``.
            StoreError: S3 failed.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        validate_key(key)
        try:
            response = self._client.head_object(Bucket=self.bucket, Key=self._root + key)
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, "head", key) from exc
        return ObjectInfo(
            key=key,
            etag=response["ETag"],
            size=response.get("ContentLength", 0),
            content_type=response.get("ContentType", "binary/octet-stream"),
            cache_control=response.get("CacheControl"),
            metadata=MappingProxyType(dict(response.get("Metadata", {}))),
        )

    def list(self, prefix: str) -> Iterator[str]:
        """Yield the keys starting with ``prefix``, 1000 per S3 request.

        Keys in the bucket that break the key rules (written by something else) are skipped.

        Raises:
            InvalidField: ``prefix`` breaks the key rules.
            StoreError: S3 failed.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        validate_prefix(prefix)
        paginator = self._client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket, Prefix=self._root + prefix, PaginationConfig={"PageSize": _PAGE_SIZE}
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(self._root) :]
                    try:
                        validate_key(key)
                    except InvalidField:
                        logger.warning("skipping foreign S3 object %r", item["Key"][:200])
                        continue
                    yield key
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, "list", prefix) from exc

    # --- writes -----------------------------------------------------------------------------

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        """Store ``body`` under ``key``; return S3's ETag.

        Raises:
            InvalidField: the key, content type, cache control, metadata or ETag break their rules.
            InputTooLarge: ``body`` is over :data:`~badgekiln.store.base.MAX_OBJECT_BYTES`.
            Conflict: S3 answered 412 PreconditionFailed or 409 ConditionalRequestConflict, or the
                object ``if_match`` names is gone.
            StoreError: any other S3 failure (``aws_code`` gives S3's code).
        """
        from botocore.exceptions import BotoCoreError, ClientError

        meta = validate_write(
            key,
            body,
            content_type=content_type,
            cache_control=cache_control,
            metadata=metadata,
            if_match=if_match,
            if_none_match=if_none_match,
        )
        params: PutObjectRequestTypeDef = {
            "Bucket": self.bucket,
            "Key": self._root + key,
            "Body": body,
            "ContentType": content_type,
            "Metadata": dict(meta),
        }
        if cache_control is not None:
            params["CacheControl"] = cache_control
        if if_none_match:
            params["IfNoneMatch"] = "*"
        if if_match is not None:
            params["IfMatch"] = if_match
        try:
            response = self._client.put_object(**params)
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, "write", key, conditional=if_match is not None) from exc
        return response["ETag"]

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        """Delete ``key``; a missing object without ``if_match`` is not an error (as in S3).

        Raises:
            InvalidField: ``key`` or ``if_match`` break their rules.
            Conflict: ``if_match`` is not the stored ETag, or nothing is stored.
            StoreError: S3 failed.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        validate_key(key)
        params: DeleteObjectRequestTypeDef = {"Bucket": self.bucket, "Key": self._root + key}
        if if_match is not None:
            params["IfMatch"] = validate_etag(if_match)
        try:
            self._client.delete_object(**params)
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, "delete", key, conditional=if_match is not None) from exc

    # --- uploads ----------------------------------------------------------------------------

    def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires: int = 900
    ) -> dict[str, Any]:
        """A presigned POST form (``{"url", "fields"}``) for one upload of at most ``max_bytes``.

        S3 itself enforces the conditions: the object goes to ``key`` only, with this
        ``Content-Type`` only, between 1 and ``max_bytes`` bytes, within ``expires`` seconds.

        Raises:
            InvalidField: ``key`` is malformed or not under ``private/uploads/``, or the content
                type is malformed.
            ValueError: ``max_bytes`` or ``expires`` out of range (see :data:`MAX_UPLOAD_BYTES`,
                :data:`MAX_PRESIGN_SECONDS`).
            StoreError: the client could not sign (no credentials).
        """
        from botocore.exceptions import BotoCoreError

        validate_key(key)
        if not key.startswith(UPLOADS):
            raise InvalidField(
                f"uploads go under {UPLOADS!r}, not {key[:80]!r}", field="key", reason="namespace"
            )
        validate_headers(content_type, None, None)
        if not 1 <= max_bytes <= MAX_UPLOAD_BYTES:
            raise ValueError(f"max_bytes must be between 1 and {MAX_UPLOAD_BYTES}")
        if not 1 <= expires <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires must be between 1 and {MAX_PRESIGN_SECONDS} seconds")
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
