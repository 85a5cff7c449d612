"""`badgekiln serve` is a development extra: outside the Lambda layer, and named when missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from badgekiln.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("missing", ["yaml", "badgekiln_server", "badgekiln_server.serve", "jinja2"])
def test_serve_without_the_extra_says_how_to_install_it(
    missing: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an installation without the server extra (the module cannot be imported)
    monkeypatch.setitem(sys.modules, missing, None)
    # WHEN `badgekiln serve` runs
    code = main(["serve", "--no-demo", "--port", "0"])
    # THEN exit 2 and one error line that says what to install
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("error: badgekiln serve (the local server, a development extra) needs")
    assert err.rstrip().endswith("pip install 'badgekiln[server]'")


def test_the_layer_holds_neither_the_server_nor_pyyaml() -> None:
    layer = REPO / "layers" / "badgekiln"
    assert not (layer / "badgekiln" / "gateway").exists()
    assert not (layer / "badgekiln" / "serve.py").exists()
    requirements = (layer / "requirements.txt").read_text().lower()
    assert "yaml" not in requirements
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert not any("yaml" in dep.lower() for dep in project["dependencies"])
    assert project["optional-dependencies"]["server"] == ["badgekiln[http,render]", "pyyaml>=6.0.1"]
