"""``credentialSchema`` checks against the OB 3.0 JSON Schemas bundled with badgekiln (never fetched).

An OB 3.0 credential may name JSON Schemas it conforms to, as ``credentialSchema`` entries of
type ``1EdTechJsonSchemaValidator2019`` (or the W3C ``JsonSchema`` type, same meaning). Each
entry whose ``id`` is a bundled schema (:data:`BUNDLED_SCHEMAS`) is validated with Draft
2019-09; any other schema is reported *not checked* — badgekiln never fetches a schema.

One schema file is bundled (``schemas/``, see its ``PROVENANCE.md``): 1EdTech's OB 3.0
AchievementCredential schema. Its ``$defs`` define the EndorsementCredential and Profile
classes the same way, so the endorsement and profile schema URLs are served from there.

The published schemas come in two variants, ``…/schema/json/…`` and ``…/schema/json-ld/…``;
OB 3.0 allows JSON-LD-compacted credentials (one ``proof`` object instead of a one-element
array …), the spec's own sample declares the ``json/`` schema with a single proof object, and
DCC's verifier tests show the live ``json/`` file accepting it. Both URLs are therefore checked
*compaction-tolerant* by default: wherever the bundled schema requires an array of items, a
single item that the array's constraints would accept is accepted too. ``strict_arrays=True``
checks the bundled schema as written (arrays everywhere, the formal JSON serialization).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from itertools import islice
from typing import TYPE_CHECKING, Any, Final, Literal

from badgekiln.errors import MalformedPayload
from badgekiln.model.dates import parse_aware
from badgekiln.model.ob3 import Credential, CredentialSchema, credential_of

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

__all__ = [
    "BUNDLED_SCHEMAS",
    "MAX_SCHEMA_ENTRIES",
    "MAX_VIOLATIONS",
    "SCHEMA_TYPES",
    "SchemaResult",
    "SchemaViolation",
    "check_credential_schemas",
    "validate",
]

_PACKAGE: Final = "badgekiln.verification"
_FOLDER: Final = "schemas"
_OB3: Final = "https://purl.imsglobal.org/spec/ob/v3p0/schema/"
_ACHIEVEMENT: Final = "ob_v3p0_achievementcredential_schema.json"

#: Schema URL → (bundled file, ``$defs`` class or ``""`` for the whole schema).
BUNDLED_SCHEMAS: Final[Mapping[str, tuple[str, str]]] = {
    f"{_OB3}{variant}/ob_v3p0_{name}_schema.json": (_ACHIEVEMENT, definition)
    for variant in ("json", "json-ld")
    for name, definition in (
        ("achievementcredential", ""),
        ("endorsementcredential", "EndorsementCredential"),
        ("profile", "Profile"),
    )
}
#: credentialSchema types that mean "validate the credential against the JSON Schema at ``id``".
SCHEMA_TYPES: Final = frozenset({"1EdTechJsonSchemaValidator2019", "JsonSchema"})
#: Violations reported per schema: enough to fix a credential, bounded for a hostile one.
MAX_VIOLATIONS: Final = 50
#: ``credentialSchema`` entries examined on one credential.
MAX_SCHEMA_ENTRIES: Final = 16
#: Longest message kept for one violation (characters): values are quoted, documents are not.
_MAX_MESSAGE_CHARS: Final = 300

#: oneOf/anyOf levels descended to explain a violation (the bundled schema nests a few).
_MAX_BRANCH_DEPTH: Final = 8
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One way the document breaks the schema: ``pointer`` (RFC 6901, ``""`` = the whole
    document), the schema ``keyword`` that failed and a short ``message``."""

    pointer: str
    keyword: str
    message: str


@dataclass(frozen=True, slots=True)
class SchemaResult:
    """The outcome for one ``credentialSchema`` entry: ``passed``, ``failed`` (``violations``
    says where) or ``not-checked`` (an unbundled schema or a type we do not run)."""

    schema_id: str
    outcome: Literal["passed", "failed", "not-checked"]
    message: str
    violations: tuple[SchemaViolation, ...] = ()


# --- formats ------------------------------------------------------------------------------------


def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time with a zone (OB 3.0 DateTimeZ), read by the library's one date-time
    parser; non-strings are not this check's job."""
    if not isinstance(value, str):
        return True
    try:
        parse_aware(value[:10] + value[10:11].upper() + value[11:])  # RFC 3339 allows a "t"
    except ValueError:
        return False
    return True


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


# --- schemas ------------------------------------------------------------------------------------


@functools.cache
def _file(name: str) -> dict[str, Any]:
    text = resources.files(_PACKAGE).joinpath(_FOLDER).joinpath(name).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


_SCHEMA_MAPS: Final = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS: Final = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_VALUES: Final = (
    "additionalItems",
    "additionalProperties",
    "contains",
    "else",
    "if",
    "not",
    "propertyNames",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
)


