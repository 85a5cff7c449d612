"""The verify page of a credential this deployment hosts, its image, and the recipient check.

A hosted credential is named by its issuer and credential slugs: ``/v/{issuer}/{credential}``
(short) or its own URL ``/issuers/{issuer}/credentials/{c}.json`` (or ``.jwt``, or
``assertions/{c}.json`` / ``.jws`` for OB 2.0) when a browser asks for HTML. The page verifies
the stored document with :func:`badgekiln.verify` on every request: revocation, suspension and
expiry are always current.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from badgekiln.errors import BadgeKilnError, MalformedPayload, NotFound
from badgekiln.hosting import layout as paths
from badgekiln.hosting.layout import Hosted, Layout
from badgekiln.store.base import Store
from badgekiln.verification.report import Report
from badgekiln.web.claims import Claims
from badgekiln.web.site import RecordingFetcher
from badgekiln.web.view import BadgeView, Link

if TYPE_CHECKING:
    from badgekiln.model.claims import Lookup
    from badgekiln.model.reader import Badge

__all__ = [
    "Credential",
    "RecipientAnswer",
    "badge_image",
    "check_recipient",
    "document_of",
    "download_links",
    "find_credential",
    "image_source",
    "names_of",
    "store_lookup",
    "verify_hosted",
    "view_for",
]

_NAME: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOCUMENT_PATH: Final = re.compile(
    rf"/?issuers/(?P<issuer>{_NAME})/(?P<folder>credentials|assertions)/(?P<name>{_NAME})\.(?P<ext>json|jwt|jws)"
)
_SHORT_PATH: Final = re.compile(rf"/?v/(?P<issuer>{_NAME})/(?P<name>{_NAME})")


@dataclass(frozen=True, slots=True)
class Credential:
    """A hosted credential as stored: where, which spec and form, and its bytes."""

    issuer: str
    name: str
    hosted: Hosted
    spec: Literal["ob2", "ob3"]
    body: bytes

    @property
    def page_path(self) -> str:
        """The short verify page path, ``v/{issuer}/{name}`` (relative to the site)."""
        return f"v/{self.issuer}/{self.name}"


@dataclass(frozen=True, slots=True)
class RecipientAnswer:
    """The answer to "is this badge for …?": ``yes``, ``no``, or ``unknown`` with why."""

    result: Literal["yes", "no", "unknown"]
    message: str


def names_of(path: str) -> tuple[str, str] | None:
    """(issuer, credential) named by a credential URL path or a ``/v/{issuer}/{credential}`` path."""
    found = _DOCUMENT_PATH.fullmatch(path) or _SHORT_PATH.fullmatch(path)
    return (found["issuer"], found["name"]) if found else None


def _candidates(issuer: str, name: str, path: str | None) -> list[tuple[Hosted, Literal["ob2", "ob3"]]]:
    exact = _DOCUMENT_PATH.fullmatch(path or "")
    every: list[tuple[Hosted, Literal["ob2", "ob3"]]] = [
        (paths.credential(issuer, name), "ob3"),
        (paths.credential(issuer, name, jwt=True), "ob3"),
        (paths.assertion(issuer, name), "ob2"),
        (paths.signed_assertion(issuer, name), "ob2"),
    ]
    if exact is None:
        return every
    wanted = f"issuers/{issuer}/{exact['folder']}/{name}.{exact['ext']}"
    return [(hosted, spec) for hosted, spec in every if hosted.path == wanted]


def find_credential(store: Store, path: str) -> Credential:
    """The hosted credential ``path`` names (its own URL path, or ``/v/{issuer}/{credential}``).

    Raises:
        NotFound: the path names no credential, or none is stored there.
        StoreError: the store failed.
    """
    names = names_of(path)
    if names is None:
        raise NotFound("There is no badge at this address.")
    issuer, name = names
    for hosted, spec in _candidates(issuer, name, path):
        try:
            stored = store.get(hosted.key)
        except NotFound:
            continue
        return Credential(issuer, name, hosted, spec, stored.body)
    raise NotFound("There is no badge at this address: it may have been mistyped or removed.")


def document_of(credential: Credential) -> Badge | None:
    """The stored credential or assertion (a JWT's), read by the model; ``None`` if unreadable."""
    from badgekiln.web.check import parse_payload

    try:
        return parse_payload(credential.body.decode("utf-8"))
    except (BadgeKilnError, UnicodeDecodeError):
        return None


def store_lookup(store: Store, layout: Layout) -> Lookup:
    """A claims lookup answering this site's own URLs (BadgeClass, profile) from the store."""
    from badgekiln.hosting.responses import public_response
    from badgekiln.strictjson import loads_strict

    def lookup(url: str) -> Mapping[str, Any] | None:
        path = layout.path_of(url)
        if path is None:
            return None
        answer = public_response(store, path)
        if answer.status != 200:
            return None
        try:
            value = loads_strict(answer.body, source=url)
        except BadgeKilnError:
            return None
        return value if isinstance(value, Mapping) else None

    return lookup


def verify_hosted(
    credential: Credential, layout: Layout, fetcher: RecordingFetcher
) -> tuple[Report, Badge | None]:
    """Verify a hosted credential; return the report and the badge shown with it.

    A hosted OB 2.0 assertion is verified by its URL (as any verifier would: the issuer's copy,
    with 410 Gone once revoked); the others from their stored bytes.

    Raises:
        MalformedPayload, InputTooLarge: the stored document is not a badge (a broken store).
    """
    from badgekiln.verification import verify
    from badgekiln.web.check import badge_document

    try:
        text = credential.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"the stored {credential.hosted.path} is not UTF-8", reason="utf-8") from exc
    if credential.hosted.kind == "assertion":
        from badgekiln.model.reader import read
        from badgekiln.strictjson import loads_strict

        url = layout.url(credential.hosted)
        report = verify(url, fetcher=fetcher)
        document = fetcher.document(url)
        if document is None:  # revoked (410): show what the store holds
            value = loads_strict(credential.body, source=url)
            document = value if isinstance(value, Mapping) else None
        try:
            return report, read(document) if document is not None else None
        except MalformedPayload:  # not a badge: the report says what there is to say
            return report, None
    report = verify(text, fetcher=fetcher)
    return report, badge_document(text, report, fetcher)


