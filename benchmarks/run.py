"""Hot-path cost of otelkit against the bare OpenTelemetry SDK and structlog, as ratios.

Every pair runs in this one process on equivalent in-memory pipelines, interleaved, and the
best of several repeats is kept, so the ratios are stable on a busy machine even when the
absolute numbers are not. Run with ``make bench``.

Pairs:
  span     ``@otelkit.traced`` call, 3 bound IDs   vs  ``start_as_current_span`` + 3 attributes
  log      otelkit log line, 3 bound IDs          vs  the SDK's LoggingHandler; structlog JSON
  metric   ``otelkit.count``, one dimension        vs  ``Counter.add`` on the SDK
  startup  ``import otelkit; configure(...)``      vs  importing and building SDK + OTLP exporters
"""

from __future__ import annotations

import io
import logging
import statistics
import subprocess
import sys
import time
import timeit
import warnings
from collections.abc import Callable

import structlog
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otelkit
from otelkit import _logging, _pipeline
from otelkit._log_formats import render_json
from otelkit._sdk.providers import assemble
from otelkit._settings import resolve

IDS = {"job_id": "job-8f14e45fceea167a5a36dedd4bea2543", "session_id": "sess-abc",
       "correlation_id": "660e9500-f39c-52e5-b827-557766551111"}
NUMBER = 2000
REPEAT = 5
Row = tuple[str, float, str, float]


def best_per_call(func: Callable[[], object]) -> float:
    """Best mean time per call, in microseconds."""
    return min(timeit.repeat(func, number=NUMBER, repeat=REPEAT)) / NUMBER * 1e6


def compare(name: str, ours: Callable[[], object], other_name: str,
            other: Callable[[], object]) -> Row:
    """Interleave measurements of ``ours`` and a baseline; keep the best of each."""
    ours_times, other_times = [], []
    for _ in range(3):
        ours_times.append(best_per_call(ours))
        other_times.append(best_per_call(other))
    return name, min(ours_times), other_name, min(other_times)


def pipeline(**parts: object) -> _pipeline.Pipeline:
    """An otelkit pipeline with only the given parts, nothing printed."""
    settings = resolve({"console": False, "log_stdout": False, "resource_detectors": "none",
                        "log_level": "INFO"}, environ={})
    defaults: dict[str, object] = {"span_processors": [], "metric_readers": [],
                                   "logger_provider": None, "render": None}
    return assemble(settings=settings, resource=Resource.get_empty(),
                    **{**defaults, **parts})  # type: ignore[arg-type]


def span_pair() -> Row:
    ours_exporter = InMemorySpanExporter()
    _pipeline.activate(pipeline(span_processors=[SimpleSpanProcessor(ours_exporter)]))

    @otelkit.traced
    def decorated() -> None:
        if len(ours_exporter._finished_spans) > 10_000:
            ours_exporter.clear()

    bare_exporter = InMemorySpanExporter()
    bare_provider = TracerProvider(resource=Resource.get_empty())
    bare_provider.add_span_processor(SimpleSpanProcessor(bare_exporter))
    tracer = bare_provider.get_tracer("bench")

    def bare() -> None:
        with tracer.start_as_current_span("decorated", attributes=IDS):
            if len(bare_exporter._finished_spans) > 10_000:
                bare_exporter.clear()

    with otelkit.bind(**IDS):
        return compare("@traced call, 3 bound IDs", decorated,
                       "bare start_as_current_span, 3 attrs", bare)


def log_rows() -> list[Row]:
    sink = io.StringIO()
    ours_exporter = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider(resource=Resource.get_empty(), shutdown_on_exit=False)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(ours_exporter))
    otlp_only = pipeline(logger_provider=logger_provider)
    json_only = pipeline(render=render_json)
    _logging.install(logging.INFO)
    ours = otelkit.get_logger("bench.ours")

    def ours_otlp() -> None:
        ours.info("Scene generated", scene=1)
        if len(ours_exporter._logs) > 10_000:
            ours_exporter.clear()

    def ours_json() -> None:
        ours.info("Scene generated", scene=1)
        sink.seek(0)
        sink.truncate()

    # The bare SDK handler on its own logger (not root), so otelkit's handler is not involved.
    bare_exporter = InMemoryLogRecordExporter()
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
        if len(bare_exporter._logs) > 10_000:
            bare_exporter.clear()

    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(file=sink),
        cache_logger_on_first_use=True,
    )
    slog = structlog.get_logger("bench.structlog")

    def with_structlog() -> None:
        slog.info("Scene generated", scene=1)
        sink.seek(0)
        sink.truncate()

    rows = []
    with otelkit.bind(**IDS):
        structlog.contextvars.bind_contextvars(**IDS)
        _pipeline.activate(otlp_only)
        rows.append(compare("log line -> OTLP LogRecord, 3 IDs", ours_otlp,
                            "bare OTel LoggingHandler, 3 extras", bare))
        _pipeline.activate(json_only)
        real_stdout, sys.stdout = sys.stdout, sink
        try:
            rows.append(compare("log line -> JSON line, 3 IDs", ours_json,
                                "structlog JSONRenderer, 3 IDs", with_structlog))
        finally:
            sys.stdout = real_stdout
        structlog.contextvars.clear_contextvars()
    return rows


def metric_pair() -> Row:
    _pipeline.activate(pipeline(metric_readers=[InMemoryMetricReader()]))
    bare_counter = MeterProvider(metric_readers=[InMemoryMetricReader()],
                                 shutdown_on_exit=False).get_meter("bench").create_counter("c")
    attributes = {"status": "completed"}
    return compare("otelkit.count, 1 dimension",
                   lambda: otelkit.count("MessagesProcessed", 1, status="completed"),
                   "bare Counter.add, 1 attribute", lambda: bare_counter.add(1, attributes))


STARTUP_OURS = ("import otelkit; otelkit.configure(endpoint='http://127.0.0.1:9', "
                "log_stdout=False, console=False)")
STARTUP_BARE = "\n".join([
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
])
LAZY = ("botocore", "httpx", "grpc", "opentelemetry.instrumentation.botocore",
        "opentelemetry.instrumentation.httpx")


def _startup_seconds(code: str) -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def startup_pair() -> Row:
    probe = f"{STARTUP_OURS}\nimport sys\nprint([m for m in {LAZY!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                            text=True).stdout.strip()
    print(f"  loaded by configure() though the program never imported them: {loaded}")
    ours = _startup_seconds(STARTUP_OURS) * 1e6
    bare = _startup_seconds(STARTUP_BARE) * 1e6
    return "import otelkit + configure()", ours, "import + build SDK with OTLP exporters", bare


def main() -> None:
    print("otelkit hot paths: best mean time per call, same process, interleaved")
    rows = [span_pair(), *log_rows(), metric_pair(), startup_pair()]
    width = max(len(row[0]) for row in rows)
    other_width = max(len(row[2]) for row in rows)
    for name, ours, other_name, other in rows:
        print(f"  {name:<{width}} {ours:10.2f} us  vs  {other_name:<{other_width}} "
              f"{other:10.2f} us   ratio {ours / other:4.2f}x")


if __name__ == "__main__":
    main()
