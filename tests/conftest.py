"""Shared test fixtures: where the public test vectors live, and small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: ../shared/vectors beside the checkout (see its SOURCES.md); override with BADGEKILN_VECTORS.
VECTORS = Path(os.environ.get("BADGEKILN_VECTORS", REPO.parent / "shared" / "vectors")).resolve()


@pytest.fixture(scope="session")
def vectors() -> Path:
    if not VECTORS.is_dir():
        pytest.fail(f"test vectors not found at {VECTORS} (set BADGEKILN_VECTORS)")
    return VECTORS
