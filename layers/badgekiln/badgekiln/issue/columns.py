"""The columns of a batch: our names, the aliases people's spreadsheets use, and one header reader.

A CSV header (or a JSON Lines row's member names) is read case-insensitively, with spaces,
hyphens and underscores alike (``E-mail``, ``e_mail`` and ``E Mail`` are one name). Each name is
one of :data:`ALIASES`, a part of the name (:data:`NAME_PARTS`: ``first_name`` + ``last_name`` are
joined with a space into ``name``), or unknown: unknown columns are ignored and reported once. Two
columns that mean the same thing (``email`` and ``Recipient``; ``Name`` and ``First Name``) are
refused: which one to use is the user's call, not ours.

=====================  ==========================================================================
column                 accepted names (after folding case and ``-``/space to ``_``)
=====================  ==========================================================================
``recipient``          recipient, email, e_mail, email_address, e_mail_address, recipient_email
``name``               name, full_name, recipient_name, display_name; or the parts below
(``name``: first)      first_name, firstname, given_name
(``name``: last)       last_name, lastname, surname, family_name
``recipient_type``     recipient_type, identity_type
``hashed``             hashed
``evidence``           evidence, evidence_url
``narrative``          narrative
``valid_until``        valid_until, expires, expiry, expiration_date
``idempotency_key``    idempotency_key
``credential_id``      credential_id
``external_id``        external_id, external_ref
=====================  ==========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from badgekiln.errors import InvalidField

__all__ = [
    "ALIASES",
    "COLUMNS",
    "NAME_PARTS",
    "Columns",
    "fold",
    "quote_names",
    "read_header",
    "read_members",
]

#: Our column names (what a row's fields are called once read).
COLUMNS: Final = frozenset(
    {
        "recipient",
        "recipient_type",
        "hashed",
        "name",
        "evidence",
        "narrative",
        "valid_until",
        "idempotency_key",
        "credential_id",
        "external_id",
    }
)

_ALIAS_LISTS: Final[Mapping[str, tuple[str, ...]]] = {
    "recipient": ("email", "e_mail", "email_address", "e_mail_address", "recipient_email"),
    "name": ("full_name", "recipient_name", "display_name"),
    "recipient_type": ("identity_type",),
    "evidence": ("evidence_url",),
    "valid_until": ("expires", "expiry", "expiration_date"),
    "external_id": ("external_ref",),
}
#: Folded column name → our column (every column is its own alias).
ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {column: column for column in COLUMNS}
    | {alias: column for column, aliases in _ALIAS_LISTS.items() for alias in aliases}
)
#: Folded column name → which part of ``name`` it is; the parts are joined with a space.
NAME_PARTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "first_name": 0,
        "firstname": 0,
        "given_name": 0,
        "last_name": 1,
        "lastname": 1,
        "surname": 1,
        "family_name": 1,
    }
)
_PART_LABELS: Final = ("first name", "last name")
#: Most column names quoted in an error or a warning (a header may have thousands).
_QUOTED: Final = 10

_SEPARATORS: Final = re.compile(r"[\s_-]+")


def fold(name: str) -> str:
    """``name`` as compared: trimmed, case-folded, runs of spaces, ``-`` and ``_`` as one ``_``."""
    return _SEPARATORS.sub("_", name.strip().casefold()).strip("_")


def quote_names(names: Iterable[str]) -> str:
    """Column names for a message: quoted, clipped, the first ten."""
    names = list(names)
    shown = ", ".join(repr(n[:60]) for n in names[:_QUOTED])
    return shown + (f" and {len(names) - _QUOTED} more" if len(names) > _QUOTED else "")


@dataclass(frozen=True)
class Columns:
    """How to read rows under one header: the column (or name part) each position holds, and
    the names that were ignored (as written in the header)."""

    #: Per position: our column, ``("name", part)`` for a name part, or ``None`` (ignored).
    positions: tuple[str | tuple[str, int] | None, ...]
    ignored: tuple[str, ...]

    def fields(self, values: Sequence[str]) -> dict[str, str]:
        """The row's fields under our names; empty values are absent, name parts joined."""
        fields: dict[str, str] = {}
        parts = ["", ""]
        for where, value in zip(self.positions, values, strict=True):
            if where is None or value == "":
                continue
            if isinstance(where, tuple):
                parts[where[1]] = value.strip()
            else:
                fields[where] = value
        name = " ".join(part for part in parts if part)
        if name:
            fields["name"] = name
        return fields


def _resolve(names: Sequence[str], *, what: str, line: int | None = None) -> Columns:
    """Map ``names`` onto our columns, or raise naming the clash.

    Raises:
        InvalidField: (``field="columns"``) two names for one column, ``name`` beside its parts.
    """
    positions: list[str | tuple[str, int] | None] = []
    seen: dict[str, str] = {}  # our column or name part → the name that gave it
    ignored: list[str] = []
    for name in names:
        folded = fold(name)
        column, part = ALIASES.get(folded), NAME_PARTS.get(folded)
        where: str | tuple[str, int]
        if column is not None:
            key, where = column, column
        elif part is not None:
            key, where = _PART_LABELS[part], ("name", part)
        else:
            positions.append(None)
            ignored.append(name)
            continue
        clash = seen.get(key)
        if clash is None and key == "name":  # a whole name beside its parts
            clash = seen.get(_PART_LABELS[0]) or seen.get(_PART_LABELS[1])
        elif clash is None and part is not None:
            clash = seen.get("name")
        if clash is not None:
            meaning = "the name" if key in ("name", *_PART_LABELS) else key
            raise InvalidField(
                f"{what} has both {clash[:60]!r} and {name[:60]!r} for {meaning}; keep one of them",
                field="columns",
                reason="ambiguous",
                line=line,
            )
        seen[key] = name
        positions.append(where)
    return Columns(tuple(positions), tuple(ignored))


def read_header(header: Sequence[str]) -> Columns:
    """The :class:`Columns` of a CSV header row.

    Raises:
        InvalidField: (``field="columns"``) no recipient column (``reason="no-recipient"``), or
            two columns that mean the same (``reason="ambiguous"``).
    """
    columns = _resolve(header, what="the CSV header")
    if "recipient" not in columns.positions:
        raise InvalidField(
            "the CSV header needs a recipient column (recipient, email or e-mail …); found "
            + (quote_names(header) or "no columns"),
            field="columns",
            reason="no-recipient",
        )
    return columns


def read_members(row: Mapping[str, Any], *, line: int) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A JSON Lines row's members under our names, and the names that were ignored.

    JSON values are kept as they are (``evidence`` may be a list of objects); name parts are
    joined when both are text.

    Raises:
        InvalidField: (``field="columns"``, ``line``) two members that mean the same.
    """
    names = list(row)
    columns = _resolve(names, what=f"row {line}", line=line)
    fields: dict[str, Any] = {}
    parts: list[Any] = [None, None]
    for where, name in zip(columns.positions, names, strict=True):
        if where is None:
            continue
        if isinstance(where, tuple):
            parts[where[1]] = row[name]
        else:
            fields[where] = row[name]
    present = [p for p in parts if p is not None]
    if present:
        if not all(isinstance(p, str) for p in present):
            raise InvalidField(f"row {line}: first and last names must be text", field="name", line=line)
        fields["name"] = " ".join(p.strip() for p in present if p.strip())
    return fields, columns.ignored
