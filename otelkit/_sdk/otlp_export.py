"""OTLP export: the SDK's exporters behind otelkit's outboxes and collector link.

The exporters encode; the outboxes (``outbox``) decide when to send and what a failure
costs; the link (``collector_link``) bounds every request by the flush that asked for it
and remembers when the collector is away. Metrics go through the SDK's periodic reader,
with names restored to the case the user wrote and values OTLP can always encode.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import LogRecordExporter
from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableUpDownCounter,
    UpDownCounter,
    _Gauge,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export import SpanExporter

from otelkit import _drops
from otelkit._metrics import display_name
from otelkit._sdk import export_plan
from otelkit._sdk.collector_link import CollectorLink, CollectorSession
from otelkit._sdk.export_plan import SignalPlan
from otelkit._sdk.outbox import Outbox, OutboxLogProcessor
from otelkit._sdk.redaction import redacting
from otelkit._settings import Settings

#: Delta temporality for every kind: each export reports what was recorded since the
#: last one, so an export with nothing new has nothing to send (Lambda), and the first
#: export of a series carries its value. ``awsemf`` turns any cumulative sum into deltas
#: by dropping the first point of each series: a count made once by a short-lived
#: process would never reach CloudWatch (tests/collector/test_collector_temporality.py).
DELTA: dict[type, AggregationTemporality] = {
    kind: AggregationTemporality.DELTA
    for kind in (
        Counter,
        UpDownCounter,
        Histogram,
        _Gauge,
        ObservableCounter,
        ObservableUpDownCounter,
    )
}
# The SDK exporter's per-attempt error lines: otelkit counts and summarizes drops itself.
QUIET_LOGGERS = (
    "opentelemetry.exporter.otlp.common.http",
    "opentelemetry.exporter.otlp.proto.http",
    "opentelemetry.sdk._shared_internal",
)


@dataclass
class OtlpExport:
    """What ``build`` makes for the signals that have somewhere to go (None for others)."""

    spans: Outbox | None = None  # its export redacts every span when ``scrub`` is on
    logs: Outbox | None = None
    logger_provider: LoggerProvider | None = None
    metric_reader: PeriodicExportingMetricReader | None = None


#: A long-running service's default: sums and histograms as deltas, so their first point
#: arrives; a gauge cumulative, so its last value is reported every interval (an alarm
#: on a breaker left open keeps seeing 1). awsemf never drops gauge points.
SERVICE_DEFAULT: dict[type, AggregationTemporality] = {
    **DELTA,
    _Gauge: AggregationTemporality.CUMULATIVE,
}


def on_lambda() -> bool:
    """Whether this process runs as an AWS Lambda function (the runtime sets the name)."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def build(settings: Settings, resource: Resource, *, on_lambda: bool) -> OtlpExport:
    """Exporters behind outboxes for every signal with an endpoint. On Lambda nothing
    exports in the background (the end-of-invocation flush does), and metrics are deltas."""
    links: dict[str, CollectorLink] = {}
    signals = export_plan.plan(settings)
    span_exporter, metric_exporter, log_exporter = _exporters(settings, signals, on_lambda, links)
    built = OtlpExport()
    if not (span_exporter or metric_exporter or log_exporter):
        return built
    for name in QUIET_LOGGERS:
        quiet = logging.getLogger(name)
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.CRITICAL)
    if span_exporter is not None:
        # Redacted as they leave, in the exporting thread (see ``redaction``).
        export_spans = redacting(span_exporter.export) if settings.scrub else span_exporter.export
        built.spans = Outbox(
            export_spans,
            "spans",
            links.get("traces"),
            background=not on_lambda,
            export_timeout=signals["traces"].timeout,
            shutdown=span_exporter.shutdown,
        )
    if log_exporter is not None:
        built.logs = Outbox(
            log_exporter.export,
            "logs",
            links.get("logs"),
            background=not on_lambda,
            export_timeout=signals["logs"].timeout,
            shutdown=log_exporter.shutdown,
        )
        built.logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        built.logger_provider.add_log_record_processor(OutboxLogProcessor(built.logs))
    if metric_exporter is not None:
        built.metric_reader = PeriodicExportingMetricReader(
            CountedMetricExport(metric_exporter),
            export_timeout_millis=signals["metrics"].timeout * 1000,
        )
    return built


