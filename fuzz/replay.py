"""Replay inputs through the harnesses, uninstrumented, in one process (no atheris needed).

::

    python -m fuzz.replay                      # tests/fuzz_regressions/ and 2 seeds of each harness
    python -m fuzz.replay --seeds 0 png        # only the regression inputs of the png harness

Prints one JSON line per input on stdout (what the code under test prints goes to stderr):
``{"harness", "file", "kind", "error", "cpu_seconds", "trace"}`` (``kind``: ``passed``, ``crash``
or ``hang``; ``error``: the typed error, ``MalformedImage:crc``).
tests/unit/test_fuzz_regressions.py runs it and checks each saved input against
tests/fuzz_regressions/MANIFEST.json; the campaign uses ``python -m fuzz.run NAME --replay`` for
single inputs. The network is forbidden in this process, as in the fuzzer's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Final

__all__ = ["REGRESSIONS", "main"]

REGRESSIONS: Final = Path(__file__).resolve().parent.parent / "tests" / "fuzz_regressions"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("harness", nargs="*", help="default: every harness")
    parser.add_argument("--seeds", type=int, default=2, help="seeds replayed per harness (default 2)")
    parser.add_argument("--regressions", type=Path, default=REGRESSIONS)
    options = parser.parse_args(argv)
    from fuzz.run import QUIET_ENV

    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    from fuzz.harnesses import HARNESSES, harness
    from fuzz.oracle import forbid_network, judge

    forbid_network()
    # the records go to stdout; what the library and Powertools print (log lines) goes to stderr
    out, sys.stdout = sys.stdout, sys.stderr
    failed = 0
    for name in options.harness or list(HARNESSES):
        chosen = harness(name)
        module = chosen.load()
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(chosen.variant)
        target = chosen.target()
        saved = sorted(p for p in (options.regressions / name).glob("*") if p.is_file())
        cases = [(p.name, p.read_bytes()) for p in saved]
        cases += [(f"seed:{n}", data) for n, data in itertools.islice(chosen.seeds(), options.seeds)]
        for file, data in cases:
            outcome = judge(target, data)
            failed += outcome.failed
            record = {
                "harness": name,
                "file": file,
                "kind": outcome.kind,
                "error": outcome.error,
                "cpu_seconds": round(outcome.cpu_seconds, 3),
                "trace": outcome.trace,
            }
            print(json.dumps(record), file=out, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
