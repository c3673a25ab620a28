"""Queued spans are slimmed (their empty event and link lists dropped, to save memory):
what they did carry still arrives on the OTLP wire, as it was."""

from __future__ import annotations

from opentelemetry import trace

import otelkit
from tests.support.otlp_receiver import attributes, otlp_receiver


def test_events_links_and_plain_spans_arrive_as_they_were() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        with otelkit.span("plain"):
            pass
        with otelkit.span("first") as first:
            pass
        link = trace.Link(first.get_span_context(), {"why": "retry of"})
        tracer = trace.get_tracer("test")
        with tracer.start_as_current_span("linked", links=[link]) as span:
            span.add_event("checkpoint", {"step": 2})
        assert otelkit.flush(timeout=5.0)
    spans = {span["name"]: span for span in received.spans()}
    assert "events" not in spans["plain"]
    assert "links" not in spans["plain"]
    (event,) = spans["linked"]["events"]
    assert event["name"] == "checkpoint"
    assert attributes(event["attributes"]) == {"step": "2"}
    (linked,) = spans["linked"]["links"]
    assert linked["spanId"] == spans["first"]["spanId"]
    assert attributes(linked["attributes"]) == {"why": "retry of"}
