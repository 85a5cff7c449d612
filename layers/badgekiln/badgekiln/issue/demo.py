"""Demo data for ``badgekiln serve``: an issuer, an achievement, an API key and one credential.

:func:`seed_demo` runs on every start and seeds once: the first run creates everything and
returns the API key's token (shown once; only its hash is stored); later runs return the same
issuer, achievement and credential with ``api_key=None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from badgekiln.errors import Conflict, NotFound
from badgekiln.hosting.layout import Layout
from badgekiln.issue.achievements import achievement_summary, create_achievement
from badgekiln.issue.apikeys import create_api_key, delete_api_key
from badgekiln.issue.credentials import Issued, issue_credential
from badgekiln.issue.issuers import create_issuer, issuer_summary
from badgekiln.issue.models import IssueRequest, RecipientInput
from badgekiln.issue.records import RECORD_HEADERS, dump, load
from badgekiln.store.base import Store, private_path

__all__ = ["DEMO_BADGE_SVG", "Demo", "seed_demo"]

#: The demo achievement's image: an SVG template personalised with the recipient's name.
DEMO_BADGE_SVG: Final = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <title>{{achievement_name}} awarded to {{recipient_name}}</title>
  <circle cx="128" cy="128" r="120" fill="#1f6f8b"/>
  <circle cx="128" cy="128" r="100" fill="#f4f1de"/>
  <g font-family="DejaVu Sans" text-anchor="middle">
    <text x="128" y="110" font-size="22" fill="#1f6f8b">{{achievement_name}}</text>
    <text x="128" y="145" font-size="16" fill="#333333">{{recipient_name}}</text>
    <text x="128" y="175" font-size="12" fill="#333333">{{issued_on}}</text>
  </g>
</svg>
"""
_MARKER: Final = "demo.json"
_SAMPLE_KEY: Final = "badgekiln-demo-sample"


@dataclass(frozen=True)
class Demo:
    """What :func:`seed_demo` made (``api_key`` is the token, on the first run only)."""

    issuer: dict[str, Any]
    achievement: dict[str, Any]
    credential: Issued
    api_key: str | None
    api_key_id: str


def seed_demo(store: Store, public_url: str, *, now: datetime | None = None) -> Demo:
    """Seed the demo once; return it (see the module docstring).

    Raises:
        InvalidField: ``public_url`` is not a usable public URL.
        StoreError, SigningError, RenderError: the store, signer or renderer failed.
    """
    when = now or datetime.now(UTC)
    marker = private_path(_MARKER)
    try:
        seeded = load(store.get(marker))
    except NotFound:
        seeded = None
    # Locally the public URL is http://127.0.0.1:…, where did:web cannot live and verifiers refuse
    # http key URLs: there the demo issuer is a did:key, so its badges verify.
    kind = None if Layout.parse(public_url).supports_did_web else "key"
    issuer = create_issuer(
        store,
        public_url,
        {
            "name": "badgekiln demo",
            "url": "https://github.com/badgekiln",
            "slug": "demo",
            "suspension": True,
            "kind": kind,
        },
        now=when,
    )
    achievement = create_achievement(
        store,
        issuer.slug,
        {
            "name": "Kiln Starter",
            "slug": "kiln-starter",
            "description": "Ran badgekiln locally and issued a first Open Badge.",
            "criteria": "Start `badgekiln serve` and open the demo credential.",
            "achievement_type": "Badge",
            "tags": ["demo"],
        },
        DEMO_BADGE_SVG,
        now=when,
    )
    sample = IssueRequest(
        achievement=achievement["slug"],
        recipient=RecipientInput(identity="ada@example.org", name="Ada Lovelace"),
        image="png",
        personalise=True,
    )
    credential = issue_credential(store, issuer.slug, sample, idempotency_key=_SAMPLE_KEY, now=when)
    if seeded is not None and isinstance(seeded.get("api_key_id"), str):
        token, key_id = None, seeded["api_key_id"]
    else:
        token, key = create_api_key(store, admin=True, label="badgekiln serve demo", now=when)
        key_id = key.id
        try:
            store.create(marker, dump({"api_key_id": key_id}), **RECORD_HEADERS)
        except Conflict:
            # a concurrent first run won: its key is the demo's; drop ours
            delete_api_key(store, key_id)
            token, key_id = None, load(store.get(marker))["api_key_id"]
    return Demo(
        issuer=issuer_summary(issuer),
        achievement=achievement_summary(issuer, achievement),
        credential=credential,
        api_key=token,
        api_key_id=key_id,
    )
