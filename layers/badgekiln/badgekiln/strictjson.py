"""Strict JSON: the one parser for every JSON text badgekiln reads.

Payloads, fetched documents, JWS headers and claims, request bodies, batch rows and pinned keys
all go through :func:`loads_strict` (or :func:`loads_object` where only an object will do):

* UTF-8 only, without a byte-order mark (RFC 8259 §8.1);
* **no duplicate member names** (RFC 8259 §4 leaves their meaning open; RFC 7515 §5.2 and the
  I-JSON profile, RFC 7493 §2.3, refuse them): two parsers that keep different duplicates would
  let a signed document say one thing to its signer and another to its checker;
* no ``NaN``/``Infinity``, no numbers too long to convert, no lone surrogates (I-JSON §2.1);
* nesting at most :data:`MAX_JSON_DEPTH` deep.

A leaf: it imports nothing of badgekiln but :mod:`badgekiln.errors`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from badgekiln.errors import InputTooLarge, MalformedPayload

__all__ = ["MAX_JSON_DEPTH", "loads_object", "loads_strict"]

#: Deepest nesting accepted. Credentials, profiles and DID documents nest about ten levels; 64
#: leaves room and stops stack-hungry processing (JSON-LD expansion, canonicalisation) later on.
MAX_JSON_DEPTH = 64

# A string can hold a lone surrogate only through a \uD800–\uDFFF escape (the text itself is
# valid UTF-8); without one, the walk that looks for them is skipped.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

#: Texts up to this size are screened before the tree walk (three scans of the text, a few
#: microseconds); longer ones are walked at once, since the scans then cost more than the walk: a
#: request carrying a 1 MB base64 image has one long string (the scans took ~1.5 ms, the walk
#: ~0.01), and a walk costs less than the parse that built the tree in any case.
_SCREEN_LIMIT = 64 * 1024


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedPayload(
                    f"duplicate key {key!r} in a JSON object", reason="duplicate-key", key=key
                )
            seen.add(key)
    return out


def _constant(name: str) -> Any:
    raise MalformedPayload(f"{name} is not JSON", reason="json")


# One decoder for every call (decoders keep no state; building one per call was a third of the
# time of parsing a 1 KB payload).
_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_constant)


def _check_tree(value: Any, *, strings: bool) -> None:
    """Bound the depth of ``value``; with ``strings``, refuse lone surrogates in its strings."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InputTooLarge(
                    f"JSON nested deeper than {MAX_JSON_DEPTH} levels", reason="depth", limit=MAX_JSON_DEPTH
                )
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
            texts = list(node) if strings and isinstance(node, dict) else []
        elif strings and isinstance(node, str):
            texts = [node]
        else:
            continue
        for text in texts:
            if text.isascii():  # a word at a time, far cheaper than encoding
                continue
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise MalformedPayload("JSON string holds a lone surrogate escape", reason="utf-8") from exc


def _text(body: bytes | str, source: str) -> str:
    if isinstance(body, str):
        try:
            if not body.isascii():
                body.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise MalformedPayload(
                f"{source} holds a lone surrogate", reason="utf-8", offset=exc.start, url=source
            ) from exc
        text = body
    elif isinstance(body, bytes | bytearray | memoryview):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPayload(
                f"{source} is not UTF-8 (byte {exc.start})", reason="utf-8", offset=exc.start, url=source
            ) from exc
    else:
        raise TypeError(f"JSON text must be bytes or str, not {type(body).__name__}")
    if text.startswith("\ufeff"):
        raise MalformedPayload(
            f"{source} starts with a byte-order mark; JSON must not", reason="utf-8", url=source
        )
    return text


def loads_strict(body: bytes | str, *, source: str) -> Any:
    """Parse ``body`` as one strict JSON text; ``source`` (a URL or a description) is named in errors.

    Raises:
        MalformedPayload: not UTF-8 (or starts with a byte-order mark), not JSON, a duplicate key
            (``reason="duplicate-key"``, ``key`` names it), ``NaN``/``Infinity``, a number too
            long to convert, or a lone surrogate.
        InputTooLarge: nested deeper than :data:`MAX_JSON_DEPTH` (``reason="depth"``).
        TypeError: ``body`` is neither bytes nor str.
    """
    text = _text(body, source)
    try:
        value = _DECODER.decode(text)
        if len(text) > _SCREEN_LIMIT:
            _check_tree(value, strings=True)
        else:
            # Fewer brackets than the cap cannot nest past it: the walk is for the rare deep text.
            deep = text.count("{") + text.count("[") > MAX_JSON_DEPTH
            strings = "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None
            if deep or strings:
                _check_tree(value, strings=strings)
    except MalformedPayload as exc:
        raise MalformedPayload(f"{source}: {exc.message}", **{**exc.details, "url": source}) from exc
    except InputTooLarge as exc:
        raise InputTooLarge(f"{source}: {exc.message}", **{**exc.details, "url": source}) from exc
    except json.JSONDecodeError as exc:
        raise MalformedPayload(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            reason="json",
            offset=exc.pos,
            url=source,
        ) from exc
    except RecursionError as exc:
        raise InputTooLarge(
            f"{source}: JSON nested deeper than {MAX_JSON_DEPTH} levels",
            reason="depth",
            limit=MAX_JSON_DEPTH,
            url=source,
        ) from exc
    except ValueError as exc:  # e.g. an integer longer than sys.get_int_max_str_digits()
        raise MalformedPayload(
            f"{source} holds an unusable JSON number: {exc}", reason="number", url=source
        ) from exc
    return value


def loads_object(body: bytes | str, *, source: str) -> dict[str, Any]:
    """:func:`loads_strict` for a text that must be one JSON object.

    Raises:
        MalformedPayload: as :func:`loads_strict`, or the text is another JSON value
            (``reason="json"``, ``field=source``).
        InputTooLarge, TypeError: as :func:`loads_strict`.
    """
    value = loads_strict(body, source=source)
    if not isinstance(value, dict):
        raise MalformedPayload(
            f"{source} must be a JSON object, not {_json_type(value)}", reason="json", field=source
        )
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
