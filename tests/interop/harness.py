"""The independent verifiers the interop tests run, set up in a cache outside the checkout.

Three oracles, each pinned by the manifests beside this file and run through an offline wrapper
(every URL a verifier asks for is answered from a local file or refused and listed under
``details.network.refused``; README.md beside this file):

* ``dcc``: DCC ``@digitalcredentials/verifier-core`` and Digital Bazaar ``@digitalbazaar/vc`` on
  node (``dcc/package.json`` + ``dcc/package-lock.json``, installed with ``npm ci``);
* ``obl``: openbadgeslib 4.6.3 (``obl/requirements.txt``) in its own virtualenv;
* ``ob2``: the 1EdTech OB 2.0 validator core, PyPI ``openbadges`` 1.1.2 (``ob2/requirements.txt``,
  installed ``--no-deps``: its own pins do not import on Python 3.11) in its own virtualenv.

Each environment is ``<cache>/<oracle>-<key>``: ``<cache>`` is ``$BADGEKILN_INTEROP_CACHE`` or
``$XDG_CACHE_HOME/badgekiln/interop`` (``~/.cache/…``), ``<key>`` a hash of the oracle's manifests
and runtime, so every checkout and run with the same pins shares one environment and a changed
pin gets a new one. Set-up is idempotent and safe from several processes at once (a lock per
environment; it counts only once fully installed). When the registry an oracle installs from
(npm, PyPI) cannot be reached, set-up raises :class:`Unavailable` and the tests that need that
oracle skip with its one-line reason; any other failure raises :class:`SetupFailed`.

Command line: ``python tests/interop/harness.py setup`` prepares all three (``make test`` runs it);
``python tests/interop/harness.py dcc|obl|ob2 ARGS…`` runs a wrapper from any folder (``--help``
lists its options).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ORACLES", "SetupFailed", "Unavailable", "cache_root", "command", "ensure", "main"]

HERE = Path(__file__).resolve().parent
#: Seconds one network request of npm or pip may wait, with one retry: an unreachable registry
#: is reported in about a minute, not after pip's configured minutes per request.
NETWORK_TIMEOUT = 30
#: Seconds a whole installation may take (npm ci with an empty cache: about a minute).
INSTALL_TIMEOUT = 900


class Unavailable(Exception):  # a state, not a failure
    """The oracle cannot be set up on this machine: its registry or runtime is missing (one line)."""


class SetupFailed(Exception):
    """Setting the oracle up failed although its registry answers: a real error to fix."""


@dataclass(frozen=True, slots=True)
class Oracle:
    name: str
    title: str
    runtime: str  # "node" or "python"
    manifest: str  # the pinned requirements or package.json
    lockfile: str | None
    wrapper: str
    pip_options: tuple[str, ...] = ()
    smoke_import: str | None = None


ORACLES: dict[str, Oracle] = {
    "dcc": Oracle(
        "dcc", "DCC verifier-core and Digital Bazaar vc", "node", "dcc/package.json", "dcc/package-lock.json",
        "dcc/verify.mjs",
    ),
    "obl": Oracle(
        "obl", "openbadgeslib", "python", "obl/requirements.txt", None, "obl/verify.py",
        smoke_import="openbadgeslib.verify",
    ),
    "ob2": Oracle(
        "ob2", "the 1EdTech OB 2.0 validator", "python", "ob2/requirements.txt", None, "ob2/validate.py",
        pip_options=("--no-deps",), smoke_import="openbadges.verifier",
    ),
    # not a verifier but an independent signer: Digital Bazaar's Data Integrity cryptosuites
    "di-signers": Oracle(
        "di-signers", "Digital Bazaar's Data Integrity signers", "node", "di-signers/package.json",
        "di-signers/package-lock.json", "di-signers/sign.mjs",
    ),
}  # fmt: skip


def cache_root() -> Path:
    """Where the environments live (outside any checkout, shared by all of them)."""
    configured = os.environ.get("BADGEKILN_INTEROP_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "badgekiln" / "interop"


def _node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise Unavailable("node and npm are not installed (`make setup` installs them)")
    return node


def _runtime(oracle: Oracle) -> str:
    if oracle.runtime == "node":
        version = subprocess.run([_node(), "--version"], capture_output=True, text=True, check=True)
        return "node " + version.stdout.strip().split(".")[0]
    return f"{sys._base_executable} {sys.version_info.major}.{sys.version_info.minor}"


def environment(oracle: Oracle) -> Path:
    """The oracle's environment folder for its current pins (it may not exist yet)."""
    digest = hashlib.sha256(_runtime(oracle).encode())
    for name in (oracle.manifest, oracle.lockfile):
        if name is not None:
            digest.update((HERE / name).read_bytes())
    return cache_root() / f"{oracle.name}-{digest.hexdigest()[:16]}"


