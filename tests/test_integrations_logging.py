"""``configure(instrument=["logging"])``: standard log records carry the trace context for
handlers and formats other than otelkit's, and otelkit's own lines do not repeat it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

import otelkit
from otelkit.testing import capture
from tests.support.integrations import turned_off_after

FORMAT = "%(otelServiceName)s %(otelTraceID)s %(otelSpanID)s %(otelTraceSampled)s %(message)s"


@pytest.fixture
def third_party_log() -> Iterator[io.StringIO]:
    """A handler of the application's own, with a format naming the trace context."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("thirdparty")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_records_carry_the_trace_context_of_the_current_span(
    third_party_log: io.StringIO,
) -> None:
    otelkit.configure(
        service_name="render-api", console=False, log_stdout=False, instrument=["logging"]
    )
    with turned_off_after("logging"):
        logging.getLogger("thirdparty").warning("Outside any span")
        with capture() as cap, otelkit.job("render", job_id="job-log"):
            logging.getLogger("thirdparty").warning("Rendered scene")
    span = cap.span("render")
    trace_id = format(span.context.trace_id, "032x")
    span_id = format(span.context.span_id, "016x")
    assert third_party_log.getvalue().splitlines() == [
        "render-api 0 0 False Outside any span",
        f"render-api {trace_id} {span_id} True Rendered scene",
    ]
    (line,) = [event for event in cap.logs if event.get("message") == "Rendered scene"]
    assert line["job_id"] == "job-log"
    assert line["trace_id"] == trace_id
    assert not [key for key in line if key.startswith("otel")]  # not repeated
