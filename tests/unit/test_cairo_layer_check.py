"""layers/cairo/check_layer.py, tested on a layer folder assembled from this machine's libraries.

Debian 12's libcairo needs a newer glibc than any Lambda runtime has, so the folder must fail the
glibc rule for Amazon Linux; it passes for this machine's own glibc, which shows the rule looks at
the versions rather than failing everything. The presence rule is checked against the real
dynamic loader: the folder loads with LD_LIBRARY_PATH while complete, and stops loading when one
library goes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEM_LIBS = (Path("/usr/lib/x86_64-linux-gnu"), Path("/lib/x86_64-linux-gnu"))
FONTS = REPO / "layers/badgekiln/badgekiln/render/assets/fonts"

pytestmark = pytest.mark.skipif(
    not (SYSTEM_LIBS[0] / "libcairo.so.2").exists(), reason="needs Debian's libcairo2 (x86_64)"
)


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_layer", REPO / "layers/cairo/check_layer.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_layer"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


cl = _load_checker()


def _system_library(name: str) -> Path:
    return next(directory / name for directory in SYSTEM_LIBS if (directory / name).exists())


@pytest.fixture(scope="module")
def debian_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """libcairo.so.2 and its DT_NEEDED closure (glibc excluded), as a layer would hold them."""
    layer = tmp_path_factory.mktemp("layer")
    (layer / "lib").mkdir()
    pending, seen = ["libcairo.so.2"], set()
    while pending:
        name = pending.pop()
        if name in seen or name in cl.BASE_LIBRARIES:
            continue
        seen.add(name)
        source = _system_library(name)
        shutil.copyfile(source, layer / "lib" / name)
        pending.extend(cl.read_elf(source.read_bytes()).needed)
    (layer / "fonts").mkdir()
    shutil.copyfile(FONTS / "DejaVuSans.ttf", layer / "fonts" / "DejaVuSans.ttf")
    (layer / "fonts" / "fonts.conf").write_text("<fontconfig><dir>/opt/fonts</dir></fontconfig>")
    return layer


def copy_of(layer: Path, tmp_path: Path) -> Path:
    target = tmp_path / "layer"
    shutil.copytree(layer, target, symlinks=True)
    return target


def rules(findings: list[object]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for finding in findings:
        out.setdefault(finding.rule, []).append(finding.path)  # type: ignore[attr-defined]
    return out


# --- the rules on a real folder ---------------------------------------------------------------


def test_the_assembled_folder_is_complete(debian_layer: Path) -> None:
    names = {path.name for path in (debian_layer / "lib").iterdir()}
    assert {"libcairo.so.2", "libpixman-1.so.0", "libfontconfig.so.1", "libfreetype.so.6"} <= names
    assert not names & cl.BASE_LIBRARIES


@pytest.mark.parametrize(
    ("runtime", "glibc"), [("python3.13", "2.34"), ("python3.12", "2.34"), ("python3.11", "2.26")]
)
def test_debian_libraries_fail_the_glibc_rule_for_amazon_linux(
    debian_layer: Path, runtime: str, glibc: str
) -> None:
    findings = cl.check_layer(debian_layer, glibc=cl.RUNTIME_GLIBC[runtime], arch="x86_64")
    # only the glibc rule fails: everything is present and readable
    assert set(rules(findings)) == {"glibc"}
    assert "lib/libcairo.so.2" in rules(findings)["glibc"]
    for finding in findings:
        assert finding.detail["runtime"] == glibc
        assert tuple(map(int, finding.detail["needs"].split("."))) > cl.RUNTIME_GLIBC[runtime]


def test_the_same_folder_passes_for_this_machines_glibc(debian_layer: Path) -> None:
    version = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.36"
    assert version is not None
    major, minor = (int(part) for part in version.split()[-1].split(".")[:2])
    assert cl.check_layer(debian_layer, glibc=(major, minor), arch="x86_64") == []


def test_the_glibc_rule_agrees_with_objdump(debian_layer: Path) -> None:
    if shutil.which("objdump") is None:
        pytest.skip("objdump not installed")
    for path in sorted((debian_layer / "lib").iterdir()):
        dump = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=True).stdout
        ours = cl.read_elf(path.read_bytes())
        assert sorted(ours.needed) == sorted(
            line.split()[1] for line in dump.splitlines() if line.strip().startswith("NEEDED")
        )
        wanted = {word for word in dump.split() if word.startswith("GLIBC_")}
        assert wanted <= set(ours.versions), path.name


def test_the_folder_really_loads_with_ld_library_path(debian_layer: Path) -> None:
    # the real loader on this machine resolves every library of the folder from the folder
    code = (
        "import cairocffi, json; "
        "print(json.dumps(sorted({l.split()[-1] for l in open('/proc/self/maps') if '.so' in l})))"
    )
    env = {"LD_LIBRARY_PATH": str(debian_layer / "lib"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    mapped = {Path(path).name: Path(path).parent for path in json.loads(result.stdout)}
    ours = {path.name for path in (debian_layer / "lib").iterdir()}
    assert "libcairo.so.2" in mapped
    assert {name: mapped[name] for name in ours & set(mapped)} == dict.fromkeys(
        ours & set(mapped), debian_layer / "lib"
    )
    assert len(ours & set(mapped)) >= 10


@pytest.mark.parametrize("removed", ["libpixman-1.so.0", "libxcb.so.1", "libbrotlicommon.so.1"])
def test_a_removed_library_fails_the_presence_rule(debian_layer: Path, tmp_path: Path, removed: str) -> None:
    # GIVEN the folder without one library that something else needs (directly or deeper down)
    layer = copy_of(debian_layer, tmp_path)
    (layer / "lib" / removed).unlink()
    # THEN the check names it, and no glibc can make up for it
    findings = cl.check_layer(layer, glibc=(9, 99), arch="x86_64")
    assert [(f.rule, f.path) for f in findings] == [("missing", f"lib/{removed}")]


def test_a_missing_libcairo_fails_the_layout_rule(debian_layer: Path, tmp_path: Path) -> None:
    layer = copy_of(debian_layer, tmp_path)
    (layer / "lib" / "libcairo.so.2").unlink()
    assert [(f.rule, f.path) for f in cl.check_layer(layer, glibc=(9, 99), arch="x86_64")] == [
        ("layout", "lib/libcairo.so.2")
    ]


def test_the_wrong_architecture_fails(debian_layer: Path) -> None:
    findings = cl.check_layer(debian_layer, glibc=(9, 99), arch="arm64")
    assert set(rules(findings)) == {"arch"}
    assert len(findings) == len(list((debian_layer / "lib").iterdir()))


def test_links_must_stay_inside_the_layer(debian_layer: Path, tmp_path: Path) -> None:
    layer = copy_of(debian_layer, tmp_path)
    (layer / "lib" / "libpixman-1.so.0").unlink()
    (layer / "lib" / "libpixman-1.so.0").symlink_to(_system_library("libpixman-1.so.0"))
    (layer / "lib" / "libfoo.so.1").symlink_to("libfoo.so.1.2.3")  # dangling, but needed by no one
    findings = cl.check_layer(layer, glibc=(9, 99), arch="x86_64")
    assert ("symlink", "lib/libpixman-1.so.0") in [(f.rule, f.path) for f in findings]
    assert ("missing", "lib/libpixman-1.so.0") in [(f.rule, f.path) for f in findings]


def test_a_link_inside_the_layer_is_fine(debian_layer: Path, tmp_path: Path) -> None:
    layer = copy_of(debian_layer, tmp_path)
    lib = layer / "lib"
    (lib / "libpixman-1.so.0").rename(lib / "libpixman-1.so.0.42.2")
    (lib / "libpixman-1.so.0").symlink_to("libpixman-1.so.0.42.2")
    assert cl.check_layer(layer, glibc=(9, 99), arch="x86_64") == []


def test_fonts_are_required(debian_layer: Path, tmp_path: Path) -> None:
    layer = copy_of(debian_layer, tmp_path)
    shutil.rmtree(layer / "fonts")
    findings = cl.check_layer(layer, glibc=(9, 99), arch="x86_64")
    assert [(f.rule, f.path) for f in findings] == [("fonts", "fonts/fonts.conf"), ("fonts", "fonts")]
    assert cl.check_layer(layer, glibc=(9, 99), arch="x86_64", fonts=False) == []


def test_command_line(debian_layer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cl.main([str(debian_layer), "--runtime", "python3.13", "--arch", "x86_64"]) == 1
    out = capsys.readouterr().out
    assert "FAIL glibc: lib/libcairo.so.2: needs GLIBC_2.35; the runtime has glibc 2.34" in out
    assert cl.main([str(debian_layer), "--arch", "x86_64", "--glibc", "9.99", "--json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
    with pytest.raises(SystemExit) as caught:
        cl.main([str(debian_layer / "nope")])
    assert caught.value.code == 2


# --- the ELF reader on hostile files ------------------------------------------------------------


def elf_header(*, phoff: int = 64, phnum: int = 1, e_type: int = 3, machine: int = 183) -> bytes:
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    return ident + struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, 0, phoff, 0, 0, 64, 56, phnum, 64, 0, 0)


def program_header(p_type: int, offset: int, vaddr: int, size: int) -> bytes:
    return struct.pack("<IIQQQQQQ", p_type, 4, offset, vaddr, vaddr, size, size, 8)


def dynamic(*entries: tuple[int, int]) -> bytes:
    return b"".join(struct.pack("<qQ", tag, value) for tag, value in (*entries, (0, 0)))


def tiny_library(needed: str = "libc.so.6") -> bytes:
    """A minimal valid AArch64 shared object: one PT_LOAD over the file, a PT_DYNAMIC, a string table."""
    strings = b"\0" + needed.encode() + b"\0libtiny.so.1\0"
    strtab_at = 64 + 2 * 56
    dynamic_at = strtab_at + len(strings)
    dyn = dynamic((1, 1), (14, 2 + len(needed)), (5, strtab_at), (10, len(strings)))
    body = strings + dyn
    headers = program_header(1, 0, 0, strtab_at + len(body)) + program_header(
        2, dynamic_at, dynamic_at, len(dyn)
    )
    return elf_header(phnum=2) + headers + body


def test_a_tiny_valid_library_is_read() -> None:
    info = cl.read_elf(tiny_library("libm.so.6"))
    assert (info.machine, info.soname, info.needed, info.versions) == (
        183,
        "libtiny.so.1",
        ("libm.so.6",),
        (),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not an ELF file"),
        (b"MZ\x90\x00" + bytes(60), "not an ELF file"),
        (b"\x7fELF" + bytes([9, 1]) + bytes(58), "unknown ELF class"),
        (b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x03\x00", "truncated ELF header"),
        (elf_header(e_type=2) + bytes(56), "not a shared object"),
        (elf_header(phoff=10**9), "program headers outside the file"),
        (elf_header(phnum=60000), "program headers outside the file"),
        (elf_header() + program_header(1, 0, 0, 120), "no PT_DYNAMIC"),
        (elf_header() + program_header(2, 10**9, 0, 16), "dynamic segment outside the file"),
        (elf_header() + program_header(2, 64, 64, 56), "no dynamic string table"),
        (tiny_library()[:-40], "dynamic segment outside the file"),
    ],
)
def test_malformed_files_raise_elf_error(data: bytes, message: str) -> None:
    with pytest.raises(cl.ElfError, match=message):
        cl.read_elf(data)


def test_a_strtab_outside_any_segment_is_refused() -> None:
    data = bytearray(tiny_library())
    dyn_at = 64 + 2 * 56 + len(b"\0libc.so.6\0libtiny.so.1\0")
    struct.pack_into("<qQ", data, dyn_at + 32, 5, 10**12)  # DT_STRTAB far away
    with pytest.raises(cl.ElfError, match="in no loaded segment"):
        cl.read_elf(bytes(data))


def test_unreadable_files_in_lib_are_findings_not_crashes(debian_layer: Path, tmp_path: Path) -> None:
    layer = copy_of(debian_layer, tmp_path)
    (layer / "lib" / "libjunk.so.1").write_bytes(b"\x7fELF garbage")
    (layer / "lib" / "README.txt").write_text("not a library, not looked at")
    findings = cl.check_layer(layer, glibc=(9, 99), arch="x86_64")
    assert [(f.rule, f.path) for f in findings] == [("elf", "lib/libjunk.so.1")]


# --- the Makefile (sam build's BuildMethod: makefile) ---------------------------------------------


def _scratch_copy(tmp_path: Path) -> Path:
    """What sam does first: copy layers/cairo, following its links into the library's assets."""
    scratch = tmp_path / "scratch"
    shutil.copytree(REPO / "layers/cairo", scratch, symlinks=False, ignore=shutil.ignore_patterns("build"))
    return scratch


