"""pyproject.toml is a library's: lower-bounded ranges, the exact versions in the two locks.

`make lock` (uv pip compile) writes requirements-dev.lock (what `make test` and CI install, as
constraints) and layers/badgekiln/requirements.txt (the Lambda layer); these tests keep the ranges
and the locks in step.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from badgekiln.extras import EXTRAS

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
DEV_LOCK = REPO / "requirements-dev.lock"
LAYER_LOCK = REPO / "layers" / "badgekiln" / "requirements.txt"


def requirements(*extras: str) -> list[Requirement]:
    """The base requirements and those of ``extras`` (the project's own extras expanded)."""
    found = [Requirement(text) for text in PROJECT["dependencies"]]
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in PROJECT["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if requirement.name == PROJECT["name"]:
                pending.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


def locked(path: Path) -> dict[str, str]:
    """``{canonical name: version}`` of a lock file's ``name==version`` lines."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;]+)", line.strip())
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def _all_requirements() -> list[Requirement]:
    return requirements(*PROJECT["optional-dependencies"])


def test_runtime_dependencies_are_ranges_with_lower_bounds() -> None:
    for requirement in requirements("aws", "render", "http", "server"):
        operators = {spec.operator for spec in requirement.specifier}
        assert ">=" in operators, f"{requirement} has no lower bound"
        assert not operators & {"==", "===", "~="}, f"{requirement} is pinned: pins go in the locks"


def test_the_base_install_holds_none_of_the_heavy_parts() -> None:
    # boto3, Powertools, cairo and Pillow are extras: bake, extract and verify run without them
    base = {canonicalize_name(r.name) for r in requirements()}
    heavy = {"boto3", "botocore", "aws-lambda-powertools", "cairosvg", "cairocffi", "pillow", "jinja2"}
    assert not base & heavy


def test_every_extra_badgekiln_names_exists_in_pyproject() -> None:
    assert set(EXTRAS) <= set(PROJECT["optional-dependencies"])
    assert {"aws", "render", "http", "server", "all"} <= set(PROJECT["optional-dependencies"])


@pytest.mark.parametrize("lock", [DEV_LOCK, LAYER_LOCK], ids=["dev", "layer"])
def test_a_lock_pins_every_requirement_inside_its_range(lock: Path) -> None:
    pins = locked(lock)
    wanted = _all_requirements() if lock is DEV_LOCK else requirements("aws", "render", "http")
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock.name} does not pin {name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), (requirement, pins[name])


def test_the_locks_agree_where_they_overlap() -> None:
    # CI tests the versions the Lambda layer runs
    dev, layer = locked(DEV_LOCK), locked(LAYER_LOCK)
    differ = {name: (dev[name], pin) for name, pin in layer.items() if dev.get(name, pin) != pin}
    assert not differ


def test_the_layer_lock_holds_only_what_the_functions_need() -> None:
    # no test tools and no local server in the Lambda layer
    layer = locked(LAYER_LOCK)
    assert not {"pytest", "moto", "pyyaml", "playwright", "mypy", "uv"} & set(layer)
