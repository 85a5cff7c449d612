"""Credential status: status lists and revocation lists, checked for verifiers, kept for issuers.

Verifiers call :func:`check_credential_status` (every ``credentialStatus`` of an OB 3.0
credential) or one checker directly, injecting ``fetch_json`` (the safe fetcher; a list served as
a VC-JWT comes back as a :class:`CompactToken`) and ``verify_credential`` (which verifies a list
credential's embedded proof or VC-JWT, and its key's tie to its issuer); each check returns
a :class:`StatusResult` or raises :class:`~badgekiln.errors.StatusError` whose ``reason`` is one
of :data:`REASONS`. :class:`StatusPolicy` says how strict to be, per call.

=====================================  ==================================================
credentialStatus / list                checker
=====================================  ==================================================
``BitstringStatusListEntry`` (REC)     :func:`check_status_list_entry`
``StatusList2021Entry`` (legacy)       :func:`check_status_list_entry`
``1EdTechRevocationList`` (OB 3.0)     :func:`check_revocation_list_entry`
OB 2.0 issuer ``revocationList``       :func:`check_ob2_revocation_list`
OB 1.x issuer ``revocationList``       :func:`check_ob1_revocation_list`
=====================================  ==================================================

Issuers build entries and lists with :class:`StatusBitstring`, :func:`build_status_entry`,
:func:`build_status_list_credential` and the OB 2.0 helpers. Only the standard library is
imported here: no network, no JSON-LD.
"""

from __future__ import annotations

from badgekiln.status.bitstring import (
    MAX_ENCODED_CHARS,
    MAX_LIST_BYTES,
    MAX_STATUS_SIZE,
    MIN_LIST_ENTRIES,
    StatusBitstring,
)
from badgekiln.status.check import MAX_STATUS_ENTRIES, STATUS_TYPES, check_credential_status
from badgekiln.status.result import (
    PURPOSES,
    REASONS,
    CompactToken,
    FetchJson,
    StatusPolicy,
    StatusResult,
    VerifyCredential,
)
from badgekiln.status.revocationlist import (
    MAX_REVOKED_ENTRIES,
    add_revoked_assertion,
    build_ob2_revocation_list,
    check_ob1_revocation_list,
    check_ob2_revocation_list,
    check_revocation_list_entry,
    remove_revoked_assertion,
)
from badgekiln.status.statuslist import (
    build_status_entry,
    build_status_list_credential,
    check_status_list_entry,
)

__all__ = [
    "MAX_ENCODED_CHARS",
    "MAX_LIST_BYTES",
    "MAX_REVOKED_ENTRIES",
    "MAX_STATUS_ENTRIES",
    "MAX_STATUS_SIZE",
    "MIN_LIST_ENTRIES",
    "PURPOSES",
    "REASONS",
    "STATUS_TYPES",
    "CompactToken",
    "FetchJson",
    "StatusBitstring",
    "StatusPolicy",
    "StatusResult",
    "VerifyCredential",
    "add_revoked_assertion",
    "build_ob2_revocation_list",
    "build_status_entry",
    "build_status_list_credential",
    "check_credential_status",
    "check_ob1_revocation_list",
    "check_ob2_revocation_list",
    "check_revocation_list_entry",
    "check_status_list_entry",
    "remove_revoked_assertion",
]
