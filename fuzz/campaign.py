"""Run the harnesses one after another under libFuzzer and record what each did.

::

    python -m fuzz.campaign --smoke                 # every harness, a few thousand cases (make fuzz-smoke)
    python -m fuzz.campaign --long                  # the issue #14 campaign (make fuzz-long)
    python -m fuzz.campaign --harness png jws --runs 50000

One harness runs at a time, in its own process (``python -m fuzz.run``), with ``-rss_limit_mb``
and a wall-clock ``-timeout`` backstop; seeds are rewritten from the repository first, and the
corpus each run grows is kept under ``--out`` (``.fuzz/``), so later runs start where earlier ones
stopped. When libFuzzer stops early (a case over the timeout, RSS over the limit, a native crash)
the stop and its input are recorded and the run resumes with the cases left, at most
:data:`MAX_RESUMES` times. The results — cases run, coverage (edges and features), corpus size,
distinct crashes and hangs, libFuzzer stops, peak RSS, wall and CPU time, the command line — go
to ``<out>/results/<name>.json``; :mod:`fuzz.report` turns them into docs/reliability.md's table.
The exit status is 1 when any harness crashed, hung or was stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from fuzz.harnesses import HARNESSES, Harness
from fuzz.harnesses.seeds import REPO, SCRATCH_ENV

__all__ = ["HarnessResult", "main", "run_harness"]

#: Times a harness resumes after libFuzzer stopped it early.
MAX_RESUMES: Final = 3
#: RSS limit per harness process (MB): a Python harness with its imports uses 100–250 MB, so
#: reaching this means a case made memory grow without bound.
RSS_LIMIT_MB: Final = 2048
#: Wall-clock seconds one case may take before libFuzzer stops the run. The oracle's hang limit
#: is two CPU seconds (fuzz.oracle.HANG_SECONDS); this is only the backstop for a case that never
#: returns, generous because the machine is shared.
TIMEOUT_SECONDS: Final = 60
#: Cases per harness in a smoke run: parser harnesses / the others.
SMOKE_RUNS: Final = (3000, 300)

# libFuzzer's status lines: "#4096 pulse  cov: 392 ft: 765 corp: 65/551Kb … exec/s: 2048 rss: 206Mb"
_STATUS = re.compile(r"^#(?P<runs>\d+)\s+(?P<event>\w+)\s+cov: (?P<cov>\d+) ft: (?P<ft>\d+)")
_CORPUS = re.compile(r" corp: (?P<corp>\d+)/")
_RATE = re.compile(r" exec/s: (?P<rate>\d+)")
_RSS = re.compile(r" rss: (?P<rss>\d+)Mb")
_STAT = re.compile(r"^stat::(?P<name>\w+):\s+(?P<value>\d+)")
_DONE = re.compile(r"^Done (?P<runs>\d+) runs in (?P<seconds>\d+) second")


@dataclass
class HarnessResult:
    """What one harness did in one campaign."""

    name: str
    tier: str
    target_runs: int
    runs: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    edges: int = 0
    features: int = 0
    corpus: int = 0
    seeds: int = 0
    peak_rss_mb: int = 0
    crashes: list[dict[str, Any]] = field(default_factory=list)
    hangs: list[dict[str, Any]] = field(default_factory=list)
    slow_when_instrumented: list[dict[str, Any]] = field(default_factory=list)
    stops: list[dict[str, str]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.crashes or self.hangs or self.stops) or self.runs < self.target_runs


def _signatures(folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(crashes, hangs) the harness process logged, one entry per distinct signature."""
    log = folder / "crashes.jsonl"
    found: dict[str, dict[str, Any]] = {}
    if log.exists():
        for line in log.read_text("utf-8").splitlines():
            record = json.loads(line)
            entry = found.setdefault(record["signature"], {**record, "files": []})
            entry["files"].append(record["file"])
    crashes = [e for e in found.values() if e["kind"] == "crash"]
    hangs = [e for e in found.values() if e["kind"] == "hang"]
    return crashes, hangs


