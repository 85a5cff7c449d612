"""Lambda REQUEST authorizers (payload 2.0, simple responses) with API Gateway's result cache.

Before invoking the authorizer the gateway reads the identity sources; if one is missing or empty
the answer is ``401 Unauthorized`` without a call. A result (allow or deny) is cached per authorizer
and identity-source values for the authorizer's TTL. ``isAuthorized: false`` is ``403 Forbidden``;
an authorizer that fails or answers something else is ``500``. The ``context`` of an allow reaches
the route's function as ``requestContext.authorizer.lambda``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from badgekiln_server.gateway.events import query_map
from badgekiln_server.gateway.template import AuthorizerSpec

__all__ = ["MAX_CACHE_ENTRIES", "AuthorizerCache", "Decision", "identity_values"]

#: Cached results kept at most (oldest evicted first): bounds memory under many distinct keys.
MAX_CACHE_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Decision:
    """``status`` 200 means allowed (with ``context``); else the gateway's answer."""

    status: int
    context: Mapping[str, Any] | None = None


UNAUTHORIZED = Decision(401)
FORBIDDEN = Decision(403)
FAILED = Decision(500)


def identity_values(spec: AuthorizerSpec, headers: Mapping[str, str], query: str) -> tuple[str, ...] | None:
    """The identity-source values of a request, or None when one is missing or empty."""
    params = query_map(query)
    values = []
    for source in spec.identity_sources:
        if source.startswith("$request.header."):
            value = headers.get(source.removeprefix("$request.header.").lower(), "")
        elif source.startswith("$request.querystring."):
            value = params.get(source.removeprefix("$request.querystring."), "")
        else:
            return None
        if not value:
            return None
        values.append(value)
    return tuple(values)


class AuthorizerCache:
    """Authorizer results keyed by (authorizer, identity values), each kept for its TTL."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: OrderedDict[tuple[str, tuple[str, ...]], tuple[float, Decision]] = OrderedDict()
        self._lock = threading.Lock()

    def authorize(
        self,
        spec: AuthorizerSpec,
        identity: tuple[str, ...],
        invoke: Callable[[], Any],
    ) -> Decision:
        """The decision for ``identity``: cached, or from ``invoke()`` (the authorizer's result)."""
        key = (spec.name, identity)
        now = self._clock()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        try:
            decision = _decide(invoke())
        except Exception:  # the authorizer failed: the gateway says 500 and caches nothing
            return FAILED
        if spec.ttl > 0 and decision.status != FAILED.status:
            with self._lock:
                self._entries[key] = (now + spec.ttl, decision)
                self._entries.move_to_end(key)
                while len(self._entries) > MAX_CACHE_ENTRIES:
                    self._entries.popitem(last=False)
        return decision


def _decide(result: Any) -> Decision:
    if not isinstance(result, Mapping) or not isinstance(result.get("isAuthorized"), bool):
        return FAILED
    if not result["isAuthorized"]:
        return FORBIDDEN
    context = result.get("context") or {}
    return Decision(200, dict(context)) if isinstance(context, Mapping) else FAILED
