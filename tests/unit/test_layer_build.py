"""The library layer's build (layers/badgekiln/Makefile, sam build's BuildMethod: makefile): the
package beside its requirements, every module compiled to unchecked-hash bytecode for the runtime's
Python, with /opt/python paths — so no cold start compiles from source.

The requirements here are an empty file (the build machine's index may lack the runtime's arm64
wheels; sam runs the real install) and the runtime version is this interpreter's.
"""

from __future__ import annotations

import importlib.util
import marshal
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAYER = REPO / "layers" / "badgekiln"
THIS_VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
#: PEP 552: bit 0 of a .pyc's flags marks it hash-based, bit 1 asks for the source to be checked
UNCHECKED_HASH = 0b01


def _make(tmp_path: Path, *variables: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    scratch = tmp_path / "scratch"  # what sam does first: copy the folder
    shutil.copytree(LAYER, scratch, ignore=shutil.ignore_patterns("__pycache__"))
    # a checkout's own bytecode, which must not travel into the layer
    (scratch / "badgekiln" / "__pycache__").mkdir()
    (scratch / "badgekiln" / "__pycache__" / "stale.cpython-00.pyc").write_bytes(b"stale")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "build-BadgeKilnLayer",
            f"PYTHON={sys.executable}",
            f"REQUIREMENTS={requirements}",
            *variables,
        ],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_layer_holds_the_package_compiled_for_the_runtime(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    result = _make(tmp_path, f"ARTIFACTS_DIR={artifacts}", f"RUNTIME_VERSION={THIS_VERSION}")
    assert result.returncode == 0, result.stderr
    package = artifacts / "python" / "badgekiln"
    sources = sorted(package.rglob("*.py"))
    assert sources == sorted(
        package / path.relative_to(LAYER / "badgekiln") for path in (LAYER / "badgekiln").rglob("*.py")
    )
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        data = cached.read_bytes()
        assert data[:4] == importlib.util.MAGIC_NUMBER, source
        assert int.from_bytes(data[4:8], "little") == UNCHECKED_HASH, source
        code = marshal.loads(data[16:])
        assert code.co_filename == "/opt/python/" + source.relative_to(artifacts / "python").as_posix()
    # nothing but this build's bytecode (the checkout's is not copied along)
    assert len(list(package.rglob("*.pyc"))) == len(sources)


def test_a_python_other_than_the_runtimes_is_refused(tmp_path: Path) -> None:
    other = "3.13" if THIS_VERSION != "3.13" else "3.12"
    artifacts = tmp_path / "artifacts"
    result = _make(tmp_path, f"ARTIFACTS_DIR={artifacts}", f"RUNTIME_VERSION={other}")
    assert result.returncode == 2
    assert f"is not Python {other}, the runtime's" in result.stderr
    assert not artifacts.exists()


def test_the_build_needs_sams_artifacts_dir(tmp_path: Path) -> None:
    result = _make(tmp_path, f"RUNTIME_VERSION={THIS_VERSION}")
    assert result.returncode == 2
    assert "ARTIFACTS_DIR is not set" in result.stderr
