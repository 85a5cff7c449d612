"""badgekiln.bake / badgekiln.extract: the public recipes, on the public vectors and random payloads."""

from __future__ import annotations

import base64
import dataclasses
import json
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import badgekiln
from badgekiln import baking, png
from badgekiln.errors import (
    InputTooLarge,
    MalformedPayload,
    NoBadgeData,
    NotABadgeImage,
)
from badgekiln.model.reader import is_legacy

VALIDATOR = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources"
BAKERY = "concentricsky-openbadges-bakery/openbadges_bakery/testfiles"
MOZILLA = "mozilla-openbadges-bakery/test"


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


SMALL_PNG = (
    png.PNG_SIGNATURE
    + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _chunk(b"IDAT", zlib.compress(b"\0\0"))
    + _chunk(b"IEND", b"")
)
SMALL_SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1"><rect/></svg>\n'


def b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


# --- the public vectors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (f"{BAKERY}/baked_heart.png", ("png", "ob1", "iTXt:openbadges", "json")),
        (f"{VALIDATOR}/ob20/simple-badge.png", ("png", "ob2", "iTXt:openbadges", "json")),
        (f"{VALIDATOR}/ob30/simple-json.png", ("png", "ob3", "iTXt:openbadgecredential", "json")),
        (f"{VALIDATOR}/ob30/simple-jwt.png", ("png", "ob3", "iTXt:openbadgecredential", "jws")),
        (f"{VALIDATOR}/ob30/simple-jwt_v1.png", ("png", "ob3", "iTXt:openbadgecredential", "jws")),
        (f"{VALIDATOR}/ob30/simple-json.svg", ("svg", "ob3", "svg:credential", "json")),
        (f"{VALIDATOR}/ob30/simple-jwt.svg", ("svg", "ob3", "svg:credential", "jws")),
        (f"{VALIDATOR}/ob30/simple-jwt_v1.svg", ("svg", "ob3", "svg:credential", "jws")),
        (f"{BAKERY}/baked_example.svg", ("svg", "ob1", "svg:assertion", "json")),
        (f"{MOZILLA}/baked.svg", ("svg", "ob1", "svg:assertion", "json")),
        (f"{MOZILLA}/no-json.svg", ("svg", "ob2", "svg:assertion", "url")),
    ],
)
def test_extract_vectors(vectors: Path, name: str, expected: tuple[str, str, str, str]) -> None:
    found = badgekiln.extract((vectors / name).read_bytes())
    assert (found.format, found.spec, found.carrier, found.kind) == expected
    assert (
        baking.CARRIER_SPECS[found.carrier] == found.carrier_spec == ("ob3" if found.spec == "ob3" else "ob2")
    )


@pytest.mark.parametrize("name", [f"{VALIDATOR}/ob30/simple-json.png", f"{VALIDATOR}/ob30/simple-jwt.png"])
def test_png_vector_payload_is_the_exact_chunk_text(vectors: Path, name: str) -> None:
    data = (vectors / name).read_bytes()
    payload = badgekiln.extract(data).payload.encode()
    assert data.index(b"openbadgecredential\0\0\0\0\0" + payload) > 0


def test_svg_vector_payloads(vectors: Path) -> None:
    jwt_svg = (vectors / VALIDATOR / "ob30/simple-jwt.svg").read_bytes()
    verify = jwt_svg.split(b'verify="', 1)[1].split(b'"', 1)[0].decode()
    assert badgekiln.extract(jwt_svg).payload == verify
    assert badgekiln.extract((vectors / MOZILLA / "no-json.svg").read_bytes()).payload == "http://example.org"
    assert badgekiln.extract((vectors / MOZILLA / "baked.svg").read_bytes()).payload == (
        '{"verify":{"url":"http://example.org"}}'
    )


def test_malformed_payload_is_extracted_but_not_classified(vectors: Path) -> None:
    found = badgekiln.extract((vectors / MOZILLA / "bad-json.svg").read_bytes())
    assert found.payload == '{verify:{"url":"http://example.org"}}'
    with pytest.raises(MalformedPayload):
        _ = found.kind


@pytest.mark.parametrize(
    "name",
    [
        f"{BAKERY}/public_domain_heart.png",
        f"{MOZILLA}/unbaked.png",
        f"{VALIDATOR}/ob20/assets/robotics-badge.png",
        f"{BAKERY}/unbaked_example.svg",
        f"{MOZILLA}/unbaked.svg",
    ],
)
def test_unbaked_vectors_have_no_badge_data(vectors: Path, name: str) -> None:
    with pytest.raises(NoBadgeData):
        badgekiln.extract((vectors / name).read_bytes())


