"""Badges and credentials made by other systems (tests/vectors/wild) verify as MANIFEST.json says.

Each manifest entry is one file another system made (an issuing platform, a library, a wallet's or
validator's fixture, a plugfest sample, a baked image from a public repository), with where it came
from, its licence, and the verdict badgekiln must give: ``valid``, or not valid with exactly these
checks failed/skipped/warned (and these reason codes), or an input error of this class and reason.
The documents it refers to (issuer profiles, BadgeClasses, keys, DID documents, status lists,
contexts) are answered offline from the corpus, as the manifest lists them; one that is gone stays
unanswered, so its check says it could not be retrieved. Everything is judged at the manifest's
``verify_at`` instant, so expiry verdicts do not drift with the calendar.

An entry whose verdict needs a feature issue #12 adds carries the *target* verdict in
``expected`` and today's in ``today`` with ``needs`` saying which item; its test is a strict xfail
that checks today's verdict is still today's, so it fails the moment the feature lands and the
implementer must drop ``today``/``needs`` (README.md explains the table).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import badgekiln
import badgekiln.errors
from badgekiln.status import StatusPolicy
from badgekiln.verification import Report, VerifyOptions

WILD = Path(__file__).resolve().parent.parent / "vectors" / "wild"
MANIFEST = WILD / "MANIFEST.json"
IMAGE_FORMATS = ("png", "svg")
#: Checks whose outcome is reported but not pinned: none today; listed here so a new one is a choice.
UNPINNED: frozenset[str] = frozenset()


@cache
def manifest() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(MANIFEST.read_text("utf-8"))
    return document


def _entries() -> dict[str, dict[str, Any]]:
    return {entry["file"]: entry for entry in manifest()["entries"]}


def documents_for(entry: dict[str, Any]) -> dict[str, bytes]:
    """The URL → body answers this entry gets: its source's, then its own (which win)."""
    source = manifest()["sources"][entry["file"].split("/", 1)[0]]
    answers: dict[str, bytes] = {}
    for layer in (source, entry):
        for prefix, folder in layer.get("document_prefixes", {}).items():
            root = WILD / folder
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    answers[prefix + path.relative_to(root).as_posix()] = path.read_bytes()
        for url, rel in layer.get("documents", {}).items():
            answers[url] = (WILD / rel).read_bytes()
    return answers


def options_for(entry: dict[str, Any]) -> VerifyOptions:
    at = datetime.fromisoformat(entry.get("verify_at", manifest()["verify_at"]).replace("Z", "+00:00"))
    policy = StatusPolicy(**entry.get("status_policy", {}))
    return VerifyOptions(
        documents=documents_for(entry),
        offline=True,
        at=at,
        status_policy=policy,
        recipient=entry.get("recipient"),
    )


def outcome(entry: dict[str, Any]) -> dict[str, Any]:
    """What badgekiln says of the entry's file, in the manifest's form."""
    data = (WILD / entry["file"]).read_bytes()
    try:
        if entry["format"] in IMAGE_FORMATS:
            badgekiln.extract(data)
        report: Report = badgekiln.verify(data, options=options_for(entry))
    except badgekiln.errors.BadgeKilnError as exc:
        return {"error": type(exc).__name__, "reason": exc.reason}
    result: dict[str, Any] = {"valid": report.valid}
    not_ok = {c.id: c.status for c in report.checks if c.status != "passed" and c.id not in UNPINNED}
    if not_ok:
        result["not_ok"] = not_ok
    codes = {c.id: c.code for c in report.checks if c.status != "passed" and c.code is not None}
    if codes:
        result["codes"] = codes
    json.dumps(report.to_dict())  # every verdict serialises
    return result


def _matches(found: dict[str, Any], expected: dict[str, Any]) -> bool:
    """``found`` is ``expected``: every key the manifest pins (``codes`` only those it lists)."""
    if "error" in expected:
        return found.get("error") == expected["error"] and found.get("reason") == expected.get("reason")
    if found.get("valid") != expected["valid"] or found.get("not_ok", {}) != expected.get("not_ok", {}):
        return False
    return all(found.get("codes", {}).get(check) == code for check, code in expected.get("codes", {}).items())


class Pending(Exception):
    """Today's verdict, as the manifest records it, still stands: the feature is not there yet."""


def _cases() -> list[Any]:
    cases = []
    for name, entry in sorted(_entries().items()):
        marks = [pytest.mark.timeout(60)]
        if "today" in entry:
            marks.append(pytest.mark.xfail(raises=Pending, strict=True, reason=entry["needs"]))
        cases.append(pytest.param(name, marks=marks, id=name))
    return cases


@pytest.mark.parametrize("name", _cases())
def test_wild_verdict(name: str) -> None:
    entry = _entries()[name]
    found = outcome(entry)
    if "today" in entry and not _matches(found, entry["expected"]):
        # only today's recorded verdict counts as "not yet" (the xfail); any other verdict fails
        assert _matches(found, entry["today"]), f"neither the target nor today's verdict: {found}"
        raise Pending(entry["needs"])
    assert _matches(found, entry["expected"]), found


def _data_files() -> set[str]:
    """Every file of the corpus that is a badge or credential (not a document, licence or table)."""
    names = set()
    for path in WILD.rglob("*"):
        rel = path.relative_to(WILD).as_posix()
        licence = path.stem.upper().startswith("LICEN")
        if path.is_file() and "/" in rel and "/documents/" not in rel and not licence:
            names.add(rel)
    return names


def test_manifest_lists_every_file_and_every_reference_exists() -> None:
    assert set(_entries()) == _data_files()
    for folder, source in manifest()["sources"].items():
        assert (WILD / folder).is_dir(), folder
        assert all(source[key] for key in ("licence", "repository", "commit", "retrieved")), folder
        assert source["licence_file"] is None or (WILD / source["licence_file"]).is_file(), folder
    for entry in manifest()["entries"]:
        assert ("today" in entry) == ("needs" in entry), entry["file"]
        assert all(entry[key] for key in ("why", "source_says", "made_by", "proof")), entry["file"]
        for layer in (manifest()["sources"][entry["file"].split("/", 1)[0]], entry):
            for rel in layer.get("documents", {}).values():
                assert (WILD / rel).is_file(), rel


def test_counts() -> None:
    entries = manifest()["entries"]
    kinds = [("error" if "error" in e["expected"] else e["expected"]["valid"]) for e in entries]
    assert (len(entries), len({e["made_by"] for e in entries})) == (65, 15)
    assert (kinds.count(True), kinds.count(False), kinds.count("error")) == (31, 31, 3)
    assert sum("today" in e for e in entries) == 0


def test_readme_tables_are_current() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/wild_corpus_readme.py", "--check"],
        cwd=WILD.parent.parent.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
