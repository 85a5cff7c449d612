"""The public pages end to end in headless Chromium, against `badgekiln serve` and issued badges.

Debian's ``/usr/bin/chromium`` (installed by ``scripts/bootstrap.sh``) is driven by Playwright for
Python with ``executable_path`` (never ``playwright install``), in fresh profiles: one with
JavaScript, one without. Screenshots of every page go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from badgekiln.store import LocalStore
from badgekiln.web.html import PAGE_CSP
from badgekiln_server.serve import LocalServer, make_server
from tests.web_support import XSS_NAME, Seeded, seed, tampered, xss_badge

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REPO = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.is_file():
    pytest.skip(
        f"Chromium is not installed at {CHROMIUM} (scripts/bootstrap.sh installs it)", allow_module_level=True
    )


@dataclass
class Site:
    url: str
    seeded: Seeded
    files: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    saved = dict(os.environ)
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    root = tmp_path_factory.mktemp("pages-e2e")
    store = root / "store"
    server: LocalServer = make_server(REPO / "template.yaml", port=0, store=str(store))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seeded = seed(LocalStore(str(store)), server.url)
    files = root / "files"
    files.mkdir()
    assert seeded.valid.image
    assert seeded.revoked.image
    (files / "valid.png").write_bytes(seeded.valid.image)
    (files / "revoked.png").write_bytes(seeded.revoked.image)
    (files / "tampered.png").write_bytes(tampered(seeded.valid.image))
    (files / "xss.png").write_bytes(xss_badge()[0])
    (files / "holiday.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4)
    (files / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024 + 10))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield Site(server.url, seeded, files)
    server.shutdown()
    server.server_close()
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def _context(playwright: Any, profile: Path, *, javascript: bool) -> Any:
    # a persistent context on a fresh, empty profile directory: nothing carried between runs
    if profile.exists():
        shutil.rmtree(profile)
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        java_script_enabled=javascript,
        viewport={"width": 1100, "height": 900},
    )


@pytest.fixture(scope="module")
def browser(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    context = _context(playwright, tmp_path_factory.mktemp("profile-js") / "p", javascript=True)
    yield context
    context.close()


@pytest.fixture(scope="module")
def no_js(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    context = _context(playwright, tmp_path_factory.mktemp("profile-nojs") / "p", javascript=False)
    yield context
    context.close()


class Watched:
    """A page with every dialog, console message, page error and CSP report recorded."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def clean(self, *, allowed_status: int | None = None) -> None:
        """Nothing ran that should not have: no dialog, no script error, no CSP violation, no
        failed load (but the page's own ``allowed_status``, e.g. a 422 form error)."""
        assert self.dialogs == []
        assert self.errors == []
        expected = f"the server responded with a status of {allowed_status} "
        problems = [
            line
            for line in self.console
            if ("Content Security Policy" in line or line.startswith("error")) and expected not in line
        ]
        assert problems == []

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    page = Watched(browser)
    yield page
    page.close()


def submit_file(watched: Watched, site: Site, name: str) -> Any:
    page = watched.page
    response = page.goto(f"{site.url}/check")
    assert response.headers["content-security-policy"] == PAGE_CSP
    page.set_input_files("#file", str(site.files / name))
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    return navigation.value


def verdict(page: Any) -> tuple[str, str]:
    return page.inner_text("#verdict-word"), page.inner_text("#verdict-reason")


def test_a_valid_baked_badge(watched: Watched, site: Site) -> None:
    # GIVEN a badge issued by Acme Academy WHEN it is uploaded THEN "Valid" with the issuer's name
    response = submit_file(watched, site, "valid.png")
    page = watched.page
    assert response.status == 200
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert verdict(page) == ("Valid", "Every check passed.")
    assert page.inner_text("#issuer-name") == "Acme Academy"
    assert page.inner_text("h1") == "Teamwork"
    assert page.eval_on_selector(".badge-image img", "img => img.complete && img.naturalWidth") == 96
    assert page.locator(".check-passed").count() == len(page.locator(".check").all())
    watched.shot("check-valid")
    watched.clean()


def test_a_revoked_badge(watched: Watched, site: Site) -> None:
    submit_file(watched, site, "revoked.png")
    word, reason = verdict(watched.page)
    assert word == "Revoked"
    assert reason.startswith("Revoked by its issuer")
    watched.shot("check-revoked")
    watched.clean()


def test_a_tampered_badge_names_the_failing_check(watched: Watched, site: Site) -> None:
    submit_file(watched, site, "tampered.png")
    page = watched.page
    assert verdict(page) == (
        "Not valid",
        "The signature does not match: changed, or not signed by its issuer.",
    )
    assert page.inner_text("#check-signature .check-status") == "Failed"
    page.click("#check-signature summary")  # the verifier's own words, folded under the row
    assert page.inner_text("#check-signature .check-sentence") == (
        "Signature: The Data Integrity signature does not verify."
    )
    watched.shot("check-tampered")
    watched.clean()


