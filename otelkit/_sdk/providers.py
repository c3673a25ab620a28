"""Building the SDK providers, exporters and processors of a pipeline from settings."""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricReader,
    MetricsData,
    NumberDataPoint,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind

from otelkit import _error_aggregation, _log_buffer, _log_caps, _pipeline
from otelkit._ids import current_ids
from otelkit._log_formats import renderer
from otelkit._metrics import display_name
from otelkit._propagation import adopted_trace_id
from otelkit._propagation_policy import build_policy
from otelkit._scrub import scrub_urls
from otelkit._sdk.console import ConsoleMetricsSummary, ConsoleSpanTree
from otelkit._sdk.emf import EMFExporter
from otelkit._sdk.resource import build_resource
from otelkit._settings import Settings

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


Exporters = tuple[SpanExporter | None, MetricExporter | None, LogRecordExporter | None]


def _exporters(settings: Settings) -> Exporters:
    """The OTLP exporter of each signal that has somewhere to go (None for the others)."""
    endpoint, timeout = settings.endpoint, settings.export_timeout
    if not (endpoint or settings.traces_endpoint or settings.logs_endpoint):
        return None, None, None  # nothing leaves the process: import no exporter
    if settings.protocol == "grpc" and endpoint:
        try:
            from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
                OTLPMetricExporter,
            )
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        except ImportError as exc:
            raise ImportError("OTLP over gRPC needs: pip install 'otelkit[grpc]'") from exc
        return (
            OTLPSpanExporter(endpoint=endpoint, timeout=timeout),
            OTLPMetricExporter(endpoint=endpoint, timeout=timeout),
            OTLPLogExporter(endpoint=endpoint, timeout=timeout),
        )
    from opentelemetry.exporter.otlp.proto.http._log_exporter import (
        OTLPLogExporter as HTTPLogExporter,
    )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HTTPMetricExporter,
    )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HTTPSpanExporter,
    )

    from otelkit._sdk.sigv4 import signing_session, wants_signing

    traces = settings.traces_endpoint or (f"{endpoint}/v1/traces" if endpoint else None)
    logs = settings.logs_endpoint or (f"{endpoint}/v1/logs" if endpoint else None)
    metrics = f"{endpoint}/v1/metrics" if endpoint else None
    if metrics and wants_signing(metrics, settings.aws_sigv4):
        metrics = None  # no AWS OTLP endpoint takes metrics: they stay EMF on stdout
    return (
        HTTPSpanExporter(
            endpoint=traces,
            timeout=timeout,
            session=signing_session(traces, "traces", settings.aws_sigv4),
        )
        if traces
        else None,
        HTTPMetricExporter(endpoint=metrics, timeout=timeout) if metrics else None,
        HTTPLogExporter(
            endpoint=logs,
            timeout=timeout,
            session=signing_session(logs, "logs", settings.aws_sigv4),
        )
        if logs
        else None,
    )


def assemble(
    *,
    settings: Settings,
    span_processors: list[SpanProcessor],
    metric_readers: list[MetricReader],
    logger_provider: LoggerProvider | None,
    render: Callable[[dict[str, Any]], str] | None,
    resource: Resource,
) -> _pipeline.Pipeline:
    """Build providers around the given processors/readers and wrap them as a Pipeline."""
    tracer_provider = TracerProvider(
        resource=resource,
        sampler=ParentBased(TraceIdRatioBased(settings.sample_rate)),
        id_generator=AdoptingIdGenerator(),
        shutdown_on_exit=False,
    )
    tracer_provider.add_span_processor(StampIds())
    for processor in span_processors:
        tracer_provider.add_span_processor(processor)
    meter_provider = MeterProvider(
        resource=resource, metric_readers=metric_readers, shutdown_on_exit=False
    )
    providers: list[Any] = [tracer_provider, meter_provider]
    otel_loggers = None
    if logger_provider is not None:
        providers.append(logger_provider)
        otel_loggers = _logger_cache(logger_provider)

    def flush(timeout: float) -> bool:
        millis = int(timeout * 1000)
        return _all_within([functools.partial(p.force_flush, millis) for p in providers], timeout)

    def close(timeout: float) -> None:
        _all_within([provider.shutdown for provider in providers], timeout)

    level: int = logging.getLevelName(settings.log_level)
    # Buffering holds back records below the level; at DEBUG there are none to hold.
    buffering = settings.log_buffer and level > logging.DEBUG
    aggregator = _error_aggregation.build(settings.error_dedup_every)
    return _pipeline.Pipeline(
        record_controls=(aggregator,) if aggregator is not None else (),
        error_aggregator=aggregator,
        shape_event=_log_caps.shaper(settings.max_message_chars, settings.max_field_chars),
        max_message_chars=settings.max_message_chars,
        service=settings.service_name,
        service_version=settings.service_version,
        environment=settings.environment,
        static_fields=_static_fields(settings),
        level=level,
        render=render,
        otel_loggers=otel_loggers,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        flush=flush,
        close=close,
        scrub=settings.scrub,
        propagation=build_policy(settings.propagate_to, settings.private_ids),
        log_buffer_capacity=_log_buffer.CAPACITY if buffering else 0,
        lambda_single_record=settings.lambda_single_record,
        log_sample_rate=settings.log_sample_rate,
    )


