"""What ``POST /bake`` and ``POST /extract`` read, and how their bodies are described.

* bake: ``multipart/form-data`` with fields ``image`` (the file), ``payload`` and optional
  ``spec``, or ``application/json`` ``{"image": "<base64>", "payload": "...", "spec": …}``;
* extract: the raw image (``image/png`` or ``image/svg+xml``), or ``multipart/form-data`` with
  the image in field ``image``.

``payload`` is what goes into the image: a JSON assertion/credential, a compact JWS/VC-JWT, or a
hosted assertion URL; ``spec`` overrides the Open Badges version detected from it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from badgekiln.errors import InvalidField
from badgekiln.http.bodies import (
    base64_field,
    json_body,
    multipart_body,
    parse_model,
    raw_body,
    require_media_type,
)
from badgekiln.http.responses import BINARY, TEXT, deferred, form_schema, request_body

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

__all__ = ["BAKE_BODY", "EXTRACT_BODY", "Bake", "BakeRequest", "read_bake", "read_image"]

Spec = Literal["ob2", "ob3"]
SPECS: Final[tuple[Spec, ...]] = ("ob2", "ob3")
IMAGE_TYPES: Final = ("image/png", "image/svg+xml")


#: The example image (not badgekiln.issue.models': importing it costs this function ~20 ms).
_EXAMPLE_IMAGE: Final = base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240">'
    b'<rect width="240" height="240" rx="24" fill="#23395b"/></svg>'
).decode()


class BakeRequest(BaseModel):
    """The JSON form of a bake request."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "image": _EXAMPLE_IMAGE,
                    "payload": "https://badges.acme.example/issuers/acme-academy/assertions/7bd1c3a2.json",
                    "spec": "ob2",
                }
            ]
        },
    )

    image: str = Field(description="The PNG or SVG image to bake into, base64-encoded.", min_length=1)
    payload: str = Field(
        description="JSON assertion/credential, compact JWS/VC-JWT, or hosted assertion URL.", min_length=1
    )
    spec: Spec | None = Field(
        default=None, description="Open Badges version; detected from the payload if absent."
    )


@dataclass(frozen=True, slots=True)
class Bake:
    """What to bake: the image, the payload, and the version if the caller names it."""

    image: bytes
    payload: str
    spec: Spec | None


#: The bake body: a form (binary image) or JSON (base64 image); built when the document is.
BAKE_BODY: Final = deferred(
    lambda: request_body(
        {
            "multipart/form-data": form_schema(
                ("image", "payload"),
                image={**BINARY, "description": "The PNG or SVG image."},
                payload={**TEXT, "description": BakeRequest.model_fields["payload"].description},
                spec={**TEXT, "enum": list(SPECS)},
            ),
            "application/json": BakeRequest.model_json_schema(),
        }
    )
)
#: The extract body: the image itself, or a form with the image in field ``image``.
EXTRACT_BODY: Final = request_body(
    {**dict.fromkeys(IMAGE_TYPES, BINARY), "multipart/form-data": form_schema(("image",), image=BINARY)}
)


def read_bake(event: APIGatewayProxyEventV2) -> Bake:
    """The bake request, from either body form (:func:`badgekiln.bake` caps the image's bytes
    and declared pixels).

    Raises:
        UnsupportedMediaType, InputError, InputTooLarge, InvalidField: the request is unusable.
    """
    if require_media_type(event, ("multipart/form-data", "application/json")) == "application/json":
        request = parse_model(BakeRequest, json_body(event))
        return Bake(base64_field(request.image, "image"), request.payload, request.spec)
    parts = multipart_body(event, fields=("image", "payload", "spec"))
    for name in ("image", "payload"):
        if name not in parts or not parts[name].data:
            raise InvalidField(f"Form field {name!r} is required.", field=name)
    spec_text = parts["spec"].text() if "spec" in parts else ""
    spec = next((s for s in SPECS if s == spec_text), None)
    if spec_text and spec is None:
        raise InvalidField(f"Form field 'spec' must be one of {', '.join(SPECS)}.", field="spec")
    return Bake(parts["image"].data, parts["payload"].text(), spec)


def read_image(event: APIGatewayProxyEventV2) -> bytes:
    """The image of an extract request: the raw body, or the form's ``image`` field.

    Raises:
        UnsupportedMediaType, InputError, InputTooLarge, InvalidField: the request is unusable.
    """
    if require_media_type(event, (*IMAGE_TYPES, "multipart/form-data")) != "multipart/form-data":
        return raw_body(event)
    parts = multipart_body(event, fields=("image",))
    if "image" not in parts or not parts["image"].data:
        raise InvalidField("Form field 'image' is required.", field="image")
    return parts["image"].data
