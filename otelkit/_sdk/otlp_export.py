"""OTLP export: otelkit's OTLP/HTTP exporters behind its outboxes and collector link.

The exporters (``otlp_http``) encode and read the answers; the outboxes (``outbox``)
decide when to send and what a failure costs; the link (``collector_link``) bounds every
request by the flush that asked for it and remembers when the collector is away.
Metrics go through the SDK's periodic reader, with names restored to the case the user
wrote and values OTLP can always encode.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, cast

from opentelemetry.sdk._logs import LoggerProvider
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

from otelkit import _drops
from otelkit._metrics import display_name
from otelkit._sdk.collector_link import DELIVERED, CollectorClient, CollectorLink, within
from otelkit._sdk.http_post import Connection
from otelkit._sdk.metric_hold import Held, point_count
from otelkit._sdk.outbox import ABORT_GRACE, SHUTDOWN_PROBE_EVERY, Outbox, OutboxLogProcessor
from otelkit._sdk.redaction import ExportSpans, redacting
from otelkit._settings import Settings

#: Delta temporality for every synchronous kind: each export reports what was recorded
#: since the last one, so an export with nothing new has nothing to send (Lambda, EMF).
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
_QUIET_LOGGERS = (
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


def on_lambda() -> bool:
    """Whether this process runs as an AWS Lambda function (the runtime sets the name)."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def build(settings: Settings, resource: Resource, *, on_lambda: bool) -> OtlpExport:
    """Exporters behind outboxes for every signal with an endpoint. On Lambda nothing
    exports in the background (the end-of-invocation flush does), and metrics are deltas."""
    links: dict[str, CollectorLink] = {}
    span_exporter, metric_exporter, log_exporter = _exporters(settings, on_lambda, links)
    built = OtlpExport()
    if not (span_exporter or metric_exporter or log_exporter):
        return built
    for name in _QUIET_LOGGERS:
        quiet = logging.getLogger(name)
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.CRITICAL)
    if span_exporter is not None:
        # Redacted as they leave, in the exporting thread (see ``redaction``).
        export_spans = span_exporter.export
        if settings.scrub:
            export_spans = redacting(cast("ExportSpans", export_spans))
        built.spans = Outbox(
            export_spans,
            "spans",
            links.get("traces"),
            background=not on_lambda,
            export_timeout=settings.export_timeout,
            shutdown=span_exporter.shutdown,
            on_full=settings.on_full,
            on_full_timeout=settings.on_full_timeout,
        )
    if log_exporter is not None:
        built.logs = Outbox(
            log_exporter.export,
            "logs",
            links.get("logs"),
            background=not on_lambda,
            export_timeout=settings.export_timeout,
            shutdown=log_exporter.shutdown,
            on_full=settings.on_full,
            on_full_timeout=settings.on_full_timeout,
        )
        built.logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        built.logger_provider.add_log_record_processor(OutboxLogProcessor(built.logs))
    if metric_exporter is not None:
        built.metric_reader = PeriodicExportingMetricReader(
            metric_exporter, export_timeout_millis=settings.export_timeout * 1000
        )
    return built


Exporters = tuple[Any, MetricExporter | None, Any]


def _exporters(settings: Settings, on_lambda: bool, links: dict[str, CollectorLink]) -> Exporters:
    """The OTLP exporter of each signal that has somewhere to go (None for the others).

    OTLP/HTTP is otelkit's own (``otlp_http``), one client per signal; ``links`` receives
    each signal's link (one link per collector host: its signals fail together). gRPC
    is the SDK's exporters, with no link.
    """
    endpoint, timeout = settings.endpoint, settings.export_timeout
    if not (endpoint or settings.traces_endpoint or settings.logs_endpoint):
        return None, None, None  # nothing leaves the process: import no exporter
    temporality = DELTA if on_lambda else None
    if settings.protocol == "grpc" and endpoint:
        return _grpc_exporters(endpoint, timeout, temporality)
    from otelkit._sdk import otlp_options
    from otelkit._sdk.otlp_http import (
        OtlpHttpExporter,
        Signal,
        logs_signal,
        metrics_signal,
        spans_signal,
    )
    from otelkit._sdk.sigv4 import signer_for, wants_signing

    traces = settings.traces_endpoint or (f"{endpoint}/v1/traces" if endpoint else None)
    logs = settings.logs_endpoint or (f"{endpoint}/v1/logs" if endpoint else None)
    metrics = f"{endpoint}/v1/metrics" if endpoint else None
    if metrics and wants_signing(metrics, settings.aws_sigv4):
        metrics = None  # no AWS OTLP endpoint takes metrics: they stay EMF on stdout
    by_host: dict[str, CollectorLink] = {}

    def exporter(url: str, signal: str, shapes: Signal) -> OtlpHttpExporter:
        host = url.split("/")[2] if "//" in url else url
        links[signal] = by_host.setdefault(host, CollectorLink())
        headers = otlp_options.headers(signal)
        signer = signer_for(url, signal, settings.aws_sigv4) if signal != "metrics" else None
        if signer is None and not any(name.lower() == "authorization" for name in headers):
            authorization = otlp_options.netrc_authorization(url)
            if authorization:
                headers["Authorization"] = authorization
        client = CollectorClient(
            url,
            links[signal],
            headers=headers,
            timeout=timeout,
            compression=otlp_options.compression(signal),
            signer=signer,
            connection=Connection(url, otlp_options.tls(signal), otlp_options.proxy(url)),
        )
        return OtlpHttpExporter(shapes, client)

    return (
        exporter(traces, "traces", spans_signal()) if traces else None,
        OtlpMetricExporter(exporter(metrics, "metrics", metrics_signal()), temporality)
        if metrics
        else None,
        exporter(logs, "logs", logs_signal()) if logs else None,
    )


