"""CORS the way an HTTP API with a CorsConfiguration applies it.

The gateway answers preflight ``OPTIONS`` requests itself (no route, no authorizer) and, on every
other response to a request with an ``Origin``, replaces whatever CORS headers the function set
with its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from badgekiln_server.gateway.template import CorsSpec

__all__ = ["apply_cors", "preflight_headers"]


def _allowed_origin(cors: CorsSpec, origin: str | None) -> str | None:
    if not origin:
        return None
    if "*" in cors.allow_origins:
        return "*"
    return origin if origin in cors.allow_origins else None


def preflight_headers(cors: CorsSpec, headers: Mapping[str, str]) -> dict[str, str]:
    """Headers of the gateway's 204 answer to a preflight (empty when the origin is not allowed)."""
    origin = _allowed_origin(cors, headers.get("origin"))
    if origin is None:
        return {}
    out = {"access-control-allow-origin": origin}
    if origin != "*":
        out["vary"] = "origin"
    if cors.allow_methods:
        out["access-control-allow-methods"] = ",".join(cors.allow_methods)
    requested = headers.get("access-control-request-headers")
    if cors.allow_headers == ("*",) and requested:
        out["access-control-allow-headers"] = requested.lower()
    elif cors.allow_headers:
        out["access-control-allow-headers"] = ",".join(cors.allow_headers)
    if cors.max_age is not None:
        out["access-control-max-age"] = str(cors.max_age)
    if cors.allow_credentials:
        out["access-control-allow-credentials"] = "true"
    return out


def apply_cors(
    cors: CorsSpec, request_headers: Mapping[str, str], response: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """``response`` headers with the function's CORS headers replaced by the gateway's."""
    kept = [(k, v) for k, v in response if not k.lower().startswith("access-control-")]
    origin = _allowed_origin(cors, request_headers.get("origin"))
    if origin is None:
        return kept
    kept.append(("access-control-allow-origin", origin))
    if origin != "*":
        kept.append(("vary", "origin"))
    if cors.expose_headers:
        kept.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
    if cors.allow_credentials:
        kept.append(("access-control-allow-credentials", "true"))
    return kept
