"""``POST /bake``: bake an Open Badges payload into a PNG or SVG image and return the image.

The request (a form or JSON; :mod:`badgekiln.http.baking`) names the image, the payload (a JSON
assertion/credential, a compact JWS/VC-JWT, or a hosted assertion URL) and optionally the spec.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

import badgekiln
from badgekiln.http import (
    binary_response,
    entrypoint,
    image_media_type,
    make_resolver,
    observability,
    problem_responses,
    raw_answer,
)
from badgekiln.http.baking import BAKE_BODY, read_bake

obs = observability("bake")
app = make_resolver(obs)


@app.post(
    "/bake",
    summary="Bake a badge payload into a PNG or SVG image",
    operation_id="bakeBadge",
    tags=["baking"],
    openapi_extensions=BAKE_BODY,
    responses={
        200: {
            "description": "The baked image, in the format it was sent.",
            "content": {"image/png": {}, "image/svg+xml": {}},
        },
        **problem_responses(400, 413, 415, 422),
    },
)
@raw_answer
def bake() -> Response[str]:
    request = read_bake(app.current_event)
    baked = badgekiln.bake(request.image, request.payload, spec=request.spec)
    obs.count("BadgesBaked")
    return binary_response(image_media_type(baked), baked)


handler = entrypoint(app, obs)
