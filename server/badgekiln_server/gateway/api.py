"""A local API Gateway HTTP API: one request in, one response out, no sockets involved."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from badgekiln_server.gateway.authorizer import UNAUTHORIZED, AuthorizerCache, Decision, identity_values
from badgekiln_server.gateway.cors import apply_cors, preflight_headers
from badgekiln_server.gateway.events import (
    HttpRequest,
    HttpResponse,
    build_event,
    gateway_message,
    new_request_id,
    parse_lambda_response,
)
from badgekiln_server.gateway.functions import LocalFunction
from badgekiln_server.gateway.routing import match_route
from badgekiln_server.gateway.template import LocalApp, RouteSpec

__all__ = ["MAX_EVENT_BYTES", "MAX_REQUEST_BYTES", "LocalGateway"]

log = logging.getLogger(__name__)

#: HTTP APIs accept request bodies up to 10 MB.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
#: Lambda's synchronous invocation limit applies to the whole event and to the response.
MAX_EVENT_BYTES = 6 * 1024 * 1024 + 100

_MESSAGES = {401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error"}


class LocalGateway:
    """Routes requests to the template's functions the way the deployed HTTP API does."""

    def __init__(self, app: LocalApp, environment: Mapping[str, str]) -> None:
        self.app = app
        self.functions = {
            rid: LocalFunction(spec, {**spec.environment, **environment})
            for rid, spec in app.functions.items()
        }
        self.authorizer_cache = AuthorizerCache()

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The gateway's answer to ``request``; never raises for anything a client sends."""
        request_id = new_request_id()
        try:
            response = self._handle(request, request_id)
        except Exception:
            log.exception("gateway failure on %s %s", request.method, request.path)
            response = gateway_message(500, "Internal Server Error", request_id)
        if self.app.cors is not None and not self._is_preflight(request):
            response.headers[:] = apply_cors(self.app.cors, request.header_map(), response.headers)
        if not any(k.lower() == "apigw-requestid" for k, _ in response.headers):
            response.headers.append(("apigw-requestid", request_id))
        return response

    def _handle(self, request: HttpRequest, request_id: str) -> HttpResponse:
        if len(request.body) > MAX_REQUEST_BYTES:
            return gateway_message(413, "Request Entity Too Large", request_id)
        headers = request.header_map()
        if self.app.cors is not None and self._is_preflight(request):
            return HttpResponse(204, list(preflight_headers(self.app.cors, headers).items()), b"")
        match = match_route(self.app.routes, request.method, request.path)
        if match is None:
            return gateway_message(404, "Not Found", request_id)
        route = match.route
        context: Mapping[str, Any] | None = None
        if route.authorizer is not None:
            decision = self._authorize(request, route, match.path_parameters, request_id)
            if decision.status != 200:
                return gateway_message(decision.status, _MESSAGES[decision.status], request_id)
            context = decision.context
        event = build_event(
            request,
            route_key=route.key,
            path_parameters=match.path_parameters,
            request_id=request_id,
            authorizer_context=context,
        )
        if len(json.dumps(event)) > MAX_EVENT_BYTES:
            return gateway_message(413, "Request Entity Too Large", request_id)
        try:
            result = self.functions[route.function].invoke(event, request_id)
            if len(json.dumps(result)) > MAX_EVENT_BYTES:
                raise ValueError("response over Lambda's 6 MB limit")
            return parse_lambda_response(result)
        except Exception:
            log.exception("%s failed on %s", route.function, route.key)
            return gateway_message(500, "Internal Server Error", request_id)

    def _is_preflight(self, request: HttpRequest) -> bool:
        # with CORS configured the gateway answers every OPTIONS itself, before routes and authorizers
        return request.method == "OPTIONS" and self.app.cors is not None

    def _authorize(
        self, request: HttpRequest, route: RouteSpec, params: Mapping[str, str], request_id: str
    ) -> Decision:
        spec = self.app.authorizers[str(route.authorizer)]
        identity = identity_values(spec, request.header_map(), request.query)
        if identity is None:
            return UNAUTHORIZED
        event = build_event(request, route_key=route.key, path_parameters=params, request_id=request_id)
        event.pop("body", None)  # authorizers never see the body
        event["isBase64Encoded"] = False
        event["type"] = "REQUEST"
        event["identitySource"] = list(identity)
        event["routeArn"] = (
            f"arn:aws:execute-api:us-east-1:123456789012:local/$default/{route.method}{route.path}"
        )
        function = self.functions[spec.function]
        return self.authorizer_cache.authorize(spec, identity, lambda: function.invoke(event, request_id))