def test_a_non_image_gets_a_clear_error(watched: Watched, site: Site) -> None:
    response = submit_file(watched, site, "holiday.jpg")
    page = watched.page
    assert response.status == 422
    alert = page.inner_text("#form-error")
    assert "That is not a badge image" in alert
    assert "holiday.jpg: The input is neither a PNG or SVG image" in alert
    assert page.get_attribute("#check-form", "aria-describedby") == "form-error"
    watched.shot("check-not-an-image")
    watched.clean(allowed_status=422)


def test_drag_and_drop_checks_the_dropped_file(watched: Watched, site: Site) -> None:
    page = watched.page
    page.goto(f"{site.url}/check")
    data = list((site.files / "revoked.png").read_bytes())
    transfer = page.evaluate_handle(
        """bytes => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "dropped.png", {type: "image/png"}));
            return transfer;
        }""",
        data,
    )
    with page.expect_navigation():
        page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})
    assert verdict(page)[0] == "Revoked"
    watched.clean()


def test_javascript_refuses_an_oversized_file_before_uploading(watched: Watched, site: Site) -> None:
    page = watched.page
    page.goto(f"{site.url}/check")
    page.set_input_files("#file", str(site.files / "big.png"))
    status = page.locator("#file-status")
    assert status.inner_text() == (
        "big.png is 3,145,746 bytes; badges up to 3 MB (3,145,728 bytes) can be checked here."
    )
    assert "is-error" in (status.get_attribute("class") or "")
    assert page.eval_on_selector("#file", "input => input.files.length") == 0
    watched.shot("check-too-large-js")
    watched.clean()


def test_without_javascript_the_form_still_works(no_js: Any, site: Site) -> None:
    page = Watched(no_js)
    try:
        response = page.page.goto(f"{site.url}/")
        assert response.headers["content-security-policy"] == PAGE_CSP
        assert not page.page.is_visible(".js-only")
        page.page.set_input_files("#file", str(site.files / "valid.png"))
        with page.page.expect_navigation():
            page.page.click("button[type=submit]")
        assert verdict(page.page)[0] == "Valid"
        page.shot("check-valid-no-js")
        page.page.goto(f"{site.url}/check")
        page.page.set_input_files("#file", str(site.files / "big.png"))
        with page.page.expect_navigation() as navigation:
            page.page.click("button[type=submit]")
        assert navigation.value.status == 413
        assert "badges up to 3 MB (3,145,728 bytes) can be checked here" in page.page.inner_text(
            "#form-error"
        )
        page.shot("check-too-large-no-js")
        page.clean(allowed_status=413)
    finally:
        page.close()


def test_an_xss_badge_executes_nothing(watched: Watched, site: Site) -> None:
    # GIVEN a genuinely signed badge whose name is a <script> and whose URLs are javascript:
    submit_file(watched, site, "xss.png")
    page = watched.page
    # THEN it is shown as text, and nothing ran
    assert verdict(page)[0] == "Valid"
    assert page.inner_text("h1") == XSS_NAME
    assert page.inner_text("#issuer-name") == '<img src=x onerror="alert(1)">Evil Corp'
    scripts = page.eval_on_selector_all("script", "nodes => nodes.map(n => n.src)")
    assert [src.split("?")[0] for src in scripts] == [f"{site.url}/static/check.js"]
    assert page.eval_on_selector_all("[onerror], [onload], [onclick]", "nodes => nodes.length") == 0
    hrefs = page.eval_on_selector_all("a[href]", "nodes => nodes.map(n => n.getAttribute('href'))")
    assert not [href for href in hrefs if not href.startswith(("/", "#", "http://", "https://"))]
    assert not [href for href in hrefs if "alert" in href]
    watched.shot("check-xss")
    watched.clean()
    # AND pasting the same badge as JSON shows the same, inertly
    page.goto(f"{site.url}/check")
    import json

    page.fill("#payload", json.dumps(xss_badge()[1]))
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.inner_text("h1") == XSS_NAME
    watched.clean()