def _make(scratch: Path, artifacts: Path, *variables: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "build-CairoLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={sys.executable}",
            *variables,
        ],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_without_prebuilt_libraries_packages_fonts_and_warns(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    result = _make(_scratch_copy(tmp_path), artifacts)
    assert result.returncode == 0, result.stderr
    assert "WARNING: no prebuilt cairo libraries" in result.stdout
    assert sorted(path.name for path in (artifacts / "fonts").iterdir()) == sorted(
        [*(path.name for path in FONTS.iterdir()), "fonts.conf"]
    )
    config = (artifacts / "fonts" / "fonts.conf").read_text()
    assert "<dir>/opt/fonts</dir>" in config
    assert "<cachedir>/tmp/fontconfig-cache</cachedir>" in config
    assert "@" not in config.split("-->", 1)[1]
    assert not (artifacts / "lib").exists()


def test_make_refuses_to_package_no_libraries_when_required(tmp_path: Path) -> None:
    result = _make(_scratch_copy(tmp_path), tmp_path / "artifacts", "REQUIRE_CAIRO_LIBS=1")
    assert result.returncode != 0
    assert "libcairo.so.2 is missing" in result.stderr


def test_make_packages_prebuilt_libraries_and_checks_them(debian_layer: Path, tmp_path: Path) -> None:
    # GIVEN prebuilt libraries that cannot load on Lambda (Debian's)
    artifacts = tmp_path / "artifacts"
    result = _make(_scratch_copy(tmp_path), artifacts, f"PREBUILT={debian_layer}", "ARCH=x86_64")
    # THEN they are packaged, and the check stops the build on the glibc rule
    assert result.returncode != 0
    assert "FAIL glibc: lib/libcairo.so.2: needs GLIBC_2.35; the runtime has glibc 2.34" in result.stdout
    assert (artifacts / "lib" / "libcairo.so.2").is_file()
    assert cl.check_layer(artifacts, glibc=(9, 99), arch="x86_64") == []
