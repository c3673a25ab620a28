"""Shared set-up for benchmark modules: in-memory otelkit pipelines, bound IDs, and an
OTLP receiver in another process for the pairs that export."""

from __future__ import annotations

import atexit
import functools
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import Sampler

import otelkit
from otelkit._config.settings import resolve
from otelkit._core import pipeline as _pipeline
from otelkit._sdk.providers import assemble

IDS = {
    "job_id": "job-8f14e45fceea167a5a36dedd4bea2543",
    "session_id": "sess-abc",
    "correlation_id": "660e9500-f39c-52e5-b827-557766551111",
}


def pipeline(*, sample_rate: float = 1.0, **parts: object) -> _pipeline.Pipeline:
    """An otelkit pipeline with only the given parts, nothing printed."""
    settings = resolve(
        {
            "console": False,
            "log_stdout": False,
            "resource_detectors": "none",
            "log_level": "INFO",
            "sample_rate": sample_rate,
        },
        environ={},
    )
    defaults: dict[str, object] = {
        "span_processors": [],
        "metric_readers": [],
        "logger_provider": None,
        "render": None,
    }
    return assemble(settings=settings, resource=Resource.get_empty, **{**defaults, **parts})  # type: ignore[arg-type]


def activate(chosen: _pipeline.Pipeline) -> None:
    _pipeline.activate(chosen)


class BoundIds:
    """Set-up and tear-down that keep the benchmark IDs bound while a pair is measured,
    as they are for the whole of a service's handler (binding is not the measured cost)."""

    def __init__(self, before: Callable[[], object] | None = None) -> None:
        self._before = before
        self._stack = ExitStack()

    def setup(self) -> None:
        if self._before is not None:
            self._before()
        self._stack.enter_context(otelkit.bind(**IDS))

    def teardown(self) -> None:
        self._stack.close()


@functools.cache
def receiver_endpoint() -> str:
    """The base URL of an OTLP/HTTP sink in its own process (``_receiver.py``), started
    once per run: exports pay for encoding and sending, never for anyone decoding."""
    receiver = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_receiver.py"))],
        stdout=subprocess.PIPE,
        text=True,
    )
    atexit.register(receiver.terminate)
    assert receiver.stdout is not None
    return f"http://127.0.0.1:{receiver.stdout.readline().strip()}"


def configure_exporting(
    endpoint: str, *, sample_rate: float = 1.0, sample_min_per_second: float = 0.0
) -> None:
    """``otelkit.configure()`` as a service runs it: spans leave over OTLP/HTTP. No
    reservoir by default: the SDK baselines have none."""
    otelkit.configure(
        service_name="bench",
        endpoint=endpoint,
        console=False,
        log_stdout=False,
        resource_detectors="none",
        environment="prod",
        sample_rate=sample_rate,
        sample_min_per_second=sample_min_per_second,
    )


def bare_exporting(sampler: Sampler | None = None) -> TracerProvider:
    """The SDK as a service would set it up: batch processor, OTLP/HTTP exporter to the
    same receiver ``configure_exporting`` sends to."""
    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}), sampler=sampler)
    exporter = OTLPSpanExporter(f"{receiver_endpoint()}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider
