"""badgekiln's exceptions: one tree, rooted at :class:`BadgeKilnError`.

Bad *input* (an image, document, JWT, URL or request a user handed us) raises a subclass of
:class:`BadgeKilnError`. Bad *calls* (wrong argument types, impossible option combinations in code)
raise ``TypeError`` / ``ValueError`` as usual. Only the edges turn these into exit codes (CLI) or
HTTP statuses (``badgekiln.http``); the library never knows either.

::

    BadgeKilnError
    ├── InputError                  the data given cannot be used
    │   ├── NotABadgeImage          neither a PNG nor an SVG document
    │   ├── MalformedImage          a PNG/SVG that breaks its own format (see ``reason``)
    │   ├── AmbiguousBadge          two or more badge carriers in one image
    │   ├── UnsupportedEncoding     a carrier encoded in a way the spec forbids (compressed, not UTF-8)
    │   ├── MalformedPayload        a payload that is not a JWS, JSON object or URL as claimed
    │   ├── InputTooLarge           over a documented size, count or depth cap
    │   ├── InvalidField            a request/model field failed validation (``field`` names it)
    │   └── UnsupportedMediaType    a body in a media type the operation does not accept
    ├── NoBadgeData                 a sound image that carries no badge
    ├── FetchError                  the safe fetcher did not return a document
    │   ├── FetchRefused            refused by policy before/while connecting (scheme, address, offline…)
    │   └── FetchFailed             tried and failed (timeout, HTTP status, size, content type…)
    ├── ProofError                  a cryptographic or linked-data check could not pass
    │   ├── InvalidSignature
    │   ├── UnsupportedAlgorithm
    │   ├── KeyResolutionError      no usable key, or a key not tied to the issuer
    │   └── JsonLdError             unknown context, undefined term, relative IRI
    ├── StatusError                 a status/revocation list could not be read or checked
    ├── StoreError                  storage backend failure
    │   ├── NotFound
    │   └── Conflict                create-only object exists / compare-and-swap lost
    ├── SigningError                a signer (local or KMS) failed
    ├── RenderError                 SVG → PNG rendering failed or was refused
    ├── AuthError                   missing/invalid credentials (``forbidden`` tells 401 from 403)
    └── MissingExtra                a feature needs an optional extra that is not installed

Every error carries a stable ``code`` (a class attribute, kebab-case) and a ``details`` mapping of
structured context (``reason``, ``offset``, ``chunk``, ``field``, ``url`` …) set at construction.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final

__all__ = [
    "AmbiguousBadge",
    "AuthError",
    "BadgeKilnError",
    "Conflict",
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
    "SigningError",
    "StatusError",
    "StoreError",
    "UnsupportedAlgorithm",
    "UnsupportedEncoding",
    "UnsupportedMediaType",
    "json_detail",
]


class BadgeKilnError(Exception):
    """Root of every error badgekiln raises for bad input or failed operations."""

    code: ClassVar[str] = "badgekiln-error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: Mapping[str, Any] = MappingProxyType(
            {k: v for k, v in details.items() if v is not None}
        )

    @property
    def reason(self) -> str | None:
        """A short machine-readable sub-code (e.g. ``"crc"``), when the error has one."""
        value = self.details.get("reason")
        return str(value) if value is not None else None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.details.items())
        return f"{type(self).__name__}({self.message!r}{extra})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"code", "message", **details}``, details as :func:`json_detail`."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        for key, value in self.details.items():
            out[key] = json_detail(value)
        return out


#: Bounds for copying details into JSON: they are ours, but may quote user input.
_MAX_DETAIL_ITEMS = 50
_MAX_DETAIL_DEPTH = 4
_MAX_DETAIL_STRING = 2000


def json_detail(value: Any, depth: int = 0) -> Any:
    """An error detail as bounded JSON: lists and mappings stay lists and objects (at most 50
    items, 4 levels), strings at most 2,000 characters, anything else its ``str``."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:_MAX_DETAIL_STRING]
    if depth >= _MAX_DETAIL_DEPTH:
        return str(value)[:_MAX_DETAIL_STRING]
    if isinstance(value, Mapping):
        items = list(value.items())[:_MAX_DETAIL_ITEMS]
        return {str(k): json_detail(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        return [json_detail(v, depth + 1) for v in value[:_MAX_DETAIL_ITEMS]]
    return str(value)[:_MAX_DETAIL_STRING]


# --- input ------------------------------------------------------------------------------------


class InputError(BadgeKilnError):
    """The data given (image, document, token, URL, request) cannot be used as it is."""

    code = "invalid-input"


class NotABadgeImage(InputError):
    """The bytes are neither a PNG (by signature) nor an XML document whose root is ``<svg>``."""

    code = "not-a-badge-image"


class MalformedImage(InputError):
    """A PNG or SVG that breaks its own format.

    ``reason`` is one of: ``truncated``, ``crc``, ``length``, ``chunk-order``, ``signature``,
    ``itxt``, ``text``, ``xml``, ``dtd``, ``entities``, ``trailing-data`` …
    """

    code = "malformed-image"


class AmbiguousBadge(InputError):
    """Two or more badge carriers in one image: which one is genuine cannot be decided."""

    code = "ambiguous-badge"


class UnsupportedEncoding(InputError):
    """A carrier encoded in a way the spec forbids (e.g. a compressed iTXt, text not UTF-8)."""

    code = "unsupported-encoding"


class MalformedPayload(InputError):
    """A payload (JSON, compact JWS/JWT, URL, credential) that is not well formed."""

    code = "malformed-payload"


class InputTooLarge(InputError):
    """Input over a documented cap (bytes, elements, depth, rows …); ``limit`` gives the cap."""

    code = "input-too-large"


#: Validation errors copied into one :class:`InvalidField` (the first names the field).
MAX_FIELD_ERRORS: Final = 20


class InvalidField(InputError):
    """A field of a request or model failed validation; ``field`` names it."""

    code = "invalid-field"

    @classmethod
    def of_errors(
        cls,
        errors: Iterable[Mapping[str, Any]],
        *,
        prefix: Iterable[str] = (),
        skip: Collection[str] = (),
    ) -> InvalidField:
        """The error for a model's validation errors (as pydantic's ``errors()`` lists them): the
        first failing field in ``field`` as a dotted path (``recipient.identity``) after
        ``prefix``, leaving out location parts in ``skip``; all of them (at most
        :data:`MAX_FIELD_ERRORS`) in ``errors``."""
        head = [str(part) for part in prefix]
        found = []
        for error in itertools.islice(errors, MAX_FIELD_ERRORS):
            loc = head + [str(part) for part in error.get("loc", ()) if str(part) not in skip]
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            found.append({"loc": loc, "type": str(error.get("type", "")), "msg": message})
        first = found[0] if found else {"loc": head, "msg": "not valid"}
        field = ".".join(first["loc"]) or None
        where = f"field {field!r}" if field else "request body"
        return cls(f"Invalid {where}: {first['msg']}.", field=field, errors=found)


class UnsupportedMediaType(InputError):
    """A body whose media type the operation does not accept; ``accepted`` lists those it does."""

    code = "unsupported-media-type"


class NoBadgeData(BadgeKilnError):
    """The image is sound but carries no Open Badges data."""

    code = "no-badge-data"


# --- network ----------------------------------------------------------------------------------


class FetchError(BadgeKilnError):
    """The safe fetcher did not return a document; ``url`` and ``reason`` say which and why."""

    code = "fetch-error"


class FetchRefused(FetchError):
    """Refused by policy: scheme, address (loopback, private, link-local …), offline mode, pins."""

    code = "fetch-refused"


class FetchFailed(FetchError):
    """Tried and failed: DNS, connect/read timeout, HTTP status, body too large, content type."""

    code = "fetch-failed"


# --- proofs -----------------------------------------------------------------------------------


class ProofError(BadgeKilnError):
    """A proof could not be checked or did not verify."""

    code = "proof-error"


class InvalidSignature(ProofError):
    """The signature does not verify with the key."""

    code = "invalid-signature"


class UnsupportedAlgorithm(ProofError):
    """An algorithm, cryptosuite or key type outside the allow-list (``none`` and ``HS*`` never)."""

    code = "unsupported-algorithm"


class KeyResolutionError(ProofError):
    """No usable key: unresolvable, malformed, wrong type, or not tied to the issuer."""

    code = "key-resolution-error"


class JsonLdError(ProofError):
    """JSON-LD processing refused: unknown (unbundled) context, undefined term, relative IRI."""

    code = "jsonld-error"


class StatusError(BadgeKilnError):
    """A status or revocation list could not be retrieved, verified or read."""

    code = "status-error"


# --- issuing and infrastructure -----------------------------------------------------------------


class StoreError(BadgeKilnError):
    """A storage backend operation failed."""

    code = "store-error"


class NotFound(StoreError):
    """No object (issuer, achievement, credential, key …) under that name."""

    code = "not-found"


class Conflict(StoreError):
    """A create-only object exists already, or a compare-and-swap lost to another writer."""

    code = "conflict"


class SigningError(BadgeKilnError):
    """A signer (local key or KMS) could not produce a signature."""

    code = "signing-error"


class RenderError(BadgeKilnError):
    """SVG → PNG rendering failed or was refused (size caps, forbidden references)."""

    code = "render-error"


class AuthError(BadgeKilnError):
    """Missing or invalid credentials; ``forbidden=True`` when valid but not allowed (HTTP 403)."""

    code = "unauthorized"


class MissingExtra(BadgeKilnError):
    """A feature needs optional dependencies that are not installed: ``extra`` names the
    ``badgekiln[extra]`` that brings them, ``module`` the one that was missing."""

    code = "missing-extra"
