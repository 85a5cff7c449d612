"""badgekiln.web.pages and .html: answers, escaping, assets, and what importing costs."""

from __future__ import annotations

import subprocess
import sys

import jinja2
import pytest

from badgekiln.errors import MalformedImage, NotFound
from badgekiln.verification.report import Check, Report
from badgekiln.web import html
from badgekiln.web.claims import Claims
from badgekiln.web.html import ASSETS, PAGE_CSP, asset, asset_url, render
from badgekiln.web.pages import CACHE_ASSET, CACHE_PAGE, error_page, home_page, static_asset, too_large_page
from badgekiln.web.view import Link, Picture, build_view
from tests.web_support import verify_page


def test_home_page() -> None:
    page = home_page()
    assert (page.status, page.content_type) == (200, "text/html; charset=utf-8")
    assert page.headers == {"Content-Security-Policy": PAGE_CSP, "Cache-Control": CACHE_PAGE}
    body = str(page.body)
    assert f'<link rel="stylesheet" href="{asset_url("site.css")}">' in body
    assert f'<script src="{asset_url("check.js")}" defer></script>' in body
    assert 'data-max-bytes="3145728"' in body


def test_every_value_is_escaped() -> None:
    hostile = '"><script>alert(1)</script>'
    claims = Claims(spec="ob3", name=hostile, description=hostile, criteria=hostile, issuer_name=hostile)
    checks = (Check("signature", "failed", hostile, "x"),)
    view = build_view(
        Report("ob3", "json", checks),
        claims,
        Picture(None, hostile, hostile),
        links=(Link(hostile, "https://x.example/?a=1&b=2"),),
    )
    body = verify_page(view, "https://x.example/v/a/b", summary=hostile)
    assert "<script>" not in body
    assert body.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 8
    assert 'href="https://x.example/?a=1&amp;b=2"' in body


def test_templates_refuse_undefined_names() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("error.html", title="x")


def test_static_assets_are_an_allow_list() -> None:
    assert set(ASSETS) == {"site.css", "check.js", "share.js", "favicon.svg"}
    _, body, digest = asset("check.js")
    page = static_asset("check.js", digest)
    assert (page.status, page.content_type, page.body) == (200, "text/javascript; charset=utf-8", body)
    assert page.headers["Cache-Control"] == CACHE_ASSET
    assert static_asset("check.js", "old").headers["Cache-Control"] == CACHE_PAGE
    for name in ("../__init__.py", "pages.py", "", "site.css/"):
        with pytest.raises(NotFound):
            static_asset(name, None)


def test_assets_need_no_inline_anything() -> None:
    js = asset("check.js")[1].decode()
    assert "innerHTML" not in js
    assert "eval(" not in js
    assert "document.write" not in js
    css = asset("site.css")[1].decode()
    assert "@import" not in css
    assert "url(" not in css


def test_error_pages() -> None:
    page = error_page(MalformedImage("the PNG is truncated", reason="truncated"))
    assert page.status == 422
    assert "<h1>The image is damaged</h1>" in str(page.body)
    assert "The PNG is truncated." in str(page.body)
    page = error_page(None, request_id="req-1")
    assert page.status == 500
    assert "request id req-1" in str(page.body)
    page = too_large_page(5_000_000)
    assert page.status == 413
    assert "The upload is 5,000,000 bytes; badges up to 3 MB can be checked here." in str(page.body)


def test_the_policy_is_strict() -> None:
    assert "'unsafe-inline'" not in html.PAGE_CSP
    assert "'unsafe-eval'" not in html.PAGE_CSP
    directives = dict(d.strip().split(" ", 1) for d in html.PAGE_CSP.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_importing_the_package_is_light() -> None:
    code = (
        "import sys, badgekiln.web; "
        "heavy = ('jinja2', 'badgekiln.verification.engine', 'pyld', 'cairosvg', 'boto3'); "
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
