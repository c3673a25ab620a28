"""The SNS/SQS example: one correlation ID on every log line of every stage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "message_pipeline.py"


def test_one_correlation_id_on_every_log_line_of_the_pipeline() -> None:
    env = {**os.environ, "LOG_FORMAT": "json"}
    env.pop("OTELKIT_STRICT", None)
    result = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]

    correlation_ids = {line.get("correlation_id") for line in lines}
    assert len(correlation_ids) == 1, correlation_ids
    [correlation_id] = correlation_ids
    assert correlation_id is not None
    assert len({line["trace_id"] for line in lines}) == 1  # one trace, end to end
    messages = [line["message"] for line in lines]
    for stage in ("Published message to SNS", "SQS message received",
                  "Notification sent successfully"):
        assert stage in messages
    assert any(line["logger"] == "httpx" for line in lines)
    sent = next(line for line in lines if line["message"] == "Notification sent successfully")
    assert sent["service_saw_baggage"].startswith(f"correlation_id={correlation_id}")
    # the console span tree: the producer's and the consumer's halves of one trace
    assert result.stderr.count(f"correlation_id={correlation_id}") == 2
    assert "• process rez-agent-message-queue-dev" in result.stderr
