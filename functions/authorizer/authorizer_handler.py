"""The HTTP API's Lambda REQUEST authorizer: ``Authorization: Bearer bk_…`` → which API key.

Payload 2.0 with simple responses: ``{"isAuthorized": bool, "context": {...}}``. The gateway
answers ``401`` itself when the header is missing and ``403`` for ``isAuthorized: false``, and
caches the answer per header value (``ReauthorizeEvery`` in template.yaml) across all routes.
So the answer says only *which* key this is (``keyId``, ``role``: ``admin`` or ``issuer``, and
the key's ``issuer``); the issue and admin functions check it against the route's ``{issuer}``
(:mod:`badgekiln.http.auth`).

Keys are stored hashed (``private/api-keys/<id>.json``) and compared in constant time
(:func:`badgekiln.issue.verify_api_key`). A malformed, unknown or wrong key is a deny. A store
failure is *not* a deny: the function raises, the gateway answers ``500`` and caches nothing, so
a passing outage does not lock callers out for the cache's lifetime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from badgekiln.errors import AuthError
from badgekiln.http import observability
from badgekiln.http.auth import authorizer_context
from badgekiln.http.environment import store
from badgekiln.issue.apikeys import verify_api_key

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

obs = observability("authorizer")

SCHEME: Final = "bearer"
#: Longest Authorization header looked at: a key is 63 characters; more is not one of ours.
MAX_HEADER_CHARS: Final = 256
DENY: Final = {"isAuthorized": False}


def token(header: str | None) -> str | None:
    """The key in ``Bearer <key>``, or ``None`` for any other shape."""
    if not header or len(header) > MAX_HEADER_CHARS:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != SCHEME or not value.strip():
        return None
    return value.strip()


@obs.logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = event.get("headers") or {}
    presented = token(headers.get("authorization") if isinstance(headers, dict) else None)
    if presented is None:
        obs.logger.info("denied", extra={"reason": "malformed"})
        return dict(DENY)
    try:
        key = verify_api_key(store(), presented)
    except AuthError:
        obs.logger.info("denied", extra={"reason": "unknown-or-wrong-key"})
        return dict(DENY)
    obs.logger.info("allowed", extra={"key_id": key.id, "role": key.scope})
    return {"isAuthorized": True, "context": authorizer_context(key)}
