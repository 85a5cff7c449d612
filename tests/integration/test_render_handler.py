"""POST /render through the real handler with API Gateway v2 events."""

from __future__ import annotations

import base64
import json
from typing import Any

import png as pypng
import pytest
from render import render_handler

from badgekiln.http import rendering
from tests.integration.conftest import Context, body_bytes, load_event, problem

SQUARE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="5" height="10" fill="#f00"/><rect x="5" width="5" height="10" fill="#00f"/></svg>'
)


def raw_event(svg: bytes, size: str | None = None) -> dict[str, Any]:
    event = load_event("render-svg.json")
    event["body"] = base64.b64encode(svg).decode()
    event["headers"]["content-length"] = str(len(svg))
    if size is not None:
        event["rawQueryString"] = f"size={size}"
        event["queryStringParameters"] = {"size": size}
    return event


def json_event(**fields: object) -> dict[str, Any]:
    event = load_event("render-json-template.json")
    event["body"] = json.dumps({**json.loads(event["body"]), **fields})
    return event


def decode(response: dict[str, Any]) -> tuple[int, int, list[list[int]]]:
    assert response["statusCode"] == 200, body_bytes(response)[:300]
    assert response["headers"]["Content-Type"] == "image/png"
    assert response["isBase64Encoded"] is True
    width, height, rows, _ = pypng.Reader(bytes=body_bytes(response)).asRGBA8()
    return width, height, [list(row) for row in rows]


def test_without_an_api_key_nothing_is_rendered(context: Context) -> None:
    # GIVEN the request reached the function without the authorizer's context (a deployment error)
    event = load_event("render-svg.json")
    del event["requestContext"]["authorizer"]
    # THEN it is answered as unauthenticated, never rendered
    response = render_handler.handler(event, context)
    assert response["statusCode"] == 401
    assert problem(response)["code"] == "unauthorized"


def test_the_fixture_svg_renders_at_its_own_size(context: Context) -> None:
    width, height, rows = decode(render_handler.handler(load_event("render-svg.json"), context))
    assert (width, height) == (10, 10)
    assert rows[5][20:24] == [204, 51, 51, 255]  # #c33


def test_size_query_parameter(context: Context) -> None:
    # GIVEN a left-red, right-blue square WHEN rendered at ?size=64
    width, height, rows = decode(render_handler.handler(raw_event(SQUARE, "64"), context))
    # THEN the PNG is 64×64 with the colours where the SVG puts them
    assert (width, height) == (64, 64)
    assert rows[32][4 * 10 : 4 * 10 + 4] == [255, 0, 0, 255]
    assert rows[32][4 * 50 : 4 * 50 + 4] == [0, 0, 255, 255]
    assert (
        render_handler.handler(raw_event(SQUARE, "64"), context)["headers"]["X-Content-Type-Options"]
        == "nosniff"
    )


def test_json_template_is_personalised(context: Context) -> None:
    event = load_event("render-json-template.json")
    ada = render_handler.handler(event, context)
    grace = render_handler.handler(json_event(values={"recipient_name": "Grace Hopper"}), context)
    assert decode(ada)[:2] == decode(grace)[:2] == (100, 50)
    assert body_bytes(ada) != body_bytes(grace)


@pytest.mark.parametrize(
    ("event", "status", "code", "reason_or_field"),
    [
        (raw_event(SQUARE, "0"), 422, "invalid-field", "size"),
        (raw_event(SQUARE, "2049"), 422, "invalid-field", "size"),
        (raw_event(SQUARE, "big"), 422, "invalid-field", "size"),
        (json_event(size=5000), 422, "invalid-field", "size"),
        (json_event(svg=""), 422, "invalid-field", "svg"),
        (json_event(extra=1), 422, "invalid-field", "extra"),
        (json_event(values={"nickname": "x"}), 422, "invalid-field", "values.nickname"),
        (json_event(values={}), 422, "invalid-field", "values.recipient_name"),
        (raw_event(b"<html/>"), 422, "not-a-badge-image", "root"),
        (
            raw_event(b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>'),
            422,
            "malformed-image",
            "entities",
        ),
        (
            raw_event(SQUARE.replace(b"<rect", b'<image href="http://169.254.169.254/"/><rect', 1)),
            422,
            "render-error",
            "external-reference",
        ),
        (
            raw_event(b'<svg xmlns="http://www.w3.org/2000/svg" width="3000" height="3000"/>'),
            422,
            "render-error",
            "canvas-too-large",
        ),
        (
            raw_event(
                b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
                + b"<g/>" * 10_001
                + b"</svg>"
            ),
            413,
            "input-too-large",
            "elements",
        ),
    ],
)
def test_bad_requests_are_problems(
    context: Context, event: dict[str, Any], status: int, code: str, reason_or_field: str
) -> None:
    document = problem(render_handler.handler(event, context))
    assert (document["status"], document["code"]) == (status, code)
    assert reason_or_field in (document.get("reason"), document.get("field"))


def test_wrong_media_type_is_415(context: Context) -> None:
    event = raw_event(SQUARE)
    event["headers"]["content-type"] = "image/png"
    document = problem(render_handler.handler(event, context))
    assert (document["status"], document["code"]) == (415, "unsupported-media-type")


def test_a_png_too_big_to_return_is_refused(context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "MAX_PNG_BYTES", 100)
    document = problem(render_handler.handler(raw_event(SQUARE, "512"), context))
    assert (document["status"], document["code"], document["reason"]) == (
        422,
        "render-error",
        "response-too-large",
    )


def test_template_wires_the_cairo_layer_and_fonts(translated: dict[str, Any]) -> None:
    resources = translated["Resources"]
    function = resources["RenderFunction"]["Properties"]
    layers = [layer["Ref"] for layer in function["Layers"]]
    assert layers[-1].startswith("CairoLayer")  # after the library layer, from Globals
    assert resources[layers[-1]]["Type"] == "AWS::Lambda::LayerVersion"
    assert function["Environment"]["Variables"]["FONTCONFIG_PATH"] == "/opt/fonts"
    assert function["Architectures"] == ["arm64"]
    # rendering needs no AWS access: the role only writes logs and X-Ray traces
    role = resources["RenderFunctionRole"]["Properties"]
    assert "Policies" not in role
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    ]