@pytest.mark.parametrize(
    "name",
    [
        f"{BAKERY}/public_domain_heart.png",
        f"{BAKERY}/baked_heart.png",
        f"{MOZILLA}/unbaked.png",
        f"{VALIDATOR}/ob20/simple-badge.png",
        pytest.param(f"{VALIDATOR}/ob30/simple-json.png", marks=pytest.mark.slow),  # 981x941 RGBA16: ~1 s
        pytest.param(f"{VALIDATOR}/ob30/simple-jwt.png", marks=pytest.mark.slow),
    ],
)
def test_vector_pngs_pass_the_pixel_check(vectors: Path, name: str) -> None:
    png.check_pixels((vectors / name).read_bytes())


@pytest.mark.parametrize(
    ("image", "payload", "carrier"),
    [
        (f"{BAKERY}/public_domain_heart.png", f"{VALIDATOR}/ob30/simple.json", "iTXt:openbadgecredential"),
        (f"{BAKERY}/baked_heart.png", f"{VALIDATOR}/ob20/simple.jwt", "iTXt:openbadges"),
        (f"{VALIDATOR}/ob30/simple-jwt.png", f"{VALIDATOR}/ob30/simple.json", "iTXt:openbadgecredential"),
        (f"{MOZILLA}/unbaked.svg", f"{VALIDATOR}/ob20/simple.jwt", "svg:assertion"),
        (f"{BAKERY}/baked_example.svg", f"{VALIDATOR}/ob30/simple.json", "svg:credential"),
        (f"{VALIDATOR}/ob30/simple-json.svg", f"{VALIDATOR}/ob20/basic-assertion.json", "svg:assertion"),
    ],
)
def test_bake_vectors_replaces_any_carrier(vectors: Path, image: str, payload: str, carrier: str) -> None:
    text = (vectors / payload).read_text()
    baked = badgekiln.bake((vectors / image).read_bytes(), text)
    found = badgekiln.extract(baked)  # raises AmbiguousBadge if an old carrier survived
    assert (found.carrier, found.payload) == (carrier, text.strip())


# --- the recipes -------------------------------------------------------------------------------


OB3 = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["OpenBadgeCredential"]})
JWS_OB2 = f"{b64({'alg': 'RS256'})}.{b64({'type': 'Assertion'})}.c2ln"


@pytest.mark.parametrize(
    ("image", "payload", "spec", "carrier"),
    [
        (SMALL_PNG, OB3, None, "iTXt:openbadgecredential"),
        (SMALL_PNG, OB3, "ob2", "iTXt:openbadges"),  # an explicit override wins
        (SMALL_PNG, JWS_OB2, None, "iTXt:openbadges"),
        (SMALL_PNG, JWS_OB2, "ob3", "iTXt:openbadgecredential"),
        (SMALL_PNG, "https://example.org/a/1", None, "iTXt:openbadges"),
        (SMALL_SVG, OB3, None, "svg:credential"),
        (SMALL_SVG, JWS_OB2, None, "svg:assertion"),
        (SMALL_SVG, "https://example.org/a/1", "ob2", "svg:assertion"),
    ],
)
def test_bake_then_extract(image: bytes, payload: str, spec: str | None, carrier: str) -> None:
    found = badgekiln.extract(badgekiln.bake(image, payload, spec=spec))  # type: ignore[arg-type]
    assert (found.carrier, found.carrier_spec, found.payload) == (
        carrier,
        baking.CARRIER_SPECS[carrier],
        payload,
    )
    # the payload's own version, whatever carrier an override chose
    assert found.spec == ("ob2" if payload == JWS_OB2 or payload.startswith("https://") else "ob3")


@pytest.mark.parametrize("image", [SMALL_PNG, SMALL_SVG])
def test_surrounding_whitespace_is_not_baked(image: bytes) -> None:
    payload = ' {"a": " keep  inner\\n space "} '
    assert badgekiln.extract(badgekiln.bake(image, f"\r\n\t{payload}\n\n")).payload == payload.strip()


