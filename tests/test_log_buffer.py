"""Debug-log buffering: DEBUG lines of failed work are written, of successful work not."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

import otelkit

log = otelkit.get_logger("worker")


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]


@pytest.fixture
def buffered() -> None:
    otelkit.configure(environment="prod", log_buffer=True, log_format="json", console=False)


@pytest.mark.usefixtures("buffered")
def test_successful_work_writes_no_debug(capsys: pytest.CaptureFixture[str]) -> None:
    with otelkit.job("render"):
        log.debug("Kling still processing", attempt=1)
        log.info("Scene generated")
    assert [line["message"] for line in _lines(capsys)] == [
        "JOB_STARTED",
        "Scene generated",
        "JOB_COMPLETED",
    ]


@pytest.mark.usefixtures("buffered")
def test_failed_work_brings_its_debug_lines_back_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    polls: list[Any] = []

    def render() -> None:
        with otelkit.job("render", job_id="job-7"):
            with otelkit.span("poll") as poll:
                polls.append(poll)
                log.debug("Kling still processing", attempt=1)
                log.debug("Kling still processing", attempt=2)
            log.info("Giving up")
            raise TimeoutError("video model did not answer")

    with pytest.raises(TimeoutError):
        render()
    poll = polls[0]
    lines = _lines(capsys)
    assert [line["message"] for line in lines] == [
        "JOB_STARTED",
        "Giving up",
        "Kling still processing",
        "Kling still processing",
        "JOB_FAILED",
    ]
    debug = [line for line in lines if line["level"] == "DEBUG"]
    assert [line["attempt"] for line in debug] == [1, 2]
    assert all(line["job_id"] == "job-7" for line in debug)
    assert debug[0]["span_id"] == format(poll.get_span_context().span_id, "016x"), (
        "each held line keeps the span it was written in"
    )
    assert debug[0]["timestamp"] <= lines[1]["timestamp"]


@pytest.mark.usefixtures("buffered")
def test_debug_outside_any_unit_of_work_is_not_written(capsys: pytest.CaptureFixture[str]) -> None:
    log.debug("module import chatter")
    logging.getLogger("lib").error("an error, but there is nothing held back")
    assert [line["message"] for line in _lines(capsys)] == [
        "an error, but there is nothing held back"
    ]


@pytest.mark.usefixtures("buffered")
def test_a_full_buffer_says_how_many_lines_it_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    with otelkit.session("sess-1"):
        for n in range(250):
            log.debug("tick", n=n)
        log.error("Session failed")
    lines = _lines(capsys)
    notice = next(line for line in lines if "dropped" in line["message"])
    assert notice["message"] == "50 earlier buffered log records were dropped (buffer full)"
    ticks = [line["n"] for line in lines if line["message"] == "tick"]
    assert ticks == list(range(50, 250))


@pytest.mark.usefixtures("buffered")
def test_a_failed_lambda_invocation_writes_its_debug_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @otelkit.aws.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> None:
        log.debug("Parsed event", records=0)
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        handler({}, None)
    parsed, failed = _lines(capsys)
    assert (parsed["message"], parsed["records"]) == ("Parsed event", 0)
    assert (failed["message"], failed["event_type"]) == ("Invocation failed", "INVOCATION_FAILED")
    assert failed["error"] == "bad input"
    assert parsed["trace_id"] == failed["trace_id"]


def test_without_buffering_production_drops_debug(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(environment="prod", log_format="json", console=False)

    def render() -> None:
        with otelkit.job("render"):
            log.debug("never written")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        render()
    assert "never written" not in [line["message"] for line in _lines(capsys)]
    assert logging.getLogger().level == logging.INFO
