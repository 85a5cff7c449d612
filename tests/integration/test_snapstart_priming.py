"""Under SnapStart, the functions import at init what their first request would import lazily."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
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


HTTP_FUNCTIONS = ["admin", "bake", "docs", "extract", "issue", "pages", "public", "render", "verify"]


def test_no_handler_builds_a_json_schema_at_init() -> None:
    # the routes' OpenAPI extensions are deferred (badgekiln.http.deferred): only `make openapi`
    # reads them, so no cold start pays for pydantic's JSON schemas
    probe = textwrap.dedent(
        """
        import sys
        from pydantic import BaseModel

        built = []
        original = BaseModel.model_json_schema.__func__

        def counted(cls, *args, **kwargs):
            built.append(cls.__name__)
            return original(cls, *args, **kwargs)

        BaseModel.model_json_schema = classmethod(counted)
        for name in sys.argv[2:]:
            sys.path.insert(0, f"{sys.argv[1]}/functions/{name}")
            __import__(name + "_handler")
        print(built)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(REPO), *HTTP_FUNCTIONS],
        env={"PATH": "/usr/bin:/bin", "POWERTOOLS_DEV": "false", "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.split() == ["[]"]


def test_the_docs_function_loads_neither_pydantic_nor_powertools_openapi_models() -> None:
    # its routes take no parameters (validation off) and its page is ours: init and a first
    # request of each route leave pydantic, Powertools' swagger_ui package and the events unloaded
    probe = textwrap.dedent(
        """
        import json, sys
        sys.path.insert(0, sys.argv[1] + "/functions/docs")
        sys.path.insert(0, sys.argv[1])
        import docs_handler
        from tests.integration.conftest import Context, load_event

        event = load_event("docs.json")
        first = docs_handler.handler(event, Context())
        event["rawPath"] = event["requestContext"]["http"]["path"] = "/docs/openapi.json"
        second = docs_handler.handler(event, Context())
        watched = (
            "pydantic",
            "aws_lambda_powertools.event_handler.openapi.swagger_ui",
            "badgekiln.issue.events",
        )
        loaded = [m for m in watched if m in sys.modules]
        print(json.dumps([first["statusCode"], second["statusCode"], loaded]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(REPO)],
        env={"PATH": "/usr/bin:/bin", "POWERTOOLS_DEV": "false", "POWERTOOLS_METRICS_DISABLED": "true"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout.splitlines()[-1]) == [200, 200, []]
