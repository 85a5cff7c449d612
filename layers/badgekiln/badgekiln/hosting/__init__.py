"""Hosting: where this deployment's public documents live and how they are answered over HTTP.

Below issuing, the pages and the HTTP glue, above the store:

* :mod:`.layout`: the one map between public URLs and ``public/…`` store keys (route table,
  slug rules, the public URL and did:web);
* :mod:`.media`: media types and ``Cache-Control`` policies;
* :mod:`.accept`: the one ``Accept`` header reader (content negotiation);
* :mod:`.responses`: what a GET of a hosted document answers (200, 304, 404, 410).

Names are imported on first use: importing this package loads nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from badgekiln._lazy import lazy_exports

if TYPE_CHECKING:
    from badgekiln.hosting.accept import negotiate
    from badgekiln.hosting.layout import Hosted, Layout, check_slug, classify, slugify
    from badgekiln.hosting.responses import PublicResponse, public_response, wants_page

__all__ = [
    "Hosted",
    "Layout",
    "PublicResponse",
    "check_slug",
    "classify",
    "negotiate",
    "public_response",
    "slugify",
    "wants_page",
]

_LAZY: dict[str, str] = {
    "negotiate": "badgekiln.hosting.accept",
    "Hosted": "badgekiln.hosting.layout",
    "Layout": "badgekiln.hosting.layout",
    "check_slug": "badgekiln.hosting.layout",
    "classify": "badgekiln.hosting.layout",
    "slugify": "badgekiln.hosting.layout",
    "PublicResponse": "badgekiln.hosting.responses",
    "public_response": "badgekiln.hosting.responses",
    "wants_page": "badgekiln.hosting.responses",
}


__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
