"""Interop, both ways, with two independent Python bakers.

* openbadges-bakery 2.0.0 (Concentric Sky; used by the 1EdTech validator core): OB 2.0 only, PNG
  ``iTXt:openbadges`` after IHDR, SVG ``openbadges:assertion`` matched by prefix.
* openbadgeslib 4.6.3: OB 2.0 and OB 3.0; PNG ``iTXt`` before IEND, SVG element appended to the
  root with its own namespace declaration, JSON as a text node.

What they bake we extract identically, and what we bake they extract identically, for every case
each peer supports. The peers' own limits, which are not ours, are noted where a case is skipped.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import badgekiln
from badgekiln.errors import AmbiguousBadge

pytestmark = [
    pytest.mark.interop,
    # openbadges-bakery calls deprecated rfc3986 helpers; that is its business, not a failure here
    pytest.mark.filterwarnings("ignore::DeprecationWarning:rfc3986"),
]

bakery = pytest.importorskip("openbadges_bakery")
oblib = pytest.importorskip("openbadgeslib.baking")

VALIDATOR = "1edtech-digital-credentials-public-validator/inspector-vc/src/test/resources"
PNGS = [
    "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png",
    "mozilla-openbadges-bakery/test/unbaked.png",
    f"{VALIDATOR}/ob30/simple-json.png",  # already baked: both sides must replace, not add
]
SVGS = [
    "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/unbaked_example.svg",
    "mozilla-openbadges-bakery/test/unbaked.svg",
    f"{VALIDATOR}/ob30/simple-jwt.svg",  # DOCTYPE, OB 3.0 carrier already present
]
AWKWARD = json.dumps(
    {"name": "]]> ✓ 🎓 <b>&amp;</b>", "q": "\"quoted\" 'single'"}, ensure_ascii=False
).replace(", ", ",\r\n ")


@pytest.fixture(scope="module")
def payloads(vectors: Path) -> dict[str, str]:
    resources = vectors / VALIDATOR
    return {
        "jws-ob2": (resources / "ob20/simple.jwt").read_text().strip(),
        "json-ob2": (resources / "ob20/basic-assertion.json").read_text().strip(),
        "url-ob2": "https://example.org/assertions/1",
        "json-ob3": (resources / "ob30/simple.json").read_text().strip(),
        "jws-ob3": badgekiln.extract((resources / "ob30/simple-jwt.png").read_bytes()).payload,
        "awkward-json": AWKWARD,
    }


OB2_KINDS = ["jws-ob2", "json-ob2", "url-ob2", "awkward-json"]
ALL_KINDS = [*OB2_KINDS, "json-ob3", "jws-ob3"]


def _their_bake(image: bytes, payload: str) -> bytes:
    out = io.BytesIO()
    bakery.bake(io.BytesIO(image), payload, out)
    return out.getvalue()


def _their_unbake(image: bytes) -> str | None:
    found: str | None = bakery.unbake(io.BytesIO(image))
    return found


# --- openbadges-bakery -------------------------------------------------------------------------


@pytest.mark.parametrize("image", PNGS)
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_bakery_png_to_badgekiln(vectors: Path, payloads: dict[str, str], image: str, kind: str) -> None:
    source = (vectors / image).read_bytes()
    baked = _their_bake(source, payloads[kind])
    if b"openbadgecredential" in source:
        # it knows only OB 2.0 and keeps the OB 3.0 chunk: two carriers, which we refuse
        with pytest.raises(AmbiguousBadge):
            badgekiln.extract(baked)
        return
    found = badgekiln.extract(baked)
    assert (found.carrier, found.payload) == ("iTXt:openbadges", payloads[kind])


@pytest.mark.parametrize("image", PNGS)
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_badgekiln_png_to_bakery(vectors: Path, payloads: dict[str, str], image: str, kind: str) -> None:
    # openbadges-bakery reads only the OB 2.0 keyword: bake everything as OB 2.0 for it
    baked = badgekiln.bake((vectors / image).read_bytes(), payloads[kind], spec="ob2")
    assert _their_unbake(baked) == payloads[kind]


@pytest.mark.parametrize("image", SVGS)
@pytest.mark.parametrize("kind", OB2_KINDS)
def test_bakery_svg_to_badgekiln(vectors: Path, payloads: dict[str, str], image: str, kind: str) -> None:
    if kind == "awkward-json":
        pytest.skip("openbadges-bakery cannot bake ']]>' (minidom refuses the CDATA section)")
    # On the OB 3.0 vector it rebinds the root's "openbadges" prefix to the OB 2.0 namespace, which
    # moves the old openbadges:credential out of the OB 3.0 namespace: matched by namespace, only
    # its new element is a carrier.
    found = badgekiln.extract(_their_bake((vectors / image).read_bytes(), payloads[kind]))
    # they also write verify="<assertion id>" for JSON; the element body wins, as the spec says
    assert (found.carrier, found.payload) == ("svg:assertion", payloads[kind])


@pytest.mark.parametrize("image", SVGS)
@pytest.mark.parametrize("kind", OB2_KINDS)
def test_badgekiln_svg_to_bakery(vectors: Path, payloads: dict[str, str], image: str, kind: str) -> None:
    if kind == "awkward-json":
        pytest.skip("openbadges-bakery returns only the last CDATA section of a split body")
    baked = badgekiln.bake((vectors / image).read_bytes(), payloads[kind], spec="ob2")
    assert _their_unbake(baked) == payloads[kind]


@pytest.mark.parametrize(
    "name",
    [
        "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/baked_heart.png",
        f"{VALIDATOR}/ob20/simple-badge.png",
        "mozilla-openbadges-bakery/test/baked.svg",  # they return verify, we the body:
        "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/baked_example.svg",  # (compared below)
    ],
)
def test_both_read_the_same_vectors(vectors: Path, name: str) -> None:
    data = (vectors / name).read_bytes()
    ours = badgekiln.extract(data)
    if ours.format == "png":
        assert _their_unbake(data) == ours.payload
    else:  # BAKE-PY prefers the verify URL; the spec (and we) prefer the JSON body it points to
        assert json.loads(ours.payload)["verify"]["url"] == _their_unbake(data)


# --- openbadgeslib -----------------------------------------------------------------------------

_KEYWORD = {"ob2": b"openbadges", "ob3": b"openbadgecredential"}
_ELEMENT = {"ob2": ("openbadges:assertion", "http://openbadges.org"),
            "ob3": ("openbadges:credential", "https://purl.imsglobal.org/ob/v3p0")}  # fmt: skip
_CARRIER = {("png", "ob2"): "iTXt:openbadges", ("png", "ob3"): "iTXt:openbadgecredential",
            ("svg", "ob2"): "svg:assertion", ("svg", "ob3"): "svg:credential"}  # fmt: skip


def _spec(kind: str) -> str:
    return "ob3" if kind.endswith("ob3") else "ob2"


@pytest.mark.parametrize("image", PNGS)
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_openbadgeslib_png_to_badgekiln(
    vectors: Path, payloads: dict[str, str], image: str, kind: str
) -> None:
    spec = _spec(kind)
    source = (vectors / image).read_bytes()
    baked = oblib.bake_png(source, payloads[kind], keyword=_KEYWORD[spec])
    if b"openbadgecredential" in source:
        with pytest.raises(AmbiguousBadge):  # it adds its chunk beside the existing one
            badgekiln.extract(baked)
        return
    found = badgekiln.extract(baked)
    assert (found.carrier, found.payload) == (_CARRIER["png", spec], payloads[kind])


@pytest.mark.parametrize("image", PNGS)
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_badgekiln_png_to_openbadgeslib(
    vectors: Path, payloads: dict[str, str], image: str, kind: str
) -> None:
    spec = _spec(kind)
    baked = badgekiln.bake((vectors / image).read_bytes(), payloads[kind], spec=spec)  # type: ignore[arg-type]
    assert oblib.extract_png(baked, keyword=_KEYWORD[spec]) == payloads[kind]


@pytest.mark.parametrize("image", SVGS)
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_openbadgeslib_svg_to_badgekiln(
    vectors: Path, payloads: dict[str, str], image: str, kind: str
) -> None:
    spec = _spec(kind)
    if kind == "awkward-json":
        pytest.skip("openbadgeslib writes a raw CR into a text node, which every XML parser reads as LF")
    source = (vectors / image).read_bytes()
    element, namespace = _ELEMENT[spec]
    baked = oblib.bake_svg(
        source, payloads[kind], element=element, namespace=namespace, as_text=kind.startswith("json")
    )
    if b"openbadges:credential" in source:
        with pytest.raises(AmbiguousBadge):  # it appends its element beside the existing one
            badgekiln.extract(baked)
        return
    found = badgekiln.extract(baked)
    assert (found.carrier, found.payload) == (_CARRIER["svg", spec], payloads[kind])


@pytest.mark.parametrize("image", SVGS)
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_badgekiln_svg_to_openbadgeslib(
    vectors: Path, payloads: dict[str, str], image: str, kind: str
) -> None:
    spec = _spec(kind)
    baked = badgekiln.bake((vectors / image).read_bytes(), payloads[kind], spec=spec)  # type: ignore[arg-type]
    element, _ = _ELEMENT[spec]
    assert oblib.extract_svg(baked, element=element, text_fallback=True) == payloads[kind]
