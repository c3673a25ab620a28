"""SQS consumer cost per record: ``process_message`` against a bare extract-and-span loop.

The bare loop is what a careful hand-written consumer does with the SDK: read the
``traceparent`` and ``baggage`` message attributes, extract them with the W3C propagators,
and run the record in a CONSUMER span linked to the producer, with the same messaging
attributes and the baggage IDs as span attributes (what otelkit stamps). Two bodies: a
short text and a 1.9 KB JSON document (which otelkit must not parse: it cannot be an SNS
or EventBridge envelope). The last two rows run the bare loop on otelkit's own pipeline:
the same work on both sides, so they show what ``process_message`` itself adds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from _pipelines import activate, pipeline
from harness import Pair
from opentelemetry import baggage, context, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

import otelkit

QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
LARGE_BODY = json.dumps(
    {
        "order_id": "o-1",
        "lines": [
            {"sku": f"sku-{n:04d}", "quantity": n, "price": n * 1.25, "note": "gift wrap"}
            for n in range(24)
        ],
    }
)


def _message(body: str) -> dict[str, object]:
    return {
        "MessageId": "m-1",
        "ReceiptHandle": "r",
        "Body": body,
        "MessageAttributes": {
            "traceparent": {"DataType": "String", "StringValue": TRACEPARENT},
            "baggage": {"DataType": "String", "StringValue": "correlation_id=c-1,job_id=job-1"},
        },
    }


def _bare_loop(message: dict[str, object], tracer: trace.Tracer, clear: Callable[[], None]) -> Any:
    """The hand-written consumer: extract with the W3C propagators, one CONSUMER span."""
    propagator = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])

    def bare() -> None:
        attributes = message["MessageAttributes"]
        carrier = {
            name.lower(): value["StringValue"]
            for name, value in attributes.items()  # type: ignore[attr-defined]
        }
        parent = propagator.extract(carrier)
        producer = trace.get_current_span(parent).get_span_context()
        body_text = message["Body"]
        span = tracer.start_span(
            "process orders",
            context=parent,
            kind=SpanKind.CONSUMER,
            links=[Link(producer)],
            attributes={
                "messaging.system": "aws_sqs",
                "messaging.operation.type": "process",
                "messaging.operation.name": "process",
                "messaging.destination.name": "orders",
                "aws.sqs.queue.url": QUEUE_URL,
                "messaging.message.id": "m-1",
                "messaging.message.body.size": len(body_text.encode()),  # type: ignore[attr-defined]
                **baggage.get_all(parent),  # type: ignore[dict-item]
            },
        )
        token = context.attach(trace.set_span_in_context(span, parent))
        context.detach(token)
        span.end()
        clear()

    return bare


def _clearing(exporter: InMemorySpanExporter) -> Callable[[], None]:
    def clear() -> None:
        if len(exporter._finished_spans) > 10_000:
            exporter.clear()

    return clear


def _pair(label: str, body: str, *, same_pipeline: bool = False) -> Pair:
    """``same_pipeline``: the bare loop starts its spans on otelkit's tracer provider, so
    both sides pay for what every otelkit span gets by design (bound IDs stamped at
    start, redaction at export) and the ratio is ``process_message``'s own cost."""
    message = _message(body)
    exporter = InMemorySpanExporter()
    ours_pipeline = pipeline(span_processors=[SimpleSpanProcessor(exporter)])
    clear_ours = _clearing(exporter)

    def ours() -> None:
        with otelkit.aws.process_message(message, queue_url=QUEUE_URL):
            pass
        clear_ours()

    if same_pipeline:
        tracer = ours_pipeline.tracer_provider.get_tracer("bench")
        bare = _bare_loop(message, tracer, clear_ours)
        baseline_name = "the same, on otelkit's pipeline"
    else:
        bare_exporter = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource.get_empty())
        provider.add_span_processor(SimpleSpanProcessor(bare_exporter))
        bare = _bare_loop(message, provider.get_tracer("bench"), _clearing(bare_exporter))
        baseline_name = "SDK extract + CONSUMER span"
    return Pair(
        f"process_message, {label}",
        ours,
        baseline_name,
        bare,
        goal=None if same_pipeline else 1.05,
        anchor="OTel SDK + otelkit processors" if same_pipeline else "OTel SDK",
        setup=lambda: activate(ours_pipeline),
    )


def pairs() -> list[Pair]:
    return [
        _pair("short body", "order o-1 placed"),
        _pair("1.9 KB JSON body", LARGE_BODY),
        _pair("short body", "order o-1 placed", same_pipeline=True),
        _pair("1.9 KB JSON body", LARGE_BODY, same_pipeline=True),
    ]
