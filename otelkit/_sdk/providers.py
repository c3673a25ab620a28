"""Building the SDK providers, exporters and processors of a pipeline from settings."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, cast

from otelkit._config.settings import Settings
from otelkit._core import drops as _drops
from otelkit._core import pipeline as _pipeline
from otelkit._core.switch import take_recorded
from otelkit._correlation.propagation import adopted_trace_id
from otelkit._logs import buffer as _log_buffer
from otelkit._logs import steps as _log_steps
from otelkit._logs.line_budget import with_line_budget
from otelkit._metering.emf_documents import DocumentWriter
from otelkit._metering.emf_meter import EMFMeterProvider, export_interval
from otelkit._process import resource_fields as _resource_fields
from otelkit._redaction.scrub import Redaction, compile_policy
from otelkit._sdk import export_plan, side_by_side
from otelkit._sdk.held_calls import HeldCalls
from otelkit._sdk.local_spans import LocalSpansTracerProvider
from otelkit._sdk.sampling import HeadSampler, head_sampler
from otelkit._values import caps as _log_caps
from otelkit._values.log_formats import renderer
from otelkit._values.propagation_policy import build_policy
from otelkit._values.terminal import colour_wanted

if TYPE_CHECKING:  # the SDK's packages load only when a signal needs them (spans that go
    # nowhere need none: ``local_spans``)
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.id_generator import IdGenerator

    from otelkit._sdk.outbox import Outbox


def xray_trace_id() -> int:
    """A trace ID X-Ray accepts everywhere: the first 32 bits the start time in epoch
    seconds (as ADOT's ``AwsXRayIdGenerator``), the other 96 random, so the W3C
    ``random-trace-id`` flag (at least the 56 rightmost bits random) still holds."""
    return (int(time.time()) & 0xFFFFFFFF) << 96 | (random.getrandbits(96) or 1)


class AdoptingIdGenerator:
    """X-Ray-compatible trace IDs (random span IDs), except the trace ID an incoming
    request already carries without a parent span (an ALB's X-Ray ``Root``), which
    ``start_span_from`` asks for. The SDK's ``IdGenerator`` methods, without loading the
    SDK."""

    def generate_span_id(self) -> int:
        span_id = random.getrandbits(64)
        while not span_id:  # 0 is the invalid span ID
            span_id = random.getrandbits(64)
        return span_id

    def generate_trace_id(self) -> int:
        return adopted_trace_id() or xray_trace_id()

    def is_trace_id_random(self) -> bool:
        """The W3C ``random-trace-id`` flag holds (``xray_trace_id``)."""
        return True


def assemble(
    *,
    settings: Settings,
    span_processors: list[SpanProcessor],
    metric_readers: list[MetricReader],
    logger_provider: LoggerProvider | None,
    render: Callable[[dict[str, Any]], str] | None,
    resource: Callable[[], Resource],
    outboxes: Sequence[Outbox] = (),
    emf: EMFMeterProvider | None = None,
    redacted_at_export: Sequence[SpanProcessor] = (),
    defer: bool = False,
    sinks: Sequence[_pipeline.LogSink] = (),
    also_close: Sequence[Callable[[], Any]] = (),
    prometheus_text: Callable[[], bytes] | None = None,
    exports: bool = False,
    redaction: Redaction | None = None,
) -> _pipeline.Pipeline:
    """Build providers around the given processors/readers and wrap them as a Pipeline,
    whole: nothing is added to it afterwards.

    ``resource`` makes the resource when a provider first needs it (spans and metrics that
    go nowhere never do). ``sinks`` receive every log event; ``also_close`` runs after
    the providers close (a log file); ``redaction`` is the policy compiled from
    ``settings`` when the caller already needed it (the resource), else it is compiled
    here.

    Every processor of ``span_processors`` is handed redacted spans in ``on_end``; those of
    ``redacted_at_export`` feed an exporter that redacts each batch itself (the OTLP
    outbox: ``redaction.redacting``), so the thread that ended the span pays nothing.

    ``flush`` and ``close`` export the signals side by side within one deadline
    (``side_by_side``: threads kept for it, none started per flush), and an outbox with
    nothing queued or metrics with nothing recorded since the last flush cost nothing.
    Metrics that go only to ``emf`` never enter the SDK; beside other readers each
    measurement goes to both, aggregated once for each. With ``defer`` (on Lambda, where
    they leave only at a flush) log records and spans are built and SDK measurements
    aggregated at the flush, not as lines are written, spans end and measurements made
    (``deferred_logs``, ``local_spans``, ``deferred_metrics``).
    """
    holds_spans = span_processors or redacted_at_export
    # Spans are the SDK's only where a processor needs them as they start or end: with
    # nowhere to send them they are kept in this process, far cheaper, and with only the
    # outbox on Lambda they are built at the flush.
    held_spans = (
        defer
        and not span_processors
        and bool(redacted_at_export)
        and all(map(_ends_only, redacted_at_export))
    )
    sampler = head_sampler(
        settings.sample_rate, settings.sample_min_per_second, named=settings.traces_sampler
    )
    tracer_provider: LocalSpansTracerProvider | TracerProvider
    if held_spans or not holds_spans:
        tracer_provider = LocalSpansTracerProvider(
            resource=resource, sampler=sampler, id_generator=AdoptingIdGenerator()
        )
    else:
        tracer_provider = _sdk_tracer_provider(resource(), sampler)
    if span_processors:  # redacted as they end, by the one processor in front of them
        from otelkit._sdk.span_processing import SpanProcessing  # (and the SDK's export)

        tracer_provider.add_span_processor(SpanProcessing(span_processors))
    held_calls: list[HeldCalls] = []
    if held_spans and isinstance(tracer_provider, LocalSpansTracerProvider):
        held_calls.append(tracer_provider.hold(redacted_at_export))
    else:
        for processor in redacted_at_export:
            tracer_provider.add_span_processor(processor)
    sdk_meters: Any = None
    if metric_readers:
        from opentelemetry.sdk.metrics import MeterProvider

        sdk_meters = MeterProvider(
            resource=resource(), metric_readers=metric_readers, shutdown_on_exit=False
        )
    elif emf is None:  # nowhere to go: the SDK's metrics package only if a reader comes
        from otelkit._sdk.idle_meters import IdleMeterProvider

        sdk_meters = IdleMeterProvider(resource())
    measured: Any = sdk_meters
    if defer and metric_readers:
        from otelkit._sdk.deferred_metrics import DeferredMeterProvider

        measured = DeferredMeterProvider(sdk_meters)
        held_calls.append(measured)
    meter_provider: Any = measured if emf is None else emf
    if sdk_meters is not None and emf is not None:
        from otelkit._metering.meter_tee import TeeMeterProvider

        meter_provider = TeeMeterProvider(measured, emf)
    otel_loggers = _logger_cache(logger_provider) if logger_provider is not None else None
    if defer and otel_loggers is not None:
        from otelkit._sdk.deferred_logs import DeferredLogs

        otel_loggers = DeferredLogs(otel_loggers)
        held_calls.append(otel_loggers)
    # Providers whose processors are not outboxes (tests, benchmarks) are flushed whole;
    # a tracer provider with no processor of its own holds nothing.
    others: list[Any] = [] if outboxes or not holds_spans else [tracer_provider]
    if logger_provider is not None and not outboxes:
        others.append(logger_provider)
    queues = bool(outboxes or others)
    within, metric_failures_here, metrics_held = _export_hooks(bool(outboxes or metric_readers))

    def flush(timeout: float) -> bool:
        for calls in held_calls:
            calls.drain()
        recorded = take_recorded()
        held = bool(metric_readers) and metrics_held()  # kept from an outage
        if not (queues or recorded or held):
            return True  # nothing can be waiting: an empty flush costs a few lookups
        deadline = time.monotonic() + timeout
        if recorded and emf is not None:
            emf.flush()
        jobs: list[Callable[[], bool]] = [
            functools.partial(_exported, outbox.export_until, deadline, within)
            for outbox in outboxes
            if len(outbox)
        ]
        if (recorded or held) and metric_readers:
            jobs.append(functools.partial(_exported, _metrics_delivered, deadline, within))
        if timeout < SIDE_BY_SIDE_MIN:  # a last-chance flush: the first signal (spans)
            delivered = all([job() for job in jobs])  # gets the whole budget, not a third
        else:
            delivered = side_by_side.run(jobs, deadline)
        with within(deadline):
            for outbox in outboxes:  # the empty ones: an overflow to report, at most
                delivered = outbox.export_until(deadline) and delivered
            for provider in others:
                delivered = _flushed(provider, deadline) and delivered
        return delivered

    def _metrics_delivered(deadline: float) -> bool:
        failures = metric_failures_here()  # counted per thread: this job's own
        return _flushed(sdk_meters, deadline) and metric_failures_here() == failures

    def close(timeout: float) -> None:
        for calls in held_calls:
            calls.drain()
        deadline = time.monotonic() + timeout
        last_exports: list[Callable[[float], object]] = [outbox.close for outbox in outboxes]
        if sdk_meters is not None:
            last_exports.append(lambda d: sdk_meters.shutdown(timeout_millis=_millis_left(d)))
        side_by_side.run(
            [functools.partial(_exported, export, deadline, within) for export in last_exports],
            deadline + CLOSE_GRACE,  # each counts what it could not send, after its deadline
        )
        with within(deadline):  # what is left holds nothing to send
            for provider in (tracer_provider, logger_provider):
                if provider is not None:
                    _quietly(provider.shutdown)
            if emf is not None:
                _quietly(emf.shutdown)
        for action in also_close:
            _quietly(action)
        _drops.summarize_if_due(final=True)

    level: int = logging.getLevelName(settings.log_level)
    # Buffering holds back records below the level; at DEBUG there are none to hold.
    buffering = settings.log_buffer and level > logging.DEBUG
    aggregator = None
    if settings.error_dedup_every is not None:  # the fingerprinting loads only when it is on
        from otelkit._logs import error_aggregation

        aggregator = error_aggregation.build(settings.error_dedup_every)
    if redaction is None:
        redaction = compile_policy(settings.scrub, settings.redact_keys)
    static_fields = _static_fields(settings, redaction)
    line_fields = _resource_fields.build(settings.resource_fields)
    shape_event = with_line_budget(
        _log_caps.shaper(settings.max_message_chars, settings.max_field_chars),
        settings.max_line_chars,
    )
    # Deferred records are made at the flush, whole, unless caps shape them with the line.
    otlp_later = defer and otel_loggers is not None and shape_event is None
    log_steps = _log_steps.steps_for(
        event=render is not None or bool(sinks),
        otlp=otel_loggers is not None,
        deployment=bool(static_fields) or line_fields is not None,
        shaped=shape_event is not None,
        otlp_later=otlp_later,
    )
    log_outputs = _log_steps.outputs_for(
        stdout=render is not None,
        sinks=bool(sinks),
        otlp=otel_loggers is not None,
        otlp_later=otlp_later,
    )
    return _pipeline.Pipeline(
        settings=settings,
        log_steps=log_steps,
        log_outputs=log_outputs,
        sinks=tuple(sinks),
        prometheus_text=prometheus_text,
        exports=exports,
        redaction=redaction,
        record_controls=(aggregator,) if aggregator is not None else (),
        error_aggregator=aggregator,
        shape_event=shape_event,
        max_message_chars=settings.max_message_chars,
        service=settings.service_name,
        service_version=settings.service_version,
        environment=settings.environment,
        static_fields=static_fields,
        line_fields=line_fields,
        level=level,
        render=render,
        otel_loggers=otel_loggers,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        flush=flush,
        close=close,
        propagation=build_policy(
            settings.propagate_to,
            settings.private_ids,
            settings.trusted_callers,
            trusted_proxies=settings.trusted_proxies,
            untrusted_correlation_ids=settings.untrusted_correlation_ids,
        ),
        log_buffer_capacity=_log_buffer.CAPACITY if buffering else 0,
        lambda_single_record=settings.lambda_single_record,
        lambda_request_telemetry=settings.lambda_request_telemetry,
        log_sample_rate=settings.log_sample_rate,
        slow_request_ms=settings.slow_request_ms,
        request_field_aliases=settings.request_field_aliases,
    )


def _export_hooks(
    exporting: bool,
) -> tuple[Callable[[float], AbstractContextManager[None]], Callable[[], int], Callable[[], bool]]:
    """The collector link's deadline, the metric failure count and whether metric points
    are held from an outage, imported only when something exports (an EMF-only Lambda
    function's cold start never loads the HTTP stack)."""
    if not exporting:
        return (lambda _deadline: contextlib.nullcontext()), (lambda: 0), (lambda: False)
    from otelkit._sdk import metric_export
    from otelkit._sdk.collector_link import within

    return within, metric_export.metric_failures_here, metric_export.metrics_held


#: Below this budget a flush sends its signals one after the other, spans first: three
#: requests at once share the CPU three ways (the collector's too, on a sidecar), and a
#: last-chance flush on Lambda (a few hundred milliseconds) delivered none in time.
SIDE_BY_SIDE_MIN = 0.5
#: How long past its deadline a signal's close may take to count what it could not send
#: (an outbox aborts the request in flight with a grace of its own, then counts): waited
#: for, so the final drop summary has every signal's count.
CLOSE_GRACE = 0.25


def _exported(
    export: Callable[[float], object],
    deadline: float,
    within: Callable[[float], AbstractContextManager[None]],
) -> bool:
    """``export(deadline)``, every collector request of it bounded by ``deadline``."""
    with within(deadline):  # a thread's own bound: set in the thread that exports
        return bool(export(deadline))


def _millis_left(deadline: float) -> int:
    return max(0, int((deadline - time.monotonic()) * 1000))


def _flushed(provider: Any, deadline: float) -> bool:
    try:
        return bool(provider.force_flush(_millis_left(deadline)))
    except Exception:  # the meter provider raises when a reader ran out of time
        return False


def _quietly(action: Callable[[], Any]) -> None:
    try:
        action()
    except Exception:  # the SDK already logged it; shutting down goes on
        return


def _logger_cache(provider: LoggerProvider) -> Callable[[str], Any]:
    cache: dict[str, Any] = {}

    def logger_for(name: str) -> Any:
        found = cache.get(name)
        if found is None:
            found = cache.setdefault(name, provider.get_logger(name))
        return found

    return logger_for


def build(settings: Settings, resource: Resource | None = None) -> _pipeline.Pipeline:
    """The pipeline ``configure()`` activates: OTLP when there is an endpoint, console otherwise.

    ``resource``, when given, is a forked child's parent's: it is used, with the child's
    own pid and instance id, instead of detecting one (the platform has not changed, and
    detection may wait on metadata endpoints).
    """
    if settings.sdk_disabled:  # OTEL_SDK_DISABLED: stdout lines only, whatever else is set
        settings = dataclasses.replace(
            settings, endpoint=None, traces_endpoint=None, logs_endpoint=None, console=False
        )
    if settings.otel_log_level is not None:
        _diagnostics_level(settings.otel_log_level)
    redaction = compile_policy(settings.scrub, settings.redact_keys)
    resource_of = LazyResource(settings, redaction, resource)
    span_processors: list[SpanProcessor] = []
    redacted_at_export: list[SpanProcessor] = []
    metric_readers: list[MetricReader] = []
    logger_provider = None
    outboxes: list[Outbox] = []
    signals = export_plan.plan(settings)
    exports = False
    if any(signal.url for signal in signals.values()):  # the exporters load only to be used
        from otelkit._sdk import otlp_export
        from otelkit._sdk.outbox import OutboxSpanProcessor

        export = otlp_export.build(
            settings, resource_of(), on_lambda=on_lambda(), redaction=redaction
        )
        if export.spans is not None:
            outboxes.append(export.spans)
            processor: SpanProcessor = OutboxSpanProcessor(export.spans)
            if signals["traces"].protocol == "grpc":
                # The SDK's encoder fails a whole batch on one lone surrogate: each span is
                # repaired as it ends. otelkit's OTLP/HTTP writer repairs while it encodes.
                from otelkit._sdk.text_repair import RepairingSpanProcessor

                processor = RepairingSpanProcessor(processor)
            redacted_at_export.append(processor)
        if export.metric_reader is not None:
            metric_readers.append(export.metric_reader)
        if export.logs is not None:
            outboxes.append(export.logs)
            logger_provider = export.logger_provider
        exports = bool(outboxes) or export.metric_reader is not None
    emf = None
    if settings.emf_namespace:
        writer = DocumentWriter(
            settings.emf_namespace,
            settings.service_name,
            settings.emf_storage_resolution,
            stage=settings.environment if settings.emf_stage_dimension else None,
        )
        # On Lambda the end-of-invocation flush writes them; a thread would be frozen.
        interval = None if on_lambda() else export_interval()
        emf = EMFMeterProvider(writer, interval)
    if signals["traces"].console:
        from otelkit._sdk.console import ConsoleSpanTree

        span_processors.append(ConsoleSpanTree())
    if signals["metrics"].console:
        from otelkit._sdk.console import ConsoleMetricsSummary

        metric_readers.append(ConsoleMetricsSummary())
    prometheus_text = None
    if settings.prometheus or "prometheus" in (settings.metrics_exporter or ()):
        from otelkit._sdk.prometheus import prometheus_reader

        reader, prometheus_text = prometheus_reader()
        metric_readers.append(reader)
    render = None
    if settings.log_stdout:
        render = renderer(settings.log_format, colour=colour_wanted(sys.stdout))
    log_file = _log_file(settings) if settings.log_to_file else None
    return assemble(
        settings=settings,
        span_processors=span_processors,
        metric_readers=metric_readers,
        logger_provider=logger_provider,
        render=render,
        resource=resource_of,
        outboxes=outboxes,
        emf=emf,
        redacted_at_export=redacted_at_export,
        defer=on_lambda(),
        sinks=() if log_file is None else (log_file[0],),
        also_close=() if log_file is None else (log_file[1],),
        prometheus_text=prometheus_text,
        exports=exports,
        redaction=redaction,
    )


class LazyResource:
    """The pipeline's resource, made once, when a provider first needs it: detected from
    the platform, or a forked child's parent's with the child's own pid and instance id.
    ``made`` says whether that happened (a forked child reuses only a made one)."""

    def __init__(self, settings: Settings, redaction: Redaction, inherited: Resource | None):
        self._settings, self._redaction, self._inherited = settings, redaction, inherited
        self.made: Resource | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Resource:
        with self._lock:
            if self.made is None:
                from otelkit._sdk.resource import build_resource, for_this_process

                if self._inherited is None:
                    self.made = build_resource(self._settings, self._redaction)
                else:
                    self.made = for_this_process(self._inherited)
            return self.made


def _sdk_tracer_provider(resource: Resource, sampler: HeadSampler) -> TracerProvider:
    """The SDK's provider, for spans that processors see as they start or end."""
    from opentelemetry.sdk.trace import TracerProvider

    from otelkit._sdk.sdk_sampling import SdkSampler

    return TracerProvider(
        resource=resource,
        sampler=SdkSampler(sampler),
        id_generator=cast("IdGenerator", AdoptingIdGenerator()),
        shutdown_on_exit=False,
    )


def on_lambda() -> bool:
    """Whether this process runs as an AWS Lambda function (the runtime sets the name)."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def _diagnostics_level(level: str) -> None:
    """``OTEL_LOG_LEVEL`` on otelkit's and the SDK's own diagnostic loggers."""
    from otelkit._sdk.otlp_export import QUIET_LOGGERS

    for name in ("opentelemetry", "otelkit._sdk", "otelkit.emf", *QUIET_LOGGERS):
        logging.getLogger(name).setLevel(level)


def _static_fields(settings: Settings, redaction: Redaction) -> dict[str, str]:
    if not settings.platform_fields:
        fields = dict(settings.static_fields)
    else:
        from otelkit._process.platform import platform_fields

        fields = {**platform_fields(), **settings.static_fields}
    # On every line: ``OTELKIT_STATIC_FIELDS=api_key=…`` is redacted like any field.
    return redaction.redacted_settings(fields) if settings.scrub else fields


def _log_file(settings: Settings) -> tuple[_pipeline.LogSink, Callable[[], None]] | None:
    """The sink writing the lines to ``LOG_DIR/<service>/`` too, and what closes the file
    with the pipeline; None when the file cannot be opened (reported: the program runs
    without it)."""
    from otelkit._logs.files import file_sink

    made = file_sink(
        settings.log_dir,
        settings.service_name,
        max_bytes=settings.log_file_max_bytes,
        backups=settings.log_file_backups,
        rotate_seconds=settings.log_file_rotate_seconds,
    )
    if made is None:
        return None
    sink, target = made
    return sink, target.close


def attach_prometheus(pipeline: _pipeline.Pipeline) -> _pipeline.Pipeline | None:
    """``pipeline`` with the Prometheus reader added to its SDK meter provider, as it
    runs: for a pipeline configured with ``prometheus=False`` whose process serves
    ``/metrics`` after all. It serves what is recorded from now on. A new pipeline (the
    same providers), for the caller to swap in whole; ``pipeline`` itself when it has the
    reader already; None when metrics never enter the SDK (EMF only) or the SDK cannot
    add a reader.

    Raises:
        ImportError: the ``runtime`` extra is not installed.
    """
    if pipeline.prometheus_text is not None:
        return pipeline
    provider = pipeline.meter_provider
    provider = getattr(provider, "sdk", provider)  # beside EMF (a tee)
    provider = getattr(provider, "sdk", provider)  # a deferring wrapper (on Lambda)
    from opentelemetry.sdk.metrics import MeterProvider

    from otelkit._sdk.idle_meters import IdleMeterProvider

    add: Callable[[Any], None]
    if isinstance(provider, IdleMeterProvider):
        add = provider.attach
    elif isinstance(provider, MeterProvider) and hasattr(provider, "add_metric_reader"):
        add = provider.add_metric_reader
    else:
        return None
    from otelkit._sdk.prometheus import prometheus_reader

    reader, text = prometheus_reader()
    add(reader)
    return dataclasses.replace(pipeline, prometheus_text=text)


def _ends_only(processor: SpanProcessor) -> bool:
    """Whether ``processor`` acts only on ended spans (so it can be given them later)."""
    from opentelemetry.sdk.trace import SpanProcessor  # loaded with the processor

    kind, ending = type(processor), getattr(SpanProcessor, "_on_ending", None)
    return kind.on_start is SpanProcessor.on_start and getattr(kind, "_on_ending", None) is ending
