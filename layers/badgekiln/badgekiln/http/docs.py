"""The API's own description: the merged OpenAPI document, and Swagger UI to read it.

Swagger UI's JavaScript and CSS come from the copy bundled in Powertools and are inlined into the
page under a Content-Security-Policy that admits exactly that: no CDN, no other origin.
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


@cache
def swagger_page(spec: str) -> Reply:
    """Swagger UI for ``spec`` (JSON text), everything inlined (built once per document)."""
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    js = (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    css = (assets / "swagger-ui.min.css").read_text(encoding="utf-8")
    # "</" would end the inline <script> early; "<\/" is the same JSON string
    inline = json.dumps(json.loads(spec)).replace("</", "<\\/")
    html = generate_swagger_html(inline, js, css, "", None, False)
    headers = {"Content-Security-Policy": DOCS_CSP, "Cache-Control": CACHE_CONTROL}
    return Reply(200, html, "text/html; charset=utf-8", headers)
