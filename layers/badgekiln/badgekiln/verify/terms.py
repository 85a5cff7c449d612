"""JSON-LD strictness for credentials whose proof does not expand them (VC-JWT), with a memo.

A VC-JWT signs the JSON bytes, so nothing is dropped unsigned; badgekiln still refuses
properties the contexts do not define (as the 1EdTech validator does), through the same strict
expansion Data Integrity uses (:func:`badgekiln.jsonld.strict.expand`). Expanding costs most of
a VC-JWT verification, and credentials from one issuer share their *shape*, so successful
checks are memoised by shape.

The shape keeps everything the strict checks depend on and nothing else: every key, every
number, boolean and null, every value of a keyword key (``@context`` …), every string that is a
term of a bundled context or a blank-node label, and each other string reduced to its class —
an absolute IRI becomes ``urn:x:y`` and anything else ``~`` (neither is a term, so in any
position they expand, or fail to, exactly as the strings they stand for). Two documents with
one shape therefore pass or fail the strict expansion together; only passes are memoised, so
a refusal is always reported from the document itself.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["MEMO_SIZE", "check_terms"]

#: Shapes remembered (LRU). A shape is a few KiB; a verifier sees few distinct ones.
MEMO_SIZE: Final = 1024
# PyLD's test for absolute IRIs (as badgekiln.jsonld.strict uses it)
_ABSOLUTE_IRI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:\S*")
_IRI_STAND_IN: Final = "urn:x:y"
_OTHER_STAND_IN: Final = "~"

_lock = threading.Lock()
_memo: OrderedDict[str, None] = OrderedDict()


@functools.cache
def _terms() -> frozenset[str]:
    """Every term any bundled context defines (scoped contexts included)."""
    from badgekiln.jsonld.loader import bundled_context_urls, load_context

    found: set[str] = set()
    stack: list[Any] = [load_context(url).get("@context") for url in sorted(bundled_context_urls())]
    while stack:
        context = stack.pop()
        if isinstance(context, list):
            stack.extend(context)
        elif isinstance(context, Mapping):
            for term, definition in context.items():
                if not term.startswith("@"):
                    found.add(term)
                if isinstance(definition, Mapping) and "@context" in definition:
                    stack.append(definition["@context"])
    return frozenset(found)


def _shape(value: Any, terms: frozenset[str], verbatim: bool = False) -> Any:
    kind = type(value)  # parsed JSON holds exact dicts, lists and scalars: cheaper than isinstance
    if kind is dict:
        return {key: _shape(item, terms, key[:1] == "@") for key, item in value.items()}
    if kind is list:
        return [_shape(item, terms, verbatim) for item in value]
    if kind is not str or verbatim or value in terms or value[:2] == "_:":
        return value
    return _IRI_STAND_IN if _ABSOLUTE_IRI.fullmatch(value) else _OTHER_STAND_IN


def check_terms(document: Mapping[str, Any]) -> None:
    """Refuse ``document`` (without its ``proof``) if strict JSON-LD expansion would.

    Raises:
        JsonLdError, InputTooLarge, MalformedPayload: as :func:`badgekiln.jsonld.strict.expand`.
    """
    from badgekiln.jsonld.strict import expand

    unsecured = {key: value for key, value in document.items() if key != "proof"}
    try:
        shape = json.dumps(_shape(unsecured, _terms()), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        shape = None  # not plain JSON: let the expansion say what is wrong
    if shape is not None:
        with _lock:
            if shape in _memo:
                _memo.move_to_end(shape)
                return
    expand(unsecured)
    if shape is not None:
        with _lock:
            _memo[shape] = None
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
