"""The pages as HTTP answers: each function returns a :class:`Page` (status, body, headers).

The pages function (``functions/pages/pages_handler.py``) turns a :class:`Page` into a Lambda
answer; the public function shows :func:`credential_page` to a browser that asks a credential's
own URL for HTML (:mod:`badgekiln.web.documents`). Errors a visitor can fix come back as the
check form with a message; everything else as a small error page — always HTML, never a
traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from badgekiln import errors as e
from badgekiln.web.forms import MAX_UPLOAD_BYTES, CheckForm, parse_check_form, upload_limit_words
from badgekiln.web.html import HTML_TYPE, asset, page_headers, render
from badgekiln.web.verdict import sentence

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

    from badgekiln.store.base import Store

__all__ = [
    "CACHE_ASSET",
    "CACHE_PAGE",
    "NO_PAGE",
    "ErrorView",
    "Page",
    "check_page",
    "credential_image",
    "credential_page",
    "error_page",
    "home_page",
    "recipient_page",
    "static_asset",
    "too_large_page",
]

#: The check form itself changes only with a deployment.
CACHE_PAGE: Final = "public, max-age=300"
#: Assets requested with their current content hash never change under that URL.
CACHE_ASSET: Final = "public, max-age=31536000, immutable"
#: What a request for an address the pages function does not serve is told.
NO_PAGE: Final = "There is no page at this address."
#: Pasted text longer than this is not put back into the form after an error (it would only
#: bloat the page; the visitor still has it on their clipboard).
_MAX_ECHO_CHARS: Final = 64 * 1024

_TITLES: Final[Mapping[type[e.BadgeKilnError], str]] = {
    e.NotABadgeImage: "That is not a badge image",
    e.MalformedImage: "The image is damaged",
    e.AmbiguousBadge: "The image carries more than one badge",
    e.UnsupportedEncoding: "The badge data is encoded wrongly",
    e.MalformedPayload: "That is not a badge",
    e.InputTooLarge: "Too large to check",
    e.InvalidField: "Please check the form",
    e.UnsupportedMediaType: "Please use the form",
    e.NoBadgeData: "This image carries no badge",
    e.FetchError: "The badge could not be fetched",
    e.NotFound: "Not found",
}


@dataclass(frozen=True, slots=True)
class Page:
    """One answer: ``body`` is text (HTML, CSS, JavaScript) or bytes (images)."""

    status: int
    body: str | bytes
    content_type: str = HTML_TYPE
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ErrorView:
    """What went wrong, for a person: a short title and a sentence."""

    title: str
    message: str


def error_view(error: e.BadgeKilnError) -> ErrorView:
    """The title (by error class) and sentence for ``error``."""
    title = next((t for cls, t in _TITLES.items() if isinstance(error, cls)), "That could not be checked")
    return ErrorView(title, sentence(error.message))


def _status(error: e.BadgeKilnError) -> int:
    from badgekiln.http.problems import status_for

    return int(status_for(error))


def _form_context(form: CheckForm | None = None) -> dict[str, object]:
    payload = form.payload if form is not None and form.payload else None
    return {
        "max_bytes": MAX_UPLOAD_BYTES,
        "max_words": upload_limit_words(),
        "payload": payload if payload is not None and len(payload) <= _MAX_ECHO_CHARS else None,
        "recipient": form.recipient if form is not None else None,
    }


def home_page() -> Page:
    """``GET /`` and ``GET /check``: the check form."""
    html = render("check.html", error=None, **_form_context())
    return Page(200, html, headers=page_headers(CACHE_PAGE))


def _form_error(error: e.BadgeKilnError, form: CheckForm | None) -> Page:
    html = render("check.html", error=error_view(error), **_form_context(form))
    return Page(_status(error), html, headers=page_headers())


def check_page(event: APIGatewayProxyEventV2, *, store: Store | None, public_url: str | None) -> Page:
    """``POST /check``: verify the posted badge and show the result, or the form with what to fix.

    ``store`` and ``public_url`` let the verifier read this site's own documents from the store
    (see :mod:`badgekiln.hosting.site`); without them it fetches everything over the network.
    """
    from badgekiln.web.check import check_badge
    from badgekiln.web.site import page_fetcher

    form = None
    try:
        form = parse_check_form(event)
        view = check_badge(form, page_fetcher(store, public_url))
    except e.BadgeKilnError as error:
        return _form_error(error, form)
    html = render("result.html", view=view, error=None, **_form_context(form))
    return Page(200, html, headers=page_headers())


def too_large_page(size: int) -> Page:
    """The check form with a 413 message, for a body refused before it is read."""
    error = e.InputTooLarge(
        f"The upload is {size:,} bytes; badges up to {upload_limit_words()} can be checked here.",
        limit=MAX_UPLOAD_BYTES,
    )
    return _form_error(error, None)


def error_page(error: e.BadgeKilnError | None, *, request_id: str | None = None) -> Page:
    """A small HTML error page: ``error``'s status and words, or a 500 naming the request id."""
    if error is None:
        where = f" (request id {request_id})" if request_id else ""
        html = render(
            "error.html",
            title="Something went wrong",
            message=f"The server could not answer this request; the failure was logged{where}.",
        )
        return Page(500, html, headers=page_headers())
    view = error_view(error)
    return Page(
        _status(error), render("error.html", title=view.title, message=view.message), headers=page_headers()
    )


