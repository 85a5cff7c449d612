"""Strict JSON for fetched documents: UTF-8 only, no duplicate keys, no NaN, bounded depth."""

from __future__ import annotations

import json
from typing import Any

from badgekiln.errors import InputTooLarge, MalformedPayload

__all__ = ["MAX_JSON_DEPTH", "loads_strict"]

#: Deepest nesting accepted. Credentials, profiles and DID documents nest about ten levels; 64
#: leaves room and stops stack-hungry processing (JSON-LD expansion, canonicalisation) later on.
MAX_JSON_DEPTH = 64


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            # Two parsers may keep different duplicates; signing and checking must see one object.
            raise MalformedPayload(f"duplicate key {key!r} in a JSON object", reason="duplicate-key", key=key)
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise MalformedPayload(f"{name} is not JSON", reason="json")


def _check_tree(value: Any) -> None:
    """Bound the depth and refuse lone surrogates (from ``\\ud800`` escapes) anywhere in ``value``."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            strings = [node]
        elif isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InputTooLarge(
                    f"JSON nested deeper than {MAX_JSON_DEPTH} levels", reason="depth", limit=MAX_JSON_DEPTH
                )
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
            strings = list(node) if isinstance(node, dict) else []
        else:
            continue
        for text in strings:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise MalformedPayload("JSON string holds a lone surrogate escape", reason="utf-8") from exc


def loads_strict(body: bytes, *, source: str) -> Any:
    """Parse ``body`` as one strict JSON text; ``source`` (a URL) is named in errors.

    Raises:
        MalformedPayload: not UTF-8 (or starts with a byte-order mark), not JSON, a duplicate key,
            ``NaN``/``Infinity``, a number too long to convert, or a lone surrogate.
        InputTooLarge: nested deeper than :data:`MAX_JSON_DEPTH`.
    """
    if body.startswith(b"\xef\xbb\xbf"):
        raise MalformedPayload(
            f"{source} starts with a byte-order mark; JSON must not", reason="utf-8", url=source
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPayload(
            f"{source} is not UTF-8 (byte {exc.start})", reason="utf-8", offset=exc.start, url=source
        ) from exc
    try:
        value = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
        _check_tree(value)
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