def _tolerant(schema: Any) -> Any:
    """``schema`` with every "array of X" also accepting one X (JSON-LD compacted form)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _tolerant(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_tolerant(sub) for sub in value]
        elif key == "items":
            out[key] = [_tolerant(sub) for sub in value] if isinstance(value, list) else _tolerant(value)
        elif key in _SCHEMA_VALUES:
            out[key] = _tolerant(value)
        else:
            out[key] = value
    items = out.get("items")
    if out.get("type") == "array" and isinstance(items, dict) and out.get("minItems", 0) <= 1:
        single = [items, *([out["contains"]] if "contains" in out else [])]
        return {"anyOf": [{"allOf": single}, out]}
    return out


@functools.lru_cache(maxsize=16)
def _validator(schema_id: str, strict_arrays: bool) -> Validator:
    from jsonschema import Draft201909Validator, FormatChecker  # heavy: only when validating

    filename, definition = BUNDLED_SCHEMAS[schema_id]
    root = _file(filename)
    if definition:
        schema: dict[str, Any] = {
            "$schema": root["$schema"],
            "$id": schema_id,
            "$ref": f"#/$defs/{definition}",
            "$defs": root["$defs"],
        }
    else:
        schema = {**root, "$id": schema_id}
    if not strict_arrays:
        schema = _tolerant(copy.deepcopy(schema))
    formats = FormatChecker(formats=())
    formats.checks("date-time")(_is_date_time)
    formats.checks("date")(_is_date)
    return Draft201909Validator(schema, format_checker=formats)


def _pointer(path: Iterable[Any]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[: _MAX_MESSAGE_CHARS - 1] + "…"


def _explain(error: ValidationError, depth: int = 0) -> Iterator[ValidationError]:
    """The errors that say what is wrong: inside a oneOf/anyOf, those of the one branch whose
    JSON type fits the value (an array branch for an array, the single-item branch otherwise)."""
    if not error.context or depth >= _MAX_BRANCH_DEPTH:
        yield error
        return
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [
        errors
        for errors in branches.values()
        if not any(e.validator == "type" and not e.relative_path for e in errors)
    ]
    if len(fitting) != 1:  # no branch, or several, fit: the alternatives themselves are the news
        yield error
        return
    for sub in fitting[0]:
        yield from _explain(sub, depth + 1)


def _violation(error: ValidationError) -> SchemaViolation:
    keyword = str(error.validator)
    expected = error.validator_value
    if keyword == "type":
        message = f"must be of type {expected!r}"
    elif keyword == "enum":
        message = _shorten(f"must be one of {expected!r}")
    elif keyword == "const":
        message = _shorten(f"must be {expected!r}")
    elif keyword == "format":
        message = f"is not a valid {expected}"
    elif keyword == "pattern":
        message = _shorten(f"does not match the pattern {expected!r}")
    elif keyword in ("oneOf", "anyOf"):
        message = "matches none of the allowed forms"
    else:
        message = _shorten(error.message)
    return SchemaViolation(_pointer(error.absolute_path), keyword, message)


def validate(document: Any, schema_id: str, *, strict_arrays: bool = False) -> None:
    """Validate ``document`` against the bundled schema published at ``schema_id``.

    Raises:
        MalformedPayload: ``reason="schema"``; ``violations`` holds up to
            :data:`MAX_VIOLATIONS` :class:`SchemaViolation` s, ``pointer`` the first one's.
        ValueError: ``schema_id`` is not in :data:`BUNDLED_SCHEMAS` (a bad call: check first).

    Example::

        validate(credential, "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                             "ob_v3p0_achievementcredential_schema.json")
    """
    if schema_id not in BUNDLED_SCHEMAS:
        raise ValueError(f"{schema_id!r} is not a bundled schema")
    validator = _validator(schema_id, strict_arrays)
    leaves = (leaf for error in validator.iter_errors(document) for leaf in _explain(error))
    violations = tuple(
        sorted((_violation(e) for e in islice(leaves, MAX_VIOLATIONS)), key=lambda v: v.pointer)
    )
    if not violations:
        return
    first = violations[0]
    raise MalformedPayload(
        f"the credential does not conform to {schema_id}: {first.pointer or '/'} {first.message}"
        + (f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""),
        reason="schema",
        schema=schema_id,
        pointer=first.pointer,
        violations=violations,
    )


def _entries(credential: Credential) -> list[Any]:
    entries = credential.schemas
    if len(entries) > MAX_SCHEMA_ENTRIES:
        raise MalformedPayload(
            f"credentialSchema has more than {MAX_SCHEMA_ENTRIES} entries",
            reason="schema-entry",
            limit=MAX_SCHEMA_ENTRIES,
        )
    return entries


def check_credential_schemas(
    credential: Mapping[str, Any] | Credential, *, strict_arrays: bool = False
) -> tuple[SchemaResult, ...]:
    """One :class:`SchemaResult` per ``credentialSchema`` entry of ``credential`` (a JSON object
    or the model's view of one; none → ``()``).

    Raises:
        MalformedPayload: ``reason="schema-entry"``: an entry that is not ``{id, type}`` with
            string members, or more than :data:`MAX_SCHEMA_ENTRIES` entries.

    Example::

        failed = [r for r in check_credential_schemas(credential) if r.outcome == "failed"]
    """
    view = credential_of(credential)
    results: list[SchemaResult] = []
    for position, entry in enumerate(_entries(view)):
        declared = CredentialSchema.of(entry)
        schema_id = declared.declared_id if declared is not None else None
        schema_type = declared.type if declared is not None else None
        if not isinstance(schema_id, str) or not isinstance(schema_type, str):
            raise MalformedPayload(
                f"credentialSchema[{position}] must be an object with string 'id' and 'type'",
                reason="schema-entry",
                field="credentialSchema",
            )
        if schema_type not in SCHEMA_TYPES:
            results.append(
                SchemaResult(schema_id, "not-checked", f"schema type {schema_type!r} is not run by badgekiln")
            )
        elif schema_id not in BUNDLED_SCHEMAS:
            results.append(
                SchemaResult(
                    schema_id,
                    "not-checked",
                    "the schema is not bundled with badgekiln (schemas are never fetched)",
                )
            )
        else:
            try:
                validate(view.raw, schema_id, strict_arrays=strict_arrays)
            except MalformedPayload as exc:
                results.append(SchemaResult(schema_id, "failed", exc.message, exc.details["violations"]))
            else:
                results.append(SchemaResult(schema_id, "passed", "the credential conforms to the schema"))
    return tuple(results)
