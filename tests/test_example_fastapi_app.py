"""The FastAPI example: request logs for real work only, one correlation ID per request."""

from __future__ import annotations

import re

import pytest

from tests.support.examples import run_example

pytestmark = pytest.mark.slow  # each test runs an example as a program


def test_demo_logs_the_job_request_and_nothing_for_polling_or_health() -> None:
    result, lines = run_example("fastapi_app.py", "--demo")
    out = result.stdout.splitlines()
    printed = [line for line in out if not line.startswith("{")]

    created = re.fullmatch(
        r"POST /api/v1/jobs -> 202 job_id=(job-[0-9a-f]{32}) "
        r"x-correlation-id=corr-demo-1",
        printed[0],
    )
    assert created, printed
    job_id = created.group(1)
    # polling gets a fresh correlation ID per request, echoed on the wire
    polled = [re.search(r"x-correlation-id=(\S+)", line) for line in printed[1:3]]
    assert all(polled)
    assert len({m.group(1) for m in polled if m}) == 2
    assert printed[3] == "GET /health -> 200"

    requests = [line for line in lines if line["logger"] == "otelkit.http"]
    assert [(line["message"], line["path"]) for line in requests] == [
        ("Request started", "/api/v1/jobs"),
        ("Request completed", "/api/v1/jobs"),
    ]
    started, completed = requests
    assert (started["method"], started["client_ip"]) == ("POST", "127.0.0.1")
    assert (completed["status"], completed["response_size"]) == (202, 67)
    assert isinstance(completed["latency_ms"], float)
    job_line = next(line for line in lines if line["message"] == "Job created")
    assert (job_line["job_id"], job_line["correlation_id"]) == (job_id, "corr-demo-1")
    assert {line["trace_id"] for line in (started, job_line, completed)} == {started["trace_id"]}
    # quiet requests still make server spans (console span tree on stderr)
    assert result.stderr.count("• GET /api/v1/jobs/{job_id}") == 2
    assert "• GET /health" in result.stderr
