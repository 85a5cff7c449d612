"""badgekiln_server.gateway: route selection, Lambda answers, authorizer cache, template refusals."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

import pytest

from badgekiln.errors import InputError
from badgekiln_server.gateway.authorizer import AuthorizerCache, identity_values
from badgekiln_server.gateway.events import HttpRequest, build_event, parse_lambda_response
from badgekiln_server.gateway.routing import match_route
from badgekiln_server.gateway.template import AuthorizerSpec, RouteSpec, load_template

ROUTES = [
    RouteSpec("GET", "/a/b", "Literal", None),
    RouteSpec("GET", "/a/{x}", "Param", None),
    RouteSpec("ANY", "/a/{x}", "AnyParam", None),
    RouteSpec("GET", "/a/{proxy+}", "Greedy", None),
    RouteSpec("GET", "/", "Root", None),
]


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("GET", "/a/b", "Literal", {}),
        ("GET", "/a/c", "Param", {"x": "c"}),
        ("PUT", "/a/c", "AnyParam", {"x": "c"}),
        ("GET", "/a/c/d", "Greedy", {"proxy": "c/d"}),
        ("GET", "/a/%2F", "Param", {"x": "/"}),
        ("GET", "/", "Root", {}),
        ("GET", "/a", None, None),
        ("GET", "/a/b/", "Greedy", {"proxy": "b/"}),
        ("POST", "/a/b/c", None, None),
        ("GET", "relative", None, None),
        ("GET", "/a" * 100, None, None),
    ],
)
def test_route_selection(method: str, path: str, function: str | None, params: dict[str, str] | None) -> None:
    match = match_route(ROUTES, method, path)
    assert (match.route.function if match else None) == function
    assert (match.path_parameters if match else None) == params


def test_default_route_catches_the_rest() -> None:
    routes = [*ROUTES, RouteSpec("ANY", "$default", "Default", None)]
    match = match_route(routes, "POST", "/zzz")
    assert match is not None
    assert (match.route.function, match.route.key) == ("Default", "$default")


@pytest.mark.parametrize(
    ("result", "status", "headers", "body"),
    [
        ({"a": 1}, 200, [("content-type", "application/json")], b'{"a": 1}'),
        ("text", 200, [("content-type", "application/json")], b'"text"'),
        ({"statusCode": 204}, 204, [], b""),
        (
            {"statusCode": 200, "body": base64.b64encode(b"\x89PNG").decode(), "isBase64Encoded": True},
            200,
            [],
            b"\x89PNG",
        ),
        (
            {
                "statusCode": "201",
                "headers": {"a": "1"},
                "multiValueHeaders": {"a": ["x"], "b": ["2", "3"]},
                "cookies": ["c=1"],
            },
            201,
            [("a", "1"), ("b", "2"), ("b", "3"), ("set-cookie", "c=1")],
            b"",
        ),
    ],
)
def test_lambda_answers(result: object, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    response = parse_lambda_response(result)
    assert (response.status, response.headers, response.body) == (status, headers, body)


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": 99},
        {"statusCode": True},
        {"statusCode": None},
        {"statusCode": 200, "body": "!", "isBase64Encoded": True},
    ],
)
def test_malformed_lambda_answers(result: object) -> None:
    with pytest.raises(ValueError):
        parse_lambda_response(result)


def test_undecodable_text_body_goes_base64() -> None:
    request = HttpRequest("POST", "/x", [("Content-Type", "application/json")], b"\xff", "127.0.0.1")
    event = build_event(request, route_key="POST /x", path_parameters={}, request_id="r")
    assert (event["isBase64Encoded"], event["body"]) == (True, "/w==")


SPEC = AuthorizerSpec("A", "F", ("$request.header.authorization", "$request.querystring.tenant"), ttl=10)


def test_identity_values() -> None:
    assert identity_values(SPEC, {"authorization": "k"}, "tenant=t&tenant=u") == ("k", "t,u")
    assert identity_values(SPEC, {"authorization": "k"}, "") is None
    assert identity_values(SPEC, {"authorization": ""}, "tenant=t") is None


def test_cache_expires_after_ttl() -> None:
    now = [0.0]
    cache = AuthorizerCache(clock=lambda: now[0])
    calls: list[int] = []

    def invoke() -> dict[str, object]:
        calls.append(1)
        return {"isAuthorized": True, "context": {"n": len(calls)}}

    assert cache.authorize(SPEC, ("k",), invoke).context == {"n": 1}
    now[0] = 9.9
    assert cache.authorize(SPEC, ("k",), invoke).context == {"n": 1}
    now[0] = 10.1
    assert cache.authorize(SPEC, ("k",), invoke).context == {"n": 2}
    assert cache.authorize(SPEC, ("other",), invoke).context == {"n": 3}


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ({"isAuthorized": False}, 403),
        ({"isAuthorized": "yes"}, 500),
        ("allow", 500),
        ({"isAuthorized": True, "context": 1}, 500),
    ],
)
def test_authorizer_answers(answer: object, status: int) -> None:
    assert AuthorizerCache().authorize(SPEC, ("k",), lambda: answer).status == status


def test_failures_are_not_cached() -> None:
    cache = AuthorizerCache()
    results = iter([RuntimeError("down"), {"isAuthorized": True}])

    def invoke() -> object:
        result = next(results)
        if isinstance(result, Exception):
            raise result
        return result

    assert cache.authorize(SPEC, ("k",), invoke).status == 500
    assert cache.authorize(SPEC, ("k",), invoke).status == 200


def _template(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(body))
    return path


FN = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: fn_handler.handler
      Environment: {Variables: {X: %s}}
      Events:
        E: {Type: HttpApi, Properties: {Path: /x, Method: get}}
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Resources: [", "not valid YAML"),
        ("Parameters: {}", "no Resources"),
        (FN % "!Ref Missing", "unknown name 'Missing'"),
        (FN % "!GetAZs ''", "Fn::GetAZs is not supported"),
        (FN % "[1, 2]", "expected a string"),
        ((FN % "x").replace("Handler: fn_handler.handler", "Handler: nodot"), "module.function"),
        # sections of another shape than SAM's
        ("Resources: {Fn: just-a-word}", "unexpected shape"),
        ("Parameters: [1]\nResources: {}", "unexpected shape"),
        (
            (FN % "x").replace("Handler: fn_handler.handler", "Handler: a.b\n      Timeout: soon"),
            "unexpected shape",
        ),
        ((FN % "x").replace("Events:", "Events: [1]\n      Other:"), "unexpected shape"),
        (FN % "!Select [9, [a]]", "unexpected shape"),
        (FN % "!Sub [1]", "unexpected shape"),
        (FN % ("[" * 5000 + "]" * 5000), "unexpected shape"),
    ],
)
def test_template_refusals_name_the_place(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        load_template(_template(tmp_path, body))
    assert message in str(info.value)
    assert info.value.reason == "template"


def test_implicit_api_and_lowercase_method(tmp_path: Path) -> None:
    app = load_template(_template(tmp_path, FN % "!Sub '${AWS::StackName}'"))
    assert [r.key for r in app.routes] == ["GET /x"]
    assert app.functions["Fn"].environment == {"X": "badgekiln-local"}
    assert app.cors is None
