"""`pip install badgekiln` alone bakes, extracts, verifies and issues locally; the rest are extras.

The heavy modules (boto3, Powertools, cairo, Pillow, Jinja2 …) are blocked with an import hook in
a fresh interpreter, as in an installation without the extras, and every feature that needs one
says which extra to install: a MissingExtra from the library, exit 2 with one ``error:`` line
from the command line.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from badgekiln.errors import MissingExtra
from badgekiln.extras import EXTRAS, check_installed, extra_of, missing_extra, requires

REPO = Path(__file__).resolve().parents[2]
CREDENTIAL = REPO / "tests" / "vectors" / "digitalbazaar-signed" / "eddsa-rdfc-2022.json"
#: Every module an extra brings (the blocked interpreter finds none of them).
BLOCKED = sorted(set().union(*EXTRAS.values()))

PRELUDE = f"""
import importlib.abc, sys
BLOCKED = set({BLOCKED!r})
class _NoExtras(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _NoExtras())
"""

CLI = (
    PRELUDE
    + """
from badgekiln.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.partition(".")[0] in BLOCKED)
print("loaded:", loaded, file=sys.stderr)
sys.exit(code)
"""
)


SVG_WITH_STYLE = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><style>a{}</style></svg>'


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b"")


def _cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "BADGEKILN_STORE": str(cwd / "store")}
    return subprocess.run(
        [sys.executable, "-c", CLI, *argv],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def _loaded(result: subprocess.CompletedProcess[str]) -> str:
    return result.stderr.rstrip().rsplit("\n", 1)[-1]


def test_bake_extract_verify_without_any_extra(tmp_path: Path) -> None:
    (tmp_path / "blank.png").write_bytes(_png())
    baked = _cli("bake", "blank.png", "--payload-file", str(CREDENTIAL), "-o", "baked.png", cwd=tmp_path)
    assert baked.returncode == 0, baked.stderr
    extracted = _cli("extract", "baked.png", cwd=tmp_path)
    assert extracted.returncode == 0, extracted.stderr
    assert json.loads(extracted.stdout) == json.loads(CREDENTIAL.read_text())
    verified = _cli("verify", "baked.png", "--json", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["valid"] is True
    for result in (baked, extracted, verified):
        assert _loaded(result) == "loaded: []"


def test_the_library_recipes_without_any_extra() -> None:
    code = (
        PRELUDE
        + f"""
import badgekiln, pathlib
baked = badgekiln.bake({_png()!r}, pathlib.Path({str(CREDENTIAL)!r}).read_text())
assert badgekiln.extract(baked).spec == "ob3"
assert badgekiln.verify(baked).valid
print(sorted(m for m in sys.modules if m.partition(".")[0] in BLOCKED))
"""
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_issuing_into_a_local_store_without_any_extra(tmp_path: Path) -> None:
    (tmp_path / "badge.png").write_bytes(_png())
    steps = [
        ("issuer", "create", "--name", "Acme", "--url", "https://acme.example", "--id", "acme",
         "--public-url", "https://badges.example.org"),
        ("achievement", "create", "--issuer", "acme", "--name", "Teamwork", "--description", "d",
         "--criteria", "c", "--image", "badge.png"),
        ("issue", "--issuer", "acme", "--achievement", "teamwork", "--recipient", "ada@example.org",
         "-o", "ada.png"),
    ]  # fmt: skip
    for argv in steps:
        result = _cli(*argv, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert _loaded(result) == "loaded: []"
    assert (tmp_path / "ada.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("argv", "extra", "module"),
    [
        (("issuer", "list", "--store", "s3://bucket/prefix"), "aws", "botocore"),
        (("render", "badge.svg", "-o", "badge.png"), "render", None),
        (("serve", "--no-demo", "--port", "0"), "server", None),
    ],
    ids=["s3-store", "render", "serve"],
)
def test_a_feature_without_its_extra_is_one_error_line_naming_it(
    tmp_path: Path, argv: tuple[str, ...], extra: str, module: str | None
) -> None:
    (tmp_path / "badge.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    result = _cli(*argv, cwd=tmp_path)
    assert result.returncode == 2
    error = result.stderr.split("\n")[0]
    assert error.startswith("error: ")
    assert f"pip install 'badgekiln[{extra}]'" in error
    assert module is None or f"({module} is not installed)" in error
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "badge.png").exists()


def test_requires_turns_a_missing_module_of_an_extra_into_missing_extra() -> None:
    with pytest.raises(MissingExtra) as caught, requires("aws", "an s3:// store"):
        raise ModuleNotFoundError("No module named 'botocore.config'", name="botocore.config")
    assert caught.value.details == {"extra": "aws", "module": "botocore"}
    assert caught.value.code == "missing-extra"
    assert str(caught.value).startswith("an s3:// store needs the optional dependencies of badgekiln[aws]")


def test_requires_names_the_wanted_extra_when_it_brings_the_module() -> None:
    # jinja2 belongs to http, and to server, which includes it
    with pytest.raises(MissingExtra) as caught, requires("server", "badgekiln serve"):
        raise ModuleNotFoundError("No module named 'jinja2'", name="jinja2")
    assert caught.value.details["extra"] == "server"
    with pytest.raises(MissingExtra) as caught, requires("aws", "x"):
        raise ModuleNotFoundError("No module named 'jinja2'", name="jinja2")
    assert caught.value.details["extra"] == "http"


def test_a_module_of_no_extra_stays_a_module_not_found_error() -> None:
    # a broken installation is not an optional part: the original error goes on
    with pytest.raises(ModuleNotFoundError), requires("aws", "x"):
        raise ModuleNotFoundError("No module named 'cryptography'", name="cryptography")
    assert extra_of(ModuleNotFoundError("x", name="cryptography")) is None
    assert missing_extra(ModuleNotFoundError("x", name=None)) is None


def test_unknown_extras_are_bad_calls() -> None:
    with pytest.raises(ValueError, match="unknown extra"), requires("gpu", "x"):
        pass
    with pytest.raises(ValueError, match="unknown extra"):
        check_installed("gpu", "x")


def test_check_installed_finds_without_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    check_installed("server", "badgekiln serve")  # this test environment has every extra
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(MissingExtra, match=r"badgekiln\[server\] \(yaml is not installed\)"):
        check_installed("server", "badgekiln serve")


def test_the_library_raises_missing_extra_where_an_extra_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    from badgekiln.render import svg_to_png
    from badgekiln.store.s3 import S3Store

    # the store makes its client with botocore alone (boto3's session is not imported)
    for name in ("boto3", "botocore", "botocore.config", "botocore.exceptions", "botocore.session"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtra) as caught:
        S3Store("bucket")
    assert caught.value.details["extra"] == "aws"
    monkeypatch.setitem(sys.modules, "cairosvg", None)
    monkeypatch.setitem(sys.modules, "cairosvg.surface", None)
    monkeypatch.setitem(sys.modules, "tinycss2", None)
    from badgekiln.render import convert

    convert._guarded_surface_class.cache_clear()
    try:
        with pytest.raises(MissingExtra) as caught:
            svg_to_png(SVG_WITH_STYLE)
    finally:
        convert._guarded_surface_class.cache_clear()
    assert caught.value.details["extra"] == "render"
