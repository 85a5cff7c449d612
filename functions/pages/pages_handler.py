"""The public pages: ``GET /`` and ``/check`` (the check form), ``POST /check`` (verify an
uploaded or pasted badge), ``GET /v/{issuer}/{credential}`` (the verify page of a hosted
credential), ``POST`` there (the recipient check), ``GET /v/{issuer}/{credential}/image.png`` (its
PNG, also the og:image) and ``GET /static/{name}`` (the pages' CSS, JavaScript and icon).

Everything is HTML rendered by :mod:`badgekiln.web` (docs/pages.md), errors and oversized
uploads too: the shared glue renders them with the pages' ``error_page`` and ``too_large_page``
instead of problem+json. Verification runs in-process with the library (no call to the verify
function): one Lambda hop less, and the credentials this deployment hosts are read straight from
the store.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from badgekiln.http import answer_response, entrypoint, make_resolver, observability, raw_answer
from badgekiln.http.environment import VERIFICATION_IMPORTS, public_url, store
from badgekiln.web import pages

obs = observability("pages")
app = make_resolver(obs, error_page=pages.error_page, no_route=pages.NO_PAGE)

# The pages are HTML (and one PNG): not in the API description, and answered as they are.


@app.get("/", compress=True, include_in_schema=False)
@raw_answer
def home() -> Response[str | bytes]:
    return answer_response(pages.home_page())


@app.get("/check", compress=True, include_in_schema=False)
@raw_answer
def check_form() -> Response[str | bytes]:
    return answer_response(pages.home_page())


@app.post("/check", compress=True, include_in_schema=False)
@raw_answer
def check() -> Response[str | bytes]:
    event = app.current_event
    page = pages.check_page(event, store=store(), public_url=public_url(event))
    obs.count("BadgesChecked")
    return answer_response(page)


@app.get("/v/<issuer>/<credential>", compress=True, include_in_schema=False)
@raw_answer
def verify_page(issuer: str, credential: str) -> Response[str | bytes]:
    event = app.current_event
    return answer_response(
        pages.credential_page(event, store=store(), public_url=public_url(event), path=event.path)
    )


@app.post("/v/<issuer>/<credential>", compress=True, include_in_schema=False)
@raw_answer
def recipient_check(issuer: str, credential: str) -> Response[str | bytes]:
    event = app.current_event
    page = pages.recipient_page(event, store=store(), public_url=public_url(event), path=event.path)
    obs.count("RecipientChecks")
    return answer_response(page)


@app.get("/v/<issuer>/<credential>/image.png", include_in_schema=False)
@raw_answer
def badge_image(issuer: str, credential: str) -> Response[str | bytes]:
    event = app.current_event
    return answer_response(
        pages.credential_image(store=store(), public_url=public_url(event), path=event.path)
    )


@app.get("/static/<name>", compress=True, include_in_schema=False)
@raw_answer
def static(name: str) -> Response[str | bytes]:
    version = (app.current_event.query_string_parameters or {}).get("v")
    return answer_response(pages.static_asset(name, version))


#: What the first request would import lazily: under SnapStart, imported at init, into the
#: snapshot (docs/serverless-app.md "Cold starts and SnapStart").
SNAPSHOT_IMPORTS = (
    *VERIFICATION_IMPORTS,
    "badgekiln.web.pages",
    "badgekiln.web.hosted",
    "badgekiln.web.html",
    "jinja2",
    "badgekiln.web.check",
    # the pages' Markdown narratives (markdown-it-py and nh3, loaded on the first badge shown)
    "badgekiln.web.markdown",
    "markdown_it",
    "nh3",
    "badgekiln.render.convert",
    "cairosvg",
)

handler = entrypoint(app, obs, too_large=pages.too_large_page, prime=SNAPSHOT_IMPORTS)
