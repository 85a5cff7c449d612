"""Sweeps saved in parts (``python -m fuzz.faults --scenario … --json``) joined into one table
(``--combine``): a full sweep runs for an hour, so it runs one scenario per process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fuzz import faults

KINDS = {"throttle": "SlowDown once", "crash-after": "the process dies after the call"}


def _part(scenario: str, calls: list[str], *, full: bool = True, lost: int = 0) -> dict[str, Any]:
    injections = [
        {
            "scenario": scenario,
            "site": site,
            "call": call,
            "kind": kind,
            "injected": 1,
            "crashed": kind == "crash-after",
            "ok": not (lost and site == 0),
            "lost": lost if site == 0 and kind == "throttle" else 0,
            "duplicated": 0,
            "half_published": 0,
            "not_first": 0,
            "errors_500": 0,
            "stuck": 0,
            "notes": [],
        }
        for site, call in enumerate(calls)
        for kind in KINDS
    ]
    return {
        "full": full,
        "seconds": 60.5,
        "kinds": KINDS,
        "scenarios": {scenario: {"what": f"the {scenario} scenario", "calls": calls}},
        "injections": injections,
    }


def test_parts_combine_into_the_sweep_of_every_scenario() -> None:
    issue = _part("issue", ["kms.Sign", "s3.PutObject"])
    revoke = _part("revoke", ["s3.GetObject", "sqs.SendMessage", "s3.PutObject"], lost=1)
    whole = faults.combine([issue, revoke])
    assert whole["full"] is True
    assert whole["seconds"] == 121.0
    assert list(whole["scenarios"]) == ["issue", "revoke"]
    assert len(whole["injections"]) == (2 + 3) * len(KINDS)
    table = faults.render(whole)
    assert table.startswith("Full sweep: 10 injections over 5 sites in 121 s.")
    assert "| revoke | `sqs.SendMessage` | 1 | 1/1 | 1/1 |" in table
    assert "Totals: 1 lost, 0 duplicated" in table


def test_a_sample_among_full_sweeps_makes_a_sample() -> None:
    whole = faults.combine([_part("issue", ["kms.Sign"]), _part("batch", ["kms.Sign"], full=False)])
    assert whole["full"] is False


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([], "no sweeps"),
        ([_part("issue", ["kms.Sign"]), _part("issue", ["kms.Sign"])], "scenario issue is in two sweeps"),
        (
            [_part("issue", ["kms.Sign"]), {**_part("batch", ["kms.Sign"]), "kinds": {}}],
            "different fault kinds",
        ),
    ],
)
def test_parts_that_do_not_make_one_sweep_are_refused(parts: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        faults.combine(parts)


def test_the_cli_writes_the_combined_table_into_the_document(tmp_path: Path) -> None:
    paths = []
    for part in (_part("issue", ["kms.Sign"]), _part("revoke", ["sqs.SendMessage"])):
        path = tmp_path / f"faults-{next(iter(part['scenarios']))}.json"
        path.write_text(json.dumps(part), "utf-8")
        paths.append(str(path))
    document = tmp_path / "reliability.md"
    document.write_text(f"before\n{faults.BEGIN}\nold table\n{faults.END}\nafter\n", "utf-8")
    combined = tmp_path / "faults.json"
    status = faults.main(["--combine", *paths, "--json", str(combined), "--document", str(document)])
    assert status == 0
    text = document.read_text("utf-8")
    assert "old table" not in text
    assert text.startswith(f"before\n{faults.BEGIN}\nFull sweep: 4 injections over 2 sites")
    assert text.endswith(f"{faults.END}\nafter\n")
    assert json.loads(combined.read_text("utf-8")) == faults.combine(
        [json.loads(Path(p).read_text("utf-8")) for p in paths]
    )


def test_the_cli_answers_a_part_it_cannot_read_with_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "faults-issue.json"
    broken.write_text("{not json", "utf-8")
    assert faults.main(["--combine", str(broken), str(tmp_path / "missing.json")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: cannot combine the sweeps: ")
    assert error.count("\n") == 1
