"""Badges made by openbadgeslib's own command-line signer (``openbadges-signer``, the pinned 4.6.3).

Its OB 2.0 signer bakes the JWS into ``iTXt:openbadges`` and then adds a ``tEXt`` comment chunk with
no NUL keyword separator ("Signed with OpenBadgesLib 4.6.3 (OB 2.0 JWS)"). That chunk cannot be a
badge carrier, so badgekiln skips it (after its CRC check) instead of refusing the image. Every
mode the CLI offers, in PNG and SVG, is built here with the real CLI and extracted by badgekiln
exactly as openbadgeslib itself extracts it; rebaking keeps the foreign comment byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import badgekiln
from badgekiln import png
from tests.interop.openbadgeslib_cli import BIN, IMAGES, make_workspace, run_all

pytestmark = pytest.mark.interop

oblib = pytest.importorskip("openbadgeslib.baking")
if not (BIN / "openbadges-signer").exists():  # pragma: no cover - the dev extra installs it
    pytest.skip("openbadgeslib's command-line tools are not installed", allow_module_level=True)

#: CLI mode: (signer options, badge key type, spec, carrier keyword or element)
MODES = {
    "ob2-signed-rsa": (["-V", "2"], "RSA", "ob2"),
    "ob2-signed-ed25519": (["-V", "2"], "ED25519", "ob2"),
    "ob2-hosted": (["-V", "2", "-H"], "RSA", "ob2"),
    "ob3-vc-jwt": (["-V", "3"], "RSA", "ob3"),
    "ob3-data-integrity": (["-V", "3", "-P", "ldp"], "ED25519", "ob3"),
}
COMMENT = b"Signed with OpenBadgesLib 4.6.3 (OB 2.0 JWS)"


@pytest.fixture(scope="module")
def signed(vectors: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], bytes]:
    """Every (mode, format) badge, made by ``openbadges-keygenerator`` and ``openbadges-signer``."""
    base = tmp_path_factory.mktemp("openbadgeslib")
    badges = {
        f"{key_type.lower()}{ext}": (key_type, ext) for key_type in ("RSA", "ED25519") for ext in IMAGES
    }
    make_workspace(base, vectors, badges)
    run_all([["openbadges-keygenerator", "-c", "config.ini", "-g", badge] for badge in badges], base)
    signing = {
        (mode, ext): ["openbadges-signer", "-c", "config.ini", "-b", f"{key_type.lower()}{ext}",
                      "-r", "ann@example.org", "-E", "-o", str(base / "out" / f"{mode}-{ext}"), *options]
        for mode, (options, key_type, _) in MODES.items()
        for ext in IMAGES
    }  # fmt: skip
    run_all(list(signing.values()), base)
    made = {}
    for (mode, ext), command in signing.items():
        (image,) = Path(command[command.index("-o") + 1]).glob(f"*.{ext}")
        made[mode, ext] = image.read_bytes()
    return made


def _theirs(image: bytes, ext: str, spec: str) -> str | None:
    """What openbadgeslib itself extracts from an image."""
    if ext == "png":
        keyword = oblib.ITXT_KEYWORD if spec == "ob2" else oblib.ITXT_KEYWORD_OB3
        found: str | None = oblib.extract_png(image, keyword=keyword)
        return found
    element = oblib.SVG_ELEMENT if spec == "ob2" else oblib.SVG_ELEMENT_OB3
    found_svg: str | None = oblib.extract_svg(image, element=element, text_fallback=True)
    return found_svg


@pytest.mark.parametrize("ext", IMAGES)
@pytest.mark.parametrize("mode", MODES)
def test_badgekiln_extracts_what_the_openbadgeslib_cli_signed(
    signed: dict[tuple[str, str], bytes], mode: str, ext: str
) -> None:
    image = signed[mode, ext]
    spec = MODES[mode][2]
    found = badgekiln.extract(image)
    assert (found.format, found.spec) == (ext, spec)
    assert found.payload == _theirs(image, ext, spec)
    assert found.kind == ("jws" if "vc-jwt" in mode or mode.startswith("ob2") else "json")


@pytest.mark.parametrize("mode", [m for m in MODES if m.startswith("ob2")])
def test_the_ob2_png_has_the_nul_less_comment_badgekiln_skips(
    signed: dict[tuple[str, str], bytes], mode: str
) -> None:
    image = signed[mode, "png"]
    chunks = png.walk(image)
    comments = [c for c in chunks if c.type == b"tEXt"]
    assert [image[c.data_start : c.data_end] for c in comments] == [COMMENT]
    # the case this guards: the comment follows the carrier, just before IEND
    assert [c.type for c in chunks[-3:]] == [b"iTXt", b"tEXt", b"IEND"]


@pytest.mark.parametrize("mode", MODES)
def test_rebaking_an_openbadgeslib_png_keeps_its_other_chunks(
    signed: dict[tuple[str, str], bytes], mode: str
) -> None:
    image = signed[mode, "png"]
    rebaked = badgekiln.bake(image, "https://example.org/assertions/1", spec="ob2")
    before = [image[c.start : c.end] for c in png.walk(image) if c.type != b"iTXt"]
    after = [rebaked[c.start : c.end] for c in png.walk(rebaked) if c.type != b"iTXt"]
    assert after == before  # the foreign comment included, byte for byte
    assert badgekiln.extract(rebaked).payload == "https://example.org/assertions/1"
    assert oblib.extract_png(rebaked) == "https://example.org/assertions/1"
