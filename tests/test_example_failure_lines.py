"""examples/failure_lines.py runs as a program, and docs/failure-lines.md shows its code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.examples import EXAMPLES, run_example

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


def test_the_docs_show_the_examples_code_verbatim() -> None:
    example = (EXAMPLES / "failure_lines.py").read_text()
    part = example.split("(a test checks it)\n", 1)[1].split("# [docs:end]", 1)[0].strip()
    page = (Path(__file__).resolve().parents[1] / "docs" / "failure-lines.md").read_text()
    block = page.split("```python\n", 1)[1].split("```", 1)[0].strip()
    assert block == part
