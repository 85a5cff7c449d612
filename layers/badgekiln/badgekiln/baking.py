"""Bake a badge payload into a PNG or SVG image, and extract it again: the public recipes.

Example::

    import badgekiln
    baked = badgekiln.bake(png_bytes, credential_jwt)          # spec detected: "ob3"
    found = badgekiln.extract(baked)
    assert found.payload == credential_jwt and found.carrier == "iTXt:openbadgecredential"

The image format is sniffed from the bytes, the spec is detected from the payload unless given,
and the payload is checked to be a compact JWS/JWT, a JSON object or (OB 2.0 only) an http(s) URL.
Surrounding whitespace (space, tab, CR, LF) is not part of a payload: :func:`bake` stores the
payload without it, so ``extract(bake(image, p)).payload == p.strip(" \\t\\r\\n")``; inside the
payload nothing is changed. Bytes after a PNG's IEND chunk are dropped when baking (they are not
part of the image, and a reader that kept looking there could be fooled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from badgekiln import png, svg
from badgekiln.dimensions import check_dimensions
from badgekiln.errors import InputTooLarge, MalformedPayload
from badgekiln.sniff import MAX_PAYLOAD_CHARS, classify_payload, payload_object, sniff_image

__all__ = ["CARRIER_SPECS", "MAX_BAKE_IMAGE_BYTES", "Extracted", "bake", "extract"]

Spec = Literal["ob2", "ob3"]
#: What :attr:`Extracted.spec` may say: also ``ob1`` for an Open Badges 0.5/1.x payload.
ExtractedSpec = Literal["ob1", "ob2", "ob3"]

#: Every carrier name :func:`extract` reports, with the spec it belongs to.
CARRIER_SPECS: Final[Mapping[str, Spec]] = MappingProxyType(
    {
        "iTXt:openbadges": "ob2",
        "iTXt:openbadgecredential": "ob3",
        "tEXt:openbadges": "ob2",
        "svg:assertion": "ob2",
        "svg:credential": "ob3",
    }
)
_XML_SPACE: Final = " \t\r\n"
#: Largest image :func:`bake` takes (bytes). Badge images are rarely over a few hundred KiB; the
#: HTTP door takes 4 MiB bodies, the CLI reads 64 MiB files. Baking copies the image once more
#: than its size, so this bounds a call's memory for every caller of the library.
MAX_BAKE_IMAGE_BYTES: Final = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Extracted:
    """What :func:`extract` found: the container, the spec the carrier belongs to
    (``carrier_spec``), the carrier (``"iTXt:openbadges"``, ``"iTXt:openbadgecredential"``,
    ``"tEXt:openbadges"``, ``"svg:assertion"`` or ``"svg:credential"``) and the payload, exactly
    as baked. :attr:`spec` is the payload's own version, as the verifier reads it."""

    format: Literal["png", "svg"]
    carrier_spec: Spec
    carrier: str
    payload: str

    @property
    def spec(self) -> ExtractedSpec:
        """The Open Badges version of the payload, decided as :func:`badgekiln.verify` decides it
        (:func:`badgekiln.model.read`): ``ob1`` for a 0.5/1.x assertion (OB 1.x and 2.0 share the
        ``openbadges`` carrier), ``ob3`` for a credential, ``ob2`` otherwise. A baked URL, or a
        payload that is not a readable badge, keeps the carrier's spec (only what the URL serves,
        or nothing, would say more)."""
        from badgekiln.errors import BadgeKilnError
        from badgekiln.model.jwt import VcJwt
        from badgekiln.model.reader import read, read_jwt

        try:
            kind, document = payload_object(self.payload)
            if document is None:
                return self.carrier_spec
            badge = read_jwt(document) if kind == "jws" else read(document)
        except BadgeKilnError:
            return self.carrier_spec
        return "ob3" if isinstance(badge, VcJwt) else badge.spec

    @property
    def kind(self) -> Literal["jws", "json", "url"]:
        """``"jws"``, ``"json"`` or ``"url"``.

        Raises:
            MalformedPayload: the payload is none of them.
        """
        return classify_payload(self.payload)


