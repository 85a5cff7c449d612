"""Under SnapStart, the functions import at init what their first request would import lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
PRIMED = ["verify", "pages", "issue", "render"]


@pytest.mark.parametrize("function", PRIMED)
def test_the_snapshot_imports_exist(function: str) -> None:
    module = importlib.import_module(f"{function}.{function}_handler")
    assert module.SNAPSHOT_IMPORTS
    for name in module.SNAPSHOT_IMPORTS:
        importlib.import_module(name)


def test_snapstart_init_imports_the_verification_stack_and_on_demand_init_does_not() -> None:
    # a fresh interpreter each: the test process has imported everything already
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import verify_handler; "
        "print('badgekiln.verification.engine' in sys.modules, 'pyld.jsonld' in sys.modules)"
    )
    answers = {}
    for kind in ("on-demand", "snap-start"):
        done = subprocess.run(
            [sys.executable, "-c", probe, str(REPO / "functions" / "verify")],
            env={"AWS_LAMBDA_INITIALIZATION_TYPE": kind, "PATH": "/usr/bin:/bin", "POWERTOOLS_DEV": "false"},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        answers[kind] = done.stdout.split()
    assert answers == {"on-demand": ["False", "False"], "snap-start": ["True", "True"]}
