"""Per-call hot paths: a decorated call, a log line (OTLP and JSON), a metric, start-up.

Baselines do the same work: the span baseline is the SDK's flat start/attach/detach/end
path with the same three attributes, exporting through its batch processor and the same
OTLP exporter as otelkit's production pipeline (timed in the calling thread's CPU: both
export in a background thread); the structlog baseline writes the same fields (logger,
service, environment, IDs, source) as otelkit's JSON line.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import warnings
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from _pipelines import (
    IDS,
    BoundIds,
    activate,
    bare_exporting,
    configure_exporting,
    pipeline,
    receiver_endpoint,
)
from harness import Pair
from opentelemetry import context, trace
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased

import otelkit
from otelkit._logs import handler as _logging
from otelkit._sdk.outbox import BATCH_SIZE
from otelkit._values.log_formats import render_json


def _bounded(exporter: InMemoryLogRecordExporter) -> None:
    """Keep the in-memory exporter from growing for the whole run."""
    stored = getattr(exporter, "_logs", None)
    if stored is not None and len(stored) > 10_000:
        exporter.clear()


def _exporting_pair(
    name: str, baseline_name: str, *, sample_rate: float, goal: float, sampler: Sampler | None
) -> Pair:
    """A decorated call on the production pipeline against the SDK's flat path with the
    same three attributes. Both export over OTLP/HTTP from a background thread, so the
    pair compares what the calling thread pays (its CPU time); the export threads' work
    is the ``export`` pair's. A round stays under one export batch and both sides are
    flushed between rounds, untimed: no round runs next to a busy export thread, and no
    queue overflows (a service producing spans faster than it can send them is another
    benchmark)."""

    def work() -> None:
        pass

    decorated = otelkit.traced(work)
    provider = bare_exporting(sampler)
    tracer = provider.get_tracer("bench")

    def bare() -> None:
        current = tracer.start_span("work", attributes=IDS)
        token = context.attach(trace.set_span_in_context(current))
        try:
            work()  # the same function call the decorated side makes
        finally:
            context.detach(token)
            current.end()

    ids = BoundIds(lambda: configure_exporting(receiver_endpoint(), sample_rate=sample_rate))

    def teardown() -> None:
        ids.teardown()
        otelkit.shutdown(2.0)
        provider.shutdown()

    def settle() -> None:
        otelkit.flush(5.0)
        provider.force_flush(5000)

    return Pair(
        name,
        decorated,
        baseline_name,
        bare,
        goal=goal,
        clock="thread",
        number=BATCH_SIZE - 100,
        rounds=31,
        setup=ids.setup,
        teardown=teardown,
        settle=settle,
    )


def span_pair() -> Pair:
    return _exporting_pair(
        "@traced call, 3 bound IDs (calling thread)",
        "SDK flat path + batch processor, 3 attrs",
        sample_rate=1.0,
        goal=1.05,
        sampler=None,
    )


def unsampled_span_pair() -> Pair:
    """A call whose trace is sampled out: what most calls cost at ``sample_rate=0.05``."""
    return _exporting_pair(
        "@traced call, sampled out (calling thread)",
        "SDK flat path, ratio sampler 0",
        sample_rate=0.0,
        goal=1.1,
        sampler=ParentBased(TraceIdRatioBased(0.0)),
    )


def log_otlp_pair() -> Pair:
    ours_exporter = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
    provider = LoggerProvider(resource=Resource.get_empty(), shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(ours_exporter))
    otlp_only = pipeline(logger_provider=provider)
    ours = otelkit.get_logger("bench.ours")

    def ours_otlp() -> None:
        ours.info("Scene generated", scene=1)
        _bounded(ours_exporter)

    bare_exporter = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
    bare_provider = LoggerProvider(resource=Resource.get_empty(), shutdown_on_exit=False)
    bare_provider.add_log_record_processor(SimpleLogRecordProcessor(bare_exporter))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        handler = LoggingHandler(logger_provider=bare_provider)
    bare_logger = logging.getLogger("bench.bare")
    bare_logger.propagate = False
    bare_logger.addHandler(handler)
    bare_logger.setLevel(logging.INFO)

    def bare() -> None:
        bare_logger.info("Scene generated", extra={**IDS, "scene": 1})
        _bounded(bare_exporter)

    def install() -> None:
        _logging.install(logging.INFO)
        activate(otlp_only)

    ids = BoundIds(install)
    return Pair(
        "log line -> OTLP LogRecord, 3 IDs",
        ours_otlp,
        "SDK LoggingHandler, 3 extras",
        bare,
        goal=1.0,
        setup=ids.setup,
        teardown=ids.teardown,
    )


def log_json_pair() -> Pair:
    sink = io.StringIO()
    json_only = pipeline(render=render_json)
    ours = otelkit.get_logger("bench.ours")

    def drain() -> None:
        sink.seek(0)
        sink.truncate()

    def ours_json() -> None:
        ours.info("Scene generated", scene=1)
        drain()

    def add_source(_: object, __: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
        frame = sys._getframe(5)  # the caller of slog.info, as otelkit's `source` field
        event["source"] = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        return event

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            add_source,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(file=sink),
        cache_logger_on_first_use=True,
    )
    slog = structlog.get_logger().bind(logger="bench.structlog", service="bench", environment="dev")

    def with_structlog() -> None:
        slog.info("Scene generated", scene=1)
        drain()

    real_stdout = sys.stdout

    def install() -> None:
        _logging.install(logging.INFO)
        activate(json_only)
        structlog.contextvars.bind_contextvars(**IDS)
        sys.stdout = sink

    ids = BoundIds(install)

    def setup() -> None:
        ids.setup()

    def teardown() -> None:
        ids.teardown()
        sys.stdout = real_stdout
        structlog.contextvars.clear_contextvars()

    return Pair(
        "log line -> JSON line, 3 IDs",
        ours_json,
        "structlog JSON, same fields",
        with_structlog,
        goal=1.1,
        anchor="structlog",
        setup=setup,
        teardown=teardown,
    )


def metric_pair() -> Pair:
    metrics_only = pipeline(metric_readers=[InMemoryMetricReader()])
    bare_counter = (
        MeterProvider(metric_readers=[InMemoryMetricReader()], shutdown_on_exit=False)
        .get_meter("bench")
        .create_counter("c")
    )
    attributes = {"status": "completed"}
    return Pair(
        "otelkit.count, 1 dimension",
        lambda: otelkit.count("MessagesProcessed", 1, status="completed"),
        "SDK Counter.add, 1 attribute",
        lambda: bare_counter.add(1, attributes),
        goal=1.2,
        setup=lambda: activate(metrics_only),
    )


STARTUP_OURS = (
    "import otelkit; otelkit.configure(endpoint='http://127.0.0.1:9', "
    "log_stdout=False, console=False)"
)
STARTUP_BARE = "\n".join(
    [
        "from opentelemetry.sdk.trace import TracerProvider",
        "from opentelemetry.sdk.trace.export import BatchSpanProcessor",
        "from opentelemetry.sdk.metrics import MeterProvider",
        "from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader",
        "from opentelemetry.sdk._logs import LoggerProvider",
        "from opentelemetry.sdk._logs.export import BatchLogRecordProcessor",
        "from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter",
        "from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter",
        "from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter",
        # Build what configure() builds, so both sides pay for the exporters' HTTP stack.
        "url = 'http://127.0.0.1:9'",
        "TracerProvider().add_span_processor(BatchSpanProcessor(OTLPSpanExporter(url)))",
        "MeterProvider([PeriodicExportingMetricReader(OTLPMetricExporter(url))])",
        "LoggerProvider().add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(url)))",
    ]
)


def _process(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True)


def startup_pair() -> Pair:
    # One process per call, 30 paired rounds; otelkit is byte-compiled by the runner and
    # the SDK by pip, so neither side pays for compiling.
    return Pair(
        "import otelkit + configure() (process)",
        lambda: _process(STARTUP_OURS),
        "import + build SDK, OTLP exporters",
        lambda: _process(STARTUP_BARE),
        goal=1.25,
        number=1,
        rounds=30,
    )


def pairs() -> list[Pair]:
    return [
        span_pair(),
        unsampled_span_pair(),
        log_otlp_pair(),
        log_json_pair(),
        metric_pair(),
        startup_pair(),
    ]
