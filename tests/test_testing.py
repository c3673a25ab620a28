"""The testing helpers users rely on: capture() isolates, restores and forgets nothing."""

from __future__ import annotations

import logging

import pytest

import otelkit
from otelkit.testing import Capture, capture


def test_capture_records_instrumentation_spans_and_stdlib_logs() -> None:
    with capture() as cap, otelkit.bind(job_id="job-1"):
        logging.getLogger("any.library").info("hello from a library")
    assert cap.logs[0]["message"] == "hello from a library"
    assert cap.logs[0]["job_id"] == "job-1"
    assert cap.logs[0]["service"] == "test-service"


def test_spans_after_a_capture_go_nowhere() -> None:
    with capture() as cap, otelkit.span("inside"):
        pass
    with otelkit.span("outside") as outside:
        assert not outside.is_recording()
    assert [span.name for span in cap.spans] == ["inside"]


def test_nested_captures_restore_the_outer_one() -> None:
    with capture() as outer:
        with capture() as inner, otelkit.span("inner"):
            pass
        with otelkit.span("outer"):
            pass
    assert [span.name for span in inner.spans] == ["inner"]
    assert [span.name for span in outer.spans] == ["outer"]


def test_capture_inside_a_configured_process_restores_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json", console=False)
    with capture() as cap:
        otelkit.get_logger("app").info("captured")
    otelkit.get_logger("app").info("printed")
    out = capsys.readouterr().out
    assert "captured" not in out
    assert '"message":"printed"' in out
    assert [line["message"] for line in cap.logs] == ["captured"]


def test_after_shutdown_spans_are_dropped_and_logs_still_print(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json")
    otelkit.shutdown()
    with otelkit.span("late") as late:
        assert not late.is_recording()
    otelkit.get_logger("app").info("still printed")
    assert '"message":"still printed"' in capsys.readouterr().out


def test_fixture_is_registered_by_the_plugin(otelkit_capture: Capture) -> None:
    otelkit.count("Things", 2)
    assert otelkit_capture.metrics["Things"] == [({}, 2)]
    with pytest.raises(AssertionError, match="expected one span 'missing'"):
        otelkit_capture.span("missing")


def test_capture_alone_records_instrumented_httpx_calls() -> None:
    """No configure(): a user's test still sees the client spans of its HTTP calls."""
    import httpx

    from tests.support.servers import fake_api

    with fake_api() as url, capture() as cap, otelkit.bind(job_id="job-t"):
        httpx.post(f"{url}/v1/scenes", json={"scene": 1})
    (span,) = cap.spans
    assert span.name == "POST"
    assert span.attributes["job_id"] == "job-t"
