"""badgekiln.http.observability: metrics go out as EMF lines; tracing is opt-in."""

from __future__ import annotations

import json

import pytest

from badgekiln.http.observability import end_invocation, observability
from badgekiln.issue import events as ev


def test_counts_flush_as_emf(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "badgekiln-test")
    obs = observability("probe")
    obs.count("BadgesProbed", 2)
    obs.metrics.flush_metrics()
    obs.count("ChecksFailed", check="signature")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    plain = next(line for line in lines if "BadgesProbed" in line)
    assert plain["BadgesProbed"] == [2.0]
    assert plain["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "badgekiln-test"
    dimensioned = next(line for line in lines if "ChecksFailed" in line)
    assert dimensioned["check"] == "signature"
    assert dimensioned["service"] == "probe"


class _BrokenSink:
    def send(self, events: object) -> list[ev.Event]:
        raise RuntimeError("the bus is down")


def test_an_invocation_ends_counting_its_unsent_events(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    ev.take_unpublished()
    obs = observability("probe")
    assert ev.publish([ev.Event.of("Batch Completed", {"n": i}) for i in range(2)], sink=_BrokenSink()) == 2
    end_invocation(obs)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [line["EventsNotPublished"] for line in lines if "EventsNotPublished" in line] == [[2.0]]
    assert ev.take_unpublished() == 0  # taken by the first invocation, never counted twice
    end_invocation(obs)
    assert "EventsNotPublished" not in capsys.readouterr().out


def test_disabled_metrics_print_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    obs = observability("probe")
    obs.count("BadgesProbed")
    obs.count("ChecksFailed", check="signature")
    obs.metrics.flush_metrics()
    assert not [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_tracing_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BADGEKILN_TRACING", raising=False)
    assert observability("probe").tracer is None


def test_tracing_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BADGEKILN_TRACING", "true")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert observability("probe").tracer is not None
