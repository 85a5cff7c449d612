"""What a GET of a hosted document answers: 200, 304, 404 or 410, with the layout's headers.

The public function serves these answers over HTTP and the site fetcher hands them to the
verifier, so what a badge's own deployment reads of itself is byte for byte what anyone else
would be served. JSON-LD documents go out as ``application/ld+json``, or as ``application/json``
to a client that prefers that (OB 2.0 hosting asks for JSON); a hosted OB 2.0 Assertion stored
with metadata ``revoked: "true"`` is answered ``410 Gone`` with its stored body (which says
``"revoked": true`` and the ``revocationReason``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from badgekiln.errors import InvalidField, NotFound
from badgekiln.hosting.accept import negotiate
from badgekiln.hosting.layout import Kind, classify
from badgekiln.hosting.media import CACHE_STATUS, TYPE_HTML, TYPE_JSON, TYPE_JSONLD, TYPE_XHTML
from badgekiln.store.base import Store, normalise_etag

__all__ = ["PAGE_KINDS", "PublicResponse", "public_response", "wants_page"]

#: Documents a browser is shown as their verify page rather than as data.
PAGE_KINDS: Final[frozenset[Kind]] = frozenset(
    {"credential", "credential-jwt", "assertion", "signed-assertion"}
)
_HTML_TYPES: Final = (TYPE_HTML, TYPE_XHTML)


@dataclass(frozen=True, slots=True)
class PublicResponse:
    """What the public function answers for one path: status, headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes


def wants_page(path: str, accept: str | None) -> bool:
    """True when ``path`` is a credential and ``accept`` ranks HTML strictly above the document's
    own type and JSON (a tie, or ``*/*``, gets the document)."""
    hosted = classify(path)
    if hosted is None or hosted.kind not in PAGE_KINDS:
        return False
    offered = tuple(dict.fromkeys((hosted.content_type, TYPE_JSONLD, TYPE_JSON, *_HTML_TYPES)))
    return negotiate(accept, offered) in _HTML_TYPES


def _content_type(stored: str, accept: str | None) -> str:
    # JSON-LD is answered as plain JSON to a client that prefers it (OB 2.0 hosting)
    return negotiate(accept, (TYPE_JSONLD, TYPE_JSON)) if stored == TYPE_JSONLD else stored


def public_response(
    store: Store, path: str, *, accept: str | None = None, if_none_match: str | None = None
) -> PublicResponse:
    """Answer a GET of ``path`` under the public URL from ``store``.

    404 for anything outside the layout or missing; 410 (with the stored body) for a revoked
    hosted OB 2.0 Assertion; 304 when ``if_none_match`` names the stored ETag; otherwise 200
    with the document's ``Content-Type`` (JSON-LD as ``application/json`` when the client
    prefers that), ``Cache-Control`` and ``ETag``.

    Raises:
        StoreError: the store failed.
    """
    hosted = classify(path)
    not_found = PublicResponse(404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found\n")
    if hosted is None:
        return not_found
    try:
        obj = store.get(hosted.key)
    except (NotFound, InvalidField):
        return not_found
    headers = {
        "Content-Type": _content_type(hosted.content_type, accept),
        "Cache-Control": obj.cache_control or hosted.cache_control,
        "ETag": obj.etag,
        "Vary": "Accept",
    }
    if hosted.kind == "assertion" and obj.metadata.get("revoked") == "true":
        return PublicResponse(410, {**headers, "Cache-Control": CACHE_STATUS}, obj.body)
    if if_none_match is not None:
        wanted = {normalise_etag(tag) for tag in if_none_match.split(",")}
        if normalise_etag(obj.etag) in wanted or "*" in wanted:
            return PublicResponse(304, headers, b"")
    return PublicResponse(200, headers, obj.body)
