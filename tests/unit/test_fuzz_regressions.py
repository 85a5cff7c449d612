"""The fuzzer's findings stay fixed, and every harness still runs.

``python -m fuzz.replay`` runs, in one process with the network forbidden, every input of
tests/fuzz_regressions through its harness, and the first seeds of every harness (so a refactor
that breaks a harness fails here, not hours into ``make fuzz-long``). Each saved input must now
end as tests/fuzz_regressions/MANIFEST.json says: no crash or hang, and exactly its typed error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fuzz.harnesses import HARNESSES
from fuzz.replay import REGRESSIONS

REPO = Path(__file__).resolve().parent.parent.parent
MANIFEST: dict[str, dict[str, Any]] = json.loads((REGRESSIONS / "MANIFEST.json").read_text("utf-8"))


@cache
def replayed() -> dict[tuple[str, str], dict[str, Any]]:
    """``(harness, file) → outcome`` of one replay of everything (seeds as ``seed:<name>``)."""
    done = subprocess.run(
        [sys.executable, "-m", "fuzz.replay"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    outcomes = [json.loads(line) for line in done.stdout.splitlines()]
    assert outcomes, done.stderr[-3000:]
    return {(o["harness"], o["file"]): o for o in outcomes}


def test_the_manifest_lists_exactly_the_saved_inputs() -> None:
    saved = {f"{p.parent.name}/{p.name}" for p in REGRESSIONS.glob("*/*") if p.is_file()}
    assert saved == set(MANIFEST)
    assert {key.split("/", 1)[0] for key in MANIFEST} <= set(HARNESSES)
    for key, entry in MANIFEST.items():
        assert set(entry) == {"error", "was", "fixed"}, key


@pytest.mark.parametrize("key", sorted(MANIFEST))
def test_a_saved_input_ends_in_its_typed_error(key: str) -> None:
    harness, file = key.split("/", 1)
    outcome = replayed()[(harness, file)]
    assert outcome["kind"] == "passed", outcome["trace"]
    assert outcome["error"] == MANIFEST[key]["error"]


@pytest.mark.parametrize("harness", sorted(HARNESSES))
def test_every_harness_runs_its_seeds(harness: str) -> None:
    seeds = [o for (name, file), o in replayed().items() if name == harness and file.startswith("seed:")]
    assert seeds, f"{harness} replayed no seeds"
    for outcome in seeds:
        assert outcome["kind"] == "passed", outcome["trace"]
