"""The pages function with real API Gateway v2 events, against a store seeded by issuing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from pages import pages_handler

from badgekiln.http import MAX_BODY_BYTES
from badgekiln.store import LocalStore
from badgekiln.web import hosted, pages
from badgekiln.web.html import PAGE_CSP, asset
from badgekiln_server.gateway import load_template
from scripts.make_events import BOUNDARY, event, multipart
from tests.integration import test_template_policies as policies
from tests.integration.conftest import Context, body_bytes, load_event
from tests.web_support import Seeded, seed, tampered, xss_badge

PUBLIC = "http://127.0.0.1:9"
REPO = Path(__file__).resolve().parents[2]
#: the translated template (a module fixture of the policy tests)
translated = policies.resources


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Seeded]:
    root = tmp_path_factory.mktemp("pages-store")
    return str(root), seed(LocalStore(str(root)), PUBLIC)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, seeded: tuple[str, Seeded]) -> Iterator[None]:
    monkeypatch.setenv("BADGEKILN_STORE", seeded[0])
    monkeypatch.setenv("BADGEKILN_PUBLIC_URL", PUBLIC)
    return


def call(request: dict[str, Any], context: Context) -> tuple[int, dict[str, str], bytes]:
    response = pages_handler.handler(request, context)  # type: ignore[arg-type]
    return response["statusCode"], response["headers"], body_bytes(response)


def get(path: str, context: Context, *, route: str | None = None) -> tuple[int, dict[str, str], str]:
    status, headers, body = call(
        event(
            "GET",
            path,
            None,
            None,
            False,
            route=route,
            headers={"accept": "text/html"},
        ),
        context,
    )
    return status, headers, body.decode()


def post_check(
    fields: list[tuple[str, str | None, str | None, bytes]], context: Context
) -> tuple[int, dict[str, str], str]:
    request = event("POST", "/check", f"multipart/form-data; boundary={BOUNDARY}", multipart(fields), True)
    status, headers, body = call(request, context)
    return status, headers, body.decode()


def upload(image: bytes, context: Context, name: str = "badge.png") -> tuple[int, dict[str, str], str]:
    return post_check([("file", name, "image/png", image), ("payload", None, None, b"")], context)


def verdict(html: str) -> tuple[str, str]:
    word = re.search(r'id="verdict-word">([^<]*)<', html)
    reason = re.search(r'id="verdict-reason">([^<]*)<', html)
    assert word is not None, html[:2000]
    assert reason is not None
    return word.group(1), reason.group(1)


def test_the_check_form(context: Context) -> None:
    # GIVEN / and /check WHEN a browser asks THEN the form, with its own strict policy
    for path in ("/", "/check"):
        status, headers, html = get(path, context)
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Content-Security-Policy"] == PAGE_CSP
        assert headers["Cache-Control"] == "public, max-age=300"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert '<html lang="en">' in html
        assert 'enctype="multipart/form-data"' in html
        assert '<label for="file"' in html
        assert '<label for="payload"' in html
        assert "up to 3 MB" in html
        assert "<script>" not in html
        assert " style=" not in html


def test_the_event_fixtures(context: Context) -> None:
    status, headers, body = call(load_event("pages-home.json"), context)
    assert (status, headers["Content-Security-Policy"]) == (200, PAGE_CSP)
    assert b"<h1>Check an Open Badge</h1>" in body
    status, _, body = call(load_event("pages-check-no-badge.json"), context)
    assert status == 422
    assert b"<h2>This image carries no badge</h2>" in body
    status, _, body = call(load_event("pages-verify.json"), context)
    assert (status, verdict(body.decode())) == (200, ("Valid", "Every check passed."))


def test_page_csp_is_exactly_the_documented_policy() -> None:
    assert PAGE_CSP == (
        "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def test_static_assets(context: Context) -> None:
    digest = asset("site.css")[2]
    status, headers, css = get("/static/site.css", context, route="/static/{name}")
    assert (status, headers["Content-Type"], headers["Cache-Control"]) == (
        200,
        "text/css; charset=utf-8",
        "public, max-age=300",
    )
    assert ":root" in css
    request = event(
        "GET",
        "/static/site.css",
        None,
        None,
        False,
        route="/static/{name}",
        query={"v": digest},
    )
    _, headers, _ = call(request, context)
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    status, headers, html = get("/static/secrets.txt", context, route="/static/{name}")
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "There is no file &#39;secrets.txt&#39; here." in html


@pytest.mark.parametrize(
    ("which", "word"),
    [
        ("valid", "Valid"),
        ("revoked", "Revoked"),
        ("suspended", "Suspended"),
        ("ob2", "Valid"),
        ("svg", "Valid"),
    ],
)
def test_uploaded_badges(which: str, word: str, seeded: tuple[str, Seeded], context: Context) -> None:
    issued = getattr(seeded[1], which)
    status, headers, html = upload(issued.image, context)
    assert status == 200
    assert headers["Content-Security-Policy"] == PAGE_CSP
    assert headers["Cache-Control"] == "no-store"
    assert verdict(html)[0] == word
    assert 'id="issuer-name">Acme Academy<' in html
    assert 'src="data:image/png;base64,' in html  # the upload itself, as a checked PNG


def test_a_tampered_badge_names_the_failing_check(seeded: tuple[str, Seeded], context: Context) -> None:
    status, _, html = upload(tampered(seeded[1].valid.image), context)
    assert status == 200
    assert verdict(html) == (
        "Not valid",
        "The signature does not match: changed, or not signed by its issuer.",
    )
    assert re.search(r'check-failed" id="check-signature"', html)


def test_pasted_json_and_urls(seeded: tuple[str, Seeded], context: Context) -> None:
    credential = json.dumps(seeded[1].valid.credential).encode()
    status, _, html = post_check([("file", None, None, b""), ("payload", None, None, credential)], context)
    assert (status, verdict(html)[0]) == (200, "Valid")
    body = urlencode({"payload": seeded[1].ob2.public_url}).encode()
    status, _, form = call(event("POST", "/check", "application/x-www-form-urlencoded", body, False), context)
    assert (status, verdict(form.decode())[0]) == (200, "Valid")


@pytest.mark.parametrize(
    ("fields", "status", "title", "message"),
    [
        (
            [("file", "cat.gif", "image/gif", b"GIF89a\x01\x00\x01\x00\x80\xff\x00")],
            422,
            "That is not a badge image",
            "cat.gif: The input is neither a PNG or SVG image nor a UTF-8 badge payload (JSON, JWT or URL).",
        ),
        (
            [("file", "notes.txt", "text/plain", b"hello there")],
            422,
            "That is not a badge image",
            "notes.txt is not a badge: it is neither a PNG or SVG badge image nor a badge JSON, JWT or URL.",
        ),
        (
            [("file", None, None, b""), ("payload", None, None, b"")],
            422,
            "Please check the form",
            "Choose a badge image (PNG or SVG), or paste a badge URL, JSON or JWT.",
        ),
        (
            [("payload", None, None, b'{"name": "not a badge"}')],
            422,
            "That is not a badge",
            "Not a badge: neither an Open Badges 3.0 credential nor an Open Badges 2.0 assertion.",
        ),
        (
            [("file", "big.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024))],
            413,
            "Too large to check",
            "The file is 3,145,736 bytes; badges up to 3 MB (3,145,728 bytes) can be checked here.",
        ),
    ],
)
def test_unusable_uploads_get_the_form_with_a_clear_message(
    fields: list[tuple[str, str | None, str | None, bytes]],
    status: int,
    title: str,
    message: str,
    context: Context,
) -> None:
    got, headers, html = post_check(fields, context)
    assert got == status
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"<h2>{title}</h2>" in html
    assert f"<p>{message}</p>" in html.replace("&#39;", "'")
    assert 'id="check-form"' in html  # the form again, to try once more


def test_a_body_over_the_api_limit_is_an_html_413(context: Context) -> None:
    big = multipart([("file", "huge.png", "image/png", b"\x89PNG" + b"\0" * MAX_BODY_BYTES)])
    status, headers, body = call(
        event("POST", "/check", f"multipart/form-data; boundary={BOUNDARY}", big, True), context
    )
    assert status == 413
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == PAGE_CSP
    assert "badges up to 3 MB can be checked here" in body.decode()


def test_xss_in_a_genuine_badge_is_text(context: Context) -> None:
    image, _ = xss_badge()
    status, _, html = upload(image, context)
    assert status == 200
    assert verdict(html)[0] == "Valid"
    assert "<script>alert" not in html
    assert "onerror=" not in html.replace("onerror=&#34;", "")
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert "javascript:" not in html
    assert "<svg onload" not in html
    assert "<b onclick" not in html


def test_the_verify_page(seeded: tuple[str, Seeded], context: Context) -> None:
    valid = seeded[1].valid
    path = f"/v/acme/{valid.name}"
    status, headers, html = get(path, context, route="/v/{issuer}/{credential}")
    assert status == 200
    assert headers["Content-Security-Policy"] == PAGE_CSP
    assert headers["Cache-Control"] == "public, max-age=60"
    assert verdict(html) == ("Valid", "Every check passed.")
    page_url = f"{PUBLIC}{path}"
    assert f'<meta property="og:image" content="{page_url}/image.png">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert f'<img src="{path}/image.png"' in html
    assert f'href="{valid.public_url}"' in html
    assert f'href="{valid.image_url}" download=' in html
    link = re.search(r'id="linkedin" href="([^"]+)"', html)
    assert link is not None
    query = dict(parse_qsl(urlsplit(link.group(1).replace("&amp;", "&")).query))
    assert query["startTask"] == "CERTIFICATION_NAME"
    assert (query["name"], query["organizationName"], query["certUrl"], query["certId"]) == (
        "Teamwork",
        "Acme Academy",
        page_url,
        valid.public_url,
    )
    assert "ada@example.org" not in html  # the recipient is never shown
    assert 'action="/v/acme/' in html


@pytest.mark.parametrize(
    ("which", "word", "document"),
    [
        ("valid", "Valid", "Credential (JSON-LD)"),
        ("jwt", "Valid", "Credential (signed JWT)"),
        ("revoked", "Revoked", "Credential (JSON-LD)"),
        ("suspended", "Suspended", "Credential (JSON-LD)"),
        ("ob2", "Valid", "Assertion (JSON-LD)"),
        ("jws", "Valid", "Assertion (signed JWS)"),
        ("ob2_revoked", "Revoked", "Assertion (JSON-LD)"),
        ("svg", "Valid", "Credential (JSON-LD)"),
    ],
)
def test_verify_pages_of_every_hosted_form(
    which: str, word: str, document: str, seeded: tuple[str, Seeded], context: Context
) -> None:
    issued = getattr(seeded[1], which)
    status, _, html = get(
        f"/v/acme/{issued.name}",
        context,
        route="/v/{issuer}/{credential}",
    )
    assert (status, verdict(html)[0]) == (200, word)
    assert f'<a href="{issued.public_url}">{document}</a>' in html
    assert ('id="linkedin"' in html) == (word == "Valid")


def test_the_credential_url_renders_the_same_page_through_the_hook(
    seeded: tuple[str, Seeded], context: Context
) -> None:
    revoked = seeded[1].revoked
    page = pages.credential_page(
        None,  # type: ignore[arg-type]  # the hook does not read the event
        store=LocalStore(seeded[0]),
        public_url=PUBLIC,
        path=f"/issuers/acme/credentials/{revoked.name}.json",
    )
    assert page.status == 200
    assert verdict(str(page.body))[0] == "Revoked"
    assert 'id="linkedin"' not in str(page.body)


@pytest.mark.parametrize(
    ("identity", "answer"),
    [("ada@example.org", "yes"), ("ada@Example.ORG", "yes"), ("eve@example.org", "no")],
)
def test_the_recipient_check(
    identity: str, answer: str, seeded: tuple[str, Seeded], context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    valid = seeded[1].valid
    body = urlencode({"identity": identity}).encode()
    request = event(
        "POST",
        f"/v/acme/{valid.name}",
        "application/x-www-form-urlencoded",
        body,
        False,
        route="/v/{issuer}/{credential}",
    )
    verified: list[str] = []
    verify_hosted = hosted.verify_hosted

    def counted(credential: hosted.Credential, *args: Any) -> Any:
        verified.append(credential.name)
        return verify_hosted(credential, *args)

    monkeypatch.setattr(hosted, "verify_hosted", counted)
    status, headers, html = call(request, context)
    text = html.decode()
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert f'class="answer answer-{answer}" id="recipient-answer"' in text
    assert identity not in text  # never echoed
    assert verified == [valid.name]  # one verification answers the question and shows the page


def test_the_badge_image(seeded: tuple[str, Seeded], context: Context) -> None:
    for issued in (seeded[1].valid, seeded[1].svg):
        path = f"/v/acme/{issued.name}/image.png"
        request = event(
            "GET",
            path,
            None,
            None,
            False,
            route="/v/{issuer}/{credential}/image.png",
        )
        status, headers, body = call(request, context)
        assert (status, headers["Content-Type"]) == (200, "image/png")
        assert body.startswith(b"\x89PNG\r\n\x1a\n")
        assert "sandbox" in headers["Content-Security-Policy"]


def test_unknown_credentials_are_html_404s(context: Context) -> None:
    status, headers, html = get("/v/acme/nope", context, route="/v/{issuer}/{credential}")
    assert (status, headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert "<h1>Not found</h1>" in html


def test_a_bug_is_an_html_500_naming_only_the_request_id(
    monkeypatch: pytest.MonkeyPatch, context: Context
) -> None:
    def broken() -> pages.Page:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(pages, "home_page", broken)
    status, headers, html = get("/", context)
    assert (status, headers["Content-Type"]) == (500, "text/html; charset=utf-8")
    assert "Jx4ZqhTmoAMEVNw=" in html
    assert "secret internals" not in html
    assert "Traceback" not in html


def test_the_template_routes_and_nothing_else(context: Context) -> None:
    app = load_template(REPO / "template.yaml")
    routes = {(r.method, r.path) for r in app.routes if r.function == "PagesFunction"}
    assert routes == {
        ("GET", "/"),
        ("GET", "/check"),
        ("POST", "/check"),
        ("GET", "/v/{issuer}/{credential}"),
        ("POST", "/v/{issuer}/{credential}"),
        ("GET", "/v/{issuer}/{credential}/image.png"),
        ("GET", "/static/{name}"),
    }
    assert all(r.authorizer is None for r in app.routes if r.function == "PagesFunction")
    status, headers, html = get("/nowhere", context)
    assert (status, headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert "There is no page at this address." in html


def test_least_privilege(translated: dict[str, Any]) -> None:
    # reads public documents; writes only the og:image cache of rendered SVG badges
    assert policies.grants(translated, "PagesFunction") == (
        policies.s3("GetObject", "public/*")
        | policies.s3("PutObject", "public/pages/og/*")
        | policies.LIST_BUCKET
    )
    layers = [layer["Ref"] for layer in translated["PagesFunction"]["Properties"]["Layers"]]
    assert sorted(name.rstrip("0123456789abcdef") for name in layers) == ["BadgeKilnLayer", "CairoLayer"]
