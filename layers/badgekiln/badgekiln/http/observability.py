"""Logger, Metrics and (optional) Tracer for one function, configured the same way everywhere.

* Logger: JSON lines (``POWERTOOLS_DEV=true`` makes them readable locally), level from
  ``POWERTOOLS_LOG_LEVEL``, correlation id from the HTTP API request id.
* Metrics: CloudWatch EMF on stdout (no API calls) in ``POWERTOOLS_METRICS_NAMESPACE``
  (default ``badgekiln``); disabled by ``POWERTOOLS_METRICS_DISABLED=true``.
* Tracer: off unless ``BADGEKILN_TRACING=true``. It needs ``aws-xray-sdk``, which is in
  maintenance mode and not a layer dependency; Lambda's own active tracing works without it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics, Tracer

__all__ = ["DEFAULT_NAMESPACE", "Observability", "end_invocation", "observability"]

DEFAULT_NAMESPACE = "badgekiln"
_EVENTS_MODULE = "badgekiln.issue.events"


@dataclass(frozen=True, slots=True)
class Observability:
    """The telemetry of one function; build it once per module with :func:`observability`."""

    service: str
    logger: Logger
    metrics: Metrics
    tracer: Tracer | None

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        """Add ``value`` to the count metric ``name`` (flushed when the invocation ends)."""
        from aws_lambda_powertools.metrics import MetricUnit

        if dimensions:
            # single_metric ignores POWERTOOLS_METRICS_DISABLED (Powertools 3.37), so honour it here
            if _enabled("POWERTOOLS_METRICS_DISABLED"):
                return
            # dimensions apply to a whole EMF blob, so a dimensioned metric is emitted on its own
            from aws_lambda_powertools.metrics import single_metric

            with single_metric(
                name=name, unit=MetricUnit.Count, value=value, namespace=self.metrics.namespace
            ) as metric:
                metric.add_dimension(name="service", value=self.service)
                for key, dim in dimensions.items():
                    metric.add_dimension(name=key, value=dim)
            return
        self.metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def end_invocation(obs: Observability) -> None:
    """What every function does as an invocation ends: count the events it could not send
    (``EventsNotPublished``, alarmed), then flush the metrics, if any."""
    if _EVENTS_MODULE in sys.modules:  # else no event was sent, and the import costs ~20 ms
        from badgekiln.issue.events import take_unpublished

        lost = take_unpublished()
        if lost:
            obs.count("EventsNotPublished", lost)
    if obs.metrics.metric_set:
        obs.metrics.flush_metrics()


def _enabled(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


def observability(service: str) -> Observability:
    """Logger, Metrics and optional Tracer for the function named ``service``.

    Raises:
        RuntimeError: ``BADGEKILN_TRACING`` is on but ``aws-xray-sdk`` is not installed.
    """
    from aws_lambda_powertools import Logger, Metrics

    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
    tracer: Any = None
    if _enabled("BADGEKILN_TRACING"):
        # checked here so the failure is clear at cold start, not deep inside Tracer
        if importlib.util.find_spec("aws_xray_sdk") is None:
            raise RuntimeError("BADGEKILN_TRACING is on but aws-xray-sdk is not installed")
        from aws_lambda_powertools import Tracer

        tracer = Tracer(service=service)
    return Observability(
        service=service,
        logger=Logger(service=service),
        metrics=Metrics(service=service, namespace=namespace),
        tracer=tracer,
    )
