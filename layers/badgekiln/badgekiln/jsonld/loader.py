"""The strict JSON-LD document loader: bundled contexts only, never a fetch.

``contexts/index.json`` maps each context URL to a file beside it. Every file is parsed once,
on first use, and the parsed object is shared by every later call, so PyLD can keep its own
processed-context caches warm across documents (see :mod:`badgekiln.jsonld.strict`).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, Final

from badgekiln.errors import JsonLdError

__all__ = ["bundled_context_urls", "document_loader", "load_context"]

_PACKAGE: Final = "badgekiln.jsonld"
_CONTEXTS: Final = "contexts"


@functools.cache
def _index() -> dict[str, str]:
    text = resources.files(_PACKAGE).joinpath(_CONTEXTS).joinpath("index.json").read_text("utf-8")
    index: dict[str, str] = json.loads(text)
    return index


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
            f"JSON-LD context {url!r} is not bundled with badgekiln; contexts are never fetched",
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
