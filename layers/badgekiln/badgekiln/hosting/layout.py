"""Where every hosted document lives: public URL ↔ store key, with its media type and caching.

This is the one map between the URLs badges name and the ``public/…`` objects of a
:class:`~badgekiln.store.Store`. Issuing writes through it; the public function and the site
fetcher read through it (:func:`classify` turns a request path into the object, its
``Content-Type``, ``Cache-Control`` and kind). Paths are relative to ``BADGEKILN_PUBLIC_URL``;
the store key is ``public/`` + path.

=========================================================  ===========================  ==========
path (under the public URL)                                document                     caching
=========================================================  ===========================  ==========
``issuers/{i}/profile.json``                               OB 3.0 Profile               public
``issuers/{i}/did.json``                                   did:web DID document         public
``issuers/{i}/keys/{k}.json`` / ``.jwk`` / ``.pem``        key: method, JWK, SPKI PEM   public
``issuers/{i}/ob2/issuer.json``                            OB 2.0 Issuer profile        public
``issuers/{i}/ob2/keys/{k}.json``                          OB 2.0 CryptographicKey      public
``issuers/{i}/ob2/revocations.json``                       OB 2.0 RevocationList        status
``issuers/{i}/status/{n}/{purpose}.json``                  BitstringStatusListCredential status
``issuers/{i}/achievements/{a}/achievement.json``          OB 3.0 Achievement           public
``issuers/{i}/achievements/{a}/badgeclass.json``           OB 2.0 BadgeClass            public
``issuers/{i}/achievements/{a}/image.png`` / ``.svg``      achievement image            public
``issuers/{i}/credentials/{c}.json`` / ``.jwt``            OB 3.0 credential            immutable
``issuers/{i}/assertions/{c}.json``                        OB 2.0 hosted Assertion      status
``issuers/{i}/assertions/{c}.jws``                         OB 2.0 signed Assertion      immutable
``issuers/{i}/(credentials|assertions)/{c}.png`` / ``.svg``  baked image                immutable
``.well-known/jwks.json``                                  JWK Set of every issuer key  public
=========================================================  ===========================  ==========

A did:web issuer's DID is ``did:web:<host>[%3A<port>][:<prefix>…]:issuers:<i>``, which DID-WEB
resolves to exactly ``<public URL>/issuers/<i>/did.json``.

How a document is answered over HTTP (content negotiation, 304, 410) is
:mod:`badgekiln.hosting.responses`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Final, Literal
from urllib.parse import urlsplit

from badgekiln.errors import InvalidField
from badgekiln.hosting.media import (
    CACHE_IMMUTABLE,
    CACHE_PUBLIC,
    CACHE_STATUS,
    TYPE_DID_JSON,
    TYPE_JSON,
    TYPE_JSONLD,
    TYPE_JWK,
    TYPE_JWK_SET,
    TYPE_JWT,
    TYPE_PEM,
    TYPE_PNG,
    TYPE_SVG,
)
from badgekiln.store.base import PUBLIC

__all__ = [
    "SLUG",
    "Hosted",
    "ImageFormat",
    "Kind",
    "Layout",
    "Purpose",
    "achievement",
    "achievement_image",
    "assertion",
    "badge_class",
    "baked_image",
    "check_slug",
    "classify",
    "credential",
    "did_document",
    "issuer_logo",
    "issuer_profile",
    "jwks",
    "key_document",
    "ob2_issuer",
    "ob2_key",
    "ob2_revocation_list",
    "signed_assertion",
    "slugify",
    "status_list",
]

ImageFormat = Literal["png", "svg"]
Purpose = Literal["revocation", "suspension"]
Kind = Literal[
    "profile",
    "issuer-logo",
    "did",
    "key",
    "jwk",
    "pem",
    "ob2-issuer",
    "ob2-key",
    "ob2-revocation-list",
    "status-list",
    "achievement",
    "badge-class",
    "achievement-image",
    "credential",
    "credential-jwt",
    "assertion",
    "signed-assertion",
    "baked-image",
    "jwks",
]

#: Issuer, achievement and key names: lower-case letters, digits and inner hyphens. They become
#: URL path segments and did:web path segments, so nothing needs escaping anywhere.
SLUG: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")
#: Credential names: a UUID (generated) or a caller's safe id of the same alphabet.
_NAME = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
#: Longest public URL accepted: the longest key path below it must still fit a 2 KiB URL.
MAX_PUBLIC_URL: Final = 1024
_PREFIX_SEGMENT: Final = re.compile(r"[A-Za-z0-9._~-]{1,100}")
_DOMAIN: Final = re.compile(
    r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
)


@dataclass(frozen=True, slots=True)
class Hosted:
    """One public document: its path under the public URL, store key and HTTP headers."""

    kind: Kind
    path: str
    content_type: str
    cache_control: str

    @property
    def key(self) -> str:
        """The store key (``public/`` + path)."""
        return PUBLIC + self.path


@dataclass(frozen=True, slots=True)
class _Route:
    kind: Kind
    pattern: re.Pattern[str]
    content_type: str
    cache_control: str


def _route(kind: Kind, pattern: str, content_type: str, cache_control: str) -> _Route:
    regex = pattern.replace("{i}", _NAME).replace("{a}", _NAME).replace("{k}", _NAME).replace("{c}", _NAME)
    return _Route(
        kind, re.compile(regex.replace("{n}", r"(?:0|[1-9][0-9]{0,8})")), content_type, cache_control
    )


# Order matters only where patterns could overlap (they do not): classify() takes the first match.
_ROUTES: Final = (
    _route("profile", r"issuers/{i}/profile\.json", TYPE_JSONLD, CACHE_PUBLIC),
    _route("issuer-logo", r"issuers/{i}/logo\.png", TYPE_PNG, CACHE_PUBLIC),
    _route("issuer-logo", r"issuers/{i}/logo\.svg", TYPE_SVG, CACHE_PUBLIC),
    _route("did", r"issuers/{i}/did\.json", TYPE_DID_JSON, CACHE_PUBLIC),
    _route("key", r"issuers/{i}/keys/{k}\.json", TYPE_JSON, CACHE_PUBLIC),
    _route("jwk", r"issuers/{i}/keys/{k}\.jwk", TYPE_JWK, CACHE_PUBLIC),
    _route("pem", r"issuers/{i}/keys/{k}\.pem", TYPE_PEM, CACHE_PUBLIC),
    _route("ob2-issuer", r"issuers/{i}/ob2/issuer\.json", TYPE_JSONLD, CACHE_PUBLIC),
    _route("ob2-key", r"issuers/{i}/ob2/keys/{k}\.json", TYPE_JSONLD, CACHE_PUBLIC),
    _route("ob2-revocation-list", r"issuers/{i}/ob2/revocations\.json", TYPE_JSONLD, CACHE_STATUS),
    _route(
        "status-list", r"issuers/{i}/status/{n}/(?:revocation|suspension)\.json", TYPE_JSONLD, CACHE_STATUS
    ),
    _route("achievement", r"issuers/{i}/achievements/{a}/achievement\.json", TYPE_JSONLD, CACHE_PUBLIC),
    _route("badge-class", r"issuers/{i}/achievements/{a}/badgeclass\.json", TYPE_JSONLD, CACHE_PUBLIC),
    _route("achievement-image", r"issuers/{i}/achievements/{a}/image\.png", TYPE_PNG, CACHE_PUBLIC),
    _route("achievement-image", r"issuers/{i}/achievements/{a}/image\.svg", TYPE_SVG, CACHE_PUBLIC),
    _route("credential", r"issuers/{i}/credentials/{c}\.json", TYPE_JSONLD, CACHE_IMMUTABLE),
    _route("credential-jwt", r"issuers/{i}/credentials/{c}\.jwt", TYPE_JWT, CACHE_IMMUTABLE),
    _route("assertion", r"issuers/{i}/assertions/{c}\.json", TYPE_JSONLD, CACHE_STATUS),
    _route("signed-assertion", r"issuers/{i}/assertions/{c}\.jws", TYPE_JWT, CACHE_IMMUTABLE),
    _route("baked-image", r"issuers/{i}/(?:credentials|assertions)/{c}\.png", TYPE_PNG, CACHE_IMMUTABLE),
    _route("baked-image", r"issuers/{i}/(?:credentials|assertions)/{c}\.svg", TYPE_SVG, CACHE_IMMUTABLE),
    _route("jwks", r"\.well-known/jwks\.json", TYPE_JWK_SET, CACHE_PUBLIC),
)


def classify(path: str) -> Hosted | None:
    """The public document at ``path`` (``/issuers/acme/profile.json`` or without the ``/``).

    Returns ``None`` for any path that is not part of the layout: the public function answers
    404 without touching the store.
    """
    if not isinstance(path, str):
        raise TypeError(f"path must be str, not {type(path).__name__}")
    relative = path.removeprefix("/")
    if len(relative) > 512:
        return None
    for route in _ROUTES:
        if route.pattern.fullmatch(relative):
            return Hosted(route.kind, relative, route.content_type, route.cache_control)
    return None


def check_slug(value: str, *, field: str) -> str:
    """Return ``value`` if it is a slug (1–63 of ``a-z 0-9 -``, no hyphen at either end).

    Raises:
        InvalidField: (``field``) it is not.
    """
    if not isinstance(value, str) or not SLUG.fullmatch(value):
        raise InvalidField(
            f"{field} {str(value)[:80]!r} must be 1–63 lower-case letters, digits and inner hyphens",
            field=field,
            reason="slug",
        )
    return value


def slugify(name: str, *, fallback: str) -> str:
    """A slug made from a display name (``"Acme Academy"`` → ``acme-academy``); ``fallback``
    when nothing of the name is left. The result always matches :data:`SLUG`."""
    return _NOT_SLUG.sub("-", name.lower()).strip("-")[:63].strip("-") or fallback


def _hosted(path: str) -> Hosted:
    found = classify(path)
    if found is None:  # a constructor below built a path outside the table: a bug, not input
        raise ValueError(f"{path!r} is not a layout path")
    return found


def _names(*pairs: tuple[str, str]) -> None:
    for value, field in pairs:
        check_slug(value, field=field)


def issuer_profile(issuer: str) -> Hosted:
    """The OB 3.0 Profile of ``issuer`` (its id, for an https issuer)."""
    _names((issuer, "issuer"))
    return _hosted(f"issuers/{issuer}/profile.json")


def did_document(issuer: str) -> Hosted:
    """The did:web DID document of ``issuer``."""
    _names((issuer, "issuer"))
    return _hosted(f"issuers/{issuer}/did.json")


def key_document(issuer: str, key: str, form: Literal["json", "jwk", "pem"]) -> Hosted:
    """One public key of ``issuer``: verification method (``json``), bare JWK or SPKI PEM."""
    _names((issuer, "issuer"), (key, "key"))
    return _hosted(f"issuers/{issuer}/keys/{key}.{form}")


def ob2_issuer(issuer: str) -> Hosted:
    """The OB 2.0 Issuer profile (its URL is its id)."""
    _names((issuer, "issuer"))
    return _hosted(f"issuers/{issuer}/ob2/issuer.json")


def ob2_key(issuer: str, key: str) -> Hosted:
    """The OB 2.0 CryptographicKey of an RSA key."""
    _names((issuer, "issuer"), (key, "key"))
    return _hosted(f"issuers/{issuer}/ob2/keys/{key}.json")


def ob2_revocation_list(issuer: str) -> Hosted:
    """The OB 2.0 RevocationList of ``issuer``."""
    _names((issuer, "issuer"))
    return _hosted(f"issuers/{issuer}/ob2/revocations.json")


def status_list(issuer: str, number: int, purpose: Purpose) -> Hosted:
    """Status list credential ``number`` of ``issuer`` for ``purpose``."""
    _names((issuer, "issuer"))
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise ValueError("status list numbers are ints >= 0")
    if purpose not in ("revocation", "suspension"):
        raise ValueError("purpose must be 'revocation' or 'suspension'")
    return _hosted(f"issuers/{issuer}/status/{number}/{purpose}.json")


def achievement(issuer: str, name: str) -> Hosted:
    """The OB 3.0 Achievement (its URL is its id)."""
    _names((issuer, "issuer"), (name, "achievement"))
    return _hosted(f"issuers/{issuer}/achievements/{name}/achievement.json")


def badge_class(issuer: str, name: str) -> Hosted:
    """The OB 2.0 BadgeClass of an achievement."""
    _names((issuer, "issuer"), (name, "achievement"))
    return _hosted(f"issuers/{issuer}/achievements/{name}/badgeclass.json")


def issuer_logo(issuer: str, fmt: ImageFormat) -> Hosted:
    """The issuer's logo, as uploaded (its profiles' ``image``)."""
    _names((issuer, "issuer"))
    return _hosted(f"issuers/{issuer}/logo.{fmt}")


def achievement_image(issuer: str, name: str, fmt: ImageFormat) -> Hosted:
    """The image of an achievement, as uploaded."""
    _names((issuer, "issuer"), (name, "achievement"))
    return _hosted(f"issuers/{issuer}/achievements/{name}/image.{fmt}")


def credential(issuer: str, name: str, *, jwt: bool = False) -> Hosted:
    """An OB 3.0 credential: JSON (Data Integrity) or compact VC-JWT."""
    return _credential_file(issuer, name, "credentials", "jwt" if jwt else "json")


def assertion(issuer: str, name: str) -> Hosted:
    """An OB 2.0 hosted Assertion (its URL is its id)."""
    return _credential_file(issuer, name, "assertions", "json")


def signed_assertion(issuer: str, name: str) -> Hosted:
    """An OB 2.0 signed Assertion (the compact JWS)."""
    return _credential_file(issuer, name, "assertions", "jws")


def baked_image(issuer: str, name: str, fmt: ImageFormat, *, spec: Literal["ob2", "ob3"]) -> Hosted:
    """The baked image of a credential (``ob3``) or assertion (``ob2``)."""
    return _credential_file(issuer, name, "credentials" if spec == "ob3" else "assertions", fmt)


def _credential_file(issuer: str, name: str, folder: str, extension: str) -> Hosted:
    """``issuers/<issuer>/<folder>/<name>.<extension>``: a credential's or assertion's files."""
    _names((issuer, "issuer"), (name, "credential"))
    return _hosted(f"issuers/{issuer}/{folder}/{name}.{extension}")


def jwks() -> Hosted:
    """The JWK Set at the authority of the public URL."""
    return _hosted(".well-known/jwks.json")


@dataclass(frozen=True, slots=True)
class Layout:
    """The public URL everything is hosted under; build with :meth:`parse`.

    ``base`` has no trailing slash; ``host``/``port`` are as URLs and did:web spell them.
    """

    base: str
    scheme: Literal["http", "https"]
    host: str
    port: int | None
    prefix: tuple[str, ...]

    @classmethod
    def parse(cls, public_url: str) -> Layout:
        """Check and normalise a public URL: ``http(s)://host[:port][/prefix…]``.

        Raises:
            InvalidField: (``field="public_url"``) another scheme, credentials, a query or
                fragment, a malformed host, port or path.
        """

        def bad(why: str) -> InvalidField:
            return InvalidField(
                f"public URL {str(public_url)[:80]!r} {why}", field="public_url", reason="public-url"
            )

        if not isinstance(public_url, str) or not public_url or len(public_url) > MAX_PUBLIC_URL:
            raise bad(f"must be an http(s) URL of at most {MAX_PUBLIC_URL} characters")
        if not public_url.isascii() or any(c.isspace() for c in public_url):
            raise bad("must be ASCII without spaces")
        try:
            parts = urlsplit(public_url)
        except ValueError as exc:  # an unclosed IPv6 bracket
            raise bad("has a malformed host") from exc
        if parts.scheme not in ("http", "https"):
            raise bad("must start with https:// (or http:// for local use)")
        if parts.query or parts.fragment or "?" in public_url or "#" in public_url:
            raise bad("must not have a query or fragment")
        if parts.username is not None or parts.password is not None:
            raise bad("must not carry credentials")
        try:
            port = parts.port
        except ValueError as exc:
            raise bad("has an invalid port") from exc
        host = (parts.hostname or "").lower()
        if not host or not (_DOMAIN.fullmatch(host) or ("%" not in host and _is_ip(host))):
            raise bad("needs a host name or IP address")
        shown = f"[{host}]" if ":" in host else host
        # urlsplit skips what it cannot place ("[::1]x", "host:"): the host and port must be all
        if parts.netloc.lower() not in (shown, f"{shown}:{port}"):
            raise bad("has a malformed host or port")
        segments = tuple(s for s in parts.path.split("/") if s)
        if any(not _PREFIX_SEGMENT.fullmatch(s) or s in (".", "..") for s in segments):
            raise bad("has a path segment outside A-Z a-z 0-9 . _ ~ -")
        default = {"http": 80, "https": 443}[parts.scheme]
        port = None if port in (None, default) else port
        authority = shown if port is None else f"{shown}:{port}"
        base = f"{parts.scheme}://{authority}" + "".join(f"/{s}" for s in segments)
        scheme: Literal["http", "https"] = "https" if parts.scheme == "https" else "http"
        return cls(base, scheme, host, port, segments)

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` (where ``/.well-known/`` lives)."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{shown}" + ("" if self.port is None else f":{self.port}")

    @property
    def supports_did_web(self) -> bool:
        """True when did:web can name documents here: https and a domain name (not an IP)."""
        return self.scheme == "https" and not _is_ip(self.host)

    def url(self, hosted: Hosted) -> str:
        """The public URL of a document."""
        if hosted.kind == "jwks":
            # the JWK Set belongs to the authority, whatever prefix the documents live under
            return f"{self.origin}/{hosted.path}"
        return f"{self.base}/{hosted.path}"

    def verify_page(self, issuer: str, credential: str) -> str:
        """The public verify page of a hosted credential (the pages function's
        ``/v/{issuer}/{credential}``), for people to open and share."""
        return f"{self.base}/v/{issuer}/{credential}"

    def path_of(self, url: str) -> str | None:
        """The layout path ``url`` names under this public URL, or ``None`` (fragments ignored)."""
        bare = url.split("#", 1)[0]
        if bare == f"{self.origin}/.well-known/jwks.json":
            return ".well-known/jwks.json"
        if not bare.startswith(self.base + "/"):
            return None
        path = bare[len(self.base) + 1 :]
        return path if classify(path) is not None else None

    def did_web(self, issuer: str) -> str:
        """The did:web DID whose document is :func:`did_document` (``issuer``).

        Raises:
            InvalidField: (``field="public_url"``) the public URL is not https on a domain name.
        """
        check_slug(issuer, field="issuer")
        if not self.supports_did_web:
            raise InvalidField(
                f"did:web needs an https public URL on a domain name, not {self.base!r}; "
                "use a did:key or URL issuer",
                field="public_url",
                reason="did-web",
            )
        authority = self.host if self.port is None else f"{self.host}%3A{self.port}"
        return ":".join(["did:web", authority, *self.prefix, "issuers", issuer])


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True
