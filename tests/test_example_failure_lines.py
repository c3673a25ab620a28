"""examples/failure_lines.py runs as a program (tests/test_docs_blocks.py holds
docs/failure-lines.md to its code)."""

from __future__ import annotations

import json

import pytest

from tests.support.examples import run_example

pytestmark = pytest.mark.slow  # runs the example as a program
TOKEN_START = "eyJhbGciOiJIUzI1NiJ9"


def test_the_example_writes_the_two_auth_lines_and_one_api_error() -> None:
    result, lines = run_example("failure_lines.py")
    auth = [line for line in lines if line["logger"] == "otelkit.auth"]
    assert [(line["level"], line["reason"]) for line in auth] == [
        ("WARNING", "missing_authorization"),
        ("WARNING", "expired_token"),
    ]
    assert auth[0]["route"] == "/api/v1/generate"
    assert auth[1]["scheme"] == "Bearer"
    (error,) = [line for line in lines if line["logger"] == "otelkit.api"]
    assert error["message"] == "External API error"
    assert (error["provider"], error["status"]) == ("speech-to-text", 422)
    assert error["job_id"].startswith("job-")
    assert error["latency_ms"] > 0
    assert len(error["detail"]) <= 200
    assert TOKEN_START not in result.stdout + result.stderr
    assert all(TOKEN_START not in json.dumps(line) for line in lines)
