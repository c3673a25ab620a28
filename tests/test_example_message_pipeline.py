"""The SNS/SQS example: one correlation ID on every log line of every stage."""

from __future__ import annotations

import pytest

from tests.support.examples import run_example

pytestmark = pytest.mark.slow  # each test runs an example as a program


def test_one_correlation_id_on_every_log_line_of_the_pipeline() -> None:
    result, every_line = run_example("message_pipeline.py")
    # the scheduled message's lines; the web API stage (uvicorn, then requests) comes after
    web = next(
        i
        for i, line in enumerate(every_line)
        if line["logger"].startswith("uvicorn") or line["logger"] == "otelkit.http"
    )
    lines = every_line[:web]

    correlation_ids = {line.get("correlation_id") for line in lines}
    assert len(correlation_ids) == 1, correlation_ids
    [correlation_id] = correlation_ids
    assert correlation_id is not None
    assert len({line["trace_id"] for line in lines}) == 1  # one trace, end to end
    messages = [line["message"] for line in lines]
    for stage in (
        "Published message to SNS",
        "SQS message received",
        "Notification sent successfully",
    ):
        assert stage in messages
    assert any(line["logger"] == "httpx" for line in lines)
    sent = next(line for line in lines if line["message"] == "Notification sent successfully")
    assert sent["service_saw_baggage"].startswith(f"correlation_id={correlation_id}")
    # the console span tree: the producer's and the consumer's halves of one trace
    assert result.stderr.count(f"correlation_id={correlation_id}") == 2
    assert "• process rez-agent-message-queue-dev" in result.stderr
