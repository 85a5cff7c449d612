"""JSON-LD strictness for credentials whose proof does not expand them (VC-JWT), with a memo.

A VC-JWT signs the JSON bytes, so nothing is dropped unsigned; badgekiln still refuses
properties the contexts do not define (as the 1EdTech validator does), through the same strict
expansion Data Integrity uses (:func:`badgekiln.jsonld.strict.expand`). Expanding costs most of
a VC-JWT verification, and credentials from one issuer share their *shape*, so successful
checks are memoised by shape.

The shape keeps everything the strict checks depend on and nothing else: every key, every
number, boolean and null, every value of a keyword key (``@context`` …), and every string
except three kinds, which are reduced to a stand-in of the same kind:

* an absolute IRI becomes ``urn:x:y`` (absolute in every position: as an ``@id``, a type, or a
  compact IRI whatever its prefix maps to);
* a date-time (``2024-01-01T00:00:00Z`` …) becomes ``2000-01-01T00:00:00Z``;
* a plain string — no colon, not starting with ``@``, not empty, not a term of any bundled
  context — becomes ``~``, or ``~ ~`` when it contains whitespace (which keeps a vocabulary
  expansion of it from being an absolute IRI, as it would the original).

Neither stand-in is a term, so in any position each expands — or fails to — exactly as the
strings it stands for. Any other string (terms, blank-node labels, strings with a colon that
are not absolute IRIs …) stays as it is. Two documents with one shape therefore pass or fail
the strict expansion together; only passes are memoised, so a refusal is always reported from
the document itself. A pass that needed a context the caller pinned is not memoised either: the
shape names the context's URL, not the body pinned for it.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from badgekiln.errors import BadgeKilnError, JsonLdError

if TYPE_CHECKING:
    from badgekiln.jsonld.loader import PinnedContexts
    from badgekiln.verification._session import Checks

__all__ = ["MEMO_SIZE", "check_defined_terms", "check_terms", "memo_is_sound"]

#: Shapes remembered (LRU), each by its SHA-256 digest: a shape is as long as its credential
#: (up to a megabyte in a VC-JWT), a digest 32 bytes. A verifier sees few distinct shapes.
MEMO_SIZE: Final = 1024
# PyLD's test for absolute IRIs (as badgekiln.jsonld.strict uses it)
_ABSOLUTE_IRI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:\S*")
_IRI_STAND_IN: Final = "urn:x:y"
_DATE_STAND_IN: Final = "2000-01-01T00:00:00Z"
_OTHER_STAND_IN: Final = "~"
_SPACED_STAND_IN: Final = "~ ~"
_DATE_TIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?")
_WHITESPACE: Final = re.compile(r"\s")
_DATE_PREFIX: Final = re.compile(r"\d{4}-")
_STAND_INS: Final = frozenset({_IRI_STAND_IN, _DATE_STAND_IN, _OTHER_STAND_IN, _SPACED_STAND_IN})

#: Short strings' stand-ins (:func:`_remember`): at most this many, each at most this long.
_STAND_INS_SIZE: Final = 4096
_MAX_REMEMBERED_CHARS: Final = 256

#: The other values parsed JSON holds; anything else (a tuple, an object) is not shaped, and
#: its document is expanded every time.
_SCALARS: Final = frozenset({int, float, bool, type(None)})

_stand_ins: dict[str, str] = {}
_lock = threading.Lock()
_memo: OrderedDict[bytes, None] = OrderedDict()


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


@functools.cache
def memo_is_sound() -> bool:
    """Whether the bundled contexts meet what the stand-ins assume: no term is a stand-in,
    contains whitespace or starts like a date. When not, every document is expanded."""
    return not any(
        term in _STAND_INS or _WHITESPACE.search(term) or _DATE_PREFIX.match(term) for term in _terms()
    )


def _stand_in(value: str, terms: frozenset[str]) -> str:
    """What a string (not a keyword's value) becomes in the shape."""
    if not value or value in terms or value[0] == "@":
        return value
    if ":" in value:
        if _ABSOLUTE_IRI.fullmatch(value) and value[:2] != "_:":
            return _IRI_STAND_IN
        return _DATE_STAND_IN if _DATE_TIME.fullmatch(value) else value
    return _SPACED_STAND_IN if _WHITESPACE.search(value) else _OTHER_STAND_IN


def _shape(value: Any, terms: frozenset[str], verbatim: bool = False) -> Any:
    """The shape of a JSON value (``verbatim``: strings in it stay as written, as a keyword's
    do). Strings are shaped inline, through the table of short strings' stand-ins: most members
    are strings, and a call per string cost more than the lookup."""
    kind = type(value)  # parsed JSON holds exact dicts, lists and scalars: cheaper than isinstance
    if kind is dict:
        shaped: dict[str, Any] = {}
        for key, item in value.items():
            kind = type(item)
            if kind is str:  # ("" is falsy: it is shaped again, to itself)
                shaped[key] = item if key[:1] == "@" else _stand_ins.get(item) or _remember(item, terms)
            elif kind is dict or kind is list:
                shaped[key] = _shape(item, terms, key[:1] == "@")
            elif kind in _SCALARS:
                shaped[key] = item
            else:
                raise TypeError(f"not JSON: {kind.__name__}")
        return shaped
    if kind is list:
        items: list[Any] = []
        for item in value:
            kind = type(item)
            if kind is str:
                items.append(item if verbatim else _stand_ins.get(item) or _remember(item, terms))
            elif kind is dict or kind is list:
                items.append(_shape(item, terms, verbatim))
            elif kind in _SCALARS:
                items.append(item)
            else:
                raise TypeError(f"not JSON: {kind.__name__}")
        return items
    if kind is str:
        return value if verbatim else _remember(value, terms)
    if kind not in _SCALARS:
        raise TypeError(f"not JSON: {kind.__name__}")
    return value


def _remember(value: str, terms: frozenset[str]) -> str:
    """:func:`_stand_in`, kept for a short string (credentials of one issuer repeat their types,
    ids and context URLs); the table is emptied when full, so it stays bounded."""
    stand_in = _stand_in(value, terms)
    if len(value) <= _MAX_REMEMBERED_CHARS:
        if len(_stand_ins) >= _STAND_INS_SIZE:
            _stand_ins.clear()
        _stand_ins[value] = stand_in
    return stand_in


def _digest(document: Mapping[str, Any]) -> bytes | None:
    """The SHA-256 digest of the shape of ``document`` without its ``proof``, or ``None`` when it
    is not plain JSON. The shape is serialised with :mod:`marshal` (format 2, which has no
    references): it round-trips, so two shapes with one serialisation are equal, with their
    types (``1``, ``1.0`` and ``True`` differ), and it costs a fraction of :func:`json.dumps`.
    Members stay in document order, so a reordered copy is only a memo miss, never a wrong
    answer."""
    terms = _terms()
    try:
        unsecured = (
            document
            if type(document) is dict and "proof" not in document  # a VC-JWT's: no copy needed
            else {key: value for key, value in document.items() if key != "proof"}
        )
        return hashlib.sha256(marshal.dumps(_shape(unsecured, terms), 2)).digest()
    except (TypeError, ValueError, RecursionError):
        return None  # not plain JSON: let the expansion say what is wrong


def check_terms(document: Mapping[str, Any], *, pinned: PinnedContexts | None = None) -> None:
    """Refuse ``document`` (without its ``proof``) if strict JSON-LD expansion would (with the
    caller's ``pinned`` contexts beside the bundled ones).

    Raises:
        JsonLdError, InputTooLarge, MalformedPayload: as :func:`badgekiln.jsonld.strict.expand`.
    """
    shape = _digest(document) if memo_is_sound() else None
    if shape is not None:
        with _lock:
            if shape in _memo:
                _memo.move_to_end(shape)
                return
    from badgekiln.jsonld.strict import expand  # PyLD: only when the memo does not answer

    served = pinned.served if pinned is not None else 0
    expand({key: value for key, value in document.items() if key != "proof"}, pinned=pinned)
    if shape is not None and (pinned is None or pinned.served == served):
        with _lock:
            _memo[shape] = None
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)


def check_defined_terms(
    checks: Checks,
    document: Mapping[str, Any],
    passed: str,
    *,
    signed_as_json: bool,
    pinned: PinnedContexts | None = None,
) -> None:
    """The ``context`` check of :func:`check_terms`: ``passed`` when every property is defined,
    else what the strict expansion refused. Where the JSON bytes are what is signed or hosted
    (``signed_as_json``: a VC-JWT, an OB 1.1 assertion) what expansion refuses is a conformance
    deviation; under Data Integrity it bears on what is signed, so it fails. ``pinned``: the
    caller's contexts (:func:`check_terms`)."""
    try:
        check_terms(document, pinned=pinned)
    except JsonLdError as exc:
        if signed_as_json:
            message = exc.message
            if exc.reason == "undefined-term":  # the JSON is what is signed here, so say only what it is
                message = f"property {exc.details.get('term')!r} is not defined by the document's contexts"
                message += f" (at {exc.details.get('path')})"
            checks.deviation("context", message, exc.reason or exc.code)
        else:
            checks.error("context", exc)
    except BadgeKilnError as exc:
        checks.error("context", exc)
    else:
        checks.passed("context", passed)
