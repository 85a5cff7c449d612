"""POST /bake through the real handler with API Gateway v2 events."""

from __future__ import annotations

import base64
import json

import pytest
from bake import bake_handler

import badgekiln
from tests.integration.conftest import Context, body_bytes, load_event, problem


def test_multipart_png_is_baked(context: Context) -> None:
    # GIVEN a multipart request with a PNG and a hosted-assertion URL
    event = load_event("bake-multipart-png.json")
    # WHEN the handler runs
    response = bake_handler.handler(event, context)
    # THEN the answer is the baked PNG, carrying exactly that payload
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert response["headers"]["Content-Type"] == "image/png"
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"
    found = badgekiln.extract(body_bytes(response))
    assert (found.format, found.spec, found.payload) == (
        "png",
        "ob2",
        "https://example.org/assertions/1.json",
    )


def test_json_svg_is_baked_with_spec(context: Context) -> None:
    event = load_event("bake-json-svg.json")
    request = json.loads(event["body"])
    response = bake_handler.handler(event, context)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "image/svg+xml"
    found = badgekiln.extract(body_bytes(response))
    assert (found.format, found.spec, found.payload) == ("svg", "ob3", request["payload"])


def test_malformed_json_is_400(context: Context) -> None:
    document = problem(bake_handler.handler(load_event("bake-json-malformed.json"), context))
    assert (document["status"], document["code"], document["reason"]) == (400, "invalid-input", "json")


def test_missing_payload_is_422_naming_the_field(context: Context) -> None:
    document = problem(bake_handler.handler(load_event("bake-json-missing-payload.json"), context))
    assert (document["status"], document["code"], document["field"]) == (422, "invalid-field", "payload")
    assert document["errors"][0]["type"] == "missing"


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"image": "not base64!"}, 422, "invalid-field", "image"),
        ({"spec": "ob9"}, 422, "invalid-field", "spec"),
        ({"extra": 1}, 422, "invalid-field", "extra"),
        ({"payload": ""}, 422, "invalid-field", "payload"),
    ],
)
def test_bad_json_fields(
    context: Context, change: dict[str, object], status: int, code: str, field: str
) -> None:
    event = load_event("bake-json-svg.json")
    event["body"] = json.dumps({**json.loads(event["body"]), **change})
    document = problem(bake_handler.handler(event, context))
    assert (document["status"], document["code"], document["field"]) == (status, code, field)


def test_hostile_image_is_422(context: Context) -> None:
    # GIVEN a JSON request whose image is a PNG signature followed by garbage
    event = load_event("bake-json-svg.json")
    body = json.loads(event["body"])
    body["image"] = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\xff" * 40).decode()
    event["body"] = json.dumps(body)
    document = problem(bake_handler.handler(event, context))
    assert (document["status"], document["code"]) == (422, "malformed-image")


def test_wrong_content_type_is_415(context: Context) -> None:
    event = load_event("bake-json-svg.json")
    event["headers"]["content-type"] = "text/plain"
    document = problem(bake_handler.handler(event, context))
    assert (document["status"], document["code"]) == (415, "unsupported-media-type")
    assert document["accepted"] == "multipart/form-data, application/json"


def test_multipart_without_image_is_422(context: Context) -> None:
    event = load_event("bake-multipart-png.json")
    boundary = event["headers"]["content-type"].split("boundary=")[1]
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="payload"\r\n\r\nx\r\n--{boundary}--\r\n'
    event["body"] = base64.b64encode(body.encode()).decode()
    document = problem(bake_handler.handler(event, context))
    assert (document["status"], document["field"]) == (422, "image")


def test_truncated_multipart_is_400(context: Context) -> None:
    event = load_event("bake-multipart-png.json")
    event["body"] = base64.b64encode(base64.b64decode(event["body"])[:-40]).decode()
    document = problem(bake_handler.handler(event, context))
    assert (document["status"], document["code"], document["reason"]) == (400, "invalid-input", "multipart")


def test_body_over_limit_is_413_pointing_at_uploads(context: Context) -> None:
    event = load_event("bake-multipart-png.json")
    event["body"] = base64.b64encode(b"\0" * (4 * 1024 * 1024 + 1)).decode()
    document = problem(bake_handler.handler(event, context))
    assert (document["status"], document["code"]) == (413, "input-too-large")
    assert document["upload"] == "POST /issuers/{issuer}/uploads"
    assert "POST /issuers/{issuer}/uploads" in document["detail"]


@pytest.mark.parametrize(
    "image",
    [
        # a 100000×100000 RGBA IHDR (CRCs right) over a few bytes of image data
        bytes.fromhex("89504e470d0a1a0a0000000d49484452000186a0000186a00806000000a8520bc8")
        + bytes.fromhex("0000000c49444154789c6360a00c000000400001b7347cef0000000049454e44ae426082"),
        b'<svg xmlns="http://www.w3.org/2000/svg" width="1e9" height="1e9"/>',
    ],
)
def test_an_image_declaring_too_many_pixels_is_413(context: Context, image: bytes) -> None:
    event = load_event("bake-json-svg.json")
    request = json.loads(event["body"])
    event["body"] = json.dumps({**request, "image": base64.b64encode(image).decode()})
    document = problem(bake_handler.handler(event, context))
    assert (document["status"], document["code"], document["reason"], document["field"]) == (
        413,
        "input-too-large",
        "dimensions",
        "image",
    )
