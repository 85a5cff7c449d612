"""badgekiln.http.responses: JSON answers and the OpenAPI shapes routes share."""

from __future__ import annotations

import base64
import json

from pydantic import BaseModel

from badgekiln.http import (
    PROBLEM_CONTENT_TYPE,
    binary_response,
    deferred,
    image_media_type,
    json_request_body,
    json_response,
)
from badgekiln.http.responses import problem_responses


class Body(BaseModel):
    name: str


def test_json_response_is_compact_utf8_json() -> None:
    answer = json_response(201, {"name": "Zoë", "n": [1, 2]}, {"Location": "/x"})
    assert (answer.status_code, answer.content_type) == (201, "application/json")
    assert answer.body == '{"name":"Zoë","n":[1,2]}'
    assert json.loads(answer.body) == {"name": "Zoë", "n": [1, 2]}
    assert answer.headers["Location"] == "/x"


def test_json_request_body_documents_the_model() -> None:
    schema = Body.model_json_schema()
    assert json_request_body(Body) == {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}
    }
    assert json_request_body(Body, required=False)["requestBody"]["required"] is False


def test_problem_responses_and_image_types() -> None:
    found = problem_responses(404, 503)
    assert found[404] == {
        "description": "Not Found",
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    assert found[503]["description"] == "Service Unavailable"
    assert image_media_type(b"\x89PNG\r\n\x1a\n...") == "image/png"
    assert image_media_type(b"<svg/>") == "image/svg+xml"


def test_binary_response_goes_out_base64_encoded_once() -> None:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    image = bytes(range(256)) * 5
    app = APIGatewayHttpResolver()

    @app.get("/image")
    def _image() -> object:
        return binary_response("image/png", image, {"ETag": '"x"'})

    raw = {
        "version": "2.0",
        "routeKey": "GET /image",
        "rawPath": "/image",
        "headers": {"accept-encoding": "gzip"},
        "requestContext": {"http": {"method": "GET", "path": "/image"}, "stage": "$default"},
        "isBase64Encoded": False,
    }
    answer = app.resolve(raw, None)  # type: ignore[arg-type]
    assert answer["isBase64Encoded"] is True
    assert base64.b64decode(answer["body"], validate=True) == image
    assert answer["headers"]["Content-Type"] == "image/png"
    assert answer["headers"]["ETag"] == '"x"'
    assert "Content-Encoding" not in answer["headers"]


def test_deferred_extensions_are_built_on_first_read_and_once() -> None:
    built: list[int] = []

    def build() -> dict[str, object]:
        built.append(1)
        return {"parameters": [{"name": "q"}], "x-n": 1}

    extensions = deferred(build)
    assert built == []  # a route stores them unread
    operation = {"operationId": "op"}
    operation.update(extensions)  # what Powertools does when it generates the document
    assert operation == {"operationId": "op", "parameters": [{"name": "q"}], "x-n": 1}
    assert {**extensions, "y": 2} == {"parameters": [{"name": "q"}], "x-n": 1, "y": 2}
    # json's C encoder reads the dict's storage directly: built by the reads above, not by it
    assert json.loads(json.dumps(extensions)) == {"parameters": [{"name": "q"}], "x-n": 1}
    assert len(extensions) == 2
    assert "x-n" in extensions
    assert extensions["x-n"] == 1
    assert extensions.get("nothing") is None
    assert sorted(extensions) == ["parameters", "x-n"]
    assert dict(extensions.items()) == extensions.copy() == extensions
    assert "x-n" in repr(extensions)
    assert built == [1]


def test_json_request_body_builds_its_schema_when_read() -> None:
    calls: list[int] = []

    class Counted(BaseModel):
        name: str

        @classmethod
        def model_json_schema(cls, *args: object, **kwargs: object) -> dict[str, object]:
            calls.append(1)
            return super().model_json_schema()

    extensions = json_request_body(Counted)
    assert calls == []
    schema = extensions["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["name"]["type"] == "string"
    assert calls == [1]
