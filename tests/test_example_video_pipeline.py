"""The README's demo: it runs, and what it prints is what a developer needs to see."""

from __future__ import annotations

import pytest

from tests.support.examples import run_example
from tests.support.otlp_receiver import attributes, otlp_receiver

pytestmark = pytest.mark.slow  # each test runs an example as a program


def test_demo_prints_span_tree_ids_and_metrics() -> None:
    result, lines = run_example("video_pipeline.py")
    job_lines = [line for line in lines if line["logger"] in {"video.pipeline", "otelkit.job"}]
    job_id = job_lines[0]["job_id"]
    first_job = [line for line in job_lines if line.get("job_id") == job_id]
    assert next(line["message"] for line in first_job) == "JOB_STARTED"
    assert first_job[-1]["message"] == "JOB_COMPLETED"
    assert {line["user_id"] for line in first_job} == {"user-xyz"}
    # the httpx instrumentation's own log lines carry the job too
    assert any(line["logger"] == "httpx" and line.get("job_id") == job_id for line in lines)
    assert any(line["message"] == "JOB_FAILED" and line["level"] == "ERROR" for line in lines)
    # the console: a span tree per trace, with the S3 upload and HTTP calls under the job
    assert f"job_id={job_id}" in result.stderr
    assert "• render scene" in result.stderr
    assert "S3.PutObject" in result.stderr
    assert "✗ video.generate" in result.stderr
    assert "ScenesRendered" in result.stderr
    assert "JobDuration" in result.stderr
    # headings tell a newcomer what each part is: the failing job is on purpose
    headings = ["=== Setup", "=== Job 1 succeeds", "=== Job 2 fails on purpose", "=== Metrics"]
    positions = [result.stderr.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert result.stderr.index("=== Job 2 fails") < result.stderr.index("✗ video.generate")
    # nothing suggests real AWS credentials are in use: the emulator's are dummies
    assert not any(line["message"].startswith("Found credentials") for line in lines)


def test_demo_exports_to_a_collector_when_an_endpoint_is_set() -> None:
    with otlp_receiver() as (endpoint, received):
        run_example("video_pipeline.py", env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
    spans = received.spans()
    names = {span["name"] for span in spans}
    assert {"video.generate", "render scene", "S3.PutObject", "POST"} <= names
    put = next(span for span in spans if span["name"] == "S3.PutObject")
    job_id = attributes(put["attributes"])["job_id"]
    assert job_id.startswith("job-")
    logged = [attributes(record["attributes"]) for record in received.logs()]
    assert any(entry.get("job_id") == job_id for entry in logged)
    assert "ScenesRendered" in {metric["name"] for metric in received.metrics()}
