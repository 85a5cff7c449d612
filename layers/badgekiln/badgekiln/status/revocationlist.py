"""Revocation lists by id: 1EdTech ``1EdTechRevocationList`` (OB 3.0), OB 2.0 ``RevocationList``
and the Open Badges 1.x revocation list.

Both are plain JSON documents listing revoked ids, usually unsigned, so trust rests on the URL
the (signed) credential or the issuer profile names and on TLS; a 1EdTech list served as a
VC-JWT is verified (same key-provenance rule as the credential) before it is read. Lists are
read in full — a list with exactly one entry, which JSON-LD compaction may write as a single
value instead of an array, revokes that entry (the 1EdTech OB 2.0 validator misses that case).

* **1EdTech Revocation List** (``credentialStatus.type == "1EdTechRevocationList"``): GET the
  entry's ``id``; the credential is revoked when its ``id`` is listed in ``revokedCredentials``
  with ``revoked`` true or omitted. The 1EdTech validator reads ``revokedCredential``
  (singular); that spelling is accepted with a warning.
* **OB 2.0 RevocationList** (issuer profile ``revocationList``): ``revokedAssertions`` holds
  assertion ids as strings, ``{"id", "revocationReason"}`` objects, or legacy ``{"uid", …}``
  objects matched against the assertion's ``uid``.
* **Open Badges 1.x** (issuer ``revocationList``): "an object where the keys are the ``uid`` or
  ``id`` of a revoked badge assertion, and the values are the reason for revocation" (1.1
  specification). An issuer that moved its list to the 2.0 ``RevocationList`` is read as one.

Issuers maintain OB 2.0 lists with :func:`build_ob2_revocation_list`,
:func:`add_revoked_assertion` and :func:`remove_revoked_assertion`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from badgekiln.errors import StatusError
from badgekiln.model.node import id_of
from badgekiln.model.status import RevocationList, RevokedEntry, StatusEntry
from badgekiln.status.result import (
    CompactToken,
    FetchJson,
    StatusPolicy,
    StatusResult,
    VerifyCredential,
    fetch_list,
    open_list,
)

__all__ = [
    "MAX_REVOKED_ENTRIES",
    "OB2_CONTEXT",
    "add_revoked_assertion",
    "build_ob2_revocation_list",
    "check_ob1_revocation_list",
    "check_ob2_revocation_list",
    "check_revocation_list_entry",
    "remove_revoked_assertion",
]

OB2_CONTEXT: Final = "https://w3id.org/openbadges/v2"
#: Most entries read from one list. A million ids is ~60 MiB of JSON, beyond any fetch cap; the
#: bound keeps the scan finite however the document reached us.
MAX_REVOKED_ENTRIES: Final = 1_000_000
#: Longest ``revocationReason`` kept for a report (characters).
_MAX_REASON_CHARS: Final = 1000


def _load(
    ref: str | Mapping[str, Any],
    fetch_json: FetchJson,
    what: str,
    verify_credential: VerifyCredential | None = None,
) -> tuple[str, RevocationList]:
    """(url, list) for a list given by URL (fetched) or embedded as an object. A list served as a
    VC-JWT is read only once ``verify_credential`` has verified it; without one it is refused.

    Raises:
        StatusError: as :func:`~badgekiln.status.result.fetch_list` and
            :func:`~badgekiln.status.result.open_list`; ``reason="list"``: a VC-JWT where only a
            plain list can be read.
    """
    if isinstance(ref, Mapping):
        embedded = RevocationList(ref)
        url = embedded.declared_id
        return (url if isinstance(url, str) else "(embedded)"), embedded
    if not isinstance(ref, str) or not ref:
        raise StatusError(f"the {what} reference must be a URL", reason="entry")
    fetched = fetch_list(ref, fetch_json, what)
    if isinstance(fetched, CompactToken):
        if verify_credential is None:
            raise StatusError(f"the {what} {ref} is a VC-JWT, not a plain list", reason="list", url=ref)
        return ref, RevocationList(open_list(fetched, ref, verify_credential, what))
    return ref, RevocationList(fetched)


def _check_count(count: int, url: str) -> None:
    if count > MAX_REVOKED_ENTRIES:
        raise StatusError(
            f"the revocation list {url} has more than {MAX_REVOKED_ENTRIES} entries",
            reason="too-large",
            url=url,
            limit=MAX_REVOKED_ENTRIES,
        )


def _entries(document: RevocationList, member: str, url: str) -> list[Any]:
    entries = document.entries(member) or []
    _check_count(len(entries), url)
    return entries


def _reason(entry: RevokedEntry) -> str | None:
    reason = entry.reason
    return reason[:_MAX_REASON_CHARS] if reason is not None else None


def _result(method: str, url: str, reason: str | None, *, revoked: bool, warnings: list[str]) -> StatusResult:
    return StatusResult(
        method=method,
        purpose="revocation",
        value=int(revoked),
        set=revoked,
        list_url=url,
        message=reason,
        warnings=tuple(warnings),
    )


def _check_issuer(
    document: RevocationList, url: str, issuer: str | None, policy: StatusPolicy, warnings: list[str]
) -> None:
    declared = document.issuer
    if declared is None or issuer is None or declared == issuer:
        return
    if policy.require_same_issuer:
        raise StatusError(
            f"the revocation list {url} belongs to {repr(declared)[:200]}, not to the issuer {issuer}",
            reason="issuer",
            url=url,
        )
    warnings.append(f"the revocation list belongs to {repr(declared)[:200]}, not to the issuer")


def check_revocation_list_entry(
    entry: Mapping[str, Any] | StatusEntry,
    *,
    credential_id: str,
    issuer: str,
    fetch_json: FetchJson,
    verify_credential: VerifyCredential | None = None,
    policy: StatusPolicy = StatusPolicy(),  # noqa: B008  # frozen, so one shared default is safe
) -> StatusResult:
    """Check a ``1EdTechRevocationList`` credentialStatus for the credential ``credential_id``.

    A plain JSON list is read as served (it carries no proof); a list secured as a VC-JWT is
    verified with ``verify_credential`` first (the same key-provenance rule as the credential)
    and what the token secures is read.

    Raises:
        StatusError: ``reason`` is ``unsupported-type`` or ``entry`` (a bad credentialStatus),
            ``retrieval``, ``list`` (not a list document, a malformed list entry, or a VC-JWT
            without ``verify_credential``), ``verification`` (a VC-JWT that does not verify),
            ``issuer`` (the list names another issuer) or ``too-large``.

    Example::

        result = check_revocation_list_entry(
            credential["credentialStatus"], credential_id=credential["id"], issuer=issuer_id,
            fetch_json=fetcher.get_json,
        )
    """
    view = entry if isinstance(entry, StatusEntry) else StatusEntry.of(entry)
    if view is None or view.type != "1EdTechRevocationList":
        raise StatusError("credentialStatus is not a 1EdTechRevocationList entry", reason="unsupported-type")
    ref = view.id
    if ref is None:
        raise StatusError(
            "a 1EdTechRevocationList credentialStatus needs the list's URL as its id", reason="entry"
        )
    url, document = _load(ref, fetch_json, "revocation list", verify_credential)
    warnings: list[str] = []
    _check_issuer(document, url, issuer, policy, warnings)
    member = "revokedCredentials"
    if not document.has(member) and document.has("revokedCredential"):
        member = "revokedCredential"
        warnings.append(
            "the revocation list names its entries 'revokedCredential'; "
            "the specification says 'revokedCredentials'"
        )
    # OB 3.0 serialisation omits empty arrays, so a list without the member revokes nothing.
    revoked, reason = False, None
    for position, raw in enumerate(_entries(document, member, url)):
        item = RevokedEntry.of(raw)
        listed = item.declared_id if item is not None else None
        flag = item.revoked if item is not None else None
        if item is None or not isinstance(listed, str) or not isinstance(flag, bool):
            raise StatusError(
                f"{member}[{position}] in {url} must be {{'id': URI, 'revoked'?: bool}}",
                reason="list",
                url=url,
                field=member,
            )
        if listed == credential_id and flag and not revoked:  # any revoking entry wins: fail closed
            revoked, reason = True, _reason(item)
    return _result("1EdTechRevocationList", url, reason, revoked=revoked, warnings=warnings)


def check_ob2_revocation_list(
    revocation_list: str | Mapping[str, Any],
    *,
    assertion_id: str,
    assertion_uid: str | None = None,
    issuer: str | None,
    fetch_json: FetchJson,
    policy: StatusPolicy = StatusPolicy(),  # noqa: B008  # frozen, so one shared default is safe
) -> StatusResult:
    """Check an OB 2.0 issuer's ``revocationList`` (URL or embedded object) for one assertion.

    ``assertion_uid`` is the deprecated ``uid`` of the assertion, matched against legacy
    ``{"uid": …}`` entries; ``issuer`` is the issuer profile's id (compared with the list's
    ``issuer`` when the list names one).

    Raises:
        StatusError: ``reason`` is ``entry`` (no usable reference), ``retrieval``, ``type`` (not a
            RevocationList), ``list`` (no ``revokedAssertions`` or a malformed entry),
            ``issuer`` or ``too-large``.

    Example::

        result = check_ob2_revocation_list(profile["revocationList"], assertion_id=assertion["id"],
                                           issuer=profile["id"], fetch_json=fetcher.get_json)
    """
    url, document = _load(revocation_list, fetch_json, "revocation list")
    if "RevocationList" not in document.types:
        raise StatusError(
            f"{url} is not an OB 2.0 RevocationList", reason="type", url=url, expected="RevocationList"
        )
    warnings: list[str] = []
    _check_issuer(document, url, issuer, policy, warnings)
    if not document.has("revokedAssertions"):
        raise StatusError(f"the RevocationList {url} has no revokedAssertions", reason="list", url=url)
    revoked, reason = False, None
    for position, raw in enumerate(_entries(document, "revokedAssertions", url)):
        item = RevokedEntry.of(raw)
        if isinstance(raw, str):
            hit = raw == assertion_id
        elif item is not None and isinstance(item.declared_id if item.has("id") else item.uid, str):
            hit = item.declared_id == assertion_id or (
                assertion_uid is not None and item.uid == assertion_uid
            )
        else:
            raise StatusError(
                f"revokedAssertions[{position}] in {url} must be an id or an object with 'id' or 'uid'",
                reason="list",
                url=url,
                field="revokedAssertions",
            )
        if hit and not revoked:
            revoked, reason = True, _reason(item) if item is not None else None
    return _result("RevocationList", url, reason, revoked=revoked, warnings=warnings)


def check_ob1_revocation_list(
    revocation_list: str,
    *,
    assertion_uid: str | None,
    assertion_id: str | None,
    issuer: str | None,
    fetch_json: FetchJson,
    policy: StatusPolicy = StatusPolicy(),  # noqa: B008  # frozen, so one shared default is safe
) -> StatusResult:
    """Check an Open Badges 1.x issuer's ``revocationList`` URL for one assertion (its ``uid``
    and, for 1.1, its ``id``); a list of type ``RevocationList`` is read as OB 2.0's.

    Raises:
        StatusError: ``reason`` is ``entry`` (not a URL), ``retrieval``, ``list`` (a token, or
            a key that matches holds no reason text), ``too-large``, or as
            :func:`check_ob2_revocation_list`.
    """
    if not isinstance(revocation_list, str) or not revocation_list:
        raise StatusError("the revocation list reference must be a URL", reason="entry")
    document = fetch_list(revocation_list, fetch_json, "revocation list")
    if isinstance(document, CompactToken):  # 1.x lists predate secured lists: plain JSON only
        raise StatusError(
            f"the revocation list {revocation_list} is a token; an Open Badges 1.x list is a JSON object",
            reason="list",
            url=revocation_list,
        )
    if "RevocationList" in RevocationList(document).types:
        return check_ob2_revocation_list(
            document if "id" in document else {**document, "id": revocation_list},
            assertion_id=assertion_id or "",
            assertion_uid=assertion_uid,
            issuer=issuer,
            fetch_json=fetch_json,
            policy=policy,
        )
    _check_count(len(document), revocation_list)
    keys = [key for key in (assertion_uid, assertion_id) if key]
    hit = next((key for key in keys if key in document), None)
    if hit is None:
        return _result("revocationList (1.x)", revocation_list, None, revoked=False, warnings=[])
    reason = document[hit]
    if not isinstance(reason, str):
        raise StatusError(
            f"the revocation list {revocation_list} gives {hit!r} a reason that is not text",
            reason="list",
            url=revocation_list,
            field=hit,
        )
    return _result(
        "revocationList (1.x)", revocation_list, reason[:_MAX_REASON_CHARS] or None, revoked=True, warnings=[]
    )


# --- issuing (OB 2.0) ---------------------------------------------------------------------------


def build_ob2_revocation_list(*, list_url: str, issuer_id: str) -> dict[str, Any]:
    """An empty OB 2.0 RevocationList to publish at ``list_url`` (linked from the issuer profile).

    Example::

        revocations = add_revoked_assertion(build_ob2_revocation_list(list_url=u, issuer_id=i), aid)
    """
    return {
        "@context": OB2_CONTEXT,
        "id": list_url,
        "type": "RevocationList",
        "issuer": issuer_id,
        "revokedAssertions": [],
    }


def add_revoked_assertion(
    document: Mapping[str, Any], assertion_id: str, *, reason: str | None = None
) -> dict[str, Any]:
    """A copy of the RevocationList ``document`` with ``assertion_id`` revoked for ``reason``.

    Revoking an id already listed replaces its entry (so the reason can be corrected).

    Raises:
        ValueError: an empty id or reason, or a document without a ``revokedAssertions`` list.
    """
    if not isinstance(assertion_id, str) or not assertion_id:
        raise ValueError("assertion_id must be a non-empty string")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise ValueError("reason must be a non-empty string or None")
    updated = copy.deepcopy(dict(document))
    entries = updated.get("revokedAssertions")
    if not isinstance(entries, list):
        raise ValueError("document has no revokedAssertions list")
    entry: dict[str, Any] = {"id": assertion_id}
    if reason is not None:
        entry["revocationReason"] = reason
    updated["revokedAssertions"] = [e for e in entries if id_of(e) != assertion_id] + [entry]
    return updated


def remove_revoked_assertion(document: Mapping[str, Any], assertion_id: str) -> dict[str, Any]:
    """A copy of the RevocationList ``document`` without ``assertion_id`` (reinstatement).

    Removing an id that is not listed returns an equal copy, so retries are harmless.

    Raises:
        ValueError: a document without a ``revokedAssertions`` list.
    """
    updated = copy.deepcopy(dict(document))
    entries = updated.get("revokedAssertions")
    if not isinstance(entries, list):
        raise ValueError("document has no revokedAssertions list")
    updated["revokedAssertions"] = [e for e in entries if id_of(e) != assertion_id]
    return updated
