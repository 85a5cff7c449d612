"""Strict JSON-LD expansion: what the JSON says must be exactly what gets signed.

A Data Integrity proof signs the RDF a document expands to, while verifiers and people read the
JSON. PyLD silently drops what the contexts do not define and keeps relative IRIs that RDF
conversion later drops or re-bases, so such data would travel unsigned. Where JSON-LD leaves a
choice, badgekiln refuses (:class:`~badgekiln.errors.JsonLdError`, with the JSON pointer of the
offending member in ``path``):

* ``undefined-term`` — a property the active contexts do not define (or define as ``null``);
* ``iri-key`` — a property spelt as an absolute or compact IRI instead of a defined term (it
  would hide a signed member, e.g. ``credentialStatus``, from JSON readers);
* ``relative-iri`` — an ``@id`` or ``@type`` value that is not an absolute IRI;
* ``blank-node-id`` — an ``_:`` label, which canonicalization renames (so it is not signed);
* ``keyword`` — a JSON-LD keyword outside plain node/value objects (``@graph``, ``@included``,
  ``@reverse``, ``@nest``, ``@index`` …);
* ``inline-context`` — a ``@context`` that is not a URL or list of URLs (inline definitions can
  alias signed terms); ``unknown-context`` — a URL that is neither bundled nor pinned by the
  caller (``pinned-context``: a pinned body that is not a usable context).

Expansion runs once per document; its result feeds :mod:`badgekiln.jsonld.canon`. Processed
contexts are memoised across documents, which is where most of PyLD's time went.
"""

from __future__ import annotations

import math
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

from pyld import jsonld
from pyld.context_resolver import ContextResolver

from badgekiln.errors import InputTooLarge, JsonLdError, MalformedPayload
from badgekiln.jsonld.loader import PinnedContexts, loader_for

__all__ = ["MAX_DEPTH", "MAX_VALUES", "expand"]

#: Credentials nest a few levels (credential → subject → achievement → alignment); the cap keeps
#: PyLD's recursive expansion far from Python's recursion limit.
MAX_DEPTH: Final = 32
#: JSON values (objects, arrays, scalars) in one document; a large CLR stays well below it.
MAX_VALUES: Final = 20_000
#: Processed contexts kept between documents. Every vector in the test corpus together leaves
#: about 460 entries (~10 MB); the bound keeps a hostile mix of contexts from growing it further.
_MEMO_SIZE: Final = 1024

#: Keywords a credential may spell directly; the others change graph shape in ways a JSON
#: reader does not see.
_ALLOWED_KEYWORDS: Final = frozenset(
    {"@context", "@id", "@type", "@value", "@language", "@direction", "@list", "@set"}
)
# PyLD's own test for absolute IRIs and blank-node ids (pyld.jsonld._is_absolute_iri).
_ABSOLUTE_IRI: Final = re.compile(r"([A-Za-z][A-Za-z0-9+\-.]*|_):\S*")


def _pointer(parent: str, key: str | int) -> str:
    return f"{parent}/{str(key).replace('~', '~0').replace('/', '~1')}"


