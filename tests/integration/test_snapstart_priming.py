"""Under SnapStart, the functions import at init what their first request would import lazily."""

from __future__ import annotations

import importlib
import json
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


def test_functions_without_routes_do_not_load_the_http_glue() -> None:
    # badgekiln.http exports lazily: the authorizer, worker and publisher need only observability
    probe = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import authorizer_handler; "
        "print(json.dumps([m for m in sys.modules if m.startswith('badgekiln.http.')]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(REPO / "functions" / "authorizer")],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded = set(json.loads(done.stdout))
    assert loaded.isdisjoint({"badgekiln.http.bodies", "badgekiln.http.responses", "badgekiln.http.resolver"})
    assert "badgekiln.http.observability" in loaded