def _logger_cache(provider: LoggerProvider) -> Callable[[str], Any]:
    cache: dict[str, Any] = {}

    def logger_for(name: str) -> Any:
        found = cache.get(name)
        if found is None:
            found = cache.setdefault(name, provider.get_logger(name))
        return found

    return logger_for


def _all_within(actions: list[Callable[[], Any]], timeout: float) -> bool:
    """Run every action at once and wait for all of them until one shared deadline.

    Concurrently, so a collector that never answers the span export cannot keep the
    metrics and logs from being flushed, and the whole call returns within ``timeout``
    (Lambda's remaining time depends on it). True only if every action finished well.
    """
    outcomes: list[bool] = []

    def run(action: Callable[[], Any]) -> None:
        try:
            result = action()
            outcomes.append(result is None or bool(result))  # shutdown() returns None
        except Exception:  # the SDK already logged it; a failed flush is just False
            outcomes.append(False)

    workers = [
        threading.Thread(target=run, args=(action,), name="otelkit-flush", daemon=True)
        for action in actions
    ]
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    return len(outcomes) == len(actions) and all(outcomes)


def build(settings: Settings) -> _pipeline.Pipeline:
    """The pipeline ``configure()`` activates: OTLP when there is an endpoint, console otherwise."""
    if settings.sdk_disabled:  # OTEL_SDK_DISABLED: stdout lines only, whatever else is set
        settings = dataclasses.replace(
            settings, endpoint=None, traces_endpoint=None, logs_endpoint=None, console=False
        )
    resource = build_resource(settings)
    span_processors: list[SpanProcessor] = []
    metric_readers: list[MetricReader] = []
    logger_provider = None
    span_exporter, metric_exporter, log_exporter = _exporters(settings)
    if span_exporter is not None:
        span_processors.append(BatchSpanProcessor(span_exporter))
    if metric_exporter is not None:
        metric_readers.append(PeriodicExportingMetricReader(PreserveMetricNames(metric_exporter)))
    if log_exporter is not None:
        logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))
    if settings.emf_namespace:
        metric_readers.append(
            PeriodicExportingMetricReader(
                EMFExporter(settings.emf_namespace, settings.service_name)
            )
        )
    if settings.console:
        span_processors.append(ConsoleSpanTree())
        metric_readers.append(ConsoleMetricsSummary())
    prometheus_text = None
    if settings.prometheus:
        from otelkit._sdk.prometheus import prometheus_reader

        reader, prometheus_text = prometheus_reader()
        metric_readers.append(reader)
    render = None
    if settings.log_stdout:
        render = renderer(settings.log_format, colour=sys.stdout.isatty())
    pipeline = assemble(
        settings=settings,
        span_processors=span_processors,
        metric_readers=metric_readers,
        logger_provider=logger_provider,
        render=render,
        resource=resource,
    )
    pipeline.prometheus_text = prometheus_text
    if settings.log_to_file:
        _add_log_file(pipeline, settings)
    return pipeline


def _static_fields(settings: Settings) -> dict[str, str]:
    if not settings.platform_fields:
        return dict(settings.static_fields)
    from otelkit._platform import platform_fields

    return {**platform_fields(), **settings.static_fields}


def _add_log_file(pipeline: _pipeline.Pipeline, settings: Settings) -> None:
    """Write the lines to ``LOG_DIR/<service>/`` too; the file closes with the pipeline."""
    from otelkit._log_files import file_sink

    sink, target = file_sink(
        settings.log_dir,
        settings.service_name,
        max_bytes=settings.log_file_max_bytes,
        backups=settings.log_file_backups,
        rotate_seconds=settings.log_file_rotate_seconds,
    )
    pipeline.sinks.append(sink)
    close_providers = pipeline.close

    def close(timeout: float) -> None:
        close_providers(timeout)
        target.close()

    pipeline.close = close
