"""OTLP export: otelkit's OTLP/HTTP exporters behind its outboxes and collector link.

The exporters (``otlp_http``) encode and read the answers; the outboxes (``outbox``)
decide when to send and what a failure costs; the link (``collector_link``) bounds every
request by the flush that asked for it and remembers when the collector is away.
Metrics go through the SDK's periodic reader and ``metric_export``.
"""

from __future__ import annotations

import importlib
import logging
import os
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
    MetricExporter,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource

from otelkit._config.settings import Settings
from otelkit._redaction.scrub import Redaction, compile_policy
from otelkit._sdk import export_plan
from otelkit._sdk.collector_link import CollectorClient, CollectorLink
from otelkit._sdk.export_plan import SignalPlan
from otelkit._sdk.http_post import Connection
from otelkit._sdk.metric_export import CountedMetricExport, OtlpMetricExporter
from otelkit._sdk.outbox import Outbox, OutboxLogProcessor
from otelkit._sdk.redaction import ExportSpans, redacting

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
#: A long-running service's default: sums and histograms as deltas, so their first point
#: arrives; a gauge cumulative, so its last value is reported every interval (an alarm
#: on a breaker left open keeps seeing 1). awsemf never drops gauge points.
SERVICE_DEFAULT: dict[type, AggregationTemporality] = {
    **DELTA,
    _Gauge: AggregationTemporality.CUMULATIVE,
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


def on_lambda() -> bool:
    """Whether this process runs as an AWS Lambda function (the runtime sets the name)."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def build(
    settings: Settings, resource: Resource, *, on_lambda: bool, redaction: Redaction | None = None
) -> OtlpExport:
    """Exporters behind outboxes for every signal with an endpoint. On Lambda nothing
    exports in the background (the end-of-invocation flush does), and metrics are deltas.
    Spans leave redacted by ``redaction`` (the settings' own policy when not given)."""
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
        export_spans = span_exporter.export
        if settings.scrub:
            if redaction is None:
                redaction = compile_policy(settings.scrub, settings.redact_keys)
            export_spans = redacting(cast("ExportSpans", export_spans), redaction)
        built.spans = Outbox(
            export_spans,
            "spans",
            links.get("traces"),
            background=not on_lambda,
            export_timeout=signals["traces"].timeout,
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
            export_timeout=signals["logs"].timeout,
            shutdown=log_exporter.shutdown,
            on_full=settings.on_full,
            on_full_timeout=settings.on_full_timeout,
        )
        built.logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        built.logger_provider.add_log_record_processor(OutboxLogProcessor(built.logs))
    if metric_exporter is not None:
        built.metric_reader = PeriodicExportingMetricReader(
            metric_exporter, export_timeout_millis=signals["metrics"].timeout * 1000
        )
    return built


Exporters = tuple[Any, MetricExporter | None, Any]


def _exporters(
    settings: Settings,
    signals: dict[str, SignalPlan],
    on_lambda: bool,
    links: dict[str, CollectorLink],
) -> Exporters:
    """The OTLP exporter of each signal that has somewhere to go (None for the others).

    OTLP/HTTP is otelkit's own (``otlp_http``), one client per signal; ``links`` receives
    each signal's link (one link per collector host: its signals fail together). gRPC
    is the SDK's exporters, with no link.
    """
    if not any(signal.url for signal in signals.values()):
        return None, None, None  # nothing leaves the process: import no exporter
    from otelkit._sdk import otlp_options
    from otelkit._sdk.otlp_http import (
        OtlpHttpExporter,
        Signal,
        logs_signal,
        metrics_signal,
        spans_signal,
    )
    from otelkit._sdk.sigv4 import signer_for, wants_signing

    temporality = export_plan.temporality(settings.metrics_temporality)
    if temporality is None:  # the user chose none: deltas, so no first point is lost
        temporality = DELTA if on_lambda else SERVICE_DEFAULT
    metrics = signals["metrics"]
    signed = metrics.protocol != "grpc" and wants_signing(metrics.url or "", settings.aws_sigv4)
    if metrics.url and signed:  # no AWS OTLP endpoint takes metrics: they stay EMF on stdout
        signals = {**signals, "metrics": metrics._replace(url=None)}
    by_host: dict[str, CollectorLink] = {}

    def exporter(url: str, signal: str, timeout: float, shapes: Signal) -> OtlpHttpExporter:
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

    shapes = {"traces": spans_signal, "metrics": metrics_signal, "logs": logs_signal}

    def for_signal(signal: str) -> Any:
        found = signals[signal]
        if found.url is None:
            return None
        if found.protocol == "grpc":
            return _grpc_exporter(signal, found.url, found.timeout, temporality)
        made = exporter(found.url, signal, found.timeout, shapes[signal]())
        return OtlpMetricExporter(made, temporality) if signal == "metrics" else made

    return for_signal("traces"), for_signal("metrics"), for_signal("logs")


#: The SDK's gRPC exporter class of each signal, imported only when used.
_GRPC = {
    "traces": "opentelemetry.exporter.otlp.proto.grpc.trace_exporter:OTLPSpanExporter",
    "metrics": "opentelemetry.exporter.otlp.proto.grpc.metric_exporter:OTLPMetricExporter",
    "logs": "opentelemetry.exporter.otlp.proto.grpc._log_exporter:OTLPLogExporter",
}


def _grpc_exporter(signal: str, endpoint: str, timeout: float, temporality: Any) -> Any:
    """The SDK's gRPC exporter of ``signal``, its answers' partial success read."""
    module, _, name = _GRPC[signal].partition(":")
    try:
        kind = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise ImportError("OTLP over gRPC needs: pip install 'otelkit[grpc]'") from exc
    from otelkit._sdk.grpc_answers import GrpcOutcomes, reading_answers

    made = reading_answers(kind)
    if signal == "metrics":
        return CountedMetricExport(
            made(endpoint=endpoint, timeout=timeout, preferred_temporality=temporality)
        )
    return GrpcOutcomes(made(endpoint=endpoint, timeout=timeout))
