"""Export cost in process CPU (every thread counted): 100 spans exported over OTLP/HTTP to
a receiver in another process, otelkit against the bare SDK with the same exporter.

One call is 100 decorated calls with three bound IDs, then a flush of the traces: the
SDK's batch processor encodes and sends them in its worker thread, otelkit's flush in the
calling thread (redacting each span on the way); ``clock="cpu"`` charges every thread's
work to the call.
"""

from __future__ import annotations

from _pipelines import IDS, BoundIds, configure_exporting, receiver_endpoint
from harness import Pair
from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import otelkit

SPANS = 100


def export_pair() -> Pair:
    endpoint = receiver_endpoint()

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

    ids = BoundIds(lambda: configure_exporting(endpoint))

    def teardown() -> None:
        ids.teardown()
        otelkit.shutdown(2.0)
        provider.shutdown()

    return Pair(
        f"{SPANS} spans exported over OTLP/HTTP (CPU)",
        ours,
        "SDK BatchSpanProcessor + OTLP exporter",
        bare,
        goal=1.05,
        clock="cpu",
        rounds=11,
        setup=ids.setup,
        teardown=teardown,
    )


def pairs() -> list[Pair]:
    return [export_pair()]
