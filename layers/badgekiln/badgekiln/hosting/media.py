"""The media types and ``Cache-Control`` policies of what this deployment stores and serves.

A leaf (it imports nothing): the store's writers (issuing, keys, the pages' image cache) and the
readers that answer HTTP (:mod:`badgekiln.hosting.responses`) name the same values.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CACHE_IMMUTABLE",
    "CACHE_NO_STORE",
    "CACHE_PUBLIC",
    "CACHE_STATUS",
    "TYPE_DID_JSON",
    "TYPE_HTML",
    "TYPE_JSON",
    "TYPE_JSONLD",
    "TYPE_JWK",
    "TYPE_JWK_SET",
    "TYPE_JWT",
    "TYPE_PEM",
    "TYPE_PNG",
    "TYPE_SVG",
    "TYPE_XHTML",
]

TYPE_JSONLD: Final = "application/ld+json"
TYPE_JSON: Final = "application/json"
TYPE_PNG: Final = "image/png"
TYPE_SVG: Final = "image/svg+xml"
TYPE_JWK: Final = "application/jwk+json"
TYPE_JWK_SET: Final = "application/jwk-set+json"
TYPE_DID_JSON: Final = "application/did+json"
TYPE_JWT: Final = "application/jwt"
TYPE_PEM: Final = "application/x-pem-file"
TYPE_HTML: Final = "text/html"
TYPE_XHTML: Final = "application/xhtml+xml"

#: Profiles, achievements, keys and DID documents change rarely but must pick up rotations.
CACHE_PUBLIC: Final = "public, max-age=300"
#: Status and revocation lists: a revocation should be visible within a minute.
CACHE_STATUS: Final = "public, max-age=60"
#: Content-addressed objects (a baked image named by its hash) never change.
CACHE_IMMUTABLE: Final = "public, max-age=31536000, immutable"
#: Private material: never kept by any cache.
CACHE_NO_STORE: Final = "no-store"
