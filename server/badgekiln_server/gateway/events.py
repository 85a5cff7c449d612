"""HTTP requests → API Gateway HTTP API (payload 2.0) events, and Lambda answers → HTTP responses."""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from badgekiln_server.gateway.template import PSEUDO_PARAMETERS

__all__ = [
    "HttpRequest",
    "HttpResponse",
    "build_event",
    "gateway_message",
    "new_request_id",
    "parse_lambda_response",
    "query_map",
]

API_ID = "local"

#: Media types the gateway passes as text; everything else (images, multipart) goes base64.
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)
_TEXT_SUFFIXES = ("+json",)


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request as the local server received it."""

    method: str
    target: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    def header_map(self) -> dict[str, str]:
        """Lower-cased names; repeated headers joined with commas, as API Gateway does."""
        out: dict[str, str] = {}
        for name, value in self.headers:
            key = name.lower()
            out[key] = f"{out[key]},{value}" if key in out else value
        return out


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What the local server sends back."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def query_map(query: str) -> dict[str, str]:
    """A query string's parameters; repeated names joined with commas, as API Gateway does."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def gateway_message(status: int, message: str, request_id: str) -> HttpResponse:
    """One of API Gateway's own answers, e.g. ``404 {"message":"Not Found"}``."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return HttpResponse(status, [("content-type", "application/json"), ("apigw-requestid", request_id)], body)


def _is_text(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith(_TEXT_TYPES) or kind.endswith(_TEXT_SUFFIXES)


def build_event(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: Mapping[str, str],
    request_id: str,
    authorizer_context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload-2.0 event API Gateway would send for ``request`` on the route ``route_key``."""
    headers = request.header_map()
    cookie_header = headers.pop("cookie", "")
    cookies = [c.strip() for c in cookie_header.replace(",", ";").split(";") if c.strip()]
    query = query_map(request.query)
    now = time.time()
    host = headers.get("host", "localhost")
    context: dict[str, Any] = {
        "accountId": PSEUDO_PARAMETERS["AWS::AccountId"],
        "apiId": API_ID,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if authorizer_context is not None:
        context["authorizer"] = {"lambda": dict(authorizer_context)}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if request.body:
        text = None
        if _is_text(headers.get("content-type", "")):
            try:
                text = request.body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
    return event


def parse_lambda_response(result: Any) -> HttpResponse:
    """The HTTP response for what a function returned (payload format 2.0 rules).

    A dict with ``statusCode`` is a full response (``headers``, ``multiValueHeaders``, ``cookies``,
    ``body``, ``isBase64Encoded``); any other JSON value is a 200 ``application/json`` body.

    Raises:
        ValueError: the response is malformed (API Gateway answers 500 then).
    """
    if not (isinstance(result, dict) and "statusCode" in result):
        return HttpResponse(200, [("content-type", "application/json")], json.dumps(result).encode())
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int | str) or not 100 <= int(status) <= 599:
        raise ValueError(f"invalid statusCode {status!r}")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if not any(k.lower() == str(name).lower() for k, _ in headers):
            headers.extend((str(name), str(v)) for v in (values if isinstance(values, list) else [values]))
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(str(body), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("isBase64Encoded body is not base64") from exc
    else:
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    return HttpResponse(int(status), headers, data)


def new_request_id() -> str:
    """A request id in API Gateway's style."""
    return str(uuid.uuid4())
