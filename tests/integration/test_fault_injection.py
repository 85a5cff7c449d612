"""Fault injection for S3, KMS and SQS (fuzz/faults.py, docs/reliability.md).

`make test` runs the bounded sample (:func:`fuzz.faults.sample`: every write with a lost answer
or a crash after it, every KMS and SQS call with a crash before it or a persistent throttle, 500
or reset); `make fuzz-long` runs every call × every fault kind.
"""

from __future__ import annotations

from typing import Any

import pytest

from fuzz import faults


def _sweep(scenario: faults.Scenario, **options: Any) -> dict[str, Any]:
    return faults.run_sweep(full=False, scenarios=(scenario,), **options)


@pytest.mark.parametrize("scenario", faults.SCENARIOS, ids=[s.name for s in faults.SCENARIOS])
def test_the_bounded_sample_loses_and_duplicates_nothing(scenario: faults.Scenario) -> None:
    results = _sweep(scenario)
    injections = results["injections"]
    calls = results["scenarios"][scenario.name]["calls"]
    assert [(i["site"], i["kind"]) for i in injections] == faults.sample(calls)
    assert all(i["injected"] for i in injections)  # every planned fault was reached
    assert [i for i in injections if not i["ok"]] == []


def test_each_scenario_reaches_the_services_it_is_about() -> None:
    with faults.world() as made:
        reached = {}
        for scenario in faults.SCENARIOS:
            scenario.seed(made)
            outcome, calls, _, _ = faults.run_once(made, scenario, None)
            assert outcome.ok, outcome.notes
            reached[scenario.name] = {call.split(".")[0] for call in calls}
    assert reached == {
        "issue": {"s3", "kms"},
        "batch": {"s3", "kms"},
        "worker": {"s3"},
        "revoke": {"s3", "sqs"},
        "publish": {"s3"},  # one change: published by the first tick, the list then goes quiet
        "handover": {"s3", "sqs"},
    }


@pytest.mark.parametrize("kind", faults.KINDS, ids=[k.name for k in faults.KINDS])
def test_each_fault_kind_fails_the_call_as_aws_would(kind: faults.FaultKind) -> None:
    """A kind that botocore retries is absorbed; one on every attempt reaches the caller as a
    typed StoreError; a crash is no Exception; a fault after the call leaves it applied."""
    from badgekiln.errors import StoreError

    with faults.world() as made:
        made.bucket = "probe"
        with made.paused():
            made.s3.create_bucket(Bucket=made.bucket)
        store = made.store()
        plan = (0, kind)
        with made.injector.active(plan):
            try:
                store.create("private/probe.json", b"{}", content_type="application/json")
                outcome = "ok"
            except StoreError as exc:
                outcome = f"StoreError {exc.details.get('aws_code') or exc.details.get('reason')}"
            except faults.Crash:
                outcome = "crash"
        attempts = made.injector.injected
        with made.paused():
            applied = [o["Key"] for o in made.s3.list_objects_v2(Bucket=made.bucket).get("Contents", [])]
    expected = {
        "throttle": ("ok", 1),
        "throttle-all": ("StoreError SlowDown", 4),  # botocore's 3 retries (max_attempts counts retries)
        "500": ("ok", 1),
        "500-all": ("StoreError InternalError", 4),
        "reset": ("ok", 1),
        "reset-all": ("StoreError connection", 4),
        # the first attempt was applied; botocore's retry finds the object taken
        "timeout": ("StoreError PreconditionFailed", 1),
        "timeout-all": ("StoreError connection", 4),
        "crash-before": ("crash", 1),
        "crash-after": ("crash", 1),
    }[kind.name]
    assert (outcome, attempts) == expected
    assert applied == (
        []
        if kind.name in ("throttle-all", "500-all", "reset-all", "crash-before")
        else ["private/probe.json"]
    )
