"""Test support for the public pages: a store seeded by issuing real credentials, and hostile badges.

:func:`seed` issues, through :mod:`badgekiln.issue`, what the page tests need: a valid OB 3.0
credential (Data Integrity, and one as a VC-JWT), a revoked one, a suspended one, OB 2.0 hosted
(one of them revoked) and signed assertions, and a badge whose image is an SVG. The issuer is a
``did:key`` (a loopback public URL cannot host did:web; an http key is trusted only where the
site answers it from its store), so proofs verify without fetching; status lists live under the
public URL and are answered from the store.

:func:`tampered` re-bakes a badge with one claim changed (its proof no longer verifies);
:func:`xss_badge` signs a genuine badge whose every string is markup or a ``javascript:`` URL;
:func:`verify_page` renders a view as the verify page shows it.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import png

from badgekiln.baking import bake, extract
from badgekiln.issue import create_achievement, create_issuer, issue_credential, revoke, suspend
from badgekiln.issue.credentials import Issued
from badgekiln.store.base import Store

__all__ = ["XSS_NAME", "Seeded", "badge_png", "seed", "tampered", "verify_page", "xss_badge"]

XSS_NAME = "<script>alert('xss')</script>"
BADGE_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200">
  <circle cx="100" cy="100" r="95" fill="#1f6f8b"/>
  <circle cx="100" cy="100" r="70" fill="#f4f1de"/>
  <path d="M70 102l20 20 40-44" fill="none" stroke="#1f6f8b" stroke-width="14" stroke-linecap="round"/>
</svg>
"""


def badge_png(size: int = 96, color: tuple[int, int, int] = (31, 111, 139)) -> bytes:
    """A ``size`` × ``size`` PNG: a coloured disc on white (so screenshots show a badge)."""
    centre, radius = (size - 1) / 2, size * 0.45
    rows = []
    for y in range(size):
        row: list[int] = []
        for x in range(size):
            inside = (x - centre) ** 2 + (y - centre) ** 2 <= radius**2
            row.extend(color if inside else (255, 255, 255))
        rows.append(row)
    out = io.BytesIO()
    png.Writer(size, size, greyscale=False).write(out, rows)
    return out.getvalue()


@dataclass(frozen=True)
class Seeded:
    """What :func:`seed` issued (``issuer`` is the slug)."""

    issuer: str
    issuer_name: str
    valid: Issued
    revoked: Issued
    suspended: Issued
    ob2: Issued
    svg: Issued
    jwt: Issued
    jws: Issued
    ob2_revoked: Issued


def seed(store: Store, public_url: str, *, now: datetime | None = None) -> Seeded:
    """Issue the page tests' credentials into ``store`` under ``public_url``."""
    when = now or datetime.now(UTC)
    name = "Acme Academy"
    issuer = create_issuer(
        store,
        public_url,
        {"name": name, "url": "https://acme.example", "kind": "key", "suspension": True, "slug": "acme"},
        now=when,
    )
    create_achievement(
        store,
        issuer.slug,
        {
            "name": "Teamwork",
            "slug": "teamwork",
            "description": "Works well with others.\nShares credit.",
            "criteria": "Nominated by three peers and confirmed by a mentor.",
            "criteria_url": "https://acme.example/criteria/teamwork",
        },
        badge_png(),
        now=when,
    )
    create_achievement(
        store,
        issuer.slug,
        {
            "name": "Kiln Starter",
            "slug": "kiln-starter",
            "description": "Fired a first badge.",
            "criteria": "Did it.",
        },
        BADGE_SVG,
        now=when,
    )
    # a fixed name: events/pages-verify.json asks for /v/acme/ada-teamwork
    valid = issue_credential(
        store,
        issuer.slug,
        {"achievement": "teamwork", "recipient": "ada@example.org", "credential_id": "ada-teamwork"},
        now=when,
    )
    revoked = issue_credential(
        store, issuer.slug, {"achievement": "teamwork", "recipient": "bob@example.org"}, now=when
    )
    revoke(store, issuer.slug, revoked.name, reason="issued in error")
    suspended = issue_credential(
        store, issuer.slug, {"achievement": "teamwork", "recipient": "cy@example.org"}, now=when
    )
    suspend(store, issuer.slug, suspended.name, reason="under review")
    ob2 = issue_credential(
        store,
        issuer.slug,
        {"achievement": "teamwork", "recipient": "dee@example.org", "spec": "ob2"},
        now=when,
    )
    svg = issue_credential(
        store, issuer.slug, {"achievement": "kiln-starter", "recipient": "eve@example.org"}, now=when
    )
    jwt = issue_credential(
        store,
        issuer.slug,
        {"achievement": "teamwork", "recipient": "fay@example.org", "proof": "jwt", "algorithm": "EdDSA"},
        now=when,
    )
    jws = issue_credential(
        store,
        issuer.slug,
        {"achievement": "teamwork", "recipient": "gus@example.org", "spec": "ob2", "signed": True},
        now=when,
    )
    ob2_revoked = issue_credential(
        store,
        issuer.slug,
        {"achievement": "teamwork", "recipient": "hal@example.org", "spec": "ob2"},
        now=when,
    )
    revoke(store, issuer.slug, ob2_revoked.name, reason="issued in error")
    return Seeded(issuer.slug, name, valid, revoked, suspended, ob2, svg, jwt, jws, ob2_revoked)


def tampered(image: bytes, *, name: str = "Teamwork (forged)") -> bytes:
    """``image`` re-baked with its achievement renamed: a forgery whose proof cannot verify."""
    payload = json.loads(extract(image).payload)
    payload["credentialSubject"]["achievement"]["name"] = name
    return bake(badge_png(color=(180, 40, 40)), json.dumps(payload))


def xss_badge() -> tuple[bytes, dict[str, Any]]:
    """A correctly signed (did:key) OB 3.0 badge whose strings are markup and script URLs."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from badgekiln.keys.formats import did_key_encode
    from badgekiln.keys.local import LocalSigner
    from badgekiln.proofs.dataintegrity import create_proof

    key = Ed25519PrivateKey.generate()
    did = did_key_encode(key.public_key())
    signer = LocalSigner(key, f"{did}#{did.removeprefix('did:key:')}")
    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:0b9e7a1c-5d1e-4f7a-9b3c-2d4e6f8a0b1c",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": did,
            "type": ["Profile"],
            "name": '<img src=x onerror="alert(1)">Evil Corp',
            "url": "javascript:alert(document.domain)",
        },
        "validFrom": "2026-01-01T00:00:00Z",
        "name": XSS_NAME,
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
                "type": ["Achievement"],
                "name": XSS_NAME,
                "description": '"><svg onload=alert(2)>',
                "criteria": {"id": "javascript:alert(3)", "narrative": "<b onclick=alert(4)>bold</b>"},
                "image": {"id": "javascript:alert(5)", "type": "Image"},
            },
        },
    }
    signed = create_proof(
        credential, signer, verification_method=signer.key_id, created=datetime(2026, 1, 1, tzinfo=UTC)
    )
    return bake(badge_png(color=(120, 20, 120)), json.dumps(signed)), signed


def verify_page(view: object, page_url: str, *, summary: str = "x") -> str:
    """The verify page (``verify.html``) of ``view``, as the badge's own page at ``page_url``."""
    from badgekiln.web.html import render

    return render(
        "verify.html",
        view=view,
        answer=None,
        page_url=page_url,
        document_url=page_url + ".json",
        image_url=None,
        form_action=urlsplit(page_url).path,
        summary=summary,
    )
