"""The hosted documents: issuer profiles, DID documents, keys, achievements, credentials, status
lists and ``/.well-known/jwks.json``, read-only from the store's ``public/`` prefix.

Every path is mapped through the issuing layout (:func:`badgekiln.issue.layout.public_response`):
anything outside it is a 404 without touching the store, so nothing outside ``public/`` can be
reached. Answers carry the stored ``Content-Type`` (JSON-LD as ``application/ld+json``, or
``application/json`` when that is all the client accepts, as OB 2.0 hosting asks), ``ETag``
(``If-None-Match`` → ``304``), ``Cache-Control`` (immutable credentials, a minute for status
lists) and ``Vary: Accept``. A revoked OB 2.0 hosted assertion answers ``410 Gone`` with its body.

HTML: a browser asking for a credential (``Accept`` preferring ``text/html``) gets its verify
page from ``badgekiln.web.credential_page(event, store=…, public_url=…, path=…)`` when the pages
module provides it (the pages function renders the same page); until then it gets the document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.event_handler import Response

from badgekiln.errors import NotFound
from badgekiln.http import entrypoint, make_resolver, observability, problem_responses
from badgekiln.http.environment import public_url, store
from badgekiln.issue.layout import classify, public_response

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

obs = observability("public")
app = make_resolver(obs)

#: Document kinds a browser is shown as a page rather than as data.
PAGE_KINDS: Final = frozenset({"credential", "credential-jwt", "assertion", "signed-assertion"})
HTML_TYPES: Final = ("text/html", "application/xhtml+xml")
DATA_TYPES: Final = ("application/ld+json", "application/json", "application/*")
#: Media ranges looked at in an Accept header (browsers send fewer than ten).
MAX_ACCEPT_RANGES: Final = 32

#: Route → what lives there (the layout in badgekiln.issue.layout; the rest of each path is checked
#: against it, so these only shape the API description).
ROUTES: Final = {
    "/issuers/<issuer>/<document>": "Issuer profile (profile.json) or did:web DID document (did.json)",
    "/issuers/<issuer>/keys/<key>": "Issuer key: verification method (.json), JWK (.jwk) or PEM (.pem)",
    "/issuers/<issuer>/ob2/<document>": "OB 2.0 Issuer (issuer.json) or RevocationList (revocations.json)",
    "/issuers/<issuer>/ob2/keys/<key>": "OB 2.0 CryptographicKey",
    "/issuers/<issuer>/status/<number>/<purpose>": "Bitstring status list credential (revocation/suspension)",
    "/issuers/<issuer>/achievements/<achievement>/<document>": "Achievement, BadgeClass or its image",
    "/issuers/<issuer>/credentials/<credential>": "OB 3.0 credential (.json, .jwt) or its baked image",
    "/issuers/<issuer>/assertions/<assertion>": "OB 2.0 assertion (.json hosted, .jws signed) or baked image",
    "/.well-known/jwks.json": "JWK Set of every issuer key",
}


def _quality(accept: str, types: tuple[str, ...]) -> float:
    """The highest q the ``Accept`` header gives any of ``types`` (``*/*`` counts for all)."""
    best = 0.0
    for item in accept.split(",")[:MAX_ACCEPT_RANGES]:
        kind, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if kind.lower() in types or kind == "*/*":
            best = max(best, q)
    return best


def prefers_html(accept: str | None) -> bool:
    """True when ``accept`` ranks an HTML type strictly above JSON / JSON-LD (``*/*`` is a tie)."""
    if not accept:
        return False
    html = _quality(accept, HTML_TYPES)
    return html > 0 and html > _quality(accept, DATA_TYPES)


def renderer() -> Any:
    """The pages module's ``credential_page``, or ``None`` where it is not installed."""
    import badgekiln.web

    return getattr(badgekiln.web, "credential_page", None)


def _page(path: str) -> Response[Any] | None:
    """The HTML page of the credential at ``path``, if the pages module renders one."""
    render = renderer()
    if render is None:
        return None
    event = app.current_event
    page = render(event, store=store(), public_url=public_url(event), path=path)
    headers = {**dict(getattr(page, "headers", None) or {}), "Vary": "Accept"}
    return Response(status_code=page.status, content_type=page.content_type, body=page.body, headers=headers)


def serve():  # type: ignore[no-untyped-def]  # no "-> Response": it breaks Powertools' OpenAPI generation
    event = app.current_event
    path = event.path
    headers = event.headers or {}
    accept = headers.get("accept")
    hosted = classify(path)
    if hosted is not None and hosted.kind in PAGE_KINDS and prefers_html(accept):
        page = _page(path)
        if page is not None:
            return page
    answer = public_response(store(), path, accept=accept, if_none_match=headers.get("if-none-match"))
    if answer.status == 404:
        raise NotFound("No document is published at this path.")
    content_type = answer.headers.get("Content-Type", "")
    body: str | bytes = answer.body
    if not content_type.startswith("image/"):
        # JSON, JWT and PEM documents are UTF-8 text: sent as text, not base64
        try:
            body = answer.body.decode("utf-8")
        except UnicodeDecodeError:
            body = answer.body
    return Response(
        status_code=answer.status,
        content_type=content_type,
        body=body,
        headers={k: v for k, v in answer.headers.items() if k.lower() != "content-type"},
    )


_DOCUMENT: dict[int, OpenAPIResponse] = {
    200: {"description": "The document, with ETag and Cache-Control."},
    304: {"description": "Not modified (If-None-Match named the current ETag)."},
    **problem_responses(404),
}
_GONE: dict[int, OpenAPIResponse] = {410: {"description": "A revoked OB 2.0 hosted assertion."}}
for _route, _summary in ROUTES.items():
    app.get(
        _route,
        summary=_summary,
        tags=["hosted documents"],
        responses={**_DOCUMENT, **(_GONE if "assertions" in _route else {})},
    )(serve)


handler = entrypoint(app, obs)