Exporters = tuple[SpanExporter | None, MetricExporter | None, LogRecordExporter | None]


def _exporters(
    settings: Settings,
    signals: dict[str, SignalPlan],
    on_lambda: bool,
    links: dict[str, CollectorLink],
) -> Exporters:
    """The OTLP exporter of each signal that has somewhere to go (None for the others).

    HTTP exporters get a ``CollectorSession`` each; ``links`` receives its link by signal
    (one link per collector host: its signals fail together). gRPC gets none.
    """
    if not any(signal.url for signal in signals.values()):
        return None, None, None  # nothing leaves the process: import no exporter
    from otelkit._sdk.sigv4 import signing_session, wants_signing

    temporality = export_plan.temporality(settings.metrics_temporality)
    if temporality is None:  # the user chose none: deltas, so no first point is lost
        temporality = DELTA if on_lambda else SERVICE_DEFAULT
    metrics = signals["metrics"]
    signed = metrics.protocol != "grpc" and wants_signing(metrics.url or "", settings.aws_sigv4)
    if metrics.url and signed:  # no AWS OTLP endpoint takes metrics: they stay EMF on stdout
        signals = {**signals, "metrics": dataclasses.replace(metrics, url=None)}
    by_host: dict[str, CollectorLink] = {}

    def session(url: str, signal: str) -> CollectorSession:
        # One session per exporter: a Session is not thread-safe.
        host = url.split("/")[2] if "//" in url else url
        links[signal] = by_host.setdefault(host, CollectorLink())
        guarded = CollectorSession(links[signal])
        signing = signing_session(url, signal, settings.aws_sigv4) if signal != "metrics" else None
        if signing is not None:
            guarded.auth = signing.auth
        return guarded

    def exporter(signal: str) -> Any:
        found = signals[signal]
        if found.url is None:
            return None
        kind = _GRPC if found.protocol == "grpc" else _HTTP
        options: dict[str, Any] = {"endpoint": found.url, "timeout": found.timeout}
        if found.protocol != "grpc":
            options["session"] = session(found.url, signal)
        if signal == "metrics":
            options["preferred_temporality"] = temporality
        return _load(kind[signal])(**options)

    return exporter("traces"), exporter("metrics"), exporter("logs")


#: The SDK's exporter classes by protocol and signal, imported only when used.
_HTTP = {
    "traces": "opentelemetry.exporter.otlp.proto.http.trace_exporter:OTLPSpanExporter",
    "metrics": "opentelemetry.exporter.otlp.proto.http.metric_exporter:OTLPMetricExporter",
    "logs": "opentelemetry.exporter.otlp.proto.http._log_exporter:OTLPLogExporter",
}
_GRPC = {
    "traces": "opentelemetry.exporter.otlp.proto.grpc.trace_exporter:OTLPSpanExporter",
    "metrics": "opentelemetry.exporter.otlp.proto.grpc.metric_exporter:OTLPMetricExporter",
    "logs": "opentelemetry.exporter.otlp.proto.grpc._log_exporter:OTLPLogExporter",
}


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        if ".grpc." in module:
            raise ImportError("OTLP over gRPC needs: pip install 'otelkit[grpc]'") from exc
        raise


class CountedMetricExport(MetricExporter):
    """Restores the case of metric names the SDK lower-cased (``MessagesProcessed``),
    makes every value encodable, and counts the points of a failed export as dropped."""

    def __init__(self, exporter: MetricExporter) -> None:
        super().__init__(
            preferred_temporality=exporter._preferred_temporality,
            preferred_aggregation=exporter._preferred_aggregation,
        )
        self._exporter = exporter

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        result = self._exporter.export(rename_metrics(metrics_data), timeout_millis, **kwargs)
        if result is not MetricExportResult.SUCCESS:
            _failed.count = metric_failures_here() + 1
            _drops.add("metrics", "export failed", _point_count(metrics_data))
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._exporter.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._exporter.shutdown(timeout_millis=timeout_millis, **kwargs)


_failed = threading.local()


def metric_failures_here() -> int:
    """Metric exports that failed in this thread so far (``flush()`` compares)."""
    return int(getattr(_failed, "count", 0))


def _point_count(data: MetricsData) -> int:
    return sum(
        len(getattr(m.data, "data_points", ()))
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    )


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
