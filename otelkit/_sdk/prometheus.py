"""The Prometheus side of the metrics: a pull reader whose registry belongs to one pipeline.

The OpenTelemetry Prometheus exporter registers with ``prometheus_client``'s global
registry by default; a re-configured process would then serve the old and the new
pipeline's metrics side by side (duplicate series, which Prometheus rejects). Each
pipeline here gets its own registry. Names follow Prometheus's convention, snake_case
(``JobsProcessed`` is served as ``jobs_processed_total``), and a metric created without
a description gets its name as help text, and millisecond metrics are served in
seconds, Prometheus's base unit, so ``promtool check metrics`` passes.

Needs the ``runtime`` extra: ``pip install 'otelkit[runtime]'``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    MetricReader,
    MetricsData,
    NumberDataPoint,
)

from otelkit._metering.metrics import display_name

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Semantic-convention names Prometheus rejects (a ``_count`` suffix belongs to histograms
# and summaries), served under the names Prometheus's own process collector uses.
_PROMETHEUS_NAMES = {
    "process.open_file_descriptor.count": "process_open_fds",
    "process.thread.count": "process_threads",
}


def snake_case(name: str) -> str:
    """``JobsProcessed`` -> ``jobs_processed``; ``HTTPRequests`` -> ``http_requests``."""
    return _WORD_START.sub("_", name).replace(".", "_").replace("-", "_").lower()


def in_seconds(metric: Any) -> Any:
    """A millisecond metric converted to seconds: values, sums, extremes and bounds."""
    replace = dataclasses.replace

    def point(p: Any) -> Any:
        if isinstance(p, HistogramDataPoint):
            return replace(
                p,
                sum=p.sum / 1000,
                min=p.min / 1000,
                max=p.max / 1000,
                explicit_bounds=[bound / 1000 for bound in p.explicit_bounds],
            )
        if isinstance(p, NumberDataPoint):
            return replace(p, value=p.value / 1000)
        return p

    data = replace(metric.data, data_points=[point(p) for p in metric.data.data_points])
    return replace(metric, unit="s", data=data)


def prometheus_names(data: MetricsData) -> MetricsData:
    """``data`` with snake_case names and a help text on every metric."""
    replace = dataclasses.replace

    def renamed(metric: Any) -> Any:
        shown = display_name(metric.name)
        name = _PROMETHEUS_NAMES.get(shown) or snake_case(shown)
        metric = replace(metric, name=name, description=metric.description or shown)
        return in_seconds(metric) if metric.unit == "ms" else metric

    return replace(
        data,
        resource_metrics=[
            replace(
                rm,
                scope_metrics=[
                    replace(sm, metrics=[renamed(m) for m in sm.metrics]) for sm in rm.scope_metrics
                ],
            )
            for rm in data.resource_metrics
        ],
    )


def prometheus_reader() -> tuple[MetricReader, Callable[[], bytes]]:
    """A metric reader and the function that renders its registry in the text format.

    Raises:
        ImportError: the ``runtime`` extra is not installed.
    """
    try:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import CollectorRegistry, generate_latest
    except ImportError as exc:
        raise ImportError(
            "the /metrics endpoint needs the Prometheus exporter: pip install 'otelkit[runtime]'"
        ) from exc

    class NamedPrometheusReader(PrometheusMetricReader):
        def _receive_metrics(
            self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
        ) -> None:
            if metrics_data is not None:
                metrics_data = prometheus_names(metrics_data)
            super()._receive_metrics(metrics_data, timeout_millis, **kwargs)

    registry = CollectorRegistry(auto_describe=True)
    reader = NamedPrometheusReader(registry=registry)

    def render() -> bytes:
        return bytes(generate_latest(registry))

    return reader, render
