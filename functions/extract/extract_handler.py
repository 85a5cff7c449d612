"""``POST /extract``: read the Open Badges payload baked into a PNG or SVG image.

Request bodies: the raw image (``image/png`` or ``image/svg+xml``), or ``multipart/form-data``
with the image in field ``image``. An image that carries no badge is a 422 ``no-badge-data``.
"""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict, Field

import badgekiln
from badgekiln.errors import InvalidField
from badgekiln.http import (
    entrypoint,
    make_resolver,
    multipart_body,
    observability,
    problem_responses,
    raw_body,
    require_media_type,
)

obs = observability("extract")
app = make_resolver(obs)

MEDIA_TYPES = ("image/png", "image/svg+xml", "multipart/form-data")


class ExtractResponse(BaseModel):
    """What an image carries."""

    model_config = ConfigDict(frozen=True)

    format: Literal["png", "svg"] = Field(description="The image format, by content.")
    spec: Literal["ob2", "ob3"] = Field(description="Open Badges 2.0 or 3.0.")
    carrier: str = Field(description='Where the payload was found, e.g. "iTXt:openbadgecredential".')
    payload: str = Field(description="The baked payload, exactly as stored.")


def _image(event: APIGatewayProxyEventV2) -> bytes:
    """The image bytes from a raw or multipart body.

    Raises:
        UnsupportedMediaType, InputError, InputTooLarge, InvalidField: the request is unusable.
    """
    if require_media_type(event, MEDIA_TYPES) != "multipart/form-data":
        return raw_body(event)
    parts = multipart_body(event, fields=("image",))
    if "image" not in parts or not parts["image"].data:
        raise InvalidField("Form field 'image' is required.", field="image")
    return parts["image"].data


@app.post(
    "/extract",
    summary="Extract the badge payload baked into a PNG or SVG image",
    tags=["baking"],
    openapi_extensions={
        "requestBody": {
            "required": True,
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/svg+xml": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["image"],
                        "properties": {"image": {"type": "string", "format": "binary"}},
                    }
                },
            },
        }
    },
    responses=problem_responses(400, 413, 415, 422),
)
def extract() -> ExtractResponse:
    found = badgekiln.extract(_image(app.current_event))
    obs.count("BadgesExtracted")
    return ExtractResponse(format=found.format, spec=found.spec, carrier=found.carrier, payload=found.payload)


handler = entrypoint(app, obs)
