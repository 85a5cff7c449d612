"""What handlers read from their environment: the store, the public URL, the fetcher a
verification uses, where keys are made.

A bad value is a deployment error, not bad input: it raises ``RuntimeError``, which the handlers
log and answer ``500`` (naming only the request id). Read at the edge, per call (cheap), so
``badgekiln serve`` and tests can change the environment between invocations; the store itself
(with its boto3 client and connection pool) is opened once per location and reused by later
invocations of the same execution environment.

* ``BADGEKILN_STORE``: the store location (``s3://bucket[/prefix]`` on AWS; see
  :func:`badgekiln.store.open_store`).
* ``BADGEKILN_PUBLIC_URL``: the base URL hosted documents are published under; empty means the
  API's own URL, taken from the request (``https://<domainName>``).
* ``BADGEKILN_SIGNING_KEYS``: ``kms`` (new issuer keys are made in AWS KMS) or ``local`` (in the
  store's ``private/keys/``); default ``local``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, Final

from badgekiln.errors import InvalidField

if TYPE_CHECKING:
    from badgekiln.fetch import Fetcher
    from badgekiln.issue.signing import KeyOptions
    from badgekiln.store.base import Store

__all__ = [
    "INITIALIZATION_TYPE_ENV",
    "KMS_NAMESPACE_ENV",
    "PUBLIC_URL_ENV",
    "SIGNING_KEYS_ENV",
    "VERIFICATION_IMPORTS",
    "fetcher",
    "key_options",
    "prime_for_snapshot",
    "public_url",
    "store",
]

PUBLIC_URL_ENV: Final = "BADGEKILN_PUBLIC_URL"
SIGNING_KEYS_ENV: Final = "BADGEKILN_SIGNING_KEYS"
#: Prefix of KMS aliases and value of the ``badgekiln:stack`` tag (the template sets the stack name).
KMS_NAMESPACE_ENV: Final = "BADGEKILN_KMS_NAMESPACE"
#: Set by Lambda: ``snap-start`` while it runs the init whose memory SnapStart snapshots.
INITIALIZATION_TYPE_ENV: Final = "AWS_LAMBDA_INITIALIZATION_TYPE"
#: What a first verification imports lazily (verify and pages prime it: :func:`prime_for_snapshot`).
VERIFICATION_IMPORTS: Final = (
    "badgekiln.verification.engine",
    "badgekiln.verification.ldp",
    "badgekiln.verification.ob2",
    "badgekiln.verification.ob3",
    "badgekiln.verification.vcjwt",
    "badgekiln.verification.schema",
    "badgekiln.verification.terms",
    "badgekiln.proofs.dataintegrity",
    "badgekiln.jsonld.strict",
    "badgekiln.keys.formats",
    "cryptography.hazmat.primitives.serialization",
    "badgekiln.hosting.site",
    "badgekiln.status.check",
    "badgekiln.sniff",
    "badgekiln.baking",
    "badgekiln.svg",
    "pyld.jsonld",
)
#: Distinct store locations kept open in one process (a function uses one; tests a few).
_MAX_OPEN_STORES: Final = 8


@lru_cache(maxsize=_MAX_OPEN_STORES)
def _open(location: str | None) -> Store:
    from badgekiln.store import open_store

    try:
        return open_store(location)
    except InvalidField as exc:
        raise RuntimeError(f"BADGEKILN_STORE is not a store location: {exc.message}") from exc


def store() -> Store:
    """The store named by ``BADGEKILN_STORE`` (opened once per location).

    Raises:
        RuntimeError: the location is not a store URL.
    """
    from badgekiln.store import STORE_ENV

    return _open(os.environ.get(STORE_ENV) or None)


def prime_for_snapshot(modules: Iterable[str]) -> bool:
    """Under SnapStart's init, do now what a function's first request would do lazily: import
    ``modules`` and open the store (its botocore client, without a request), so every environment
    restored from the snapshot starts with them. Anywhere else (on-demand init, ``badgekiln serve``,
    tests) nothing: cold starts stay lazy. Returns whether it primed.

    Raises:
        ImportError: a module named does not exist (a deployment error: init fails).
        RuntimeError: ``BADGEKILN_STORE`` is not a store location.
    """
    if os.environ.get(INITIALIZATION_TYPE_ENV) != "snap-start":
        return False
    for name in modules:
        importlib.import_module(name)
    from badgekiln.store import STORE_ENV

    if os.environ.get(STORE_ENV):
        store()
    return True


def public_url(event: Any = None) -> str:
    """The public base URL: ``BADGEKILN_PUBLIC_URL``, else ``https://`` + the request's domain.

    ``event`` is the API Gateway event (raw dict or Powertools data class), used only when the
    variable is empty.

    Raises:
        RuntimeError: neither is available.
    """
    configured = os.environ.get(PUBLIC_URL_ENV, "").strip()
    if configured:
        return configured.rstrip("/")
    raw = getattr(event, "raw_event", event)
    domain = ((raw or {}).get("requestContext") or {}).get("domainName") if isinstance(raw, dict) else None
    if isinstance(domain, str) and domain:
        return f"https://{domain}"
    raise RuntimeError(f"no public URL: set {PUBLIC_URL_ENV} (the template's PublicBaseUrl parameter)")


@lru_cache(maxsize=_MAX_OPEN_STORES)
def _opener(location: str | None) -> Callable[[], Store]:
    # one opener per location: the site fetcher keeps its process-wide cache per opener
    return partial(_open, location)


def fetcher(event: Any = None) -> Fetcher:
    """The fetcher one verification uses (:func:`badgekiln.hosting.site.site_fetcher`): this
    deployment's own documents from the store, opened only if the badge names one, and the rest
    of the web with the production policy; its cache is the process's for this store and URL.

    Raises:
        RuntimeError: no public URL (see :func:`public_url`), or it is not a usable one.
    """
    from badgekiln.hosting.site import site_fetcher
    from badgekiln.store import STORE_ENV

    try:
        return site_fetcher(_opener(os.environ.get(STORE_ENV) or None), public_url(event))
    except InvalidField as exc:
        raise RuntimeError(f"{PUBLIC_URL_ENV} is not a public URL: {exc.message}") from exc


def key_options() -> KeyOptions:
    """Where new issuer keys are made, from ``BADGEKILN_SIGNING_KEYS`` and, for KMS, under which
    namespace (``BADGEKILN_KMS_NAMESPACE``, default ``badgekiln``).

    Raises:
        RuntimeError: neither ``kms`` nor ``local``, or a malformed namespace.
    """
    from badgekiln.issue.signing import KeyOptions

    choice = os.environ.get(SIGNING_KEYS_ENV, "").strip().lower() or "local"
    if choice not in ("kms", "local"):
        raise RuntimeError(f"{SIGNING_KEYS_ENV} must be kms or local, not {choice[:20]!r}")
    namespace = os.environ.get(KMS_NAMESPACE_ENV, "").strip() or "badgekiln"
    try:
        return KeyOptions(kms=choice == "kms", kms_namespace=namespace)
    except ValueError as exc:
        raise RuntimeError(f"{KMS_NAMESPACE_ENV}: {exc}") from exc
