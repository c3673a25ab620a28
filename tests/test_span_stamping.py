"""Bound IDs reach every span: otelkit's own spans carry them from the start, and the
stamping processor still covers spans that other code starts."""

from __future__ import annotations

from opentelemetry import trace

import otelkit
from otelkit._sdk.span_attributes import attribute_dict, has_events
from otelkit.testing import Capture


def test_traced_spans_carry_the_ids_from_their_start(otelkit_capture: Capture) -> None:
    seen_at_start = {}

    @otelkit.traced("work", stage="render")
    def work() -> None:
        seen_at_start.update(trace.get_current_span().attributes)  # type: ignore[attr-defined]

    with otelkit.bind(job_id="job-1", session_id="s-1"):
        work()
    assert seen_at_start == {"stage": "render", "job_id": "job-1", "session_id": "s-1"}
    (span,) = otelkit_capture.spans
    assert dict(span.attributes) == seen_at_start


def test_spans_started_by_other_code_are_stamped(otelkit_capture: Capture) -> None:
    tracer = trace.get_tracer("some.instrumentation")
    with (
        otelkit.bind(job_id="job-2"),
        tracer.start_as_current_span(
            "GET", attributes={"job_id": "stale", "http.request.method": "GET"}
        ),
    ):
        pass
    (span,) = otelkit_capture.spans
    assert span.attributes["job_id"] == "job-2"  # the bound ID wins over a stale value
    assert span.attributes["http.request.method"] == "GET"


def test_a_bound_id_wins_over_a_static_attribute_of_the_same_name(otelkit_capture: Capture) -> None:
    with otelkit.bind(job_id="job-3"), otelkit.span("step", job_id="static"):
        pass
    assert otelkit_capture.spans[0].attributes["job_id"] == "job-3"


def test_span_processing_reads_the_sdks_stored_attributes_and_events(
    otelkit_capture: Capture,
) -> None:
    """Stamping and redaction read a span's stored attribute dict and event count instead
    of the SDK's copying accessors; this pins that the installed SDK still stores them so
    (else the public accessors are used, correct but slower)."""
    with otelkit.bind(job_id="job-4"), otelkit.span("work", stage="render") as current:
        assert type(attribute_dict(current)) is dict  # type: ignore[arg-type]
        assert attribute_dict(current)["job_id"] == "job-4"  # type: ignore[arg-type]
        assert not has_events(current)  # type: ignore[arg-type]
        current.add_event("retry")
        assert has_events(current)  # type: ignore[arg-type]
