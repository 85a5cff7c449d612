"""Shared test fixtures: where the public test vectors live, and small helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: The public test vectors, with their provenance and licences (tests/vectors/SOURCES.md).
VECTORS = REPO / "tests" / "vectors"


@pytest.fixture(scope="session")
def vectors() -> Path:
    return VECTORS