def static_asset(name: str, version: str | None) -> Page:
    """``GET /static/{name}``: a file of :data:`~badgekiln.web.html.ASSETS`, cached for a year
    when requested with its current hash (``?v=``), else for five minutes.

    Raises:
        NotFound: no such asset.
    """
    try:
        entry, body, digest = asset(name)
    except KeyError:
        raise e.NotFound(f"There is no file {name[:80]!r} here.") from None
    cache = CACHE_ASSET if version == digest else CACHE_PAGE
    return Page(200, body, entry.content_type, {"Cache-Control": cache, "ETag": f'"{digest}"'})


# --- hosted credentials -----------------------------------------------------------------------


def _hosted_page(store: Store, public_url: str, path: str, identity: str | None = None) -> Page:
    """The verify page of the credential at ``path``, with the answer to "is this badge for
    ``identity``?" when one is asked."""
    from badgekiln.hosting.layout import Layout
    from badgekiln.web.hosted import check_recipient, find_credential, verify_hosted, view_for
    from badgekiln.web.site import page_fetcher

    layout = Layout.parse(public_url)
    credential = find_credential(store, path)
    fetcher = page_fetcher(store, public_url)
    report, badge = verify_hosted(credential, layout, fetcher)
    answer = None if identity is None else check_recipient(badge, identity)
    view, has_image = view_for(credential, report, badge, store=store, layout=layout, fetcher=fetcher)
    page_url = f"{layout.base}/{credential.page_path}"
    issued = f" on {view.issued}" if view.issued else ""
    html = render(
        "verify.html",
        view=view,
        answer=answer,
        page_url=page_url,
        document_url=layout.url(credential.hosted),
        image_url=f"{page_url}/image.png" if has_image else None,
        form_action=f"/{credential.page_path}",
        summary=f"{view.verdict.word}: an Open Badge issued by {view.issuer.name}{issued}.",
    )
    # status lists are cached for a minute (CACHE_STATUS): the page is as fresh as its answers;
    # an answer is for the visitor who asked only
    return Page(200, html, headers=page_headers("public, max-age=60" if answer is None else "no-store"))


def credential_page(event: APIGatewayProxyEventV2, *, store: Store, public_url: str, path: str) -> Page:
    """The verify page of the hosted credential at ``path``: ``/v/{issuer}/{credential}``, or the
    credential's own URL path when a browser asks it for HTML (the public function's hook).

    Errors become error pages (404 for an unknown credential), never exceptions.
    """
    try:
        return _hosted_page(store, public_url, path)
    except e.BadgeKilnError as error:
        return error_page(error)


def recipient_page(event: APIGatewayProxyEventV2, *, store: Store, public_url: str, path: str) -> Page:
    """``POST /v/{issuer}/{credential}``: the verify page with the answer to "is this badge for
    …?". The identity is compared with the badge's (hashed) recipient and never echoed."""
    from badgekiln.web.forms import parse_recipient_form

    try:
        return _hosted_page(store, public_url, path, parse_recipient_form(event))
    except e.BadgeKilnError as error:
        return error_page(error)


def credential_image(*, store: Store, public_url: str, path: str) -> Page:
    """``GET /v/{issuer}/{credential}/image.png``: the badge as PNG (og:image and the page's
    picture): the baked PNG, or the SVG rendered once and cached.

    Raises:
        NotFound: no such credential, or it has no image.
    """
    from badgekiln.hosting.layout import Layout
    from badgekiln.web.claims import shown_claims
    from badgekiln.web.hosted import badge_image, document_of, find_credential, image_source, store_lookup

    credential = find_credential(store, path.removesuffix("/image.png"))
    layout = Layout.parse(public_url)
    claims = shown_claims(document_of(credential), store_lookup(store, layout), credential.spec)
    source = image_source(store, layout, credential, claims)
    png = badge_image(store, source) if source is not None else None
    if png is None:
        raise e.NotFound("This badge has no image.")
    return Page(200, png, "image/png", {"Cache-Control": "public, max-age=300"})
