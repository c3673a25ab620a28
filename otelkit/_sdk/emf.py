"""Metrics as CloudWatch Embedded Metric Format (EMF) documents on stdout.

Where no collector runs (a Lambda function without the ADOT layer, a batch job), stdout
is still collected by CloudWatch Logs, and CloudWatch turns EMF documents found there
into metrics with no API call. Each export writes one JSON document per dimension set,
holding every metric recorded with exactly those dimensions since the last export
(delta temporality, so a flush at the end of each invocation reports that invocation).

Dimensions are the metric's own attributes plus ``service``; bound IDs are never among
them. Histograms are written as statistic sets (``Min``/``Max``/``Sum``/``Count``), which
keep percentiles out but cost one value whatever the number of observations.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
    _Gauge,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    HistogramDataPoint,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
)

from otelkit import _drops
from otelkit._metrics import display_name
from otelkit._scrub import REDACTED, is_secret, redact_text

#: CloudWatch refuses a document with more dimensions or metrics than these.
MAX_DIMENSIONS = 30
#: CloudWatch's longest dimension value.
MAX_DIMENSION_VALUE = 1024
MAX_METRICS_PER_DOCUMENT = 100

# OpenTelemetry (UCUM) units to CloudWatch's unit names.
_UNITS = {
    "1": "Count",
    "": "None",
    "ms": "Milliseconds",
    "s": "Seconds",
    "us": "Microseconds",
    "By": "Bytes",
    "KiBy": "Kilobytes",
    "MiBy": "Megabytes",
    "GiBy": "Gigabytes",
    "bit": "Bits",
    "%": "Percent",
    "By/s": "Bytes/Second",
    "{request}": "Count",
}
# Every kind reports per export: what was recorded since the last one. The synchronous
# Gauge too: cumulative, the SDK repeats its last value in every later export, so a gauge
# set in one Lambda invocation would be written again by every invocation after it.
_DELTA: dict[type, AggregationTemporality] = {
    kind: AggregationTemporality.DELTA
    for kind in (
        Counter,
        UpDownCounter,
        Histogram,
        _Gauge,
        ObservableCounter,
        ObservableUpDownCounter,
        ObservableGauge,
    )
}


def cloudwatch_unit(unit: str) -> str:
    """The CloudWatch unit for an OpenTelemetry unit; ``None`` when there is no match."""
    if unit in _UNITS:
        return _UNITS[unit]
    return "Count" if unit.startswith("{") and unit.endswith("}") else "None"


class EMFExporter(MetricExporter):
    """Writes each export as EMF documents, one line each, to stdout."""

    def __init__(
        self, namespace: str, service: str, write: Callable[[str], Any] | None = None
    ) -> None:
        super().__init__(preferred_temporality=_DELTA)
        self._namespace = namespace
        self._service = service
        self._write = write

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        write = self._write or sys.stdout.write  # looked up late: tests swap stdout
        for document in emf_documents(metrics_data, self._namespace, self._service):
            write(json.dumps(document, separators=(",", ":")) + "\n")
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Nothing to release: every export is written synchronously."""


def emf_documents(data: MetricsData, namespace: str, service: str) -> list[dict[str, Any]]:
    """EMF documents for ``data``: one per distinct dimension set, at most 100 metrics each."""
    grouped: dict[tuple[tuple[str, Any], ...], dict[str, tuple[Any, str]]] = {}
    timestamps: dict[tuple[tuple[str, Any], ...], int] = {}
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                name = display_name(metric.name)
                for point in metric.data.data_points:
                    value = _value(point)
                    if value is None:
                        continue
                    dimensions = {"service": service, **_dimension_values(point.attributes)}
                    if name in dimensions:  # one JSON key cannot hold both: never guess
                        _drops.add("metrics", "EMF metric named like a dimension")
                        continue
                    key = tuple(sorted(dimensions.items()))
                    if len(key) > MAX_DIMENSIONS:
                        _too_many_dimensions(name, len(key))
                    grouped.setdefault(key, {})[name] = (value, cloudwatch_unit(metric.unit or ""))
                    timestamps[key] = max(timestamps.get(key, 0), point.time_unix_nano)
    documents = []
    for key, metrics in grouped.items():
        names = list(metrics)
        for start in range(0, len(names), MAX_METRICS_PER_DOCUMENT):
            chunk = names[start : start + MAX_METRICS_PER_DOCUMENT]
            document: dict[str, Any] = {
                "_aws": {
                    "Timestamp": timestamps[key] // 1_000_000,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": namespace,
                            # Past 30, CloudWatch takes the first 30 (sorted) as the
                            # metric's dimensions; the rest stay fields of the document,
                            # which is one per full dimension set: nothing is merged here.
                            "Dimensions": [[dimension for dimension, _ in key[:MAX_DIMENSIONS]]],
                            "Metrics": [{"Name": name, "Unit": metrics[name][1]} for name in chunk],
                        }
                    ],
                },
                **dict(key),
            }
            for name in chunk:
                document[name] = metrics[name][0]
            documents.append(document)
    return documents


_warned: set[str] = set()


def _too_many_dimensions(name: str, count: int) -> None:
    """Say once per metric that CloudWatch cannot take all its dimensions."""
    if name not in _warned:
        _warned.add(name)
        logging.getLogger("otelkit.emf").warning(
            "metric %s has %d dimensions; EMF allows %d: the first %d (sorted) are its "
            "dimensions, the rest are fields of its documents",
            name,
            count,
            MAX_DIMENSIONS,
            MAX_DIMENSIONS,
        )


def _dimension_values(attributes: Mapping[str, Any] | None) -> dict[str, str]:
    # EMF dimension values are strings; a dimension value must not be empty. They are
    # document properties on stdout, so the redaction policy applies to them. At most
    # 1,024 characters each, as CloudWatch takes them.
    return {
        key: REDACTED if is_secret(key) else redact_text(str(value))[:MAX_DIMENSION_VALUE]
        for key, value in (attributes or {}).items()
        if str(value)
    }


def _value(point: Any) -> Any:
    if isinstance(point, HistogramDataPoint):
        if not point.count:
            return None  # nothing observed since the last export: no document
        return {"Min": point.min, "Max": point.max, "Sum": point.sum, "Count": point.count}
    if isinstance(point, NumberDataPoint):
        return point.value
    return None