def bake(image: bytes, payload: str, *, spec: Spec | None = None) -> bytes:
    """Return ``image`` with ``payload`` baked in as its only badge carrier.

    PNG: one uncompressed ``iTXt`` chunk (``openbadges`` or ``openbadgecredential``) right after
    IHDR. SVG: one ``openbadges:assertion`` / ``openbadges:credential`` element as the first child
    of the root; a JWS or URL goes in ``verify``, JSON in CDATA. Existing carriers are replaced.

    ``spec`` (``"ob2"`` or ``"ob3"``) overrides the spec detected from the payload.

    Capped before anything is parsed: the image at :data:`MAX_BAKE_IMAGE_BYTES`, the payload at
    :data:`MAX_PAYLOAD_CHARS`; the image may declare at most
    :data:`~badgekiln.dimensions.MAX_IMAGE_SIDE` px a side and
    :data:`~badgekiln.dimensions.MAX_IMAGE_PIXELS` in all (what is baked is shown by browsers and
    link previews, which decode it).

    Raises:
        InputTooLarge: (``field`` ``image`` or ``payload``) over a cap; ``reason="dimensions"``
            for the declared pixels.
        NotABadgeImage, MalformedImage, UnsupportedEncoding: the image cannot be used (see
            :mod:`badgekiln.png` and :mod:`badgekiln.svg`).
        MalformedPayload: the payload is not a JWS, JSON object or URL, is a URL for OB 3.0, or
            holds characters the image cannot carry.
    """
    if not isinstance(image, bytes | bytearray):
        raise TypeError(f"image must be bytes, not {type(image).__name__}")
    if spec not in (None, "ob2", "ob3"):
        raise ValueError(f"spec must be 'ob2', 'ob3' or None, not {spec!r}")
    if len(image) > MAX_BAKE_IMAGE_BYTES:
        raise InputTooLarge(
            f"the image is {len(image):,} bytes; bake takes at most {MAX_BAKE_IMAGE_BYTES:,}",
            limit=MAX_BAKE_IMAGE_BYTES,
            field="image",
        )
    if isinstance(payload, str) and len(payload) > MAX_PAYLOAD_CHARS:
        raise InputTooLarge(
            f"the payload has {len(payload):,} characters; bake takes at most {MAX_PAYLOAD_CHARS:,}",
            limit=MAX_PAYLOAD_CHARS,
            field="payload",
        )
    image_format = sniff_image(image)
    check_dimensions(image, field="image")
    text = payload.strip(_XML_SPACE) if isinstance(payload, str) else payload
    kind, document = payload_object(text)
    if spec is None:
        from badgekiln.model.reader import carries_credential

        # OB 3.0 bakes no URLs, so a bare URL is an OB 2.0 hosted assertion
        spec = "ob3" if document is not None and carries_credential(document) else "ob2"
    chosen: Spec = spec
    if chosen == "ob3" and kind == "url":
        raise MalformedPayload(
            "OB 3.0 cannot bake a URL: bake the signed credential (JWT) or its JSON instead",
            reason="url-for-ob3",
        )
    if image_format == "png":
        return png.bake(image, text, chosen)
    return svg.bake(image, text, chosen, in_attribute=kind != "json")


def extract(image: bytes) -> Extracted:
    """Return the one badge payload baked into a PNG or SVG image.

    Raises:
        NotABadgeImage: neither a PNG nor an SVG.
        MalformedImage: a broken or hostile image (``reason`` says what).
        AmbiguousBadge: two or more carriers.
        UnsupportedEncoding: a compressed or non-UTF-8 carrier, or an unknown XML encoding.
        NoBadgeData: a sound image without a carrier.
        MalformedPayload: the carrier is empty.
        InputTooLarge: the payload is over ``MAX_PAYLOAD_CHARS``, or the PNG has too many chunks.
    """
    image_format = sniff_image(image)
    carrier, payload = png.extract(image) if image_format == "png" else svg.extract(image)
    if not payload.strip(_XML_SPACE):
        raise MalformedPayload(f"the {carrier} carrier is empty", reason="empty")
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise InputTooLarge(
            f"the baked payload has {len(payload)} characters, over the {MAX_PAYLOAD_CHARS} cap",
            limit=MAX_PAYLOAD_CHARS,
        )
    return Extracted(image_format, CARRIER_SPECS[carrier], carrier, payload)
