"""badgekiln: bake, extract, verify, issue and host Open Badges 2.0 and 3.0.

The recipes most callers need are importable from here::

    import badgekiln
    baked = badgekiln.bake(png_bytes, credential_json)
    found = badgekiln.extract(baked)          # Extracted(format, carrier_spec, carrier, payload); .spec
    report = badgekiln.verify(baked)          # Report(valid, checks, ...)

Everything is imported lazily, so ``import badgekiln.png`` stays cheap (no pydantic, PyLD,
boto3 or cairosvg) and a Lambda pays only for the path it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from badgekiln._lazy import lazy_exports
from badgekiln._version import __version__
from badgekiln.errors import (
    AmbiguousBadge,
    AuthError,
    BadgeKilnError,
    Conflict,
    FetchError,
    FetchFailed,
    FetchRefused,
    InputError,
    InputTooLarge,
    InvalidField,
    InvalidSignature,
    JsonLdError,
    KeyResolutionError,
    MalformedImage,
    MalformedPayload,
    MissingExtra,
    NoBadgeData,
    NotABadgeImage,
    NotFound,
    ProofError,
    RenderError,
    SigningError,
    StatusError,
    StoreError,
    UnsupportedAlgorithm,
    UnsupportedEncoding,
    UnsupportedMediaType,
)

if TYPE_CHECKING:
    from badgekiln.baking import Extracted, bake, extract
    from badgekiln.verification.engine import verify
    from badgekiln.verification.report import Report

# public name -> module that defines it (imported on first attribute access)
_LAZY: dict[str, str] = {
    "bake": "badgekiln.baking",
    "extract": "badgekiln.baking",
    "Extracted": "badgekiln.baking",
    "personalise_svg": "badgekiln.render",
    "svg_to_png": "badgekiln.render",
    "validate_template": "badgekiln.render",
    "verify": "badgekiln.verification",
    "Report": "badgekiln.verification",
}

__all__ = [
    "AmbiguousBadge",
    "AuthError",
    "BadgeKilnError",
    "Conflict",
    "Extracted",
    "FetchError",
    "FetchFailed",
    "FetchRefused",
    "InputError",
    "InputTooLarge",
    "InvalidField",
    "InvalidSignature",
    "JsonLdError",
    "KeyResolutionError",
    "MalformedImage",
    "MalformedPayload",
    "MissingExtra",
    "NoBadgeData",
    "NotABadgeImage",
    "NotFound",
    "ProofError",
    "RenderError",
    "Report",
    "SigningError",
    "StatusError",
    "StoreError",
    "UnsupportedAlgorithm",
    "UnsupportedEncoding",
    "UnsupportedMediaType",
    "__version__",
    "bake",
    "extract",
    "personalise_svg",
    "svg_to_png",
    "validate_template",
    "verify",
]


__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