class _Snapshot:
    """A private deep copy of the input (PyLD may mutate it) with a pointer for each object."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.paths: dict[int, str] = {}
        self.count = 0
        self.root = self._copy(document, "", 0)

    def _copy(self, value: Any, path: str, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise InputTooLarge(
                f"JSON-LD document has more than {MAX_VALUES} values", limit=MAX_VALUES, path=path
            )
        if depth > MAX_DEPTH:
            raise InputTooLarge(
                f"JSON-LD document nests deeper than {MAX_DEPTH} levels", limit=MAX_DEPTH, path=path
            )
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise MalformedPayload("JSON object keys must be strings", reason="json-type", path=path)
                child = _pointer(path, key)
                if key == "@context":
                    _check_context_value(item, child)
                out[key] = self._copy(item, child, depth + 1)
            self.paths[id(out)] = path
            return out
        if isinstance(value, list):
            items = [self._copy(item, _pointer(path, i), depth + 1) for i, item in enumerate(value)]
            self.paths[id(items)] = path
            return items
        if isinstance(value, float) and not math.isfinite(value):
            raise MalformedPayload("JSON numbers must be finite", reason="json-type", path=path)
        if value is None or isinstance(value, str | int | float):  # bool is an int
            return value
        raise MalformedPayload(f"{type(value).__name__} is not a JSON value", reason="json-type", path=path)

    def find_string(self, needle: str) -> str:
        """Pointer of the first string member equal to ``needle`` (for error messages)."""
        stack: list[tuple[Any, str]] = [(self.root, "")]
        while stack:
            value, path = stack.pop()
            if value == needle:
                return path
            if isinstance(value, dict):
                stack.extend((v, _pointer(path, k)) for k, v in reversed(value.items()))
            elif isinstance(value, list):
                stack.extend((v, _pointer(path, i)) for i, v in reversed(list(enumerate(value))))
        return ""


def _check_context_value(value: Any, path: str) -> None:
    urls = value if isinstance(value, list) else [value]
    for url in urls:
        if not isinstance(url, str):
            raise JsonLdError(
                "@context must be a context URL or a list of context URLs; inline context "
                "definitions are refused because they can re-spell signed terms",
                reason="inline-context",
                path=path,
            )


class _ContextMemo:
    """Processed active contexts keyed by (parent context, local context, flags).

    PyLD caches processed contexts per parent-context uuid, but scoped contexts produce fresh
    parent contexts on every document, so it re-processed the OB and VC contexts each time.
    Processed contexts are never mutated after creation (PyLD's own cache relies on that too).
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[Any, ...], tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: tuple[Any, ...], processed: Any, local_ctx: Any) -> None:
        with self._lock:
            # local_ctx is kept alive with the entry so its id() in the key cannot be reused.
            self._entries[key] = (processed, local_ctx)
            if len(self._entries) > _MEMO_SIZE:
                self._entries.popitem(last=False)


_MEMO: Final = _ContextMemo()
# Resolved context documents by URL, private to badgekiln so other PyLD users in the process
# never see (or feed) it; its keys are bundled URLs and their scoped contexts, a bounded set.
_RESOLVED: Final[dict[str, Any]] = {}


def _local_key(local_ctx: Any, pinned: PinnedContexts | None) -> Any:
    # a URL stands for its content: a bundled URL always for the same, a pinned one for the
    # body this call pinned, so its digest is part of the key
    if isinstance(local_ctx, str):
        return local_ctx if pinned is None else (local_ctx, pinned.digest(local_ctx))
    if isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
        return tuple(local_ctx if pinned is None else [(c, pinned.digest(c)) for c in local_ctx])
    return id(local_ctx)


