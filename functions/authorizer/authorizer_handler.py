"""The HTTP API's Lambda REQUEST authorizer: ``Authorization: Bearer bk_…`` → which API key.

Payload 2.0 with simple responses: ``{"isAuthorized": bool, "context": {...}}``. The gateway
answers ``401`` itself when the header is missing and ``403`` for ``isAuthorized: false``, and
caches the answer per header value (``ReauthorizeEvery`` in template.yaml) across all routes.
So the answer says only *which* key this is (``keyId``, ``role``: ``admin`` or ``issuer``, and
the key's ``issuer``); the issue and admin functions check it against the route's ``{issuer}``
(:mod:`badgekiln.http.auth`, which also decides here).

Keys are stored hashed (``private/api-keys/<id>.json``) and compared in constant time. A
malformed, unknown or wrong key is a deny. A store failure is *not* a deny: the function raises,
the gateway answers ``500`` and caches nothing, so a passing outage does not lock callers out for
the cache's lifetime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from badgekiln.http import observability
from badgekiln.http.auth import authorize
from badgekiln.http.environment import store

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

obs = observability("authorizer")


@obs.logger.inject_lambda_context(clear_state=True, log_event=False)  # the event holds recipients
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    decision = authorize(store(), event)
    if decision.key is None:
        obs.logger.info("denied", extra={"reason": decision.reason})
    else:
        obs.logger.info("allowed", extra={"key_id": decision.key.id, "role": decision.key.scope})
    return decision.answer()
