"""The Lambda SQS worker example: the producer's job_id on every line, partial batch failure."""

from __future__ import annotations

import json

import pytest

from tests.support.examples import run_example

pytestmark = pytest.mark.slow  # each test runs an example as a program


def test_each_record_is_processed_under_its_producers_ids() -> None:
    result, lines = run_example("lambda_sqs_worker.py")
    printed = next(line for line in result.stdout.splitlines() if line.startswith("Result: "))
    assert json.loads(printed.removeprefix("Result: ")) == {
        "batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]
    }

    # each record's lines carry the job_id its producer sent in the message's baggage
    assert [line["job_id"] for line in lines] == (
        ["job-6f1c2a7e9b3d4c5f8a1b2c3d4e5f6a7b"] * 4 + ["job-0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a"] * 2
    )
    assert [line["message"] for line in lines] == [
        "JOB_STARTED",
        "Rendering video",
        "JOB_COMPLETED",
        "Video stored",
        "JOB_STARTED",
        "JOB_FAILED",
    ]
    assert len({line["trace_id"] for line in lines}) == 1  # the invocation's trace
    # the console span tree: the invocation, a span per record, the failed one marked
    assert "• video-worker" in result.stderr
    assert "faas.coldstart=True" in result.stderr
    assert result.stderr.count("process video-jobs") == 2
    assert "✗ process video-jobs" in result.stderr
    assert "ColdStart" in result.stderr
