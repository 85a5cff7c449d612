"""The API's own description: the merged OpenAPI document, and Swagger UI to read it.

Swagger UI's JavaScript and CSS come from the copy bundled in Powertools and are inlined into the
page under a Content-Security-Policy that admits exactly that: no CDN, no other origin. The page
is ours and the assets are read as files: Powertools' ``swagger_ui`` package, whose page generator
this replaces, builds its OpenAPI pydantic models on import (for an OAuth2 configuration we do not
use), ~100 ms of the docs function's first request.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Final

from badgekiln.http.responses import Reply

__all__ = ["CACHE_CONTROL", "DOCS_CSP", "openapi_document", "swagger_page"]

#: The page runs Swagger UI's inline script and styles and calls this same API; nothing else.
DOCS_CSP: Final = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
#: Both change only with a deployment.
CACHE_CONTROL: Final = "public, max-age=300"


def openapi_document(spec: str) -> Reply:
    """The OpenAPI document ``spec`` (JSON text) as an answer."""
    return Reply(200, spec, "application/json", {"Cache-Control": CACHE_CONTROL})


#: The page; the options are those Powertools' generator used (``.format`` fills the three parts).
_PAGE: Final = """<!DOCTYPE html>
<html>
<head>
    <meta charset="UTF-8">
    <title>Swagger UI</title>
    <style>{css}</style>
</head>
<body>
    <div id="swagger-ui">Loading...</div>
</body>
<script>{js}</script>
<script>
  var currentUrl = new URL(window.location.href);
  var ui = SwaggerUIBundle({{
    dom_id: "#swagger-ui",
    docExpansion: "list",
    deepLinking: true,
    filter: true,
    layout: "BaseLayout",
    showExtensions: true,
    showCommonExtensions: true,
    spec: {spec},
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    withCredentials: true,
    persistAuthorization: false,
  }});
  ui.specActions.updateUrl(currentUrl.pathname + "?format=json");
</script>
</html>"""


@cache
def swagger_page(spec: str) -> Reply:
    """Swagger UI for ``spec`` (JSON text), everything inlined (built once per document)."""
    # the parent package: importing swagger_ui itself would build its OAuth2 models (see above)
    assets = resources.files("aws_lambda_powertools.event_handler.openapi") / "swagger_ui"
    js = (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    css = (assets / "swagger-ui.min.css").read_text(encoding="utf-8")
    # "</" would end the inline <script> early; "<\/" is the same JSON string
    inline = json.dumps(json.loads(spec)).replace("</", "<\\/")
    html = _PAGE.format(css=css, js=js, spec=inline)
    headers = {"Content-Security-Policy": DOCS_CSP, "Cache-Control": CACHE_CONTROL}
    return Reply(200, html, "text/html; charset=utf-8", headers)
