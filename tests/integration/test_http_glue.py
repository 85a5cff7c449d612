"""The shared HTTP glue the doors are made of: request and answer descriptions from models,
answers that are not JSON, error pages and the oversized-body hook."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field

from badgekiln.errors import BadgeKilnError, InvalidField, NotFound
from badgekiln.http import (
    MAX_BODY_BYTES,
    entrypoint,
    listing,
    make_resolver,
    observability,
    path_parameter,
    query_parameters,
    raw_answer,
)
from badgekiln.http.responses import MAX_LISTED
from tests.integration.conftest import Context, load_event

REQUEST_ID = load_event("docs.json")["requestContext"]["requestId"]


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore")

    achievement: str = Field(description="Which one.")
    size: int | None = Field(default=None, ge=1, le=9, description="How big.")
    spec: Literal["ob2", "ob3"] = "ob3"


def event(path: str, *, body: str = "") -> dict[str, Any]:
    """A real API Gateway v2 GET event, for ``path``."""
    made = load_event("docs.json")
    made["rawPath"] = made["requestContext"]["http"]["path"] = path
    made["routeKey"] = made["requestContext"]["routeKey"] = f"GET {path}"
    made["body"], made["isBase64Encoded"] = body, False
    return made


def test_query_parameters_come_from_the_model() -> None:
    assert query_parameters(Query) == [
        {
            "name": "achievement",
            "in": "query",
            "required": True,
            "schema": {"type": "string"},
            "description": "Which one.",
        },
        {
            "name": "size",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 9},
            "description": "How big.",
        },
        {
            "name": "spec",
            "in": "query",
            "required": False,
            "schema": {"enum": ["ob2", "ob3"], "type": "string", "default": "ob3"},
        },
    ]
    assert path_parameter("issuer") == {
        "name": "issuer",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "title": "Issuer"},
    }


def test_a_listing_is_bounded_and_says_so() -> None:
    assert listing("items", iter(range(3))) == {"items": [0, 1, 2], "truncated": False}
    long = listing("items", iter(range(MAX_LISTED + 5)))
    assert (len(long["items"]), long["truncated"]) == (MAX_LISTED, True)


def test_raw_answers_go_out_as_they_are_and_keep_their_parameters(context: Context) -> None:
    obs = observability("test")
    app = make_resolver(obs)

    @app.get("/images/<name>")
    @raw_answer
    def image(name: str) -> Response[bytes]:
        return Response(200, "image/png", body=b"\x89PNG\r\n\x1a\n\xff" + name.encode())

    answer = entrypoint(app, obs)(event("/images/x"), context)
    assert (answer["statusCode"], answer["isBase64Encoded"]) == (200, True)
    assert base64.b64decode(answer["body"]) == b"\x89PNG\r\n\x1a\n\xffx"
    operation = app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)["paths"][
        "/images/{name}"
    ]
    assert [p["name"] for p in operation["get"]["parameters"]] == ["name"]


@dataclass(frozen=True)
class Page:
    status: int
    body: str
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def error_page(error: BadgeKilnError | None, *, request_id: str | None = None) -> Page:
    if error is None:
        return Page(500, f"<p>bug {request_id}</p>")
    return Page(404 if isinstance(error, NotFound) else 422, f"<p>{error.message}</p>")


def test_a_function_of_pages_answers_errors_and_big_bodies_with_pages(context: Context) -> None:
    obs = observability("test")
    app = make_resolver(obs, error_page=error_page, no_route="Nothing here.")

    @app.get("/bad")
    @raw_answer
    def bad() -> Response[str]:
        raise InvalidField("Please fix it.", field="x")

    @app.get("/bug")
    @raw_answer
    def bug() -> Response[str]:
        raise RuntimeError("a bug")

    handler = entrypoint(
        app, obs, too_large=lambda size: Page(413, f"<p>{size} bytes</p>", headers={"X": "1"})
    )
    for path, status, body in (
        ("/bad", 422, "<p>Please fix it.</p>"),
        ("/nowhere", 404, "<p>Nothing here.</p>"),
        ("/bug", 500, f"<p>bug {REQUEST_ID}</p>"),
    ):
        answer = handler(event(path), context)
        assert (answer["statusCode"], answer["body"]) == (status, body), path
        assert answer["headers"]["Content-Type"] == "text/html; charset=utf-8"
    too_big = handler(event("/bad", body="x" * (MAX_BODY_BYTES + 1)), context)
    assert (too_big["statusCode"], too_big["body"]) == (413, f"<p>{MAX_BODY_BYTES + 1} bytes</p>")
    assert too_big["headers"]["X"] == "1"
    assert too_big["headers"]["X-Content-Type-Options"] == "nosniff"  # the security headers too


def test_an_api_function_answers_problems(context: Context) -> None:
    obs = observability("test")
    app = make_resolver(obs)
    answer = entrypoint(app, obs)(event("/nowhere"), context)
    problem = json.loads(answer["body"])
    assert (answer["statusCode"], problem["code"], problem["detail"]) == (
        404,
        "not-found",
        "No such resource in this function.",
    )


@pytest.mark.parametrize(
    ("errors", "kwargs", "field", "message"),
    [
        (
            [{"loc": ("recipient", "identity"), "msg": "Value error, no", "type": "value_error"}],
            {},
            "recipient.identity",
            "Invalid field 'recipient.identity': no.",
        ),
        (
            [{"loc": ("query", "size"), "msg": "too big", "type": "x"}],
            {"skip": ("query",)},
            "size",
            "Invalid field 'size': too big.",
        ),
        (
            [{"loc": (0,), "msg": "bad", "type": "x"}],
            {"prefix": ["evidence"]},
            "evidence.0",
            "Invalid field 'evidence.0': bad.",
        ),
        ([{"loc": (), "msg": "bad", "type": "x"}], {}, None, "Invalid request body: bad."),
    ],
)
def test_one_reading_of_validation_errors(
    errors: list[dict[str, Any]], kwargs: dict[str, Any], field: str | None, message: str
) -> None:
    error = InvalidField.of_errors(errors, **kwargs)
    assert (error.details.get("field"), error.message) == (field, message)
    assert len(InvalidField.of_errors(errors * 100).details["errors"]) == 20
