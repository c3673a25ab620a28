"""Spans no processor sees are kept in this process (``LocalSpan``); on Lambda, spans for
the OTLP outbox are built at the flush (``HeldSpan``). What users see does not change:
log lines carry the span's IDs, a processor added later gets the SDK's spans, and what
arrives at a real OTLP receiver is the span the SDK would have built — attributes,
events, the exception's stack trace, links, status, parent and times."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._sdk import local_spans
from otelkit._sdk.providers import AdoptingIdGenerator
from otelkit._sdk.sampling import head_sampler
from tests.support.otlp_receiver import Received, attributes


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_with_nowhere_to_send_spans_lines_still_carry_their_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(console=False, log_format="json", resource_detectors="none")
    log = otelkit.get_logger("orders")
    with otelkit.span("outer", order_id="o-1") as outer, otelkit.span("inner") as inner:
        log.info("inside")
    assert isinstance(inner, local_spans.LocalSpan)
    assert isinstance(outer, local_spans.LocalSpan)
    assert inner.parent == outer.get_span_context() == outer.context  # the SDK's names too
    assert inner.name == "inner"
    assert outer.attributes["order_id"] == "o-1"
    assert not inner.is_recording()  # ended
    (line,) = _json_lines(capsys.readouterr().out)
    context = inner.get_span_context()
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"
    assert line["xray_trace_id"] == f"1-{line['trace_id'][:8]}-{line['trace_id'][8:]}"
    assert line["sampled"] is True


def test_sampled_out_spans_are_not_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(console=False, log_format="json", sample_rate=0.0, sample_min_per_second=0)
    with otelkit.span("dropped") as span:
        otelkit.get_logger("orders").info("inside")
    assert not span.is_recording()
    assert not span.get_span_context().trace_flags.sampled
    (line,) = _json_lines(capsys.readouterr().out)
    assert line["sampled"] is False


def test_a_processor_added_later_gets_the_sdks_spans() -> None:
    otelkit.configure(console=False, log_stdout=False, resource_detectors="none")
    memory = InMemorySpanExporter()
    _pipeline.current().tracer_provider.add_span_processor(SimpleSpanProcessor(memory))
    with otelkit.span("seen", order_id="o-2") as span:
        pass
    assert not isinstance(span, local_spans.LocalSpan)
    (finished,) = memory.get_finished_spans()
    assert finished.name == "seen"
    assert finished.attributes is not None
    assert finished.attributes["order_id"] == "o-2"


def test_local_span_status_follows_the_sdks_rules() -> None:
    otelkit.configure(console=False, log_stdout=False)
    with otelkit.span("status") as started:
        assert isinstance(started, local_spans.LocalSpan)
        span = started
        span.set_status(StatusCode.UNSET)
        assert span.status.status_code is StatusCode.UNSET
        span.set_status(Status(StatusCode.ERROR, "broken"))
        span.set_status(StatusCode.OK)
        span.set_status(StatusCode.ERROR, "after OK")  # OK is final
    assert span.status.status_code.name == "OK"
    span.set_attribute("late", 1)  # after the end: ignored, as the SDK does
    assert "late" not in span.attributes


# -- on Lambda: spans built at the flush --------------------------------------------------


def _raw(text: str) -> bytes:
    return base64.b64decode(text)


def _fail_inside(linked: SpanContext) -> None:
    with otelkit.span("load order", order_id="o-1") as outer:
        assert isinstance(outer, local_spans.HeldSpan)
        outer.add_link(linked, {"why": "batch"})
        with otelkit.span("inner", kind="client") as inner:
            inner.add_event("cache miss", {"key": "o-1"})
        raise ValueError("no such order")


def test_spans_arrive_at_the_flush_as_the_sdk_would_have_built_them(
    lambda_receiver: Received,
) -> None:
    linked = SpanContext(0x1234, 0x5678, is_remote=True)
    started = time.time_ns()
    with pytest.raises(ValueError, match="no such order"):
        _fail_inside(linked)
    ended = time.time_ns()
    assert lambda_receiver.spans() == []  # nothing is built before the flush
    assert otelkit.flush(5.0)
    by_name = {span["name"]: span for span in lambda_receiver.spans()}
    outer_seen, inner_seen = by_name["load order"], by_name["inner"]
    assert _raw(inner_seen["parentSpanId"]) == _raw(outer_seen["spanId"])
    assert _raw(outer_seen["traceId"]) == _raw(inner_seen["traceId"])
    assert inner_seen["kind"] == "SPAN_KIND_CLIENT"
    assert attributes(outer_seen["attributes"])["order_id"] == "o-1"
    assert attributes(outer_seen["attributes"])["error.type"] == "ValueError"
    assert outer_seen["status"]["code"] == "STATUS_CODE_ERROR"
    assert outer_seen["status"]["message"] == "ValueError: no such order"
    (exception,) = outer_seen["events"]
    event_attributes = attributes(exception["attributes"])
    assert exception["name"] == "exception"
    assert event_attributes["exception.type"] == "ValueError"
    assert 'raise ValueError("no such order")' in event_attributes["exception.stacktrace"]
    (miss,) = inner_seen["events"]
    assert miss["name"] == "cache miss"
    assert attributes(miss["attributes"]) == {"key": "o-1"}
    (link,) = outer_seen["links"]
    assert _raw(link["spanId"]) == (0x5678).to_bytes(8, "big")
    assert attributes(link["attributes"]) == {"why": "batch"}
    for span in (outer_seen, inner_seen):
        assert started <= int(span["startTimeUnixNano"]) <= int(span["endTimeUnixNano"]) <= ended


def test_a_burst_of_spans_is_built_as_it_comes(lambda_receiver: Received) -> None:
    held = _pipeline.current().tracer_provider.held
    assert isinstance(held, local_spans.HeldSpans)
    for n in range(local_spans.LIMIT + 3):
        with otelkit.span(f"span {n}"):
            pass
    assert held.pending() == 3  # the first LIMIT were handed to the outbox when full
    assert otelkit.flush(5.0)
    assert [s["name"] for s in lambda_receiver.spans()] == [
        f"span {n}" for n in range(local_spans.LIMIT + 3)
    ]


def test_a_span_held_at_shutdown_is_delivered(lambda_receiver: Received) -> None:
    with otelkit.span("last"):
        pass
    otelkit.shutdown(timeout=5.0)
    assert [s["name"] for s in lambda_receiver.spans()] == ["last"]


# -- the same span, held or the SDK's: a property ----------------------------------------

_VALUES = st.one_of(
    st.text(max_size=8),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.text(max_size=4), max_size=3),
    st.none(),  # invalid: the SDK drops it, and so must the held span
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_KEYS = st.sampled_from(["a", "b", "c", ""])
_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("set_attribute"), _KEYS, _VALUES),
        st.tuples(st.just("add_event"), st.text(max_size=5), st.dictionaries(_KEYS, _VALUES)),
        st.tuples(st.just("set_status"), st.sampled_from(list(StatusCode)), st.text(max_size=5)),
        st.tuples(st.just("update_name"), st.text(min_size=1, max_size=5)),
        st.tuples(st.just("record_exception"), st.text(max_size=5)),
    ),
    max_size=8,
)


def _apply(span: trace.Span, steps: list[tuple[Any, ...]]) -> None:
    for n, (method, *arguments) in enumerate(steps):
        if method == "record_exception":
            try:
                raise RuntimeError(arguments[0])
            except RuntimeError as exc:
                span.record_exception(exc, timestamp=n + 1)
        elif method == "add_event":
            span.add_event(arguments[0], arguments[1], timestamp=n + 1)
        else:
            getattr(span, method)(*arguments)


def _shape(span: ReadableSpan) -> tuple[Any, ...]:
    return (
        span.name,
        span.kind,
        dict(span.attributes or {}),
        [(e.name, dict(e.attributes or {}), e.timestamp) for e in span.events],
        [(link.context, dict(link.attributes or {})) for link in span.links],
        (span.status.status_code, span.status.description),
        span.start_time,
        span.end_time,
    )


def _held_spans_provider() -> local_spans.LocalSpansTracerProvider:
    return local_spans.LocalSpansTracerProvider(
        resource=Resource.get_empty,
        sampler=head_sampler(1.0, 0.0),
        id_generator=AdoptingIdGenerator(),
    )


@settings(max_examples=60, deadline=None)
@given(steps=_STEPS, start=_VALUES)
def test_a_held_span_is_the_span_the_sdk_would_have_built(
    steps: list[tuple[Any, ...]], start: Any
) -> None:
    built: list[ReadableSpan] = []
    for make in (TracerProvider, _held_spans_provider):
        memory = InMemorySpanExporter()
        provider = make()
        processor = SimpleSpanProcessor(memory)
        if isinstance(provider, local_spans.LocalSpansTracerProvider):
            held = provider.hold([processor])
        else:
            provider.add_span_processor(processor)
        tracer = provider.get_tracer("property")
        links = [Link(SpanContext(1, 2, is_remote=True), {"k": "v"})]
        span = tracer.start_span(
            "named", kind=SpanKind.PRODUCER, attributes={"start": start}, links=links,
            start_time=10,
        )  # fmt: skip
        _apply(span, steps)
        span.end(end_time=20)
        if isinstance(provider, local_spans.LocalSpansTracerProvider):
            assert memory.get_finished_spans() == ()
            held.drain()
        (finished,) = memory.get_finished_spans()
        built.append(finished)
    sdk, from_held = built
    assert _shape(from_held) == _shape(sdk)


def test_with_nowhere_to_send_spans_on_lambda_nothing_is_held(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
    otelkit.configure(console=False, log_stdout=False, emf_namespace="Orders")
    with otelkit.span("kept here") as span:
        pass
    assert type(span) is local_spans.LocalSpan
    assert _pipeline.current().tracer_provider.held is None


def test_with_nowhere_to_send_spans_no_resource_is_detected_even_in_a_forked_child(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Detection may wait on a metadata endpoint: a process whose spans go nowhere never
    needs the resource, and its forked children must not start detecting one either."""
    from otelkit._sdk import resource as resource_module

    detections = tmp_path / "detections"
    detect = resource_module.build_resource

    def recorded(*args: Any, **kwargs: Any) -> Any:
        with detections.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return detect(*args, **kwargs)

    monkeypatch.setattr(resource_module, "build_resource", recorded)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
    otelkit.configure(console=False, log_stdout=False, emf_namespace="Orders")
    with otelkit.span("kept here"):
        pass
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with otelkit.span("in the child"):
                pass
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not detections.exists(), detections.read_text()
    # asked for, it is made then, once
    provider = _pipeline.current().tracer_provider
    assert provider.made_resource is None
    assert provider.resource is provider.resource
    assert detections.read_text() == f"{os.getpid()}\n"