def test_the_verify_page_and_the_recipient_check(watched: Watched, site: Site) -> None:
    valid = site.seeded.valid
    page = watched.page
    response = page.goto(f"{site.url}/v/acme/{valid.name}")
    assert response.status == 200
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert verdict(page) == ("Valid", "Every check passed.")
    assert page.eval_on_selector(".badge-image img", "img => img.complete && img.naturalWidth") == 96
    assert (
        page.get_attribute('meta[property="og:image"]', "content")
        == f"{site.url}/v/acme/{valid.name}/image.png"
    )
    assert page.get_attribute("#linkedin", "href").startswith(
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=Teamwork&organizationName=Acme+Academy"
    )
    assert "ada@example.org" not in page.content()
    watched.shot("verify-valid")
    page.fill("#identity", "ada@example.org")
    with page.expect_navigation():
        page.click(".recipient button[type=submit]")
    assert page.inner_text("#recipient-answer") == "Yes: this badge was awarded to the identity you entered."
    watched.shot("verify-recipient-yes")
    page.fill("#identity", "mallory@example.org")
    with page.expect_navigation():
        page.click(".recipient button[type=submit]")
    assert (
        page.inner_text("#recipient-answer") == "No: this badge was not awarded to the identity you entered."
    )
    assert "mallory@example.org" not in page.content()
    watched.shot("verify-recipient-no")
    watched.clean()


def test_the_credential_url_shows_the_verify_page_to_browsers(watched: Watched, site: Site) -> None:
    suspended = site.seeded.suspended
    page = watched.page
    response = page.goto(suspended.public_url)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert verdict(page)[0] == "Suspended"
    assert page.locator("#linkedin").count() == 0
    watched.shot("verify-suspended")
    svg = site.seeded.svg
    page.goto(f"{site.url}/v/acme/{svg.name}")
    assert verdict(page)[0] == "Valid"
    assert page.eval_on_selector(".badge-image img", "img => img.complete && img.naturalWidth") > 0
    watched.shot("verify-svg-badge")
    watched.clean()


def test_narrow_screens(browser: Any, site: Site) -> None:
    page = Watched(browser)
    try:
        page.page.set_viewport_size({"width": 390, "height": 844})
        for path, name in (
            ("/", "home-narrow"),
            ("/check", "check-form-narrow"),
            (f"/v/acme/{site.seeded.valid.name}", "verify-valid-narrow"),
            (f"/v/acme/{site.seeded.revoked.name}", "verify-revoked-narrow"),
        ):
            page.page.goto(site.url + path)
            # nothing forces sideways scrolling (home and /check were 399 px wide: the form's grid
            # column took the file input's min-content width)
            width = page.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, path
            page.shot(name)
        page.clean()
    finally:
        page.close()


# --- pages a lay reader trusts ------------------------------------------------------------------

AXE = REPO / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as loaded (evaluated through DevTools, so the page's
    Content-Security-Policy is exactly as served)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    assert page.evaluate("axe.version") == "4.14.1"
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']][:3]})" for v in result["violations"]]


def _luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two computed ``rgb(…)`` colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


FOCUS_AND_BACKDROP = """() => {
    const element = document.activeElement;
    let parent = element.parentElement;
    let backdrop = 'rgb(255, 255, 255)';
    while (parent) {
        const colour = getComputedStyle(parent).backgroundColor;
        if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') { backdrop = colour; break; }
        parent = parent.parentElement;
    }
    const style = getComputedStyle(element);
    return {tag: element.tagName + '#' + element.id + '.' + element.className, outline: style.outlineColor,
            width: parseFloat(style.outlineWidth), styleName: style.outlineStyle, backdrop: backdrop};
}"""


def test_every_page_passes_axe(browser: Any, site: Site) -> None:
    page = Watched(browser)
    try:
        for width in (390, 1100):
            page.page.set_viewport_size({"width": width, "height": 900})
            for path in (
                "/",
                "/check",
                f"/v/acme/{site.seeded.valid.name}",
                f"/v/acme/{site.seeded.revoked.name}",
                f"/v/acme/{site.seeded.ob2.name}",
                "/v/acme/no-such-badge",
            ):
                page.page.goto(site.url + path)
                assert axe_violations(page.page) == [], (width, path)
        response = submit_file(page, site, "tampered.png")
        assert response.status == 200
        assert axe_violations(page.page) == []
        page.clean(allowed_status=404)
    finally:
        page.close()


def test_the_focus_ring_contrasts_with_what_it_meets(browser: Any, site: Site) -> None:
    # WCAG 1.4.11: the focus indicator at 3:1 against the colours around it (#ffbf47 on white
    # was 1.6:1); every focusable element of the verify page and the form, tabbed through
    page = Watched(browser)
    try:
        for path in ("/check", f"/v/acme/{site.seeded.valid.name}"):
            page.page.goto(site.url + path)
            seen = 0
            for _ in range(40):
                page.page.keyboard.press("Tab")
                focus = page.page.evaluate(FOCUS_AND_BACKDROP)
                if focus["tag"].startswith("BODY"):
                    break
                seen += 1
                assert focus["styleName"] == "solid", focus
                assert focus["width"] >= 2, focus
                assert contrast(focus["outline"], focus["backdrop"]) >= 3, focus
            assert seen >= 5, path
        page.shot("focus-ring")
        page.clean()
    finally:
        page.close()


