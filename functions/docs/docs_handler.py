"""``GET /docs``: Swagger UI for the whole API; ``GET /docs/openapi.json``: the merged OpenAPI.

The document is ``openapi.json`` beside this module, generated from every function by
``scripts/generate_openapi.py`` and checked in (a test fails when it is stale). Swagger UI's
JavaScript and CSS come from the copy bundled in Powertools and are inlined into the page: no CDN.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

from aws_lambda_powertools.event_handler import Response

from badgekiln.http import entrypoint, make_resolver, observability

obs = observability("docs")
app = make_resolver(obs)

SPEC_PATH = Path(__file__).with_name("openapi.json")

#: The page runs Swagger UI's inline script and styles and calls this same API; nothing else.
DOCS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
CACHE_CONTROL = "public, max-age=300"


@cache
def _spec() -> str:
    return SPEC_PATH.read_text(encoding="utf-8")


@cache
def _page() -> str:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    js = (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    css = (assets / "swagger-ui.min.css").read_text(encoding="utf-8")
    # "</" would end the inline <script> early; "<\/" is the same JSON string
    spec = json.dumps(json.loads(_spec())).replace("</", "<\\/")
    return generate_swagger_html(spec, js, css, "", None, False)


@app.get("/docs", include_in_schema=False, compress=True)
def docs():  # type: ignore[no-untyped-def]  # no "-> Response": it breaks Powertools' OpenAPI generation
    query = app.current_event.query_string_parameters or {}
    if query.get("format") == "json":  # Swagger UI's own download link asks for this
        return _spec_response()
    headers = {"Content-Security-Policy": DOCS_CSP, "Cache-Control": CACHE_CONTROL}
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=_page(), headers=headers)


@app.get("/docs/openapi.json", include_in_schema=False, compress=True)
def openapi():  # type: ignore[no-untyped-def]
    return _spec_response()


def _spec_response() -> Response[str]:
    headers = {"Cache-Control": CACHE_CONTROL}
    return Response(status_code=200, content_type="application/json", body=_spec(), headers=headers)


handler = entrypoint(app, obs)
