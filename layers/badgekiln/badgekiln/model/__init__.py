"""The model of a badge: frozen, read-only, typed views of what badges say.

::

    from badgekiln.model import claims_of, read
    badge = read(document)               # an ob3.Credential, ob2.Assertion or ob2.LegacyAssertion
    badge.issuer_id, badge.issued.value  # tolerant accessors; dates parsed once
    claims_of(badge).name                # what it claims (the report summary and the pages)

Each view keeps the JSON object it reads (``view.raw``) untouched, since proofs sign and verify
exactly that; its accessors never raise on a hostile shape (a member of the wrong type reads as
absent, or is returned as written for a check to judge). :func:`read` is the one place the Open
Badges version and kind are decided. Modules: :mod:`.node` (the base view and the helpers for
JSON-LD's loose shapes), :mod:`.dates` (the library's one date-time parser and writer),
:mod:`.ob3`, :mod:`.ob2`, :mod:`.jwt` (VC-JWT header and claims), :mod:`.status` (status entries
and revocation lists), :mod:`.claims` and :mod:`.reader`. Standard library only: every layer may
import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from badgekiln._lazy import lazy_exports

if TYPE_CHECKING:
    from badgekiln.model.claims import Claims, Lookup, claims_of
    from badgekiln.model.dates import DateTime
    from badgekiln.model.reader import Badge, carries_credential, is_credential, read, read_jwt

__all__ = [
    "Badge",
    "Claims",
    "DateTime",
    "Lookup",
    "carries_credential",
    "claims_of",
    "is_credential",
    "read",
    "read_jwt",
]

_LAZY: dict[str, str] = {
    "Badge": "badgekiln.model.reader",
    "Claims": "badgekiln.model.claims",
    "DateTime": "badgekiln.model.dates",
    "Lookup": "badgekiln.model.claims",
    "carries_credential": "badgekiln.model.reader",
    "claims_of": "badgekiln.model.claims",
    "is_credential": "badgekiln.model.reader",
    "read": "badgekiln.model.reader",
    "read_jwt": "badgekiln.model.reader",
}

__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
