"""Run one harness under libFuzzer (atheris), replay inputs, or write a harness's seeds.

::

    python -m fuzz.run png --artifacts .fuzz/artifacts/png -- -runs=100000 .fuzz/corpus/png .fuzz/seeds/png
    python -m fuzz.run png --replay crash-file …       # outcome and traceback of each input
    python -m fuzz.run png --write-seeds DIR            # the harness's seed inputs, one file each

Arguments after ``--`` go to libFuzzer (``-runs``, ``-rss_limit_mb``, ``-timeout``, ``-max_len``,
corpus directories …). A crash or hang (:mod:`fuzz.oracle`) does not stop the run: the input is
saved under ``--artifacts`` (the first few per distinct signature) and logged to
``crashes.jsonl`` there, and fuzzing goes on, so one campaign counts every distinct crash. A hang
seen here is a candidate: instrumented code runs a few times slower, so the campaign replays it
uninstrumented (``--replay``) and counts it only if it is still over the limit there.
libFuzzer itself still stops on what only it sees (a case over ``-timeout`` wall seconds, RSS over
``-rss_limit_mb``, a native crash); :mod:`fuzz.campaign` records that and resumes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

__all__ = ["main"]

#: Inputs saved per distinct crash signature (the first ones; the rest are only counted).
_SAVED_PER_SIGNATURE: Final = 3
#: Environment a harness process runs in: no AWS or Powertools output, no real credentials.
QUIET_ENV: Final = {
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    # errors only: a handler logs an unhandled exception at ERROR, which the handler harness keeps
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "POWERTOOLS_SERVICE_NAME": "badgekiln-fuzz",
    "AWS_ACCESS_KEY_ID": "fuzz",
    "AWS_SECRET_ACCESS_KEY": "fuzz",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _import_all(package: str) -> None:
    """Import ``package`` and every submodule, so the instrumenting import hook sees them all
    (badgekiln imports most modules lazily, after the hook is gone)."""
    try:
        module = importlib.import_module(package)
    except ImportError:
        return
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), f"{package}."):
        if ".tests" in info.name or info.name.endswith(("__main__", ".cli.serve")):
            continue
        try:
            importlib.import_module(info.name)
        except Exception:  # an optional module that cannot load here is not fuzzed
            continue


def _prepare(name: str, *, instrument: bool) -> tuple[Callable[[bytes], None], Any]:
    """The harness's target (and module), loaded — under atheris' instrumentation if asked."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    from fuzz.harnesses import harness

    chosen = harness(name)
    packages = ["badgekiln", *chosen.instrument]

    def load() -> tuple[Callable[[bytes], None], Any]:
        module = chosen.load()
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(chosen.variant)
        for package in packages:
            _import_all(package)
        return chosen.target(), module

    if not instrument:
        return load()
    import atheris

    # str.startswith/endswith comparisons guide the mutator; atheris' RegEx hook is left off: its
    # pattern proxy drops the pos argument of match() and would report its own TypeError.
    atheris.enabled_hooks.add("str")
    with atheris.instrument_imports(include=[*packages, "fuzz.harnesses"]):
        return load()


class _Recorder:
    """Saves and logs the crashes and hangs of a run; counts them by signature."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: Counter[str] = Counter()

    def __call__(self, data: bytes, outcome: Any) -> None:
        from fuzz.oracle import save_case, signature_id

        signature = outcome.signature or "?"
        self.seen[signature] += 1
        if self.seen[signature] > _SAVED_PER_SIGNATURE:
            return
        path = save_case(self.folder, f"{outcome.kind}-{signature_id(signature)}", data)
        record = {
            "kind": outcome.kind,
            "signature": signature,
            "file": path.name,
            "error": outcome.error,
            "cpu_seconds": round(outcome.cpu_seconds, 3),
            "trace": outcome.trace if self.seen[signature] == 1 else None,
        }
        with (self.folder / "crashes.jsonl").open("a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
        print(f"badgekiln-fuzz: {outcome.kind} {signature} -> {path}", file=sys.stderr, flush=True)


def _fuzz(name: str, artifacts: Path, libfuzzer_args: list[str]) -> None:
    import atheris

    target, module = _prepare(name, instrument=True)
    from fuzz.harnesses import harness
    from fuzz.oracle import forbid_network, judge

    forbid_network()
    record = _Recorder(artifacts)

    def one_input(data: bytes) -> None:
        outcome = judge(target, data)
        if outcome.failed:
            record(data, outcome)

    make_mutator = getattr(module, "make_mutator", None)
    mutator = make_mutator(harness(name).variant) if make_mutator else None
    argv = [sys.argv[0], *libfuzzer_args]
    if mutator is not None:
        atheris.Setup(argv, one_input, custom_mutator=mutator)
    else:
        atheris.Setup(argv, one_input)
    atheris.Fuzz()


def _replay(name: str, paths: list[Path], *, as_json: bool) -> int:
    target, _ = _prepare(name, instrument=False)
    from fuzz.oracle import forbid_network, judge

    forbid_network()
    # the outcomes go to stdout; what the library and Powertools print (log lines) goes to stderr
    out, sys.stdout = sys.stdout, sys.stderr
    failed = 0
    for path in paths:
        outcome = judge(target, path.read_bytes())
        if as_json:
            print(json.dumps({"file": path.name, "kind": outcome.kind, "error": outcome.error,
                              "cpu_seconds": round(outcome.cpu_seconds, 3)}), file=out)  # fmt: skip
        else:
            print(f"{path}: {outcome.kind} {outcome.error or ''} ({outcome.cpu_seconds:.3f} s CPU)", file=out)
            if outcome.failed:
                print(outcome.trace or "", file=sys.stderr)
        failed += outcome.failed
    return 1 if failed else 0


def write_seeds(name: str, folder: Path) -> int:
    """Write the harness's seeds into ``folder`` (one file per seed); return how many."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    from fuzz.harnesses import harness
    from fuzz.oracle import save_case

    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for _, data in harness(name).seeds():
        save_case(folder, "seed", data)
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    own, libfuzzer_args = (
        (args[: args.index("--")], args[args.index("--") + 1 :]) if "--" in args else (args, [])
    )
    parser = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("harness")
    parser.add_argument("--artifacts", type=Path, default=Path(".fuzz/artifacts"))
    parser.add_argument(
        "--replay", type=Path, nargs="+", metavar="FILE", help="judge these inputs, uninstrumented"
    )
    parser.add_argument("--json", action="store_true", help="with --replay: one JSON line per input")
    parser.add_argument("--write-seeds", type=Path, metavar="DIR")
    options = parser.parse_args(own)
    if options.write_seeds is not None:
        print(f"{write_seeds(options.harness, options.write_seeds)} seeds in {options.write_seeds}")
        return 0
    if options.replay:
        return _replay(options.harness, options.replay, as_json=options.json)
    _fuzz(options.harness, options.artifacts, libfuzzer_args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