def _run(command: Sequence[str | Path], cwd: Path | None = None) -> None:
    subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def _install(oracle: Oracle, target: Path) -> None:
    if oracle.runtime == "node":
        shutil.copy(HERE / oracle.manifest, target / "package.json")
        assert oracle.lockfile is not None
        shutil.copy(HERE / oracle.lockfile, target / "package-lock.json")
        npm = ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
        _run([*npm, "--fetch-retries=1", f"--fetch-timeout={NETWORK_TIMEOUT * 1000}"], cwd=target)
        return
    _run([sys.executable, "-m", "venv", target])
    pip = [target / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    network = ["--timeout", str(NETWORK_TIMEOUT), "--retries", "1"]
    _run([*pip, *network, *oracle.pip_options, "-r", HERE / oracle.manifest])
    if oracle.smoke_import:
        _run([target / "bin" / "python", "-c", f"import {oracle.smoke_import}"])


def _pip_setting(name: str) -> str | None:
    """A pip setting as pip would read it (environment first, then its configuration files)."""
    value = os.environ.get(f"PIP_{name.upper().replace('-', '_')}")
    if value:
        return value
    found = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", f"global.{name}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return (found.stdout.strip() or None) if found.returncode == 0 else None


def _registry_answers(oracle: Oracle) -> bool:
    """Whether the registry the oracle installs from answers at all (npm ping; pip's index)."""
    if oracle.runtime == "node":
        ping = ["npm", "ping", "--fetch-retries=0", f"--fetch-timeout={NETWORK_TIMEOUT * 1000}"]
        try:
            answer = subprocess.run(ping, capture_output=True, timeout=NETWORK_TIMEOUT * 2, check=False)
        except subprocess.TimeoutExpired:
            return False
        return answer.returncode == 0
    from pip._internal.models.index import PyPI

    index = (_pip_setting("index-url") or PyPI.simple_url).rstrip("/") + "/pip/"
    context = ssl.create_default_context(cafile=_pip_setting("cert"))
    try:
        with urllib.request.urlopen(index, timeout=NETWORK_TIMEOUT, context=context) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def ensure(name: str) -> Path:
    """The environment of oracle ``name``, set up first if it is not yet complete.

    Raises:
        Unavailable: its runtime is missing or its registry cannot be reached.
        SetupFailed: the installation failed for another reason (the message has its output).
    """
    oracle = ORACLES[name]
    target = environment(oracle)
    complete = target / ".complete"
    if complete.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be installing the same pins
        if complete.is_file():
            return target
        shutil.rmtree(target, ignore_errors=True)  # a run interrupted half-way
        target.mkdir()
        try:
            _install(oracle, target)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(target, ignore_errors=True)
            if not _registry_answers(oracle):
                registry = "the npm registry" if oracle.runtime == "node" else "PyPI"
                raise Unavailable(
                    f"{registry} cannot be reached, so {oracle.title} cannot be installed"
                ) from exc
            output = (exc.stderr or "") if isinstance(exc.stderr, str) else ""
            raise SetupFailed(f"{name}: {' '.join(map(str, exc.cmd))} failed:\n{output[-3000:]}") from exc
        complete.write_text(f"{oracle.name} {_runtime(oracle)}\n")
    return target


def command(name: str) -> list[str]:
    """The command line that runs oracle ``name``'s wrapper (its environment set up first).

    Raises:
        Unavailable, SetupFailed: as :func:`ensure`.
    """
    oracle = ORACLES[name]
    target = ensure(name)
    if oracle.runtime == "node":
        return [_node(), str(HERE / oracle.wrapper), "--env", str(target)]
    return [str(target / "bin" / "python"), str(HERE / oracle.wrapper)]


_OUTCOMES: dict[str, list[str] | Exception] = {}


def command_or_skip(name: str) -> list[str]:
    """:func:`command` for a test: skips it (one line) when the oracle is unavailable here."""
    import pytest

    if name not in _OUTCOMES:
        try:
            _OUTCOMES[name] = command(name)
        except (Unavailable, SetupFailed) as exc:
            _OUTCOMES[name] = exc
    outcome = _OUTCOMES[name]
    if isinstance(outcome, Unavailable):
        pytest.skip(f"interop: {outcome}")
    if isinstance(outcome, Exception):
        pytest.fail(str(outcome), pytrace=False)
    return outcome


def setup() -> int:
    """Set every oracle up (in parallel); one line each. Exit status 1 on a real failure."""

    def one(name: str) -> tuple[str, str, bool]:
        try:
            return name, f"ready in {ensure(name)}", True
        except Unavailable as exc:
            return name, f"SKIPPED, {exc}; its interop tests will be skipped", True
        except SetupFailed as exc:
            return name, f"FAILED: {exc}", False

    with ThreadPoolExecutor(len(ORACLES)) as pool:
        results = list(pool.map(one, ORACLES))
    for name, message, _ok in results:
        print(f"interop {name}: {message}", file=sys.stderr)
    return 0 if all(ok for _name, _message, ok in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["setup"] and len(args) == 1:
        return setup()
    if args and args[0] in ORACLES:
        try:
            line = command(args[0])
        except (Unavailable, SetupFailed) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        os.execv(line[0], [*line, *args[1:]])
    print(f"usage: harness.py setup | {{{'|'.join(ORACLES)}}} ARGS…", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