@pytest.mark.parametrize(
    ("image", "payload", "spec", "error", "reason"),
    [
        (SMALL_PNG, "https://example.org/a/1", "ob3", MalformedPayload, "url-for-ob3"),
        (SMALL_SVG, "https://example.org/a/1", "ob3", MalformedPayload, "url-for-ob3"),
        (SMALL_PNG, "not a payload", None, MalformedPayload, "unknown"),
        (SMALL_PNG, "   ", None, MalformedPayload, "empty"),
        (SMALL_PNG, "[1]", None, MalformedPayload, "json"),
        (b"GIF89a", OB3, None, NotABadgeImage, None),
        (b"GIF89a", "not a payload", None, NotABadgeImage, None),  # the image is judged first
    ],
)
def test_bake_refuses(
    image: bytes, payload: str, spec: str | None, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error) as caught:
        badgekiln.bake(image, payload, spec=spec)  # type: ignore[arg-type]
    assert getattr(caught.value, "reason", None) == reason


def test_bake_refuses_bad_calls() -> None:
    with pytest.raises(ValueError, match="spec"):
        badgekiln.bake(SMALL_PNG, OB3, spec="3.0")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        badgekiln.bake("not bytes", OB3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        badgekiln.bake(SMALL_PNG, b"{}")  # type: ignore[arg-type]


def _padded_png(size: int) -> bytes:
    """A sound 1×1 PNG of ``size`` bytes (an ancillary chunk fills it)."""
    return SMALL_PNG[:33] + _chunk(b"zzZz", b"\0" * (size - len(SMALL_PNG) - 12)) + SMALL_PNG[33:]


def test_bake_caps_the_image_bytes() -> None:
    at_cap = _padded_png(baking.MAX_BAKE_IMAGE_BYTES)
    assert len(at_cap) == baking.MAX_BAKE_IMAGE_BYTES
    assert badgekiln.extract(badgekiln.bake(at_cap, OB3)).payload == OB3
    with pytest.raises(InputTooLarge) as caught:
        badgekiln.bake(_padded_png(baking.MAX_BAKE_IMAGE_BYTES + 1), OB3)
    assert (caught.value.details["field"], caught.value.details["limit"]) == (
        "image",
        baking.MAX_BAKE_IMAGE_BYTES,
    )
    with pytest.raises(InputTooLarge):  # the cap comes before the image is even sniffed
        badgekiln.bake(b"\0" * (baking.MAX_BAKE_IMAGE_BYTES + 1), OB3)


def test_bake_caps_the_payload_before_reading_it() -> None:
    with pytest.raises(InputTooLarge) as caught:
        badgekiln.bake(SMALL_PNG, " " * (baking.MAX_PAYLOAD_CHARS + 1))  # blank: it was 'empty'
    assert (caught.value.details["field"], caught.value.details["limit"]) == (
        "payload",
        baking.MAX_PAYLOAD_CHARS,
    )


@pytest.mark.parametrize(
    "image",
    [
        SMALL_PNG.replace(struct.pack(">II", 1, 1), struct.pack(">II", 50_000, 50_000)),
        SMALL_SVG.replace(b'width="1"', b'width="1e9" height="1"'),
    ],
    ids=["png-ihdr", "svg-width"],
)  # fmt: skip
def test_bake_refuses_images_declaring_too_many_pixels(image: bytes) -> None:
    with pytest.raises(InputTooLarge) as caught:
        badgekiln.bake(image, OB3)
    assert (caught.value.reason, caught.value.details["field"]) == ("dimensions", "image")


@pytest.mark.parametrize(
    "image",
    [
        SMALL_PNG[:33] + _chunk(b"iTXt", b"openbadges\0\0\0\0\0 \n ") + SMALL_PNG[33:],
        SMALL_SVG.replace(b"<rect/>", b"<b:assertion xmlns:b='http://openbadges.org'> </b:assertion>"),
    ],
    ids=["png", "svg"],
)  # fmt: skip
def test_empty_carrier_is_a_malformed_payload(image: bytes) -> None:
    with pytest.raises(MalformedPayload) as caught:
        badgekiln.extract(image)
    assert caught.value.reason == "empty"


def test_extract_caps_the_payload() -> None:
    huge = png.bake(SMALL_PNG, "x" * (baking.MAX_PAYLOAD_CHARS + 1), "ob2")
    with pytest.raises(InputTooLarge):
        badgekiln.extract(huge)


def test_extracted_is_a_frozen_slotted_record() -> None:
    found = baking.Extracted("png", "ob2", "iTXt:openbadges", "https://example.org/a/1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.payload = "changed"  # type: ignore[misc]
    assert not hasattr(found, "__dict__")
    assert found.kind == "url"


@pytest.mark.parametrize(
    ("payload", "carrier_spec", "spec"),
    [
        ('{"uid": "1", "badge": "https://a.example/b", "recipient": {}, "verify": {}}', "ob2", "ob1"),
        ('{"@context": "https://w3id.org/openbadges/v1", "type": "Assertion"}', "ob2", "ob1"),
        ('{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"}', "ob2", "ob2"),
        ('{"@context": "https://www.w3.org/ns/credentials/v2"}', "ob2", "ob3"),
        ("https://example.org/assertions/1", "ob2", "ob2"),  # what a URL serves is unknown here
        ('{"name": "a BadgeClass"}', "ob2", "ob2"),  # not a badge: the carrier's
        ('{"a": 1, "a": 2}', "ob3", "ob3"),  # malformed: the carrier's
        ("not a payload", "ob2", "ob2"),
        (JWS_OB2, "ob2", "ob2"),
        (f"{b64({'alg': 'RS256'})}.{b64({'uid': '1', 'verify': {'type': 'signed'}})}.c2ln", "ob2", "ob1"),
        (f"{b64({'alg': 'ES256'})}.{b64({'vc': {'type': ['VerifiableCredential']}})}.c2ln", "ob2", "ob3"),
    ],
)
def test_extracted_spec_is_the_payloads_version(payload: str, carrier_spec: str, spec: str) -> None:
    # extract and verify agree: a 1.0 payload in the shared "openbadges" carrier is ob1
    found = baking.Extracted("png", carrier_spec, "iTXt:openbadges", payload)  # type: ignore[arg-type]
    assert (found.carrier_spec, found.spec) == (carrier_spec, spec)


def test_extract_and_verify_name_the_same_version(vectors: Path) -> None:
    data = (
        vectors / "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/baked_heart.png"
    ).read_bytes()
    assert badgekiln.extract(data).spec == badgekiln.verify(data, offline=True).spec == "ob1"


def test_top_level_names() -> None:
    assert badgekiln.bake is baking.bake
    assert badgekiln.extract is baking.extract
    assert badgekiln.Extracted is baking.Extracted
    assert set(baking.__all__) == {"CARRIER_SPECS", "MAX_BAKE_IMAGE_BYTES", "Extracted", "bake", "extract"}


# --- property-based round trips ---------------------------------------------------------------

_JSON_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["]]>", "<![CDATA[", '"quoted"', "a\r\nb", "&amp;", "\u2028", "\ufeff", "🎓"]
)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _JSON_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_JSON_TEXT, children, max_size=4),
    max_leaves=20,
)


