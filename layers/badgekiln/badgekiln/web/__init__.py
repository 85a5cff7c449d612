"""Server-rendered public pages: the upload check and the verify page of a hosted credential.

::

    from badgekiln.web import check_page, credential_page
    page = check_page(event, store=store, public_url="https://badges.example.org")
    page.status, page.content_type, page.body

:func:`public_answer` is the public function's answer for a hosted document's URL: the document,
or the credential's verify page when a browser asks for HTML.

A :class:`~badgekiln.verification.Report` becomes a :class:`~badgekiln.web.view.BadgeView`
(:mod:`.verdict` words, :mod:`.claims` read from the badge, :mod:`.safety` rules for links and
identities, :mod:`.images` for pictures), rendered by Jinja2 templates with autoescaping
(:mod:`.html`) under a strict Content-Security-Policy. docs/pages.md describes the pages.
Names are imported on first use: importing this package loads neither Jinja2 nor the verifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from badgekiln._lazy import lazy_exports

if TYPE_CHECKING:
    from badgekiln.web.documents import public_answer
    from badgekiln.web.html import PAGE_CSP
    from badgekiln.web.pages import (
        Page,
        check_page,
        credential_image,
        credential_page,
        error_page,
        home_page,
        recipient_page,
        static_asset,
    )
    from badgekiln.web.view import BadgeView, build_view

__all__ = [
    "PAGE_CSP",
    "BadgeView",
    "Page",
    "build_view",
    "check_page",
    "credential_image",
    "credential_page",
    "error_page",
    "home_page",
    "public_answer",
    "recipient_page",
    "static_asset",
]

_LAZY: dict[str, str] = {
    "PAGE_CSP": "badgekiln.web.html",
    "Page": "badgekiln.web.pages",
    "check_page": "badgekiln.web.pages",
    "credential_image": "badgekiln.web.pages",
    "credential_page": "badgekiln.web.pages",
    "public_answer": "badgekiln.web.documents",
    "recipient_page": "badgekiln.web.pages",
    "error_page": "badgekiln.web.pages",
    "home_page": "badgekiln.web.pages",
    "static_asset": "badgekiln.web.pages",
    "BadgeView": "badgekiln.web.view",
    "build_view": "badgekiln.web.view",
}


__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