def _exists(store: Store, hosted: Hosted) -> bool:
    try:
        store.head(hosted.key)
    except NotFound:
        return False
    return True


def download_links(store: Store, layout: Layout, credential: Credential) -> tuple[Link, ...]:
    """Links to the document itself and to the baked images that exist."""
    url = layout.url(credential.hosted)
    kind = credential.hosted.kind
    label = {
        "credential": "Credential (JSON-LD)",
        "credential-jwt": "Credential (signed JWT)",
        "assertion": "Assertion (JSON-LD)",
        "signed-assertion": "Assertion (signed JWS)",
    }[kind]
    links = [Link(label, url)]
    for fmt in ("png", "svg"):
        image = paths.baked_image(credential.issuer, credential.name, fmt, spec=credential.spec)
        if _exists(store, image):
            links.append(
                Link(
                    f"Badge image ({fmt.upper()}, with the badge baked in)",
                    layout.url(image),
                    f"{credential.name}.{fmt}",
                )
            )
    return tuple(links)


def image_source(
    store: Store, layout: Layout, credential: Credential, claims: Claims
) -> tuple[Hosted, str] | None:
    """Which stored image shows this badge, and its format: the baked PNG, else the baked SVG,
    else the achievement's own image when this site hosts it — unless that is a badge template,
    whose ``{{placeholders}}`` only issuing fills (a badge issued without an image shows none)."""
    for fmt in ("png", "svg"):
        image = paths.baked_image(credential.issuer, credential.name, fmt, spec=credential.spec)
        if _exists(store, image):
            return image, fmt
    own = layout.path_of(claims.image) if claims.image else None
    found = paths.classify(own) if own else None
    if found is None or found.kind != "achievement-image":
        return None
    if not found.path.endswith(".svg"):
        return (found, "png") if _exists(store, found) else None
    from badgekiln.render.templates import is_template

    try:  # read whole to tell a template; its absence answers existence too
        template = is_template(store.get(found.key).body)
    except NotFound:
        return None
    return None if template else (found, "svg")


def badge_image(store: Store, source: tuple[Hosted, str]) -> bytes | None:
    """The PNG for ``source``: stored as is, or rendered once from SVG and cached."""
    from badgekiln.web.images import cached_png

    hosted, fmt = source
    try:
        body = store.get(hosted.key).body
    except NotFound:
        return None
    return body if fmt == "png" else cached_png(store, body)


def check_recipient(badge: Badge | None, identity: str) -> RecipientAnswer:
    """Whether the badge was awarded to ``identity`` (compared hashed, as the badge stores it).

    Nothing but yes or no is revealed, and nothing that the public document does not already
    let anyone compute: a hashed identity and its salt are published with the badge.
    """
    from badgekiln.model.ob3 import Credential as Ob3Credential
    from badgekiln.verification.recipient import find_ob2_recipient, find_ob3_recipient

    if badge is None:
        return RecipientAnswer("unknown", "The badge could not be read, so its recipient cannot be compared.")
    try:
        if isinstance(badge, Ob3Credential):
            match = find_ob3_recipient(badge.subject, identity)
        else:
            match = find_ob2_recipient(badge.recipient, identity)
    except (MalformedPayload, ValueError) as exc:
        message = exc.message if isinstance(exc, BadgeKilnError) else str(exc)
        return RecipientAnswer("unknown", f"The recipient cannot be compared: {message}.")
    if match is None:
        return RecipientAnswer("no", "No: this badge was not awarded to the identity you entered.")
    return RecipientAnswer("yes", "Yes: this badge was awarded to the identity you entered.")


def view_for(
    credential: Credential,
    report: Report,
    badge: Badge | None,
    *,
    store: Store,
    layout: Layout,
    fetcher: RecordingFetcher,
) -> tuple[BadgeView, bool]:
    """The verify page's view of ``credential`` and whether it has an image to show."""
    from badgekiln.web.check import alt_text, claims_of, view_of
    from badgekiln.web.view import Picture

    claims = claims_of(report, badge, fetcher)
    has_image = image_source(store, layout, credential, claims) is not None
    if has_image:
        picture = Picture(f"/{credential.page_path}/image.png", alt_text(claims))
    else:
        picture = Picture(None, alt_text(claims), "This badge has no image.")
    page_url = f"{layout.base}/{credential.page_path}"
    view = view_of(
        report, claims, fetcher, picture, links=download_links(store, layout, credential), page_url=page_url
    )
    return view, has_image
