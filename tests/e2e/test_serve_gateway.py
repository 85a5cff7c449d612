"""`badgekiln serve` as a gateway: routing, events, responses, CORS and a Lambda REQUEST authorizer.

A small template written here mounts an echo function (it answers with the event it received) on
several routes, and a test authorizer that counts its calls.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from badgekiln.http.openapi import GATEWAY_MESSAGES
from badgekiln_server.gateway import load_template
from badgekiln_server.serve import LocalServer
from tests.e2e.conftest import start

pytestmark = pytest.mark.e2e

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: hello}
Conditions:
  IsHello: !Equals [!Ref Greeting, hello]
Globals:
  Function:
    Runtime: python3.13
    Environment:
      Variables:
        SHARED: !Sub "${Greeting}-${AWS::Region}"
        BUCKET: !Ref Bucket
        CHOICE: !If [IsHello, first, second]
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: [https://app.example]
        AllowMethods: [GET, POST]
        AllowHeaders: [authorization]
        ExposeHeaders: [x-echo]
        MaxAge: 60
        AllowCredentials: true
      Auth:
        Authorizers:
          KeyAuth:
            FunctionArn: !GetAtt AuthFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {Headers: [Authorization], ReauthorizeEvery: 300}
  Bucket:
    Type: AWS::S3::Bucket
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: echo_handler.handler
      Environment: {Variables: {OWN: echo}}
      Events:
        Literal: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /items/special, Method: GET}}
        Param: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/items/{id}", Method: GET}}
        AnyParam: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/items/{id}", Method: ANY}}
        Greedy: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/files/{proxy+}", Method: GET}}
        Secret:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: "/secret/{issuer}", Method: POST, Auth: {Authorizer: KeyAuth}}
        Default: {Type: HttpApi, Properties: {ApiId: !Ref Api}}
  AuthFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: auth_handler.handler
"""

ECHO = """
import json, os

def handler(event, context):
    if event["rawPath"] == "/items/raw":
        return {"just": "json"}
    if event["rawPath"] == "/items/broken":
        raise RuntimeError("boom")
    body = {"event": event, "env": {k: os.environ.get(k) for k in ("SHARED", "BUCKET", "CHOICE", "OWN")},
            "function": context.function_name}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-echo": "1", "access-control-allow-origin": "https://evil.example"},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "cookies": ["a=1; Path=/", "b=2; Path=/"],
        "body": json.dumps(body),
    }
"""