def _grpc_exporters(endpoint: str, timeout: float, temporality: Any) -> Exporters:
    try:
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise ImportError("OTLP over gRPC needs: pip install 'otelkit[grpc]'") from exc
    from otelkit._sdk.grpc_answers import GrpcOutcomes, reading_answers

    return (
        GrpcOutcomes(reading_answers(OTLPSpanExporter)(endpoint=endpoint, timeout=timeout)),
        CountedMetricExport(
            reading_answers(OTLPMetricExporter)(
                endpoint=endpoint, timeout=timeout, preferred_temporality=temporality
            )
        ),
        GrpcOutcomes(reading_answers(OTLPLogExporter)(endpoint=endpoint, timeout=timeout)),
    )


class OtlpMetricExporter(MetricExporter):
    """Metrics over otelkit's OTLP/HTTP: names restored to the case the user wrote
    (``MessagesProcessed``), every value encodable; points the collector did not take
    yet held for the next export (``metric_hold``), and those a partial success rejected
    or a failed export lost counted as dropped."""

    def __init__(self, exporter: Any, temporality: dict[type, AggregationTemporality] | None):
        # As the SDK's OTLP exporters: OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE
        # and _DEFAULT_HISTOGRAM_AGGREGATION, under what ``temporality`` asks for.
        from opentelemetry.exporter.otlp.proto.common._internal import metrics_encoder

        standard: Any = metrics_encoder.OTLPMetricExporterMixin
        super().__init__(
            preferred_temporality=standard._get_temporality(self, temporality),
            preferred_aggregation=standard._get_aggregation(self, None),
        )
        self._exporter = exporter
        self._held = Held()
        self._lock = threading.Lock()  # one export at a time: the reader's thread, a flush
        self._final = False  # shutdown is counting what is left: nothing is held any more
        _holders.add(self)

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        with self._lock:
            return self._send(rename_metrics(metrics_data))

    def _send(self, data: MetricsData | None) -> MetricExportResult:
        held = self._held
        payload = held.with_new(data)
        points = point_count(payload)
        outcome = self._exporter.export(payload, points) if points else DELIVERED
        if outcome.delivered:
            held.clear()
            return MetricExportResult.SUCCESS
        _failed.count = metric_failures_here() + 1
        if outcome.kept and not self._final:
            if data is not None:
                _drops.add("metrics", "queue full", held.add(data))
            return MetricExportResult.FAILURE
        held.clear()
        if outcome.rejected:
            _drops.add("metrics", "rejected", outcome.rejected, detail=outcome.message)
            return MetricExportResult.SUCCESS  # the rest arrived
        reason = "undelivered at shutdown" if outcome.kept else outcome.dropped
        _drops.add("metrics", reason or "export failed", points)
        return MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Send what is held (the reader calls this after its collection, which exports
        nothing when no delta is new)."""
        if not self._held:
            return True
        if not self._lock.acquire(timeout=max(0.0, timeout_millis / 1000)):
            return False
        try:
            return self._send(None) is MetricExportResult.SUCCESS
        finally:
            self._lock.release()

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Send what is held within the budget (probing a paused collector again, as the
        outboxes do), then count what is left. The reader passes ``timeout`` (ms)."""
        budget = float(kwargs.get("timeout", timeout_millis)) / 1000
        deadline = time.monotonic() + max(0.0, budget)
        link = self._exporter.client.link
        got_lock = self._lock.acquire(timeout=max(0.0, deadline - time.monotonic()))
        try:
            with within(deadline):
                while got_lock and self._held and time.monotonic() < deadline:
                    paused = link.paused_for()
                    if paused > 0:
                        time.sleep(min(paused, SHUTDOWN_PROBE_EVERY, deadline - time.monotonic()))
                        link.probe_now()
                        continue
                    self._send(None)
            self._final = True
            self._exporter.shutdown()  # ends a request in flight in the reader's thread
            if not got_lock:  # the reader's thread counts its request itself, now
                got_lock = self._lock.acquire(timeout=ABORT_GRACE)
            _drops.add("metrics", "undelivered at shutdown", self._held.clear())
        finally:
            if got_lock:
                self._lock.release()


_holders: weakref.WeakSet[OtlpMetricExporter] = weakref.WeakSet()


def metrics_held() -> bool:
    """Whether a metric exporter holds points for its next export (a flush then
    exports metrics even when nothing was recorded since the last one)."""
    return any(exporter.holding for exporter in list(_holders))


class CountedMetricExport(MetricExporter):
    """The SDK's gRPC metric exporter with names restored to the case the user wrote,
    every value encodable, and the points of a failed export, or those a partial success
    rejected, counted as dropped."""

    def __init__(self, exporter: MetricExporter) -> None:
        super().__init__(
            preferred_temporality=exporter._preferred_temporality,
            preferred_aggregation=exporter._preferred_aggregation,
        )
        self._exporter = exporter

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        from otelkit._sdk.grpc_answers import take_rejected

        take_rejected()
        result = self._exporter.export(rename_metrics(metrics_data), timeout_millis, **kwargs)
        if result is not MetricExportResult.SUCCESS:
            _failed.count = metric_failures_here() + 1
            _drops.add("metrics", "export failed", point_count(metrics_data))
            return result
        rejected, message = take_rejected()
        if rejected:
            _failed.count = metric_failures_here() + 1
            _drops.add("metrics", "rejected", rejected, detail=message)
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._exporter.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._exporter.shutdown(timeout_millis=timeout_millis, **kwargs)


_failed = threading.local()


def metric_failures_here() -> int:
    """Metric exports that failed in this thread so far (``flush()`` compares)."""
    return int(getattr(_failed, "count", 0))


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
