"""Jinja2 rendering, the pages' Content-Security-Policy and their static assets.

Every template is autoescaped (``autoescape=True`` for all of them, not by file extension) and
undefined names are errors, so a typo cannot silently print nothing. Pages load only their own
CSS and JavaScript from ``/static/``, named with a content hash for caching.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = [
    "ASSETS",
    "HTML_TYPE",
    "PAGE_CSP",
    "Asset",
    "asset",
    "asset_url",
    "page_headers",
    "render",
]

HTML_TYPE: Final = "text/html; charset=utf-8"

#: The pages' policy: nothing from other origins, no inline script or style, forms post only
#: here, no <base>, no framing. Images: our own and the data: PNG URIs we produce
#: (:mod:`badgekiln.web.images`); badge-supplied image URLs are linked, never loaded.
PAGE_CSP: Final = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class Asset:
    """One file under ``badgekiln/web/static/``."""

    name: str
    content_type: str


#: Every file ``GET /static/{name}`` may serve (anything else is a 404).
ASSETS: Final[Mapping[str, Asset]] = {
    a.name: a
    for a in (
        Asset("site.css", "text/css; charset=utf-8"),
        Asset("check.js", "text/javascript; charset=utf-8"),
        Asset("share.js", "text/javascript; charset=utf-8"),
        Asset("favicon.svg", "image/svg+xml"),
    )
}


@cache
def asset(name: str) -> tuple[Asset, bytes, str]:
    """(the asset, its bytes, a 12-hex-digit content hash) for a name in :data:`ASSETS`.

    Raises:
        KeyError: ``name`` is not an asset.
    """
    entry = ASSETS[name]
    body = resources.files("badgekiln.web").joinpath("static", name).read_bytes()
    return entry, body, hashlib.sha256(body).hexdigest()[:12]


def asset_url(name: str) -> str:
    """``/static/<name>?v=<hash>``: the hash changes with the file, so it may be cached forever."""
    return f"/static/{name}?v={asset(name)[2]}"


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("badgekiln.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["asset_url"] = asset_url
    return env


def render(template: str, **context: Any) -> str:
    """The HTML of ``template`` (a file under ``badgekiln/web/templates/``) with ``context``."""
    return _environment().get_template(template).render(**context)


def page_headers(cache_control: str = "no-store") -> dict[str, str]:
    """Headers of an HTML page: its own CSP (instead of the API's ``sandbox`` one) and caching."""
    return {"Content-Security-Policy": PAGE_CSP, "Cache-Control": cache_control}
