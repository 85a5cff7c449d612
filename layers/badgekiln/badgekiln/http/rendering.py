"""What ``POST /render`` reads, how far it renders, and how its body is described.

Request bodies: ``image/svg+xml`` (the SVG itself; ``?size=N`` sets the PNG's longer side), or
``application/json`` ``{"svg": "<svg …>", "size": N, "values": {"recipient_name": "…"}}``; with
``values`` the SVG is a badge template whose ``{{placeholders}}`` are filled first, as text.
Nothing the SVG names outside itself is fetched or read, and the render is bounded
(:data:`LIMITS`); see docs/rendering.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict, Field

from badgekiln.errors import RenderError
from badgekiln.http.bodies import json_body, parse_model, query_model, raw_body, require_media_type
from badgekiln.http.responses import BINARY, deferred, request_body
from badgekiln.render import DEFAULT_LIMITS, PLACEHOLDERS, personalise_svg, svg_to_png

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

__all__ = [
    "LIMITS",
    "MAX_PNG_BYTES",
    "RENDER_BODY",
    "Render",
    "RenderQuery",
    "RenderRequest",
    "read_render",
    "render_png",
]

#: The library's caps, with the canvas held to 2048 px a side (4 Mpx): big enough for print, small
#: enough that the PNG fits in a Lambda response.
LIMITS: Final = dataclasses.replace(DEFAULT_LIMITS, max_side=2048, max_pixels=2048 * 2048)
#: Largest PNG the API returns: Lambda answers at most 6 MB, and base64 costs a third.
MAX_PNG_BYTES = 4 * 1024 * 1024


class RenderRequest(BaseModel):
    """The JSON form of a render request."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "svg": '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">'
                    '<circle cx="200" cy="200" r="190" fill="#1d6f42"/>'
                    '<text x="200" y="210" text-anchor="middle" fill="#fff">{{recipient_name}}</text></svg>',
                    "values": {"recipient_name": "Ada Lovelace", "issued_on": "7 December 2026"},
                    "size": 512,
                }
            ]
        },
    )

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


class RenderQuery(BaseModel):
    """The query string of a render request with an ``image/svg+xml`` body."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    size: int | None = Field(
        default=None,
        ge=1,
        le=LIMITS.max_side,
        description="With an image/svg+xml body: longer side of the PNG in pixels.",
    )


@dataclass(frozen=True, slots=True)
class Render:
    """What to render: the SVG, the PNG's longer side, and the template's values if any."""

    svg: bytes
    size: int | None
    values: dict[str, str] | None


#: The render body: the SVG itself, or JSON with the SVG as text; built when the document is.
RENDER_BODY: Final = deferred(
    lambda: request_body({"image/svg+xml": BINARY, "application/json": RenderRequest.model_json_schema()})
)


def read_render(event: APIGatewayProxyEventV2) -> Render:
    """The render request, from either body form.

    Raises:
        UnsupportedMediaType, InputError, InputTooLarge, InvalidField: the request is unusable.
    """
    if require_media_type(event, ("image/svg+xml", "application/json")) == "application/json":
        request = parse_model(RenderRequest, json_body(event))
        return Render(request.svg.encode("utf-8"), request.size, request.values)
    return Render(raw_body(event), query_model(event, RenderQuery).size, None)


def render_png(request: Render) -> bytes:
    """The PNG of ``request`` (a template personalised first), within :data:`LIMITS`.

    Raises:
        MalformedImage, RenderError, InputTooLarge, InvalidField: as
            :func:`badgekiln.render.svg_to_png` and :func:`~badgekiln.render.personalise_svg`;
            ``RenderError(reason="response-too-large")`` for a PNG over :data:`MAX_PNG_BYTES`.
    """
    svg = (
        request.svg if request.values is None else personalise_svg(request.svg, request.values, limits=LIMITS)
    )
    png = svg_to_png(svg, size=request.size, limits=LIMITS)
    if len(png) > MAX_PNG_BYTES:
        raise RenderError(
            f"The PNG is {len(png):,} bytes, more than this API can return ({MAX_PNG_BYTES:,}); "
            "ask for a smaller size.",
            reason="response-too-large",
            limit=MAX_PNG_BYTES,
        )
    return png
