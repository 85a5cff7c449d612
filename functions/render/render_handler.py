"""``POST /render``: render an SVG badge, or a personalised badge template, to PNG.

Request bodies:

* ``image/svg+xml``: the SVG itself; ``?size=N`` sets the PNG's longer side (default: the SVG's
  own size);
* ``application/json``: ``{"svg": "<svg …>", "size": N, "values": {"recipient_name": "…"}}``. With
  ``values`` the SVG is a badge template whose ``{{placeholders}}`` are filled first, as text.

The answer is the PNG (``image/png``). Nothing the SVG names outside itself is fetched or read, and
the render is bounded (:data:`LIMITS`); see docs/rendering.md. The function needs the cairo layer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict, Field

from badgekiln.errors import InvalidField, RenderError
from badgekiln.http import (
    entrypoint,
    json_body,
    make_resolver,
    observability,
    parse_model,
    problem_responses,
    raw_body,
    require_media_type,
)
from badgekiln.http.auth import API_KEY, caller, document_api_key
from badgekiln.render import DEFAULT_LIMITS, PLACEHOLDERS, personalise_svg, svg_to_png

obs = observability("render")
app = make_resolver(obs)
document_api_key(app)

MEDIA_TYPES = ("image/svg+xml", "application/json")
#: The library's caps, with the canvas held to 2048 px a side (4 Mpx): big enough for print, small
#: enough that the PNG fits in a Lambda response.
LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_side=2048, max_pixels=2048 * 2048)
#: Largest PNG this route returns: Lambda answers at most 6 MB, and base64 costs a third.
MAX_PNG_BYTES = 4 * 1024 * 1024


class RenderRequest(BaseModel):
    """The JSON form of a render request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    svg: str = Field(
        description="The SVG document (or badge template) as text.",
        min_length=1,
        max_length=LIMITS.max_input_bytes,
    )
    size: int | None = Field(
        default=None,
        ge=1,
        le=LIMITS.max_side,
        description="Longer side of the PNG in pixels; the aspect ratio is kept. Default: the SVG's size.",
    )
    values: dict[str, str] | None = Field(
        default=None,
        description="Placeholder values; the SVG is then a template. Names: " + ", ".join(PLACEHOLDERS) + ".",
        max_length=len(PLACEHOLDERS),
    )


def _size(event: APIGatewayProxyEventV2) -> int | None:
    """``?size=N``.

    Raises:
        InvalidField: not a whole number from 1 to the largest side.
    """
    text = event.get_query_string_value("size")
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= LIMITS.max_side:
        raise InvalidField(
            f"Query parameter 'size' must be a whole number from 1 to {LIMITS.max_side}.", field="size"
        )
    return int(text)


def _read(event: APIGatewayProxyEventV2) -> tuple[bytes, int | None, dict[str, str] | None]:
    """``(svg, size, values)`` from either body form (see module docstring).

    Raises:
        UnsupportedMediaType, InputError, InputTooLarge, InvalidField: the request is unusable.
    """
    if require_media_type(event, MEDIA_TYPES) == "application/json":
        request = parse_model(RenderRequest, json_body(event))
        return request.svg.encode("utf-8"), request.size, request.values
    return raw_body(event), _size(event), None


_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "image/svg+xml": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": RenderRequest.model_json_schema()},
    },
}


@app.post(
    "/render",
    security=API_KEY,
    summary="Render an SVG badge (or a personalised badge template) to PNG",
    tags=["images"],
    openapi_extensions={
        "requestBody": _REQUEST_BODY,
        "parameters": [
            {
                "name": "size",
                "in": "query",
                "required": False,
                "description": "With an image/svg+xml body: longer side of the PNG in pixels.",
                "schema": {"type": "integer", "minimum": 1, "maximum": LIMITS.max_side},
            }
        ],
    },
    responses={
        200: {"description": "The rendered PNG.", "content": {"image/png": {}}},
        **problem_responses(400, 401, 413, 415, 422),
    },
)
def render():  # type: ignore[no-untyped-def]  # no "-> Response": it breaks Powertools' OpenAPI generation
    # rendering is CPU-heavy: any valid API key (an issuer's or an admin's) may use it
    caller(app.current_event)
    svg, size, values = _read(app.current_event)
    if values is not None:
        svg = personalise_svg(svg, values, limits=LIMITS)
    png = svg_to_png(svg, size=size, limits=LIMITS)
    if len(png) > MAX_PNG_BYTES:
        raise RenderError(
            f"The PNG is {len(png):,} bytes, more than this API can return ({MAX_PNG_BYTES:,}); "
            "ask for a smaller size.",
            reason="response-too-large",
            limit=MAX_PNG_BYTES,
        )
    obs.count("BadgesRendered")
    return Response(status_code=200, content_type="image/png", body=png)


handler = entrypoint(app, obs)
