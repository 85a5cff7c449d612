"""Every ``credentialStatus`` entry of an OB 3.0 credential, dispatched by type; fails closed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from badgekiln.errors import StatusError
from badgekiln.model.ob3 import Credential, credential_of
from badgekiln.model.status import StatusEntry
from badgekiln.status.result import FetchJson, StatusPolicy, StatusResult, VerifyCredential
from badgekiln.status.revocationlist import check_revocation_list_entry
from badgekiln.status.statuslist import ENTRY_TYPES, check_status_list_entry

__all__ = ["MAX_STATUS_ENTRIES", "STATUS_TYPES", "check_credential_status"]

#: Most ``credentialStatus`` entries checked on one credential: each costs a fetch and a proof
#: verification, and the REC's uses (revocation + suspension + a message list) need three.
MAX_STATUS_ENTRIES: Final = 8
#: credentialStatus types badgekiln checks; any other type fails (a status we cannot read must
#: not pass as "not revoked").
STATUS_TYPES: Final = ENTRY_TYPES | {"1EdTechRevocationList"}


def check_credential_status(
    credential: Mapping[str, Any] | Credential,
    *,
    fetch_json: FetchJson,
    verify_credential: VerifyCredential,
    policy: StatusPolicy = StatusPolicy(),  # noqa: B008  # frozen, so one shared default is safe
    at: datetime | None = None,
) -> tuple[StatusResult, ...]:
    """Check each ``credentialStatus`` entry of ``credential`` (a JSON object or the model's view
    of one; no entry → an empty tuple).

    The credential's ``issuer`` (id or object) and, for 1EdTech revocation lists, its ``id``
    are read from ``credential``, which the caller has already verified.

    Raises:
        StatusError: as :func:`~badgekiln.status.check_status_list_entry` and
            :func:`~badgekiln.status.check_revocation_list_entry` for the first entry that
            cannot be checked; ``reason="unsupported-type"`` for a type outside
            :data:`STATUS_TYPES`; ``"entry"`` for a credential without a usable issuer or id;
            ``"too-large"`` for more than :data:`MAX_STATUS_ENTRIES` entries.
        ValueError: ``at`` is naive.

    Example::

        for result in check_credential_status(credential, fetch_json=fetcher.get_json,
                                              verify_credential=verify_list):
            if result.invalidates: ...
    """
    if at is not None and at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    view = credential_of(credential)
    entries = view.status_entries
    if not entries:
        return ()
    if len(entries) > MAX_STATUS_ENTRIES:
        raise StatusError(
            f"the credential has more than {MAX_STATUS_ENTRIES} credentialStatus entries",
            reason="too-large",
            limit=MAX_STATUS_ENTRIES,
        )
    issuer_id = view.issuer_id
    if issuer_id is None:
        raise StatusError("the credential has no issuer id to compare status lists with", reason="entry")
    results = []
    for raw in entries:
        entry = StatusEntry.of(raw)
        if entry is not None and entry.type == "1EdTechRevocationList":
            credential_id = view.id
            if credential_id is None:
                raise StatusError(
                    "a 1EdTechRevocationList cannot be checked for a credential without an id", reason="entry"
                )
            results.append(
                check_revocation_list_entry(
                    entry,
                    credential_id=credential_id,
                    issuer=issuer_id,
                    fetch_json=fetch_json,
                    verify_credential=verify_credential,
                    policy=policy,
                )
            )
        else:
            results.append(
                check_status_list_entry(
                    entry or raw,
                    issuer=issuer_id,
                    fetch_json=fetch_json,
                    verify_credential=verify_credential,
                    policy=policy,
                    at=at,
                )
            )
    return tuple(results)
