"""The SDK hooks otelkit puts into its providers: bound IDs and scrubbed URLs on every
span, trace IDs adopted from incoming requests, metric names kept as written."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.metrics.export import (
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
)
from opentelemetry.sdk.trace import Span, SpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import SpanKind

from otelkit._ids import current_ids
from otelkit._metrics import display_name
from otelkit._propagation import adopted_trace_id
from otelkit._scrub import scrub_urls

# Attributes where instrumentations put URLs, query string included.
_URL_ATTRIBUTES = ("http.url", "url.full", "http.target", "url.query")
_HTTP_KINDS = frozenset({SpanKind.CLIENT, SpanKind.SERVER})


class StampIds(SpanProcessor):
    """Puts the bound IDs of the span's parent context on every span as it starts, and
    redacts secret query parameters from the URLs instrumentations record.

    A processor, not our decorators, so spans made by instrumentations are covered too.
    otelkit's own spans pass the IDs at start (``_spans.with_ids``): for those the
    processor only confirms they are there, which is cheaper than setting them again.
    """

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        bound = current_ids(parent_context)
        if bound and not _stamped(span, bound):
            span.set_attributes(bound)
        if span.kind in _HTTP_KINDS:  # only client and server spans record URLs
            attributes = span.attributes or {}
            for key in _URL_ATTRIBUTES:
                value = attributes.get(key)
                if isinstance(value, str):
                    scrubbed = scrub_urls(value)
                    if scrubbed != value:
                        span.set_attribute(key, scrubbed)


def _stamped(span: Span, bound: Mapping[str, str]) -> bool:
    attributes = span.attributes or {}
    for key, value in bound.items():  # noqa: SIM110 - a plain loop costs half of all(genexpr)
        if attributes.get(key) != value:
            return False
    return True


class AdoptingIdGenerator(RandomIdGenerator):
    """Random IDs, except the trace ID an incoming request already carries without a
    parent span (an ALB's X-Ray ``Root``), which ``start_span_from`` asks for."""

    def generate_trace_id(self) -> int:
        return adopted_trace_id() or super().generate_trace_id()


class PreserveMetricNames(MetricExporter):
    """Restores the case of metric names the SDK lower-cased (``MessagesProcessed``)."""

    def __init__(self, exporter: MetricExporter) -> None:
        super().__init__(
            preferred_temporality=exporter._preferred_temporality,
            preferred_aggregation=exporter._preferred_aggregation,
        )
        self._exporter = exporter

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        return self._exporter.export(rename_metrics(metrics_data), timeout_millis, **kwargs)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._exporter.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._exporter.shutdown(timeout_millis=timeout_millis, **kwargs)


def rename_metrics(data: MetricsData) -> MetricsData:
    """``data`` with every metric named as the user wrote it, and every int value OTLP's
    int64 cannot carry (a counter summed past it) turned into a double: one such value
    must not fail the encoding of the whole batch."""
    replace = dataclasses.replace
    return replace(
        data,
        resource_metrics=[
            replace(
                rm,
                scope_metrics=[
                    replace(
                        sm,
                        metrics=[
                            _encodable(replace(m, name=display_name(m.name))) for m in sm.metrics
                        ],
                    )
                    for sm in rm.scope_metrics
                ],
            )
            for rm in data.resource_metrics
        ],
    )


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _encodable(metric: Metric) -> Metric:
    points = getattr(metric.data, "data_points", ())
    if not any(_past_int64(p) for p in points):
        return metric
    fixed = [dataclasses.replace(p, value=float(p.value)) if _past_int64(p) else p for p in points]
    data: Any = metric.data
    return dataclasses.replace(metric, data=dataclasses.replace(data, data_points=fixed))


def _past_int64(point: object) -> bool:
    return (
        isinstance(point, NumberDataPoint)
        and isinstance(point.value, int)
        and not _INT64_MIN <= point.value <= _INT64_MAX
    )