def _stop_artifacts(folder: Path, before: set[str]) -> list[dict[str, str]]:
    """Inputs libFuzzer itself saved when it stopped (timeout-, oom-, crash-, leak-; its slow-unit-
    reports are wall time on a shared machine, not stops: the oracle judges CPU time)."""
    stops = []
    for path in sorted(folder.glob("*")):
        kind = path.name.split("-", 1)[0]
        if path.name not in before and kind in ("timeout", "oom", "crash", "leak"):
            if kind == "crash" and len(path.name.split("-")) == 3:
                continue  # ours: crash-<signature>-<sha>, logged in crashes.jsonl
            stops.append({"kind": kind, "file": path.name})
    return stops


def run_harness(
    harness: Harness, runs: int, out: Path, *, rss_limit_mb: int = RSS_LIMIT_MB, log: Any = sys.stderr
) -> HarnessResult:
    """Fuzz ``harness`` for ``runs`` cases (resuming after early stops) and return the result."""
    python = sys.executable
    seeds, corpus = out / "seeds" / harness.name, out / "corpus" / harness.name
    artifacts, logs = out / "artifacts" / harness.name, out / "logs"
    for folder in (corpus, artifacts, logs):
        folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(seeds, ignore_errors=True)
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    subprocess.run(
        [python, "-m", "fuzz.run", harness.name, "--write-seeds", str(seeds)],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    result = HarnessResult(harness.name, harness.tier, runs, seeds=len(list(seeds.iterdir())))
    scratch_root = Path("/dev/shm" if Path("/dev/shm").is_dir() else out)
    started = time.monotonic()
    with (logs / f"{harness.name}.log").open("w", encoding="utf-8") as transcript:
        for _ in range(1 + MAX_RESUMES):
            left = runs - result.runs
            if left <= 0:
                break
            before = {p.name for p in artifacts.iterdir()}
            command = [
                python, "-m", "fuzz.run", harness.name, "--artifacts", str(artifacts), "--",
                f"-runs={left}", f"-rss_limit_mb={rss_limit_mb}", f"-timeout={TIMEOUT_SECONDS}",
                f"-max_len={harness.max_len}", "-print_final_stats=1", "-close_fd_mask=1",
                f"-artifact_prefix={artifacts}/", str(corpus), str(seeds),
            ]  # fmt: skip
            result.commands.append(shlex.join(command))
            scratch = scratch_root / f"badgekiln-fuzz-{os.getpid()}-{harness.name}"
            env = {**os.environ, SCRATCH_ENV: str(scratch)}
            process = subprocess.Popen(  # our own interpreter and module
                command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                errors="replace",
            )  # fmt: skip
            runs_here = 0
            assert process.stderr is not None
            for line in process.stderr:
                transcript.write(line)
                status = _STATUS.match(line)
                if status:
                    runs_here = int(status["runs"])
                    result.edges = max(result.edges, int(status["cov"]))
                    result.features = max(result.features, int(status["ft"]))
                    corp, rate, rss = _CORPUS.search(line), _RATE.search(line), _RSS.search(line)
                    if rss:
                        result.peak_rss_mb = max(result.peak_rss_mb, int(rss["rss"]))
                    if corp:
                        result.corpus = int(corp["corp"])
                    if status["event"] in ("DONE", "pulse", "INITED") and log is not None:
                        print(
                            f"  {harness.name}: {result.runs + runs_here} cases, cov {status['cov']}, "
                            f"{rate['rate'] if rate else '?'}/s, rss {rss['rss'] if rss else '?'} MB",
                            file=log,
                            flush=True,
                        )
                stat = _STAT.match(line)
                if stat and stat["name"] == "number_of_executed_units":
                    runs_here = int(stat["value"])
                if stat and stat["name"] == "peak_rss_mb":
                    result.peak_rss_mb = max(result.peak_rss_mb, int(stat["value"]))
                if line.startswith("badgekiln-fuzz:") and log is not None:
                    print(f"  {line.strip()}", file=log, flush=True)
            _, status_code, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status_code)
            shutil.rmtree(scratch, ignore_errors=True)
            result.cpu_seconds += usage.ru_utime + usage.ru_stime
            result.peak_rss_mb = max(result.peak_rss_mb, usage.ru_maxrss // 1024)
            result.runs += runs_here
            stops = _stop_artifacts(artifacts, before)
            if process.returncode == 0 and not stops:
                break
            result.stops.extend(stops or [{"kind": f"exit {process.returncode}", "file": ""}])
            if runs_here == 0:
                break  # it cannot even start: resuming would fail the same way
    result.wall_seconds = round(time.monotonic() - started, 1)
    result.cpu_seconds = round(result.cpu_seconds, 1)
    result.corpus = max(result.corpus, len(list(corpus.iterdir())))
    result.crashes, candidates = _signatures(artifacts)
    result.hangs, result.slow_when_instrumented = _confirm_hangs(harness, artifacts, candidates)
    return result


def _confirm_hangs(
    harness: Harness, artifacts: Path, candidates: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(hangs, the rest): the candidates still over the limit when replayed uninstrumented."""
    if not candidates:
        return [], []
    files = [str(artifacts / f) for c in candidates for f in c["files"]]
    replay = subprocess.run(
        [sys.executable, "-m", "fuzz.run", harness.name, "--replay", *files, "--json"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    outcomes = {o["file"]: o for o in map(json.loads, replay.stdout.splitlines())}
    hangs: list[dict[str, Any]] = []
    slow: list[dict[str, Any]] = []
    for candidate in candidates:
        replayed = [outcomes.get(f, {}) for f in candidate["files"]]
        candidate["replayed_cpu_seconds"] = [o.get("cpu_seconds") for o in replayed]
        (hangs if any(o.get("kind") == "hang" for o in replayed) else slow).append(candidate)
    return hangs, slow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.campaign", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--smoke", action="store_true", help=f"{SMOKE_RUNS[0]} / {SMOKE_RUNS[1]} cases each")
    size.add_argument("--long", action="store_true", help="the issue #14 campaign (1,000,000 / 100,000)")
    size.add_argument("--runs", type=int, help="this many cases per harness")
    parser.add_argument("--harness", nargs="+", choices=sorted(HARNESSES), help="default: all")
    parser.add_argument("--out", type=Path, default=REPO / ".fuzz")
    parser.add_argument("--name", help="results file name (default: smoke, long or runs)")
    parser.add_argument("--rss-limit-mb", type=int, default=RSS_LIMIT_MB)
    options = parser.parse_args(argv)
    chosen = [HARNESSES[n] for n in options.harness] if options.harness else list(HARNESSES.values())
    name = options.name or ("smoke" if options.smoke else "long" if options.long else "runs")
    results_file = options.out / "results" / f"{name}.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(results_file.read_text("utf-8")) if results_file.exists() else {"harnesses": {}}
    started = time.time()
    failed = False
    for harness in chosen:
        if options.smoke:
            runs = SMOKE_RUNS[0] if harness.tier == "parser" else SMOKE_RUNS[1]
        else:
            runs = harness.runs if options.long else options.runs
        print(f"{harness.name}: {runs} cases", file=sys.stderr, flush=True)
        result = run_harness(harness, runs, options.out, rss_limit_mb=options.rss_limit_mb)
        failed = failed or result.failed
        previous["harnesses"][harness.name] = asdict(result)
        finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        previous.update(machine=_machine(), finished=finished, rss_limit_mb=options.rss_limit_mb)
        results_file.write_text(json.dumps(previous, indent=2) + "\n", "utf-8")
        verdict = "FAILED" if result.failed else "ok"
        print(
            f"{harness.name}: {verdict}: {result.runs} cases in {result.wall_seconds} s, cov {result.edges}, "
            f"{len(result.crashes)} crashes, {len(result.hangs)} hangs, {len(result.stops)} stops, "
            f"peak RSS {result.peak_rss_mb} MB",
            file=sys.stderr,
            flush=True,
        )
    print(f"results: {results_file} ({time.time() - started:.0f} s)", file=sys.stderr)
    return 1 if failed else 0


def _machine() -> dict[str, Any]:
    import platform
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "atheris": version("atheris"),
        "cpus": os.cpu_count(),
        "nice": os.nice(0),
    }


if __name__ == "__main__":
    sys.exit(main())