def test_checks_read_in_plain_words_with_the_detail_folded(watched: Watched, site: Site) -> None:
    page = watched.page
    page.goto(f"{site.url}/v/acme/{site.seeded.valid.name}")
    assert page.inner_text("#check-signature .check-title") == "Signed by the issuer's key"
    assert page.inner_text("#check-issuer .check-title") == "The key belongs to the issuer"
    assert page.inner_text("#check-status .check-title") == "Not revoked or suspended"
    assert page.inner_text("#check-expiry .check-title") == "Does not expire"
    issued = page.inner_text("#check-issued .check-title")
    assert issued.startswith("Valid since ")
    assert issued.removeprefix("Valid since ") == page.inner_text(".facts time")
    # the technical sentence is there, folded: visible once its summary is opened
    detail = page.locator("#check-signature .check-sentence")
    assert not detail.is_visible()
    page.click("#check-signature summary")
    assert detail.is_visible()
    assert "eddsa-rdfc-2022" in detail.inner_text()
    # the issuer block says whether anything confirms who the issuer is (a did:key: nothing)
    assert page.inner_text("#issuer-identity").endswith("Self-declared: not confirmed")
    assert page.locator(".tag-unverified").count() == 0
    page.goto(f"{site.url}/v/acme/{site.seeded.revoked.name}")
    assert page.inner_text("#check-status .check-title") == "Revoked by its issuer"
    watched.clean()


def test_a_not_valid_badge_marks_its_claims_unverified(watched: Watched, site: Site) -> None:
    submit_file(watched, site, "tampered.png")
    page = watched.page
    assert verdict(page)[0] == "Not valid"
    assert page.inner_text("#unverified-note").startswith("Unverified.")
    assert page.get_attribute(".facts", "aria-describedby") == "unverified-note"
    marked = page.eval_on_selector_all(
        ".tag-unverified", "nodes => nodes.map(n => n.closest('dt, h2, div').textContent)"
    )
    assert any("Issued by" in text for text in marked)
    assert any("Awarded to" in text for text in marked)
    assert any("How it was earned" in text for text in marked)
    watched.shot("check-tampered-unverified")
    watched.clean()


def test_copy_link_and_embed_code_beside_linkedin(
    playwright: Any, tmp_path_factory: pytest.TempPathFactory, site: Site
) -> None:
    context = _context(playwright, tmp_path_factory.mktemp("profile-clip") / "p", javascript=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page = Watched(context)
    try:
        url = f"{site.url}/v/acme/{site.seeded.valid.name}"
        page.page.goto(url)
        actions = page.page.eval_on_selector_all(
            ".share .actions > li > *", "nodes => nodes.map(n => n.id || n.textContent)"
        )
        assert actions[:2] == ["linkedin", "copy-link"]
        page.page.click("#copy-link")
        # a selector, not wait_for_function: when its first check fails (the copy is asynchronous)
        # Playwright polls by compiling the expression in the page, which the pages' CSP forbids
        page.page.wait_for_selector("#copy-status:text-is('Link copied.')")
        assert page.page.evaluate("navigator.clipboard.readText()") == url
        embed = page.page.input_value("#embed-code")
        assert embed == (
            f'<a href="{url}"><img src="{url}/image.png" alt="Teamwork: verify this Open Badge" '
            'width="120" height="120"></a>'
        )
        page.page.click("#copy-embed")
        page.page.wait_for_selector("#copy-status:text-is('Embed code copied.')")
        assert page.page.evaluate("navigator.clipboard.readText()") == embed
        page.shot("verify-share")
        page.clean()
    finally:
        page.close()
        context.close()


def test_without_javascript_the_copy_buttons_stay_hidden(no_js: Any, site: Site) -> None:
    page = Watched(no_js)
    try:
        page.page.goto(f"{site.url}/v/acme/{site.seeded.valid.name}")
        assert not page.page.is_visible("#copy-link")
        assert not page.page.is_visible("#copy-embed")
        assert page.page.is_visible("#embed-code")  # still there to select and copy
        page.clean()
    finally:
        page.close()


def test_the_print_stylesheet(watched: Watched, site: Site) -> None:
    page = watched.page
    page.goto(f"{site.url}/v/acme/{site.seeded.valid.name}")
    page.emulate_media(media="print")
    for hidden in ("header.site nav", ".share .actions", "#embed-code", ".recipient", "footer.site"):
        assert not page.is_visible(hidden), hidden
    assert page.is_visible("#verdict-word")
    assert page.is_visible("#check-signature .check-sentence")  # the detail is printed unfolded
    page.pdf(path=str(SCREENSHOTS / "verify-valid-print.pdf"))
    page.emulate_media(media="screen")
    assert page.is_visible("header.site nav")
    watched.clean()
