"""tests/interop/harness.py: where the oracles' environments live, when they are (re)installed,
and when their tests skip rather than fail. Installation itself is replaced by a recorder here;
tests/integration/test_interop_oracles.py runs the real wrappers."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.interop import harness


@pytest.fixture
def installs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A private cache and manifests folder; every installation is recorded, none is made."""
    manifests = tmp_path / "manifests"
    shutil.copytree(harness.HERE, manifests, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(harness, "HERE", manifests)
    monkeypatch.setenv("BADGEKILN_INTEROP_CACHE", str(tmp_path / "cache"))
    made: list[str] = []

    def install(oracle: harness.Oracle, target: Path) -> None:
        assert target.is_dir()
        assert not any(target.iterdir())  # a clean folder, every time
        made.append(oracle.name)
        (target / "installed").write_text(oracle.name)

    monkeypatch.setattr(harness, "_install", install)
    return made


def test_the_cache_is_outside_the_checkout_and_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BADGEKILN_INTEROP_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/var/cache/someone")
    assert harness.cache_root() == Path("/var/cache/someone/badgekiln/interop")
    monkeypatch.setenv("BADGEKILN_INTEROP_CACHE", "/srv/oracles")
    assert harness.cache_root() == Path("/srv/oracles")


def test_setup_is_idempotent(installs: list[str]) -> None:
    first = harness.ensure("obl")
    assert harness.ensure("obl") == first
    assert installs == ["obl"]
    assert first.parent == harness.cache_root()
    assert first.name.startswith("obl-")


def test_a_changed_pin_gets_a_new_environment_and_keeps_the_old(installs: list[str]) -> None:
    before = harness.ensure("ob2")
    requirements = harness.HERE / "ob2" / "requirements.txt"
    requirements.write_text(requirements.read_text() + "six==1.17.0\n")
    after = harness.ensure("ob2")
    assert after != before
    assert before.is_dir()  # another checkout may still use it
    assert installs == ["ob2", "ob2"]


def test_the_npm_lockfile_is_part_of_the_key(installs: list[str]) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    before = harness.ensure("dcc")
    (harness.HERE / "dcc" / "package-lock.json").write_text("{}")
    assert harness.ensure("dcc") != before


def test_a_half_made_environment_is_made_again(installs: list[str]) -> None:
    target = harness.environment(harness.ORACLES["obl"])
    target.mkdir(parents=True)
    (target / "left-over").write_text("an interrupted run")
    assert harness.ensure("obl") == target
    assert installs == ["obl"]
    assert not (target / "left-over").exists()


def test_concurrent_setups_install_once(installs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = harness._install

    def slow(oracle: harness.Oracle, target: Path) -> None:
        time.sleep(0.3)
        recorded(oracle, target)

    monkeypatch.setattr(harness, "_install", slow)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(harness.ensure("obl"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert installs == ["obl"]
    assert len(set(results)) == 1


def _failing_install(oracle: harness.Oracle, target: Path) -> None:
    (target / "partial").write_text("")
    raise subprocess.CalledProcessError(1, ["pip", "install"], stderr="ERROR: no such version")


@pytest.mark.parametrize(("answers", "raised"), [(False, harness.Unavailable), (True, harness.SetupFailed)])
def test_a_failed_install_skips_only_when_the_registry_is_unreachable(
    installs: list[str], monkeypatch: pytest.MonkeyPatch, answers: bool, raised: type[Exception]
) -> None:
    monkeypatch.setattr(harness, "_install", _failing_install)
    monkeypatch.setattr(harness, "_registry_answers", lambda oracle: answers)
    with pytest.raises(raised) as caught:
        harness.ensure("obl")
    assert not harness.environment(harness.ORACLES["obl"]).exists()
    if raised is harness.Unavailable:
        assert str(caught.value) == "PyPI cannot be reached, so openbadgeslib cannot be installed"
    else:
        assert "no such version" in str(caught.value)


def test_tests_skip_with_one_line_when_unavailable(
    installs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "_install", _failing_install)
    monkeypatch.setattr(harness, "_registry_answers", lambda oracle: False)
    monkeypatch.setattr(harness, "_OUTCOMES", {})
    with pytest.raises(pytest.skip.Exception) as skipped:
        harness.command_or_skip("ob2")
    assert str(skipped.value) == (
        "interop: PyPI cannot be reached, so the 1EdTech OB 2.0 validator cannot be installed"
    )


def test_a_real_setup_failure_fails_the_tests(installs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "_install", _failing_install)
    monkeypatch.setattr(harness, "_registry_answers", lambda oracle: True)
    monkeypatch.setattr(harness, "_OUTCOMES", {})
    with pytest.raises(pytest.fail.Exception, match="no such version"):
        harness.command_or_skip("obl")


def test_setup_reports_each_oracle_on_one_line(
    installs: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unavailable(name: str) -> Path:
        if name == "dcc":
            raise harness.Unavailable("the npm registry cannot be reached, so it cannot be installed")
        return Path("/cache") / name

    monkeypatch.setattr(harness, "ensure", unavailable)
    assert harness.main(["setup"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "interop dcc: SKIPPED, the npm registry cannot be reached, so it cannot be installed; "
        "its interop tests will be skipped",
        "interop obl: ready in /cache/obl",
        "interop ob2: ready in /cache/ob2",
        "interop di-signers: ready in /cache/di-signers",
    ]


def test_setup_fails_on_a_real_failure(installs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> Path:
        raise harness.SetupFailed(f"{name}: npm ci failed")

    monkeypatch.setattr(harness, "ensure", broken)
    assert harness.main(["setup"]) == 1


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert harness.main(["verify"]) == 2
    assert capsys.readouterr().err.startswith("usage: harness.py setup | {dcc|obl|ob2|di-signers}")
