"""On Lambda, measurements reach the OpenTelemetry SDK at the flush, not as they are
made: what arrives at a real OTLP receiver is unchanged — the values, their dimensions,
exemplars pointing at the span they were made in — and a burst past the bound is
handed over as it comes."""

from __future__ import annotations

import base64
from typing import Any

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._sdk import deferred_metrics
from tests.support.otlp_receiver import Received, attributes


def _deferring() -> deferred_metrics.DeferredMeterProvider:
    provider = _pipeline.current().meter_provider
    assert isinstance(provider, deferred_metrics.DeferredMeterProvider)
    return provider


def _points(received: Received, name: str) -> list[dict[str, Any]]:
    return [
        point
        for metric in received.metrics()
        if metric["name"] == name
        for kind in ("sum", "histogram")
        for point in metric.get(kind, {}).get("dataPoints", [])
    ]


def test_measurements_arrive_at_the_flush_with_exemplars_of_their_span(
    lambda_receiver: Received,
) -> None:
    with otelkit.span("load order") as span:
        otelkit.count("OrdersLoaded", 2, status="ok")
        otelkit.record("OrderValue", 12.5, unit="ms")
    assert _deferring().pending() == 2
    assert otelkit.flush(5.0)
    (count,) = _points(lambda_receiver, "OrdersLoaded")
    (value,) = _points(lambda_receiver, "OrderValue")
    assert (count["asInt"], attributes(count["attributes"])) == ("2", {"status": "ok"})
    assert (value["count"], value["sum"]) == ("1", 12.5)
    trace_id = span.get_span_context().trace_id.to_bytes(16, "big")
    for point in (count, value):
        (exemplar,) = point["exemplars"]
        assert base64.b64decode(exemplar["traceId"]) == trace_id, point


def test_a_burst_is_handed_over_as_it_comes_and_every_count_arrives(
    lambda_receiver: Received,
) -> None:
    for _ in range(deferred_metrics.LIMIT + 5):
        otelkit.count("Ticks", 1)
    assert _deferring().pending() < deferred_metrics.LIMIT
    assert otelkit.flush(5.0)
    assert (
        sum(int(p["asInt"]) for p in _points(lambda_receiver, "Ticks"))
        == deferred_metrics.LIMIT + 5
    )


def test_a_measurement_kept_at_shutdown_is_delivered(lambda_receiver: Received) -> None:
    otelkit.count("LastCount", 3)
    otelkit.shutdown(5.0)
    assert [p["asInt"] for p in _points(lambda_receiver, "LastCount")] == ["3"]
