"""Write the tables of tests/vectors/wild/README.md from its MANIFEST.json.

    .venv/bin/python scripts/wild_corpus_readme.py          # rewrite the tables
    .venv/bin/python scripts/wild_corpus_readme.py --check  # exit 1 if README.md is stale

The manifest is the one source of the corpus' facts (provenance, licences, verdicts); the README
repeats them for people, between ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->`` markers.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
WILD = REPO / "tests" / "vectors" / "wild"


def verdict(expected: dict[str, Any]) -> str:
    """A verdict of the manifest in words: ``valid``, ``not valid: …`` or ``error …``."""
    if "error" in expected:
        return f"error {expected['error']} ({expected['reason']})"
    codes = expected.get("codes", {})
    parts = [
        f"{check} {status}" + (f" ({codes[check]})" if check in codes else "")
        for check, status in expected.get("not_ok", {}).items()
    ]
    head = "valid" if expected["valid"] else "not valid"
    return f"{head}: {', '.join(parts)}" if parts else head


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join([_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)])


def _outcome_kind(expected: dict[str, Any]) -> str:
    if "error" in expected:
        return "input error"
    return "valid" if expected["valid"] else "not valid"


def systems_table(manifest: dict[str, Any]) -> str:
    """One row per system that made files: how many, in which formats and specs, with which verdicts."""
    by_system: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in manifest["entries"]:
        by_system[entry["made_by"]].append(entry)
    rows = []
    for system, entries in sorted(by_system.items(), key=lambda item: (-len(item[1]), item[0].lower())):
        outcomes = Counter(_outcome_kind(e["expected"]) for e in entries)
        pending = sum("today" in e for e in entries)
        rows.append(
            [
                system,
                str(len(entries)),
                ", ".join(sorted({e["format"].upper() for e in entries})),
                ", ".join(sorted({e["spec"].split(" (")[0] for e in entries})),
                ", ".join(f"{n} {kind}" for kind, n in sorted(outcomes.items())),
                f"{pending} await #12" if pending else "as today",
            ]
        )
    entries = manifest["entries"]
    total = Counter(_outcome_kind(e["expected"]) for e in entries)
    rows.append(
        [
            f"**{len(by_system)} systems**",
            f"**{len(entries)}**",
            ", ".join(sorted({e["format"].upper() for e in entries})),
            "",
            ", ".join(f"{n} {kind}" for kind, n in sorted(total.items())),
            f"{sum('today' in e for e in entries)} await #12",
        ]
    )
    header = ["Made by", "Files", "Formats", "Specs", "Expected verdicts", "Today"]
    return _table(header, rows)


def sources_table(manifest: dict[str, Any]) -> str:
    """One row per folder: where its files come from and under which licence."""
    rows = [
        [
            f"`{folder}/`",
            source["system"],
            f"{source['repository']} @ `{source['commit'][:12]}`",
            source["retrieved"],
            source["licence"] + (f" (`{source['licence_file']}`)" if source["licence_file"] else ""),
            source["note"],
        ]
        for folder, source in manifest["sources"].items()
    ]
    return _table(["Folder", "System", "From", "Retrieved", "Licence", "What"], rows)


def files_table(manifest: dict[str, Any]) -> str:
    """One row per file: what it is, what its source says, what badgekiln must say and why."""
    rows = []
    for entry in manifest["entries"]:
        today = f"{verdict(entry['today'])} — {entry['needs']}" if "today" in entry else "same"
        peers = "; ".join(f"{tool}: {said}" for tool, said in entry.get("peers", {}).items())
        rows.append(
            [
                f"`{entry['file']}`",
                entry["made_by"],
                entry["format"].upper(),
                entry["spec"],
                entry["proof"],
                entry["source_says"],
                verdict(entry["expected"]),
                today,
                entry["why"] + (f" Edited: {entry['edited']}." if "edited" in entry else ""),
                peers or "—",
            ]
        )
    header = [
        "File",
        "Made by",
        "Format",
        "Spec",
        "Proof",
        "Source says",
        "Expected",
        "Today",
        "Why",
        "Independent verifiers",
    ]
    return _table(header, rows)


TABLES = {"systems": systems_table, "sources": sources_table, "files": files_table}


def render(readme: str, manifest: dict[str, Any]) -> str:
    """``readme`` with every marked table rewritten from ``manifest``."""
    for name, build in TABLES.items():
        start, end = f"<!-- table:{name} -->", f"<!-- /table:{name} -->"
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
        if not pattern.search(readme):
            raise SystemExit(f"README.md has no {start} … {end} block")
        readme = pattern.sub(f"{start}\n{build(manifest)}\n{end}".replace("\\", "\\\\"), readme)
    return readme


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is not current")
    args = parser.parse_args()
    manifest = json.loads((WILD / "MANIFEST.json").read_text("utf-8"))
    path = WILD / "README.md"
    current = path.read_text("utf-8")
    wanted = render(current, manifest)
    if args.check:
        if wanted != current:
            print("tests/vectors/wild/README.md is stale: run scripts/wild_corpus_readme.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(wanted, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
