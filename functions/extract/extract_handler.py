"""``POST /extract``: read the Open Badges payload baked into a PNG or SVG image.

The image is the raw body or a form's ``image`` field (:mod:`badgekiln.http.baking`). An image
that carries no badge is a 422 ``no-badge-data``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

import badgekiln
from badgekiln.http import entrypoint, make_resolver, observability, problem_responses
from badgekiln.http.baking import EXTRACT_BODY, read_image

obs = observability("extract")
app = make_resolver(obs)


class ExtractResponse(BaseModel):
    """What an image carries."""

    model_config = ConfigDict(frozen=True)

    format: Literal["png", "svg"] = Field(description="The image format, by content.")
    spec: Literal["ob1", "ob2", "ob3"] = Field(
        description="The Open Badges version of the payload (ob1: 0.5/1.x), as /verify reads it."
    )
    carrier: str = Field(description='Where the payload was found, e.g. "iTXt:openbadgecredential".')
    payload: str = Field(description="The baked payload, exactly as stored.")


@app.post(
    "/extract",
    summary="Extract the badge payload baked into a PNG or SVG image",
    operation_id="extractBadge",
    tags=["baking"],
    openapi_extensions=EXTRACT_BODY,
    responses={
        200: {
            "description": "The payload the image carries.",
            "content": {"application/json": {"model": ExtractResponse}},
        },
        **problem_responses(400, 413, 415, 422),
    },
)
def extract() -> ExtractResponse:
    found = badgekiln.extract(read_image(app.current_event))
    obs.count("BadgesExtracted")
    return ExtractResponse(format=found.format, spec=found.spec, carrier=found.carrier, payload=found.payload)


handler = entrypoint(app, obs)
