"""Shared test fixtures: where the public test vectors live, and small helpers."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No per-example deadline and no "too slow" health check: both are timed assertions, and on a
# shared 2-core machine running the suite on several workers a 200 ms example is load, not a bug.
# Budgets that matter are asserted on the code under test (caps, work counters); speed is
# measured in bench/.
settings.register_profile("badgekiln", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("badgekiln")

REPO = Path(__file__).resolve().parent.parent
#: The public test vectors, with their provenance and licences (tests/vectors/SOURCES.md).
VECTORS = REPO / "tests" / "vectors"


@cache
def vector_sources() -> tuple[str, ...]:
    """The source folders SOURCES.md describes (``<owner>-<repository>``), in its order."""
    return tuple(re.findall(r"^## `([^`/]+)/` — from ", (VECTORS / "SOURCES.md").read_text("utf-8"), re.M))


@cache
def vector_files() -> tuple[Path, ...]:
    """Every file of those sources, sorted: what the discovery suites walk. Other folders under
    tests/vectors (a corpus with its own manifest and test) are not theirs."""
    return tuple(
        sorted(p for source in vector_sources() for p in (VECTORS / source).rglob("*") if p.is_file())
    )


@pytest.fixture(scope="session")
def vectors() -> Path:
    return VECTORS
