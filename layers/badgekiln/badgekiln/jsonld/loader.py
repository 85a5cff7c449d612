"""The strict JSON-LD document loader: bundled contexts, and contexts the caller pinned; never a fetch.

``contexts/index.json`` maps each context URL to a file beside it. Every file is parsed once,
on first use, and the parsed object is shared by every later call, so PyLD can keep its own
processed-context caches warm across documents (see :mod:`badgekiln.jsonld.strict`).

A caller may trust a context badgekiln does not bundle by pinning its body for its URL
(:class:`PinnedContexts`, fed from ``documents=`` / ``--document``): it answers that URL for
that call only. A bundled URL is always answered from the bundle, whatever is pinned for it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, Final

from badgekiln.errors import InputTooLarge, JsonLdError, MalformedPayload

__all__ = [
    "MAX_PINNED_CONTEXT_BYTES",
    "PinnedContexts",
    "bundled_context_urls",
    "document_loader",
    "load_context",
    "loader_for",
]

_PACKAGE: Final = "badgekiln.jsonld"
_CONTEXTS: Final = "contexts"
#: Largest pinned context read (bytes): published contexts are tens of kilobytes (OB 3.0: 15 kB).
MAX_PINNED_CONTEXT_BYTES: Final = 1024 * 1024
#: Parsed pinned contexts kept by content digest, so that verifying many badges against one pinned
#: context parses it once and PyLD's processed-context memo keeps hitting.
_PARSED_SIZE: Final = 32


@functools.cache
def _index() -> dict[str, str]:
    text = resources.files(_PACKAGE).joinpath(_CONTEXTS).joinpath("index.json").read_text("utf-8")
    index: dict[str, str] = json.loads(text)
    return index


@functools.cache  # one set for every call: each OB 2.0 verification asks twice
def bundled_context_urls() -> frozenset[str]:
    """The context URLs the loader serves."""
    return frozenset(_index())


@functools.cache
def _parse(filename: str) -> dict[str, Any]:
    text = resources.files(_PACKAGE).joinpath(_CONTEXTS).joinpath(filename).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def load_context(url: str) -> dict[str, Any]:
    """The parsed context document bundled for ``url``.

    The object is shared and cached: callers must not mutate it.

    Raises:
        JsonLdError: ``url`` is not a bundled context (``reason="unknown-context"``).
    """
    filename = _index().get(url) if isinstance(url, str) else None
    if filename is None:
        raise JsonLdError(
            f"JSON-LD context {url!r} is not bundled with badgekiln and contexts are never fetched "
            "(pin a copy you trust: documents= / --document URL=PATH)",
            reason="unknown-context",
            url=url,
        )
    return _parse(filename)


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """PyLD document loader over :func:`load_context`.

    ``tag: "static"`` lets PyLD keep the resolved context in its shared cache between
    operations instead of re-resolving it for every document.

    Raises:
        JsonLdError: ``url`` is not a bundled context.
    """
    return {"contextUrl": None, "documentUrl": url, "document": load_context(url), "tag": "static"}


_parsed_lock = threading.Lock()
_parsed: OrderedDict[bytes, dict[str, Any]] = OrderedDict()


def _parse_pinned(url: str, body: bytes) -> tuple[dict[str, Any], bytes]:
    """(parsed context document, SHA-256 of ``body``), shared by digest.

    Raises:
        JsonLdError: ``reason="pinned-context"``: over the size cap, not strict JSON, or not an
            object with ``@context``.
    """
    from badgekiln.strictjson import loads_strict

    if len(body) > MAX_PINNED_CONTEXT_BYTES:
        raise JsonLdError(
            f"the pinned context {url} is larger than {MAX_PINNED_CONTEXT_BYTES} bytes",
            reason="pinned-context",
            url=url,
        )
    digest = hashlib.sha256(body).digest()
    with _parsed_lock:
        found = _parsed.get(digest)
        if found is not None:
            _parsed.move_to_end(digest)
            return found, digest
    try:
        document = loads_strict(body, source=f"the pinned context {url}")
    except (MalformedPayload, InputTooLarge) as exc:
        raise JsonLdError(exc.message, reason="pinned-context", url=url) from exc
    if not isinstance(document, dict) or "@context" not in document:
        raise JsonLdError(
            f"the pinned document for {url} is not a JSON-LD context (an object with @context)",
            reason="pinned-context",
            url=url,
        )
    with _parsed_lock:
        _parsed[digest] = document
        while len(_parsed) > _PARSED_SIZE:
            _parsed.popitem(last=False)
    return document, digest


class PinnedContexts:
    """Contexts the caller trusts for URLs badgekiln does not bundle.

    ``lookup(url)`` returns the body the caller pinned for ``url`` (or ``None``); a body is
    parsed on first use (strict JSON, at most :data:`MAX_PINNED_CONTEXT_BYTES`). One instance
    serves one verification; ``served`` counts how often a pinned context was consulted (loaded,
    or named in a memo key), so a caller can tell whether an expansion depended on one.
    """

    def __init__(self, lookup: Callable[[str], bytes | None]) -> None:
        self._lookup = lookup
        self._found: dict[str, tuple[dict[str, Any], bytes] | None] = {}
        self.served = 0

    @classmethod
    def of(cls, documents: Mapping[str, bytes]) -> PinnedContexts:
        """Pinned contexts from a URL → body mapping (URLs compared exactly)."""
        return cls(documents.get)

    def _get(self, url: str) -> tuple[dict[str, Any], bytes] | None:
        if url in self._found:
            found = self._found[url]
        else:
            body = None if url in _index() else self._lookup(url)
            found = None if body is None else _parse_pinned(url, body)
            self._found[url] = found
        if found is not None:
            self.served += 1
        return found

    def has(self, url: str) -> bool:
        """Whether ``url`` is a pinned context (a bundled URL never is).

        Raises:
            JsonLdError: ``reason="pinned-context"``: the pinned body is not a usable context.
        """
        return self._get(url) is not None

    def digest(self, url: str) -> bytes | None:
        """The SHA-256 of the body pinned for ``url``, or ``None`` when it is not pinned.

        Raises:
            JsonLdError: as :meth:`has`.
        """
        found = self._get(url)
        return None if found is None else found[1]

    def load(self, url: str) -> dict[str, Any]:
        """PyLD's remote document for ``url``: the bundled context, else the pinned one (never
        kept in PyLD's shared cache: it is this call's).

        Raises:
            JsonLdError: ``unknown-context``: neither bundled nor pinned; ``pinned-context``: the
                pinned body is not a usable context.
        """
        found = self._get(url) if isinstance(url, str) else None
        if found is None:
            return document_loader(url)
        return {"contextUrl": None, "documentUrl": url, "document": found[0], "tag": None}


def loader_for(pinned: PinnedContexts | None) -> Callable[..., dict[str, Any]]:
    """The PyLD document loader for one call: bundled contexts, plus ``pinned`` ones if given."""
    if pinned is None:
        return document_loader
    return lambda url, options=None: pinned.load(url)
