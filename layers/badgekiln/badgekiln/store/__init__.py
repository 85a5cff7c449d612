"""Storage: one small interface (:class:`Store`), a local-directory and an S3 backend.

:class:`Store` checks every argument once and calls five backend primitives (``_get``, ``_head``,
``_put``, ``_delete``, ``_list``); a backend implements those only (see :mod:`badgekiln.store.base`).

Open a store from a URL with :func:`open_store`; build keys with :func:`public_path` and
:func:`private_path`. :class:`S3Store` (and with it boto3) loads only when asked for.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from badgekiln._lazy import lazy_exports
from badgekiln.errors import InvalidField
from badgekiln.store.base import (
    DEFAULT_RETRY,
    PRIVATE,
    PUBLIC,
    UPLOADS,
    ObjectInfo,
    ObjectRange,
    RetryPolicy,
    Store,
    StoredObject,
    Updater,
    Write,
    private_path,
    public_path,
    require_public,
)
from badgekiln.store.local import LocalStore

if TYPE_CHECKING:
    from badgekiln.store.s3 import S3Store

__all__ = [
    "DEFAULT_RETRY",
    "DEFAULT_STORE",
    "PRIVATE",
    "PUBLIC",
    "STORE_ENV",
    "UPLOADS",
    "LocalStore",
    "ObjectInfo",
    "ObjectRange",
    "RetryPolicy",
    "S3Store",
    "Store",
    "StoredObject",
    "Updater",
    "Write",
    "open_store",
    "private_path",
    "public_path",
    "require_public",
]

#: Environment variable naming the store when no URL is given.
STORE_ENV = "BADGEKILN_STORE"
#: The embedded default: a directory beside where the command runs.
DEFAULT_STORE = "./.badgekiln/store"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def open_store(url: str | None = None) -> Store:
    """The store ``url`` names; ``None`` means ``$BADGEKILN_STORE``, else ``./.badgekiln/store``.

    ``s3://bucket[/prefix]`` opens an :class:`S3Store` (honouring ``AWS_ENDPOINT_URL``);
    ``file:///abs/path``, ``/abs/path``, ``./rel/path`` or any scheme-less path a
    :class:`LocalStore`.

    Raises:
        InvalidField: (``field="store"``) an empty value, another scheme, or a malformed URL.
        StoreError: the S3 client cannot be set up.
    """
    if url is None:
        url = os.environ.get(STORE_ENV) or DEFAULT_STORE
    if not url.strip():
        raise InvalidField("the store location is empty", field="store")
    if url.startswith("s3://"):
        from badgekiln.store.s3 import S3Store

        return S3Store.from_url(url)
    if url.startswith("file:"):
        bad = InvalidField(f"{url[:80]!r} is not a file:///path URL", field="store", reason="url")
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # an unclosed IPv6 bracket in the host
            raise bad from exc
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment or not parts.path:
            raise bad
        return LocalStore(unquote(parts.path))
    if _SCHEME.match(url):
        raise InvalidField(
            f"unsupported store {url[:80]!r}: use s3://bucket/prefix, file:///path or a directory",
            field="store",
            reason="scheme",
        )
    return LocalStore(url)


# S3Store pulls botocore in on first use; keep `import badgekiln.store` cheap.
__getattr__, __dir__ = lazy_exports(globals(), {"S3Store": "badgekiln.store.s3"})
