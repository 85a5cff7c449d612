"""``POST /bake``: bake an Open Badges payload into a PNG or SVG image and return the image.

Request bodies:

* ``multipart/form-data`` with fields ``image`` (the file), ``payload`` and optional ``spec``;
* ``application/json``: ``{"image": "<base64>", "payload": "...", "spec": "ob2" | "ob3" | null}``.

``payload`` is what goes into the image: a JSON assertion/credential, a compact JWS/VC-JWT, or a
hosted assertion URL. ``spec`` overrides the Open Badges version detected from the payload.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict, Field

import badgekiln
from badgekiln.errors import InvalidField
from badgekiln.http import (
    base64_field,
    entrypoint,
    image_media_type,
    json_body,
    make_resolver,
    multipart_body,
    observability,
    parse_model,
    problem_responses,
    require_media_type,
)

obs = observability("bake")
app = make_resolver(obs)

Spec = Literal["ob2", "ob3"]
SPECS: tuple[Spec, ...] = ("ob2", "ob3")
FORM_FIELDS = ("image", "payload", "spec")
MEDIA_TYPES = ("multipart/form-data", "application/json")


class BakeRequest(BaseModel):
    """The JSON form of a bake request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    image: str = Field(description="The PNG or SVG image to bake into, base64-encoded.", min_length=1)
    payload: str = Field(
        description="JSON assertion/credential, compact JWS/VC-JWT, or hosted assertion URL.", min_length=1
    )
    spec: Spec | None = Field(
        default=None, description="Open Badges version; detected from the payload if absent."
    )


_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["image", "payload"],
    "properties": {
        "image": {"type": "string", "format": "binary", "description": "The PNG or SVG image."},
        "payload": {"type": "string", "description": BakeRequest.model_fields["payload"].description},
        "spec": {"type": "string", "enum": list(SPECS)},
    },
}


def _read(event: APIGatewayProxyEventV2) -> tuple[bytes, str, Spec | None]:
    """``(image, payload, spec)`` from either body form (see module docstring).

    Raises:
        UnsupportedMediaType, InputError, InputTooLarge, InvalidField: the request is unusable.
    """
    if require_media_type(event, MEDIA_TYPES) == "application/json":
        request = parse_model(BakeRequest, json_body(event))
        return base64_field(request.image, "image"), request.payload, request.spec
    parts = multipart_body(event, fields=FORM_FIELDS)
    for name in ("image", "payload"):
        if name not in parts or not parts[name].data:
            raise InvalidField(f"Form field {name!r} is required.", field=name)
    spec_text = parts["spec"].text() if "spec" in parts else ""
    spec = next((s for s in SPECS if s == spec_text), None)
    if spec_text and spec is None:
        raise InvalidField(f"Form field 'spec' must be one of {', '.join(SPECS)}.", field="spec")
    return parts["image"].data, parts["payload"].text(), spec


@app.post(
    "/bake",
    summary="Bake a badge payload into a PNG or SVG image",
    tags=["baking"],
    openapi_extensions={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": _FORM_SCHEMA},
                "application/json": {"schema": BakeRequest.model_json_schema()},
            },
        }
    },
    responses={
        200: {
            "description": "The baked image, in the format it was sent.",
            "content": {"image/png": {}, "image/svg+xml": {}},
        },
        **problem_responses(400, 413, 415, 422),
    },
)
def bake():  # type: ignore[no-untyped-def]  # no "-> Response": it breaks Powertools' OpenAPI generation
    image, payload, spec = _read(app.current_event)
    baked = badgekiln.bake(image, payload, spec=spec)
    obs.count("BadgesBaked")
    return Response(status_code=200, content_type=image_media_type(baked), body=baked)


handler = entrypoint(app, obs)
