"""``POST /render``: render an SVG badge, or a personalised badge template, to PNG.

The SVG is the body (``image/svg+xml``, ``?size=N``) or JSON with ``svg``, ``size`` and template
``values`` (:mod:`badgekiln.http.rendering`, which also bounds the render). Any valid API key (an
issuer's or an admin's) may render: it is CPU-heavy. The function needs the cairo layer.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from badgekiln.http import (
    binary_response,
    deferred,
    entrypoint,
    make_resolver,
    observability,
    problem_responses,
    query_parameters,
    raw_answer,
)
from badgekiln.http.auth import API_KEY, caller, document_api_key
from badgekiln.http.rendering import RENDER_BODY, RenderQuery, read_render, render_png

obs = observability("render")
app = make_resolver(obs)
document_api_key(app)


@app.post(
    "/render",
    security=API_KEY,
    summary="Render an SVG badge (or a personalised badge template) to PNG",
    operation_id="renderBadge",
    tags=["images"],
    openapi_extensions=deferred(lambda: {**RENDER_BODY, "parameters": query_parameters(RenderQuery)}),
    responses={
        200: {"description": "The rendered PNG.", "content": {"image/png": {}}},
        **problem_responses(400, 401, 413, 415, 422),
    },
)
@raw_answer
def render() -> Response[str]:
    caller(app.current_event)
    png = render_png(read_render(app.current_event))
    obs.count("BadgesRendered")
    return binary_response("image/png", png)


#: What the first request would import lazily: under SnapStart, imported at init, into the
#: snapshot (docs/serverless-app.md "Cold starts and SnapStart").
SNAPSHOT_IMPORTS = (
    "badgekiln.render.convert",
    "badgekiln.render.templates",
    "badgekiln.hosting.media",
    "badgekiln.issue.apikeys",
    "cairosvg",
)

handler = entrypoint(app, obs, prime=SNAPSHOT_IMPORTS)
