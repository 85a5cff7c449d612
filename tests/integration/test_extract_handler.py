"""POST /extract through the real handler with API Gateway v2 events."""

from __future__ import annotations

import base64
import json

from extract import extract_handler

from tests.integration.conftest import Context, body_bytes, load_event, problem


def test_raw_png(context: Context) -> None:
    response = extract_handler.handler(load_event("extract-png.json"), context)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert json.loads(body_bytes(response)) == {
        "format": "png",
        "spec": "ob2",
        "carrier": "iTXt:openbadges",
        "payload": "https://example.org/assertions/1.json",
    }


def test_multipart_svg(context: Context) -> None:
    response = extract_handler.handler(load_event("extract-multipart-svg.json"), context)
    assert response["statusCode"] == 200
    assert json.loads(body_bytes(response)) == {
        "format": "svg",
        "spec": "ob2",
        "carrier": "svg:assertion",
        "payload": "https://example.org/assertions/1.json",
    }


def test_raw_svg_sent_as_text(context: Context) -> None:
    # GIVEN an SVG body the gateway passed as text rather than base64
    event = load_event("extract-multipart-svg.json")
    svg = base64.b64decode(event["body"]).split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0]
    event.update(body=svg.decode(), isBase64Encoded=False)
    event["headers"]["content-type"] = "image/svg+xml"
    response = extract_handler.handler(event, context)
    assert response["statusCode"] == 200
    assert json.loads(body_bytes(response))["carrier"] == "svg:assertion"


def test_no_badge_is_422_no_badge_data(context: Context) -> None:
    document = problem(extract_handler.handler(load_event("extract-no-badge.json"), context))
    assert (document["status"], document["code"]) == (422, "no-badge-data")


def test_wrong_content_type_is_415(context: Context) -> None:
    document = problem(extract_handler.handler(load_event("extract-wrong-content-type.json"), context))
    assert (document["status"], document["code"]) == (415, "unsupported-media-type")


def test_not_an_image_is_422(context: Context) -> None:
    event = load_event("extract-no-badge.json")
    event["body"] = base64.b64encode(b"GIF89a not a badge").decode()
    document = problem(extract_handler.handler(event, context))
    assert (document["status"], document["code"]) == (422, "not-a-badge-image")


def test_bad_base64_is_400(context: Context) -> None:
    event = load_event("extract-no-badge.json")
    event["body"] = "%%%"
    document = problem(extract_handler.handler(event, context))
    assert (document["status"], document["reason"]) == (400, "base64")


def test_unknown_path_inside_function_is_404_problem(context: Context) -> None:
    event = load_event("extract-png.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/nope"
    document = problem(extract_handler.handler(event, context))
    assert (document["status"], document["code"]) == (404, "not-found")
