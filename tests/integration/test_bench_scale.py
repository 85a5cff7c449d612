"""The scale bench's properties at a small size (the full run is ``make bench``).

The same code as ``bench/bench_scale.py`` in one process, 1–3 ms per request: no index twice,
no revocation lost, every revocation published within 2 s, and no object written by every
issuance or every revocation.
"""

from __future__ import annotations

from bench.bench_scale import Scenario, library_cost, report, run_scenario


def test_a_small_run_holds_the_scale_properties() -> None:
    scenario = Scenario(
        issuances=600, revocations=300, workers=24, seconds=120, latency=(0.001, 0.003), sign_seconds=0.001
    )
    result = run_scenario(scenario)
    print("\n" + report(scenario, result))
    assert (result.issue.done, result.revoke.done) == (600, 300)
    assert (result.duplicated, result.lost, result.spurious, result.unpublished) == (0, 0, 0, 0)
    assert result.issue.hottest[1] / result.issue.done <= 0.01
    assert "/status/0/blocks/" in result.issue.hottest[0] or result.issue.hottest[1] <= 2
    assert result.revoke.hottest[1] / result.revoke.done < 0.5  # lists are signed per tick, not per change
    assert max(result.published) < 2.0


def test_a_paced_run_starts_operations_at_the_rate_and_reports_the_library_cost() -> None:
    scenario = Scenario(
        issuances=60,
        revocations=30,
        workers=8,
        seconds=60,
        latency=(0.001, 0.002),
        sign_seconds=0.0,
        rate=100,
    )
    result = run_scenario(scenario)
    cost = library_cost(20)
    printed = report(scenario, result, cost)
    assert (result.issue.done, result.revoke.done, result.lost, result.duplicated) == (60, 30, 0, 0)
    assert result.issue.wall >= 59 / 100  # operation n starts n / rate seconds in, not sooner
    assert result.revoke.wall >= 29 / 100
    assert 0 < cost.revocation < cost.issuance
    assert cost.publication > 0
    assert "100 operations started per second" in printed
    assert "library: CPU ms per op" in printed
