"""The import contracts (pyproject.toml, [tool.importlinter]): they hold, and they catch a wrong arrow.

`make lint` runs `lint-imports` on the tree; here the same contracts also run on a copy of the
library with one upward import added, to show that such an arrow fails the build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = {
    "badgekiln": REPO / "layers" / "badgekiln" / "badgekiln",
    "badgekiln_server": REPO / "server" / "badgekiln_server",
}


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def _lint(root: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300"}  # one line per contract in the report
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)  # ahead of the editable install's finder
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--config", str(REPO / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The library and the local server copied to ``tmp_path``, ready to be broken."""
    for name, source in PACKAGES.items():
        shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract", "arrow"),
    [
        # a container reaching up into storage (png may import only errors)
        ("png.py", "from badgekiln import store", "layers", "badgekiln.png -> badgekiln.store"),
        # the fetcher reaching back up to the package root's recipes
        (
            "fetch/_policy.py",
            "import badgekiln.baking",
            "layers",
            "badgekiln.fetch._policy -> badgekiln.baking",
        ),
        # verification writing to the store
        ("verification/report.py", "import badgekiln.store", "verification", "badgekiln.store"),
        # the library importing a Lambda handler module of functions/
        ("issue/demo.py", "from issue import issue_handler", "functions", "issue"),
        # the library importing the development server
        ("store/local.py", "import badgekiln_server.serve", "server", "badgekiln_server"),
        # a heavy dependency outside its one package
        ("sniff.py", "import cairosvg", "cairosvg", "cairosvg"),
        ("verification/engine.py", "import botocore", "boto", "botocore"),
    ],
)
def test_a_wrong_arrow_breaks_a_contract(
    copy: Path, module: str, line: str, contract: str, arrow: str
) -> None:
    # GIVEN the tree, which keeps every contract, with one import added
    target = copy / "badgekiln" / module
    target.write_text(target.read_text() + f"\n{line}  # the wrong arrow\n")
    # WHEN the contracts run on it
    result = _lint(copy, pythonpath=copy)
    # THEN the contract that forbids it is broken (others may be too: png -> store also puts
    # the store under verification), and the report names the import
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{_contracts()[contract]['name']} BROKEN" in result.stdout
    assert arrow in result.stdout


def test_the_functions_contract_names_every_function() -> None:
    # the library may import no handler module; the contract lists the folders of functions/
    folders = {path.name for path in (REPO / "functions").iterdir() if path.is_dir()}
    assert set(_contracts()["functions"]["forbidden_modules"]) == folders  # type: ignore[arg-type]


def test_no_package_imports_another_packages_private_modules() -> None:
    # A module whose name starts with "_" (fetch._requests, verification._session …) belongs to its
    # package: others go through the package's public names. The library-wide leaves at the top
    # (badgekiln._lazy, badgekiln._version) are shared on purpose. import-linter's expressions
    # cannot say "a segment that starts with _", so grimp's graph is asked directly.
    import grimp

    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    crossings = []
    for importer in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(importer):
            parts = imported.split(".")
            private = next((k for k in range(2, len(parts)) if parts[k].startswith("_")), None)
            if private is None or parts[private].startswith("__"):
                continue
            owner = ".".join(parts[:private])
            if importer != owner and not importer.startswith(owner + "."):
                crossings.append(f"{importer} -> {imported}")
    assert crossings == []
