"""OTLP protobuf encoding: otelkit's direct writers against the SDK's encoders, on the
batches an export thread sends (512 spans with a request's attributes; a service's
metrics: a counter, a histogram and a gauge for each of 200 routes). Both sides produce
the same bytes (``tests/test_otlp_encoding.py``, ``tests/test_otlp_metrics_encoding.py``
hold them to it); the goal is at most half the SDK's cost.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from harness import Pair
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import (
    encode_metrics as sdk_metrics,
)
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_spans
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

from otelkit._sdk.otlp_encoding import encode_spans
from otelkit._sdk.otlp_metrics import encode_metrics

RESOURCE = Resource.create({"service.name": "orders", "deployment.environment.name": "prod"})


def _spans(count: int) -> Sequence[ReadableSpan]:
    return [
        ReadableSpan(
            name="GET /orders/{id}",
            context=SpanContext(n + 1, n + 1, False, TraceFlags(TraceFlags.SAMPLED)),
            kind=SpanKind.SERVER,
            resource=RESOURCE,
            attributes={
                "http.route": "/orders/{id}",
                "http.response.status_code": 200,
                "job_id": f"job-{n}",
                "correlation_id": f"c-{n}",
            },
            start_time=1_700_000_000_000_000_000 + n,
            end_time=1_700_000_000_000_500_000 + n,
        )
        for n in range(count)
    ]


def _metrics(routes: int) -> MetricsData:
    reader = InMemoryMetricReader()
    meter = MeterProvider(resource=RESOURCE, metric_readers=[reader]).get_meter("orders")
    requests, duration = meter.create_counter("requests"), meter.create_histogram("duration")
    depth = meter.create_gauge("queue_depth")
    for n in range(routes):
        labels: dict[str, str | int] = {
            "http.route": f"/orders/{n}",
            "http.response.status_code": 200,
        }
        requests.add(n + 1, labels)
        duration.record(n * 1.5, labels)
        depth.set(n, labels)
    data = reader.get_metrics_data()
    assert data is not None
    return data


def pairs() -> list[Pair]:
    spans, metrics = _spans(512), _metrics(200)
    # (what is encoded, the batch, otelkit's writer, the SDK's encoder)
    writers: list[tuple[str, object, Callable[[Any], bytes], Callable[[Any], Any]]] = [
        ("512 spans", spans, encode_spans, sdk_spans),
        ("600 metric points", metrics, encode_metrics, sdk_metrics),
    ]
    return [
        Pair(
            f"OTLP encoding, {what}",
            functools.partial(ours, batch),
            "the SDK's encoder + SerializeToString",
            functools.partial(_serialised, sdk, batch),
            goal=0.5,
            clock="thread",
        )
        for what, batch, ours, sdk in writers
    ]


def _serialised(encode: Callable[[Any], Any], batch: object) -> bytes:
    return bytes(encode(batch).SerializeToString())