@given(
    document=st.dictionaries(_JSON_TEXT, _JSON_VALUES, max_size=6),
    indent=st.sampled_from([None, 2, "\t"]),
    image=st.sampled_from([SMALL_PNG, SMALL_SVG]),
)
def test_any_json_object_round_trips(
    document: dict[str, object], indent: int | str | None, image: bytes
) -> None:
    payload = json.dumps(document, ensure_ascii=False, indent=indent)
    found = badgekiln.extract(badgekiln.bake(image, payload))
    assert found.payload == payload
    assert found.kind == "json"


@given(
    claims=st.dictionaries(_JSON_TEXT, _JSON_VALUES, max_size=5),
    image=st.sampled_from([SMALL_PNG, SMALL_SVG]),
)
def test_any_jws_round_trips(claims: dict[str, object], image: bytes) -> None:
    token = f"{b64({'alg': 'EdDSA'})}.{b64(claims)}.c2lnbmF0dXJl"
    found = badgekiln.extract(badgekiln.bake(image, token))
    # the spec is the payload's own version: claims shaped like a 1.x assertion (a "uid") are ob1
    spec = "ob1" if is_legacy(claims) else "ob2"
    assert (found.payload, found.kind, found.spec) == (token, "jws", spec)


@settings(max_examples=5, deadline=None)
@given(st.sampled_from([SMALL_PNG, SMALL_SVG]))
def test_large_payload_round_trips(image: bytes) -> None:
    payload = json.dumps({"evidence": [{"narrative": "ünïcödé ]]> " * 50, "n": i} for i in range(1500)]})
    assert len(payload) > 1_000_000
    assert badgekiln.extract(badgekiln.bake(image, payload)).payload == payload
