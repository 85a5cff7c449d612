"""The hosted documents: issuer profiles, DID documents, keys, achievements, credentials, status
lists and ``/.well-known/jwks.json``, read-only from the store's ``public/`` prefix.

Every path is mapped through the hosting layout (:mod:`badgekiln.hosting`): anything outside it
is a 404 without touching the store, so nothing outside ``public/`` can be reached. Answers carry
the stored ``Content-Type`` (JSON-LD as ``application/ld+json``, or ``application/json`` to a
client that prefers it, as OB 2.0 hosting asks), ``ETag`` (``If-None-Match`` → ``304``),
``Cache-Control`` (immutable credentials, a minute for status lists) and ``Vary: Accept``. A
revoked OB 2.0 hosted assertion answers ``410 Gone`` with its body. A browser asking for a
credential as HTML gets its verify page (:func:`badgekiln.web.public_answer`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from aws_lambda_powertools.event_handler import Response

from badgekiln import web
from badgekiln.http import (
    answer_response,
    entrypoint,
    make_resolver,
    observability,
    path_parameter,
    problem_responses,
    raw_answer,
)
from badgekiln.http.environment import public_url, store

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

obs = observability("public")
app = make_resolver(obs)

#: Route → what lives there (the layout in badgekiln.hosting.layout; the rest of each path is
#: checked against it, so these only shape the API description).
ROUTES: Final = {
    "/issuers/<issuer>/<document>": (
        "getIssuerDocument",
        "Issuer profile (profile.json), did:web DID document (did.json) or logo",
    ),
    "/issuers/<issuer>/keys/<key>": (
        "getIssuerKey",
        "Issuer key: verification method (.json), JWK (.jwk) or PEM (.pem)",
    ),
    "/issuers/<issuer>/ob2/<document>": (
        "getOb2IssuerDocument",
        "OB 2.0 Issuer (issuer.json) or RevocationList (revocations.json)",
    ),
    "/issuers/<issuer>/ob2/keys/<key>": ("getOb2Key", "OB 2.0 CryptographicKey"),
    "/issuers/<issuer>/status/<number>/<purpose>": (
        "getStatusList",
        "Bitstring status list credential (revocation/suspension)",
    ),
    "/issuers/<issuer>/achievements/<achievement>/<document>": (
        "getAchievementDocument",
        "Achievement, BadgeClass or its image",
    ),
    "/issuers/<issuer>/credentials/<credential>": (
        "getCredentialDocument",
        "OB 3.0 credential (.json, .jwt) or its baked image",
    ),
    "/issuers/<issuer>/assertions/<assertion>": (
        "getAssertion",
        "OB 2.0 assertion (.json hosted, .jws signed) or baked image",
    ),
    "/.well-known/jwks.json": ("getJwks", "JWK Set of every issuer key"),
}


@raw_answer
def serve() -> Response[str | bytes]:
    event = app.current_event
    return answer_response(web.public_answer(event, store=store(), public_url=public_url(event)))


_DOCUMENT: dict[int, OpenAPIResponse] = {
    200: {"description": "The document, with ETag and Cache-Control.", "content": {"*/*": {}}},
    304: {"description": "Not modified (If-None-Match named the current ETag).", "content": {}},
    **problem_responses(404),
}
_GONE: dict[int, OpenAPIResponse] = {
    410: {"description": "A revoked OB 2.0 hosted assertion.", "content": {"application/ld+json": {}}}
}
for _route, (_operation, _summary) in ROUTES.items():
    app.get(
        _route,
        summary=_summary,
        operation_id=_operation,
        tags=["hosted documents"],
        # serve() reads the path itself: its segments are declared here, not by its signature
        openapi_extensions={"parameters": [path_parameter(name) for name in re.findall(r"<(\w+)>", _route)]},
        responses={**_DOCUMENT, **(_GONE if "assertions" in _route else {})},
    )(serve)


handler = entrypoint(app, obs)
