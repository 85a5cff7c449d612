"""Who is calling: the API key the authorizer accepted, and what it may act on.

The HTTP API caches the authorizer's answer per ``Authorization`` header value for every route
behind it, so the authorizer cannot decide per route. It only says *which* key this is
(:func:`authorizer_context`: ``{"keyId", "role", "issuer"}``); each authenticated function
then checks that key against the ``{issuer}`` of its route (:func:`require_issuer`) or asks for
an admin key (:func:`require_admin`). An issuer's key acts on that issuer only; an admin key on
every issuer. A route reached without an authorizer context is refused (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from badgekiln.errors import AuthError, InvalidField, NotFound

if TYPE_CHECKING:
    from badgekiln.issue.apikeys import ApiKey
    from badgekiln.store.base import Store

__all__ = [
    "API_KEY",
    "MAX_HEADER_CHARS",
    "Decision",
    "authorize",
    "authorizer_context",
    "bearer_token",
    "caller",
    "document_api_key",
    "require_admin",
    "require_issuer",
    "route_issuer",
]

_ROLES: Final = frozenset({"admin", "issuer"})
#: Longest ``Authorization`` header looked at: a key is 63 characters; more is not one of ours.
MAX_HEADER_CHARS: Final = 256
#: The OpenAPI security requirement of authenticated routes (``security=API_KEY``).
API_KEY: Final[list[dict[str, list[str]]]] = [{"apiKey": []}]


def document_api_key(app: Any) -> None:
    """Declare the API-key scheme in ``app``'s OpenAPI, so its routes can say ``security=API_KEY``.

    The scheme is handed over when the document is built (``make openapi``, the docs function), not
    configured now: Powertools' OpenAPI models cost a function ~68 ms of its cold start (measured at
    ~260 ms of CPU on a busy development machine), and no request ever needs them.
    """
    build = app.get_openapi_schema

    def get_openapi_schema(**options: Any) -> Any:
        from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

        scheme = HTTPBearer(
            bearerFormat="bk_<id>_<secret>",
            description="An API key: admin, or scoped to one issuer (POST /api-keys makes one).",
        )
        return build(**{"security_schemes": {"apiKey": scheme}, **options})

    app.get_openapi_schema = get_openapi_schema


def authorizer_context(key: ApiKey) -> dict[str, str]:
    """The ``context`` the authorizer returns for ``key`` (strings only: the gateway passes it on)."""
    return {"keyId": key.id, "role": key.scope, "issuer": key.issuer or ""}


def bearer_token(header: str | None) -> str | None:
    """The key in ``Bearer <key>`` (scheme in any case), or ``None`` for any other shape."""
    if not header or len(header) > MAX_HEADER_CHARS:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


@dataclass(frozen=True, slots=True)
class Decision:
    """The authorizer's answer: the ``key`` it accepted, or why it denied (``reason``)."""

    key: ApiKey | None
    reason: str | None = None

    def answer(self) -> dict[str, Any]:
        """The payload 2.0 simple response: ``isAuthorized``, and which key in ``context``."""
        if self.key is None:
            return {"isAuthorized": False}
        return {"isAuthorized": True, "context": authorizer_context(self.key)}


def authorize(store: Store, event: Mapping[str, Any]) -> Decision:
    """The authorizer's decision on ``event``'s ``Authorization`` header (a REQUEST authorizer's
    payload 2.0 event). A malformed, unknown or wrong key is a deny.

    Raises:
        StoreError: the store failed: *not* a deny, so the gateway answers 500 and caches
            nothing, and a passing outage does not lock callers out for the cache's lifetime.
    """
    from badgekiln.issue.apikeys import verify_api_key

    headers = event.get("headers")
    presented = bearer_token(headers.get("authorization") if isinstance(headers, dict) else None)
    if presented is None:
        return Decision(None, "malformed")
    try:
        return Decision(verify_api_key(store, presented))
    except AuthError:
        return Decision(None, "unknown-or-wrong-key")


def caller(event: Any) -> ApiKey:
    """The API key of the request, from ``requestContext.authorizer.lambda``.

    Raises:
        AuthError: (401) no or malformed authorizer context: the route is not behind the
            authorizer, which is a deployment error answered as unauthenticated.
    """
    from badgekiln.issue.apikeys import ApiKey

    raw = getattr(event, "raw_event", event)
    context = (((raw or {}).get("requestContext") or {}).get("authorizer") or {}).get("lambda")
    role = context.get("role") if isinstance(context, dict) else None
    key_id = context.get("keyId") if isinstance(context, dict) else None
    issuer = context.get("issuer") if isinstance(context, dict) else None
    if role not in _ROLES or not isinstance(key_id, str) or not isinstance(issuer, str):
        raise AuthError("This operation needs an API key (Authorization: Bearer bk_…).", reason="no-key")
    if role == "issuer" and not issuer:
        raise AuthError("This operation needs an API key (Authorization: Bearer bk_…).", reason="no-key")
    return ApiKey(key_id, "admin" if role == "admin" else "issuer", issuer or None, None, "")


def require_issuer(event: Any, issuer: str) -> ApiKey:
    """The caller's key, if it may act for ``issuer`` (its slug).

    Raises:
        AuthError: 401 without a key; 403 (``forbidden``) for another issuer's key.
    """
    key = caller(event)
    key.require(issuer)
    return key


def require_admin(event: Any) -> ApiKey:
    """The caller's key, if it is an admin key.

    Raises:
        AuthError: 401 without a key; 403 (``forbidden``) for an issuer's key.
    """
    key = caller(event)
    key.require(None)
    return key


def route_issuer(event: Any, issuer: str) -> str:
    """The route's ``{issuer}`` slug, once the caller may act for it (an admin or that issuer's key).

    Raises:
        AuthError: 401 without a key; 403 (``forbidden``) for another issuer's key.
        NotFound: ``issuer`` is not a slug, so no such issuer can exist.
    """
    from badgekiln.hosting.layout import check_slug

    require_issuer(event, issuer)
    try:
        return check_slug(issuer, field="issuer")
    except InvalidField:
        raise NotFound(f"no issuer {issuer[:80]!r}", issuer=issuer[:80]) from None
