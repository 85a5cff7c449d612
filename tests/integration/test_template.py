"""template.yaml: offline validation passes, and the properties the docs promise hold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from badgekiln_server.gateway import load_template

REPO = Path(__file__).resolve().parent.parent.parent


def test_validate_script_passes() -> None:
    # cfn-lint, the SAM translator, cfn-lint on its output (and sam validate when installed)
    result = subprocess.run(
        ["./scripts/validate-template.sh"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validate: ok" in result.stdout


def test_validate_script_rejects_a_broken_template(tmp_path: Path) -> None:
    # GIVEN a copy of the repo's scripts with a template whose event points at a missing API
    (tmp_path / "scripts").mkdir()
    for name in ("validate-template.sh", "translate_template.py"):
        (tmp_path / "scripts" / name).write_bytes((REPO / "scripts" / name).read_bytes())
    (tmp_path / "scripts" / "validate-template.sh").chmod(0o755)
    broken = (
        (REPO / "template.yaml")
        .read_text()
        .replace("ApiId: !Ref HttpApi, Path: /bake", "ApiId: !Ref Nope, Path: /bake")
    )
    (tmp_path / "template.yaml").write_text(broken)
    # the tools of the active environment (the copy has no .venv of its own)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["./scripts/validate-template.sh"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert result.returncode != 0
    assert "validate: ok" not in result.stdout
    assert "ApiId must be a valid reference" in result.stdout + result.stderr


def _roles(translated: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in translated["Resources"].items() if v["Type"] == "AWS::IAM::Role"}


@pytest.mark.parametrize("function", ["BakeFunction", "ExtractFunction", "DocsFunction"])
def test_functions_without_aws_access_have_only_logging(translated: dict[str, Any], function: str) -> None:
    role = _roles(translated)[f"{function}Role"]
    assert "Policies" not in role
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    ]


def test_bucket_is_private_versioned_encrypted_tls_only(translated: dict[str, Any]) -> None:
    bucket = translated["Resources"]["BadgeBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    statement = translated["Resources"]["BadgeBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_runtime_architecture_and_layer(translated: dict[str, Any]) -> None:
    functions = [
        v["Properties"] for v in translated["Resources"].values() if v["Type"] == "AWS::Lambda::Function"
    ]
    assert {f["Runtime"] for f in functions} == {"python3.13"}
    assert {tuple(f["Architectures"]) for f in functions} == {("arm64",)}
    assert all(f["Layers"] for f in functions)


def test_every_function_module_is_uniquely_named() -> None:
    app = load_template(REPO / "template.yaml")
    modules = [spec.module for spec in app.functions.values()]
    assert len(modules) == len(set(modules))
    for spec in app.functions.values():
        assert spec.module.endswith("_handler")
        assert (spec.code_dir / f"{spec.module}.py").is_file()


def test_the_layer_lock_satisfies_pyproject() -> None:
    # the layer installs layers/badgekiln/requirements.txt (the lock `make lock` writes): every
    # runtime dependency of the functions is pinned there, inside pyproject's range
    from tests.unit.test_dependencies import locked, requirements

    layer = locked(REPO / "layers" / "badgekiln" / "requirements.txt")
    for requirement in requirements("aws", "render", "http"):
        assert requirement.name.lower() in layer, requirement
        assert requirement.specifier.contains(layer[requirement.name.lower()]), requirement
