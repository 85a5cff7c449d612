"""Security headers every API response carries unless the route chose its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SECURITY_HEADERS", "with_security_headers"]

SECURITY_HEADERS: Mapping[str, str] = {
    # responses are data (JSON, images): never sniff them into HTML, never frame or script them;
    # an SVG badge opened directly stays inert under this policy
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    # badge images and public documents are meant to be embedded and fetched cross-origin
    "Cross-Origin-Resource-Policy": "cross-origin",
    # API answers are per request; routes serving cacheable documents set their own
    "Cache-Control": "no-store",
}


def with_security_headers(response: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    """Add :data:`SECURITY_HEADERS` (and ``X-Request-Id``) to a Lambda proxy response.

    Headers the route already set win, compared case-insensitively; ``response`` is updated in
    place and returned.
    """
    headers: dict[str, Any] = response.setdefault("headers", {}) or {}
    response["headers"] = headers
    present = {name.lower() for name in headers} | {
        name.lower() for name in response.get("multiValueHeaders") or {}
    }
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            headers[name] = value
    if request_id and "x-request-id" not in present:
        headers["X-Request-Id"] = request_id
    return response