class _StrictProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    def __init__(self, snapshot: _Snapshot, pinned: PinnedContexts | None) -> None:
        super().__init__(on_property_dropped=self._dropped)
        self._snapshot = snapshot
        self._pinned = pinned
        # (element, active context) of the node objects being expanded, innermost last
        self._stack: list[tuple[dict[str, Any], Any]] = []

    def _process_context(  # noqa: PLR0917 - PyLD's signature
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        if "_uuid" not in active_ctx:
            active_ctx["_uuid"] = str(uuid.uuid1())
        key = (
            active_ctx["_uuid"],
            _local_key(local_ctx, self._pinned),
            override_protected,
            propagate,
            validate_scoped,
        )
        processed = _MEMO.get(key)
        if processed is None:
            processed = super()._process_context(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
            _MEMO.put(key, processed, local_ctx)
        return processed

    def _expand_object(  # noqa: PLR0917 - PyLD's signature
        self,
        active_ctx: Any,
        active_property: Any,
        expanded_active_property: Any,
        element: dict[str, Any],
        expanded_parent: Any,
        options: Any,
        inside_list: bool = False,
        type_key: Any = None,
        type_scoped_ctx: Any = None,
    ) -> Any:
        mappings = active_ctx["mappings"]
        for key in element:
            if key.startswith("@"):
                if key not in _ALLOWED_KEYWORDS:
                    self._refuse(element, key, "keyword", f"JSON-LD keyword {key!r} is not accepted")
            elif ":" in key and key not in mappings:
                self._refuse(
                    element,
                    key,
                    "iri-key",
                    f"property {key!r} is spelt as an IRI; use the term the contexts define",
                )
        self._stack.append((element, active_ctx))
        try:
            return super()._expand_object(
                active_ctx,
                active_property,
                expanded_active_property,
                element,
                expanded_parent,
                options,
                inside_list,
                type_key,
                type_scoped_ctx,
            )
        finally:
            self._stack.pop()

    def _dropped(self, expanded: str | None) -> None:
        element, active_ctx = self._stack[-1]
        key = next(
            (
                k
                for k in sorted(element)
                if k != "@context" and self._expand_iri(active_ctx, k, vocab=True) == expanded
            ),
            expanded or "?",
        )
        self._refuse(
            element,
            key,
            "undefined-term",
            f"property {key!r} is not defined by the document's contexts, so it would not be signed",
        )

    def _refuse(self, element: dict[str, Any], key: str, reason: str, message: str) -> None:
        path = _pointer(self._snapshot.paths.get(id(element), ""), key)
        raise JsonLdError(f"{message} (at {path})", reason=reason, path=path, term=key)


def _check_iris(expanded: Any, snapshot: _Snapshot) -> None:
    stack = [expanded]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        for key, item in value.items():
            if key == "@id":
                _check_iri(item, "@id", snapshot)
            elif key == "@type":
                for iri in item if isinstance(item, list) else [item]:
                    if not (isinstance(iri, str) and iri.startswith("@")):  # "@json", "@id"
                        _check_iri(iri, "@type", snapshot)
            elif key != "@value":  # literal values are never IRIs
                stack.append(item)


def _check_iri(iri: Any, keyword: str, snapshot: _Snapshot) -> None:
    if isinstance(iri, str) and iri.startswith("_:"):
        # Blank-node labels are renamed by canonicalization, so the JSON could say anything.
        path = snapshot.find_string(iri)
        raise JsonLdError(
            f"{keyword} value {iri!r} is a blank-node label, which is not signed (at {path})",
            reason="blank-node-id",
            path=path,
            value=iri,
        )
    if isinstance(iri, str) and _ABSOLUTE_IRI.fullmatch(iri):
        return
    path = snapshot.find_string(iri) if isinstance(iri, str) else ""
    raise JsonLdError(
        f"{keyword} value {iri!r} is not an absolute IRI (an undefined type or a relative id)"
        + (f" (at {path})" if path else ""),
        reason="relative-iri",
        path=path or None,
        value=str(iri),
    )


def _translate(exc: BaseException) -> JsonLdError:
    cause: BaseException | None = exc
    while cause is not None:  # our loader's error, wrapped by PyLD's context resolver
        if isinstance(cause, JsonLdError):
            return cause
        cause = cause.__cause__
    detail = exc.args[0] if exc.args and isinstance(exc.args[0], str) else type(exc).__name__
    code = getattr(exc, "code", None)
    return JsonLdError(f"invalid JSON-LD: {detail}" + (f" ({code})" if code else ""), reason="invalid-jsonld")


def expand(document: Mapping[str, Any], *, pinned: PinnedContexts | None = None) -> list[Any]:
    """Expand ``document`` with the bundled contexts (and the caller's ``pinned`` ones), refusing
    anything that would go unsigned.

    The input is not modified. The result is PyLD's expanded form (a list of node objects).

    Raises:
        JsonLdError: see the module docstring for the ``reason`` values; ``invalid-jsonld``
            for JSON-LD syntax errors.
        InputTooLarge: more than :data:`MAX_VALUES` values or deeper than :data:`MAX_DEPTH`.
        MalformedPayload: a value that is not JSON (non-string keys, NaN, other types).
    """
    if not isinstance(document, Mapping):
        raise MalformedPayload("a JSON-LD document must be a JSON object", reason="json-type")
    if "@context" not in document:
        raise JsonLdError("document has no @context", reason="no-context")
    snapshot = _Snapshot(document)
    processor = _StrictProcessor(snapshot, pinned)
    loader = loader_for(pinned)
    options: dict[str, Any] = {
        "base": None,  # keep relative IRIs relative so they can be refused
        "isFrame": False,
        "keepFreeFloatingNodes": False,
        "documentLoader": loader,
        # pinned contexts come back untagged, so PyLD keeps them out of this shared cache
        "contextResolver": ContextResolver(_RESOLVED, loader),
        "extractAllScripts": False,
        "processingMode": "json-ld-1.1",
    }
    try:
        # JsonLdProcessor.expand minus its deep copy (the snapshot is already private) so that
        # error paths can name the very objects PyLD walks.
        active_ctx = processor._get_initial_context(options)
        expanded = processor._expand(active_ctx, None, snapshot.root, options, inside_list=False)
    except JsonLdError:
        raise
    except (jsonld.JsonLdError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise _translate(exc) from exc
    if isinstance(expanded, dict) and "@graph" in expanded and len(expanded) == 1:
        expanded = expanded["@graph"]
    result: list[Any] = [] if expanded is None else jsonld.JsonLdProcessor.arrayify(expanded)
    _check_iris(result, snapshot)
    return result
