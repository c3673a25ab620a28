"""Export cost in process CPU (every thread counted): 100 spans exported over OTLP/HTTP to
a receiver in another process, otelkit against the bare SDK with the same exporter.

One call is 100 decorated calls with three bound IDs, then a flush of the traces: the
batch processor's worker thread encodes and sends them, and ``clock="cpu"`` charges that
thread's work to the call.
"""

from __future__ import annotations

import atexit
import subprocess
import sys
from pathlib import Path

from _pipelines import IDS, BoundIds
from harness import Pair
from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import otelkit

SPANS = 100


def _start_receiver() -> str:
    receiver = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_receiver.py"))],
        stdout=subprocess.PIPE,
        text=True,
    )
    atexit.register(receiver.terminate)
    assert receiver.stdout is not None
    return f"http://127.0.0.1:{receiver.stdout.readline().strip()}"


def export_pair() -> Pair:
    endpoint = _start_receiver()

    @otelkit.traced
    def decorated() -> None:
        pass

    def ours() -> None:
        for _ in range(SPANS):
            decorated()
        otelkit.flush(5.0)

    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(f"{endpoint}/v1/traces")))
    tracer = provider.get_tracer("bench")

    def bare() -> None:
        for _ in range(SPANS):
            current = tracer.start_span("decorated", attributes=IDS)
            token = context.attach(trace.set_span_in_context(current))
            context.detach(token)
            current.end()
        provider.force_flush(5000)

    def configure() -> None:
        otelkit.configure(
            service_name="bench",
            endpoint=endpoint,
            console=False,
            log_stdout=False,
            resource_detectors="none",
            environment="prod",
            sample_rate=1.0,
        )

    ids = BoundIds(configure)

    def teardown() -> None:
        ids.teardown()
        otelkit.shutdown(2.0)
        provider.shutdown()

    return Pair(
        f"{SPANS} spans exported over OTLP/HTTP (CPU)",
        ours,
        "SDK BatchSpanProcessor + OTLP exporter",
        bare,
        goal=1.1,
        clock="cpu",
        rounds=11,
        setup=ids.setup,
        teardown=teardown,
    )


def pairs() -> list[Pair]:
    return [export_pair()]
