"""Shared test fixtures: where the public test vectors live, and small helpers."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def vectors() -> Path:
    return VECTORS
