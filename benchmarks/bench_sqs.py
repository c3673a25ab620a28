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

from _pipelines import bare_exporting, configure_exporting, receiver_endpoint
from harness import Pair
from opentelemetry import baggage, context, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

import otelkit
from otelkit._sdk.outbox import BATCH_SIZE

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


def _bare_loop(message: dict[str, object], tracer: Callable[[], trace.Tracer]) -> Any:
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
        span = tracer().start_span(
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

    return bare


def _pair(label: str, body: str, *, same_pipeline: bool = False) -> Pair:
    """Both sides on a service's pipeline (spans exported over OTLP/HTTP from a background
    thread), timed in the calling thread's CPU, as the ``@traced`` pairs are.
    ``same_pipeline``: the bare loop starts its spans on otelkit's tracer provider, so
    both sides pay for what every otelkit span gets by design (bound IDs stamped at
    start) and the ratio is ``process_message``'s own cost."""
    message = _message(body)

    def ours() -> None:
        with otelkit.aws.process_message(message, queue_url=QUEUE_URL):
            pass

    bare_provider = bare_exporting()
    tracers = {"bare": bare_provider.get_tracer("bench")}

    def setup() -> None:
        configure_exporting(receiver_endpoint())
        if same_pipeline:  # otelkit's provider, once configure() installed it
            tracers["bare"] = trace.get_tracer_provider().get_tracer("bench")

    bare_loop = _bare_loop(message, lambda: tracers["bare"])

    def teardown() -> None:
        otelkit.shutdown(2.0)
        bare_provider.shutdown()

    def settle() -> None:
        otelkit.flush(5.0)
        bare_provider.force_flush(5000)

    return Pair(
        f"process_message, {label}",
        ours,
        "the same, on otelkit's pipeline" if same_pipeline else "SDK extract + CONSUMER span",
        bare_loop,
        goal=None if same_pipeline else 1.05,
        anchor="OTel SDK + otelkit processors" if same_pipeline else "OTel SDK",
        clock="thread",
        number=BATCH_SIZE - 100,
        rounds=31,
        setup=setup,
        teardown=teardown,
        settle=settle,
    )


def pairs() -> list[Pair]:
    return [
        _pair("short body", "order o-1 placed"),
        _pair("1.9 KB JSON body", LARGE_BODY),
        _pair("short body", "order o-1 placed", same_pipeline=True),
        _pair("1.9 KB JSON body", LARGE_BODY, same_pipeline=True),
    ]
