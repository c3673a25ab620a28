"""On Lambda, OpenTelemetry log records are built at the flush, not as lines are written:
what arrives at a real OTLP receiver is unchanged — every record, in order, with the
time it was written, its trace context and fields — and nothing is built before the
flush unless a burst fills the bound."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._logs.event import scope_fields
from otelkit._sdk import deferred_logs
from tests.support.otlp_receiver import Received, attributes, otlp_receiver


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Received]]:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(
            endpoint=endpoint, log_stdout=False, console=False, resource_detectors="none"
        )
        yield endpoint, received


def _bodies(received: Received) -> list[Any]:
    return [record["body"]["stringValue"] for record in received.logs()]


def test_records_arrive_at_the_flush_with_the_time_and_context_of_their_line(
    receiver: tuple[str, Received],
) -> None:
    _, received = receiver
    log = otelkit.get_logger("orders")
    written = []
    with otelkit.span("load order") as span:
        for n in range(3):
            written.append(time.time_ns())
            log.info(f"line {n}", order_id=f"o-{n}")
            time.sleep(0.01)
    flushed_at = time.time_ns()
    assert otelkit.flush(5.0)
    records = received.logs()
    assert _bodies(received) == ["line 0", "line 1", "line 2"]
    trace_id = f"{span.get_span_context().trace_id:032x}"
    for n, record in enumerate(records):
        stamped = int(record["timeUnixNano"])
        assert written[n] <= stamped < flushed_at, (written, record)
        assert bytes.fromhex(trace_id) == _raw_id(record["traceId"])
        assert attributes(record["attributes"])["order_id"] == f"o-{n}"


def _raw_id(text: str) -> bytes:
    return base64.b64decode(text)


def test_nothing_is_built_before_the_flush_unless_a_burst_fills_the_bound(
    receiver: tuple[str, Received],
) -> None:
    _, received = receiver
    loggers = _pipeline.current().otel_loggers
    assert isinstance(loggers, deferred_logs.DeferredLogs)
    log = otelkit.get_logger("orders")
    log.info("kept")
    assert loggers.pending() == 1
    for n in range(deferred_logs.LIMIT):
        log.info(f"burst {n}")
    assert loggers.pending() < deferred_logs.LIMIT  # the burst was emitted as it came
    assert otelkit.flush(5.0)
    bodies = _bodies(received)
    assert bodies[0] == "kept"
    assert bodies[1:] == [f"burst {n}" for n in range(deferred_logs.LIMIT)]


def test_a_record_kept_at_shutdown_is_delivered(receiver: tuple[str, Received]) -> None:
    _, received = receiver
    otelkit.get_logger("orders").warning("last words")
    otelkit.shutdown(5.0)
    assert _bodies(received) == ["last words"]


def test_off_lambda_records_are_built_as_lines_are_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    with otlp_receiver() as (endpoint, _):
        otelkit.configure(
            endpoint=endpoint, log_stdout=False, console=False, resource_detectors="none"
        )
        assert not isinstance(_pipeline.current().otel_loggers, deferred_logs.DeferredLogs)


def test_a_record_made_at_the_flush_has_what_its_moment_had(
    receiver: tuple[str, Received],
) -> None:
    """Made after the invocation, the record still carries the invocation's fields, the
    IDs bound then and the call's field values as they were (not as the caller changed
    them afterwards); a failure's exception too."""
    _, received = receiver
    log = otelkit.get_logger("orders")
    items = ["a"]
    token = scope_fields.set({"function_request_id": "req-1"})
    try:
        with otelkit.bind(correlation_id="corr-1"):
            log.info("listed", items=items)
            try:
                raise ValueError("bad order")
            except ValueError:
                log.exception("failed")
    finally:
        scope_fields.reset(token)
    items.append("b")
    assert otelkit.flush(5.0)
    listed, failed = (attributes(record["attributes"]) for record in received.logs())
    assert listed["items"] == {"values": [{"stringValue": "a"}]}
    assert listed["function_request_id"] == failed["function_request_id"] == "req-1"
    assert listed["correlation_id"] == failed["correlation_id"] == "corr-1"
    assert failed["exception.type"] == "ValueError"
    assert "bad order" in failed["exception.stacktrace"]


def test_with_caps_the_record_is_shaped_with_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(
            endpoint=endpoint,
            log_stdout=False,
            console=False,
            resource_detectors="none",
            max_field_chars=32,
        )
        pipeline_outputs = [o.__name__ for o in _pipeline.current().log_outputs]
        otelkit.get_logger("orders").info("capped", note="x" * 500)
        assert otelkit.flush(5.0)
    (record,) = received.logs()
    assert pipeline_outputs == ["to_otlp"]
    assert len(attributes(record["attributes"])["note"]) < 100
