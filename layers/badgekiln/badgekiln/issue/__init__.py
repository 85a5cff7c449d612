"""Issuing: issuers, achievements, keys, OB 3.0 and OB 2.0 credentials, revocation, batches.

::

    from badgekiln.issue import create_issuer, create_achievement, issue_credential, revoke
    from badgekiln.store import open_store

    store = open_store("./.badgekiln/store")
    acme = create_issuer(store, "https://badges.example.org", {"name": "Acme", "url": "https://acme.example"})
    create_achievement(store, acme.slug, {"name": "Teamwork", "description": "…", "criteria": "…"}, png)
    issued = issue_credential(store, acme.slug, "teamwork", "ada@example.org", idempotency_key="order-17")
    revoke(store, acme.slug, issued.id, reason="issued in error")

Where everything is published: :mod:`badgekiln.hosting.layout`. Names are imported lazily, so
importing this package costs nothing until one is used (pydantic loads with the models).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from badgekiln._lazy import lazy_exports

if TYPE_CHECKING:
    from badgekiln.issue.achievements import (
        achievement_summaries,
        achievement_summary,
        create_achievement,
        get_achievement,
        list_achievements,
    )
    from badgekiln.issue.apikeys import ApiKey, create_api_key, verify_api_key
    from badgekiln.issue.batch import BatchRow, BatchSummary, issue_batch, read_rows
    from badgekiln.issue.credentials import Issued, issue_credential
    from badgekiln.issue.demo import Demo, seed_demo
    from badgekiln.issue.issuers import (
        create_issuer,
        get_issuer,
        issuer_summary,
        list_issuers,
        rotate_key,
        update_issuer,
    )
    from badgekiln.issue.records import IssuerRecord
    from badgekiln.issue.revocation import reinstate, revoke, suspend
    from badgekiln.issue.signing import KeyOptions

_LAZY: dict[str, str] = {
    "achievement_summaries": "badgekiln.issue.achievements",
    "achievement_summary": "badgekiln.issue.achievements",
    "create_achievement": "badgekiln.issue.achievements",
    "get_achievement": "badgekiln.issue.achievements",
    "list_achievements": "badgekiln.issue.achievements",
    "ApiKey": "badgekiln.issue.apikeys",
    "create_api_key": "badgekiln.issue.apikeys",
    "verify_api_key": "badgekiln.issue.apikeys",
    "BatchRow": "badgekiln.issue.batch",
    "BatchSummary": "badgekiln.issue.batch",
    "issue_batch": "badgekiln.issue.batch",
    "read_rows": "badgekiln.issue.batch",
    "Issued": "badgekiln.issue.credentials",
    "issue_credential": "badgekiln.issue.credentials",
    "Demo": "badgekiln.issue.demo",
    "seed_demo": "badgekiln.issue.demo",
    "create_issuer": "badgekiln.issue.issuers",
    "get_issuer": "badgekiln.issue.issuers",
    "issuer_summary": "badgekiln.issue.issuers",
    "list_issuers": "badgekiln.issue.issuers",
    "rotate_key": "badgekiln.issue.issuers",
    "update_issuer": "badgekiln.issue.issuers",
    "IssuerRecord": "badgekiln.issue.records",
    "reinstate": "badgekiln.issue.revocation",
    "revoke": "badgekiln.issue.revocation",
    "suspend": "badgekiln.issue.revocation",
    "KeyOptions": "badgekiln.issue.signing",
}

#: Where a batch too big for one request goes: a presigned upload, issued by the worker.
UPLOAD_ROUTE: Final = "POST /issuers/{issuer}/uploads"

__all__ = [
    "UPLOAD_ROUTE",
    "ApiKey",
    "BatchRow",
    "BatchSummary",
    "Demo",
    "Issued",
    "IssuerRecord",
    "KeyOptions",
    "achievement_summaries",
    "achievement_summary",
    "create_achievement",
    "create_api_key",
    "create_issuer",
    "get_achievement",
    "get_issuer",
    "issue_batch",
    "issue_credential",
    "issuer_summary",
    "list_achievements",
    "list_issuers",
    "read_rows",
    "reinstate",
    "revoke",
    "rotate_key",
    "seed_demo",
    "suspend",
    "update_issuer",
    "verify_api_key",
]


__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
