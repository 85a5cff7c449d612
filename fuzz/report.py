"""Write a campaign's results (``.fuzz/results/<name>.json``) into docs/reliability.md.

::

    python -m fuzz.report .fuzz/results/long.json docs/reliability.md

The table replaces what stands between the ``fuzz-results`` markers of the document; everything
else in it is left alone. Without a document argument the table is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

__all__ = ["BEGIN", "END", "main", "render"]

BEGIN: Final = "<!-- fuzz-results:begin (python -m fuzz.report writes this part) -->"
END: Final = "<!-- fuzz-results:end -->"


def _count(value: int) -> str:
    return f"{value:,}"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def render(results: dict[str, Any]) -> str:
    """The markdown of ``results``: the table, then each crash, hang and stop."""
    machine = results.get("machine", {})
    rows = [
        "| harness | tier | cases | target | cases/s | edges | features | corpus | crashes | hangs "
        "| stops | peak RSS | wall | CPU |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    notes: list[str] = []
    totals: dict[str, int] = {"runs": 0, "crashes": 0, "hangs": 0, "stops": 0}
    wall_total = 0.0
    for name, result in results["harnesses"].items():
        runs, wall = result["runs"], result["wall_seconds"]
        rate = runs / result["cpu_seconds"] if result["cpu_seconds"] else 0
        crashes, hangs, stops = result["crashes"], result["hangs"], result["stops"]
        rows.append(
            f"| `{name}` | {result['tier']} | {_count(runs)} | {_count(result['target_runs'])} | {rate:,.0f} "
            f"| {_count(result['edges'])} | {_count(result['features'])} | {_count(result['corpus'])} "
            f"| {len(crashes)} | {len(hangs)} | {len(stops)} | {result['peak_rss_mb']} MB "
            f"| {_duration(wall)} | {_duration(result['cpu_seconds'])} |"
        )
        totals["runs"] += runs
        totals["crashes"] += len(crashes)
        totals["hangs"] += len(hangs)
        totals["stops"] += len(stops)
        wall_total += wall
        for crash in crashes:
            inputs = ", ".join(crash["files"])
            notes.append(f"- `{name}` crash `{crash['signature']}`: {crash['error']} (inputs: {inputs})")
        for hang in hangs:
            cpu = ", ".join(f"{s} s" for s in hang.get("replayed_cpu_seconds", []) if s is not None)
            inputs = ", ".join(hang["files"])
            notes.append(f"- `{name}` hang `{hang['signature']}` ({cpu} CPU replayed; inputs: {inputs})")
        for stop in stops:
            notes.append(f"- `{name}` stopped by libFuzzer: {stop['kind']} {stop['file']}")
        slow = result.get("slow_when_instrumented", [])
        if slow:
            worst = max(
                (s for c in slow for s in c.get("replayed_cpu_seconds", []) if s is not None), default=0
            )
            notes.append(
                f"- `{name}`: {len(slow)} input(s) over 2 CPU s only under instrumentation "
                f"(replayed uninstrumented: at most {worst} s), not hangs"
            )
    where = (
        f"{machine.get('cpus', '?')} cores, shared; Python {machine.get('python', '?')}, "
        f"atheris {machine.get('atheris', '?')}, nice {machine.get('nice', '?')}"
    )
    lines = [
        f"Campaign finished {results.get('finished', '?')} on this machine ({where}), RSS limit "
        f"{results.get('rss_limit_mb', '?')} MB per harness process: {_count(totals['runs'])} cases in "
        f"{_duration(wall_total)}, {totals['crashes']} distinct crashes, {totals['hangs']} hangs, "
        f"{totals['stops']} libFuzzer stops.",
        "",
        *rows,
        "",
        "*cases/s* is per CPU second of the harness process, start-up included (the wall clock also",
        "counts the other work on the machine); *edges* and *features* are libFuzzer's `cov` and `ft`",
        "over the instrumented Python code; *corpus* is the number of inputs kept; *peak RSS* is the",
        "harness process's maximum resident set (`wait4`), imports included.",
    ]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("document", type=Path, nargs="?")
    options = parser.parse_args(argv)
    table = render(json.loads(options.results.read_text("utf-8")))
    if options.document is None:
        print(table)
        return 0
    text = options.document.read_text("utf-8")
    if BEGIN not in text or END not in text:
        print(f"error: {options.document} has no {BEGIN} … {END} markers", file=sys.stderr)
        return 2
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    options.document.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
