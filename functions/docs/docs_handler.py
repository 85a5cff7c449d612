"""``GET /docs``: Swagger UI for the whole API; ``GET /docs/openapi.json``: the merged OpenAPI.

The document is ``openapi.json`` beside this module, generated from every function by
``scripts/generate_openapi.py`` and checked in (a test fails when it is stale); the page is
:func:`badgekiln.http.docs.swagger_page`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import Response

from badgekiln.http import answer_response, entrypoint, make_resolver, observability, raw_answer
from badgekiln.http.docs import openapi_document, swagger_page

obs = observability("docs")
# the routes take no parameters and answer raw documents: nothing to validate (and no pydantic)
app = make_resolver(obs, validation=False)

SPEC_PATH = Path(__file__).with_name("openapi.json")


@cache
def _spec() -> str:
    return SPEC_PATH.read_text(encoding="utf-8")


@app.get("/docs", include_in_schema=False, compress=True)
@raw_answer
def docs() -> Response[str | bytes]:
    query = app.current_event.query_string_parameters or {}
    if query.get("format") == "json":  # Swagger UI's own download link asks for this
        return answer_response(openapi_document(_spec()))
    return answer_response(swagger_page(_spec()))


@app.get("/docs/openapi.json", include_in_schema=False, compress=True)
@raw_answer
def openapi() -> Response[str | bytes]:
    return answer_response(openapi_document(_spec()))


handler = entrypoint(app, obs)