AUTH = """
CALLS = []

def handler(event, context):
    CALLS.append(event)
    key = event["identitySource"][0]
    if key == "boom":
        raise RuntimeError("authorizer failure")
    return {"isAuthorized": key == "Bearer good", "context": {"issuer": "acme"}}
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    root = tmp_path_factory.mktemp("app")
    (root / "fn").mkdir()
    (root / "fn" / "echo_handler.py").write_text(textwrap.dedent(ECHO))
    (root / "fn" / "auth_handler.py").write_text(textwrap.dedent(AUTH))
    (root / "template.yaml").write_text(TEMPLATE)
    server = start(root / "template.yaml", root / "store")
    yield server
    server.shutdown()
    server.server_close()


def echo(server: LocalServer, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = requests.request(method, server.url + path, timeout=30, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("method", "path", "route_key", "params"),
    [
        ("GET", "/items/special", "GET /items/special", None),
        ("GET", "/items/42", "GET /items/{id}", {"id": "42"}),
        ("DELETE", "/items/42", "ANY /items/{id}", {"id": "42"}),
        ("GET", "/items/a%20b", "GET /items/{id}", {"id": "a b"}),
        ("GET", "/files/a/b/c.txt", "GET /files/{proxy+}", {"proxy": "a/b/c.txt"}),
        ("GET", "/files", "$default", None),
        ("POST", "/anything/else", "$default", None),
    ],
)
def test_most_specific_route_wins(
    gateway: LocalServer, method: str, path: str, route_key: str, params: dict[str, str] | None
) -> None:
    event = echo(gateway, method, path)["event"]
    assert event["routeKey"] == event["requestContext"]["routeKey"] == route_key
    assert event.get("pathParameters") == params


def test_event_is_a_genuine_v2_event(gateway: LocalServer) -> None:
    headers = [("X-Dup", "1"), ("X-Dup", "2"), ("Cookie", "s=1; t=2"), ("User-Agent", "probe/1")]
    response = requests.Session().send(
        requests.Request("GET", gateway.url + "/items/7?a=1&a=2&b=", headers=dict(headers[2:])).prepare(),
        timeout=30,
    )
    body = response.json()
    event = body["event"]
    assert event["version"] == "2.0"
    assert (event["rawPath"], event["rawQueryString"]) == ("/items/7", "a=1&a=2&b=")
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["cookies"] == ["s=1", "t=2"]
    assert "cookie" not in event["headers"]
    assert all(name == name.lower() for name in event["headers"])
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/items/7",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "probe/1",
    }
    assert context["stage"] == "$default"
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert isinstance(context["timeEpoch"], int)
    assert body["function"] == "EchoFunction"


def test_repeated_headers_are_comma_joined(gateway: LocalServer) -> None:
    import http.client

    conn = http.client.HTTPConnection(gateway.server_address[0], gateway.server_address[1], timeout=30)
    conn.putrequest("GET", "/items/1")
    conn.putheader("X-Dup", "1")
    conn.putheader("X-Dup", "2")
    conn.endheaders()
    event = __import__("json").loads(conn.getresponse().read())["event"]
    assert event["headers"]["x-dup"] == "1,2"


def test_binary_bodies_are_base64(gateway: LocalServer) -> None:
    event = echo(gateway, "POST", "/items/1", data=b"\x89PNG\x00", headers={"Content-Type": "image/png"})[
        "event"
    ]
    assert (event["isBase64Encoded"], event["body"]) == (True, "iVBORwA=")
    event = echo(gateway, "POST", "/items/1", json={"a": 1})["event"]
    assert (event["isBase64Encoded"], event["body"]) == (False, '{"a": 1}')


def test_response_headers_cookies_and_cors(gateway: LocalServer) -> None:
    response = requests.get(gateway.url + "/items/1", headers={"Origin": "https://app.example"}, timeout=30)
    assert response.raw.headers.getlist("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert response.raw.headers.getlist("x-multi") == ["a", "b"]
    # the gateway's CORS headers replace the function's
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-expose-headers"] == "x-echo"
    other = requests.get(gateway.url + "/items/1", headers={"Origin": "https://evil.example"}, timeout=30)
    assert "access-control-allow-origin" not in other.headers


def test_preflight(gateway: LocalServer) -> None:
    allowed = requests.options(
        gateway.url + "/secret/acme",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-methods"] == "GET,POST"
    assert allowed.headers["access-control-allow-headers"] == "authorization"
    assert allowed.headers["access-control-max-age"] == "60"
    refused = requests.options(
        gateway.url + "/secret/acme", headers={"Origin": "https://evil.example"}, timeout=30
    )
    assert refused.status_code == 204
    assert "access-control-allow-origin" not in refused.headers


def test_plain_json_results_and_function_errors(gateway: LocalServer) -> None:
    assert echo(gateway, "GET", "/items/raw") == {"just": "json"}
    broken = requests.get(gateway.url + "/items/broken", timeout=30)
    assert broken.status_code == 500
    assert broken.json() == {"message": "Internal Server Error"}


def test_environment_from_the_template(gateway: LocalServer) -> None:
    env = echo(gateway, "GET", "/items/1")["env"]
    assert env == {"SHARED": "hello-us-east-1", "BUCKET": "bucket", "CHOICE": "first", "OWN": "echo"}


def test_authorizer_decisions_and_cache(gateway: LocalServer) -> None:
    calls: list[dict[str, Any]] = (
        sys.modules["badgekiln_local_AuthFunction"].CALLS
        if "badgekiln_local_AuthFunction" in sys.modules
        else []
    )
    url = gateway.url + "/secret/acme"
    # missing identity source: 401 without calling the authorizer
    missing = requests.post(url, timeout=30)
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    bad = requests.post(url, headers={"Authorization": "Bearer bad"}, timeout=30)
    assert (bad.status_code, bad.json()) == (403, {"message": "Forbidden"})
    # exactly what API Gateway sends and the OpenAPI document declares (GatewayMessage)
    for answer in (missing, bad):
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == {"message": GATEWAY_MESSAGES[answer.status_code]}
    calls = sys.modules["badgekiln_local_AuthFunction"].CALLS
    assert len(calls) == 1
    assert calls[0]["type"] == "REQUEST"
    assert calls[0]["identitySource"] == ["Bearer bad"]
    assert calls[0]["routeArn"].endswith("/$default/POST/secret/{issuer}")
    for _ in range(3):
        good = requests.post(url, headers={"Authorization": "Bearer good"}, data=b"x", timeout=30)
        assert good.status_code == 200
    assert good.json()["event"]["requestContext"]["authorizer"] == {"lambda": {"issuer": "acme"}}
    assert good.json()["event"]["pathParameters"] == {"issuer": "acme"}
    # one call for "bad", one for "good": the next two "good" requests came from the cache
    assert [c["identitySource"] for c in calls] == [["Bearer bad"], ["Bearer good"]]
    requests.post(url, headers={"Authorization": "Bearer bad"}, timeout=30)
    assert len(calls) == 2  # denials are cached too
    failing = requests.post(url, headers={"Authorization": "boom"}, timeout=30)
    assert (failing.status_code, failing.json()) == (500, {"message": "Internal Server Error"})


def test_template_with_short_tags_loads(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATE)
    app = load_template(tmp_path / "t.yaml", parameters={"Greeting": "hi"})
    echo_fn = app.functions["EchoFunction"]
    assert echo_fn.environment == {
        "SHARED": "hi-us-east-1",
        "BUCKET": "bucket",
        "CHOICE": "second",
        "OWN": "echo",
    }
    assert {r.key: r.authorizer for r in app.routes}["POST /secret/{issuer}"] == "KeyAuth"
    assert app.authorizers["KeyAuth"].identity_sources == ("$request.header.authorization",)
    assert app.authorizers["KeyAuth"].ttl == 300


def test_the_access_log_never_holds_a_query(gateway: LocalServer, caplog: pytest.LogCaptureFixture) -> None:
    # /verify?url=…&recipient=… names a recipient: the access log keeps the path only (#14 item 3)
    with caplog.at_level("INFO", logger="badgekiln_server.serve"):
        echo(gateway, "GET", "/items/7?recipient=ann%40example.org&url=https://b.example/?r=ann@example.org")
    lines = [r.getMessage() for r in caplog.records if r.name == "badgekiln_server.serve"]
    assert any("GET /items/7?… HTTP/1.1" in line for line in lines), lines
    assert not any("ann" in line or "b.example" in line for line in lines), lines
