"""job(), session() and event(): the records that answer "what happened to job X"."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys

import pytest
from opentelemetry.trace import StatusCode

import otelkit
from otelkit.testing import Capture


def _events(cap: Capture, event_type: str) -> list[dict[str, object]]:
    return [line for line in cap.logs if line.get("event_type") == event_type]


def test_job_success_writes_lifecycle_span_and_metrics(otelkit_capture: Capture) -> None:
    log = otelkit.get_logger("pipeline")
    with otelkit.job("video.generate", user_id="u-1", prompt_chars=26) as job:
        assert re.fullmatch(r"job-[0-9a-f]{32}", job.job_id)
        assert otelkit.ids() == {"user_id": "u-1", "job_id": job.job_id}
        log.info("Scene generated", scene=1)
    assert otelkit.ids() == {}

    (started,) = _events(otelkit_capture, "JOB_STARTED")
    (completed,) = _events(otelkit_capture, "JOB_COMPLETED")
    assert started["status"] == "started"
    assert started["job_name"] == "video.generate"
    assert started["prompt_chars"] == 26
    assert completed["status"] == "completed"
    assert isinstance(completed["duration_ms"], float)
    # every line of the job carries its ID: the "whole history" query works
    assert all(line["job_id"] == job.job_id for line in otelkit_capture.logs)
    assert str(started["source"]).startswith("test_lifecycle.py:")

    span = otelkit_capture.span("video.generate")
    assert span.attributes["job_id"] == job.job_id
    assert span.attributes["user_id"] == "u-1"
    assert span.attributes["prompt_chars"] == 26
    metrics = otelkit_capture.metrics
    assert metrics["Jobs"] == [({"job_name": "video.generate", "outcome": "success"}, 1)]
    ((dims, histogram),) = metrics["JobDuration"]
    assert dims == {"job_name": "video.generate", "outcome": "success"}
    assert histogram["count"] == 1


def test_job_failure_is_findable(otelkit_capture: Capture) -> None:
    with pytest.raises(TimeoutError), otelkit.job("video.generate", job_id="job-given"):
        raise TimeoutError("video model did not answer")
    (failed,) = _events(otelkit_capture, "JOB_FAILED")
    assert failed["level"] == "ERROR"
    assert failed["status"] == "failed"
    assert failed["error"] == "video model did not answer"
    assert failed["error_type"] == "TimeoutError"
    assert failed["job_id"] == "job-given"
    assert "Traceback" in str(failed["exception"])
    span = otelkit_capture.span("video.generate")
    assert span.status.status_code is StatusCode.ERROR
    assert otelkit_capture.metrics["Jobs"] == [
        ({"job_name": "video.generate", "outcome": "error"}, 1)
    ]


def test_job_decorator_takes_job_id_from_the_call(otelkit_capture: Capture) -> None:
    @otelkit.job("video.generate")
    def generate(prompt: str, job_id: str | None = None) -> dict[str, str]:
        return otelkit.ids()

    assert generate("fox", job_id="job-42") == {"job_id": "job-42"}
    generated = generate("fox")["job_id"]
    assert generated.startswith("job-")
    assert generated != "job-42"
    assert len(_events(otelkit_capture, "JOB_COMPLETED")) == 2


async def test_async_jobs_run_concurrently_with_their_own_ids(otelkit_capture: Capture) -> None:
    @otelkit.job("scene.render")
    async def render(n: int, job_id: str | None = None) -> str:
        await asyncio.sleep(0.001 * (3 - n))
        otelkit.get_logger("r").info("rendered", scene=n)
        return otelkit.ids()["job_id"]

    ids = await asyncio.gather(*(render(n, job_id=f"job-{n}") for n in range(3)))
    assert ids == ["job-0", "job-1", "job-2"]
    for line in otelkit_capture.logs:
        if line["message"] == "rendered":
            assert line["job_id"] == f"job-{line['scene']}"


def test_job_object_is_reusable() -> None:
    runner = otelkit.job("batch")
    with runner as first:
        pass
    with runner as second:
        pass
    assert first.job_id != second.job_id


def test_session_lifecycle(otelkit_capture: Capture) -> None:
    with otelkit.session("sess-abc", project_id="proj_123") as session:
        assert session.session_id == "sess-abc"
        otelkit.event("SESSION_READY", status="READY", duration_ms=412, public_ip="10.0.0.1")
    kinds = [line["event_type"] for line in otelkit_capture.logs]
    assert kinds == ["SESSION_STARTED", "SESSION_READY", "SESSION_ENDED"]
    ready = otelkit_capture.logs[1]
    assert ready["session_id"] == "sess-abc"
    assert ready["project_id"] == "proj_123"
    assert ready["status"] == "READY"
    assert ready["duration_ms"] == 412
    assert ready["logger"] == __name__
    span = otelkit_capture.span("session")
    assert span.events[0].name == "SESSION_READY"
    assert span.events[0].attributes["public_ip"] == "10.0.0.1"
    assert otelkit_capture.metrics["Sessions"][0][0] == {
        "session_name": "session",
        "outcome": "success",
    }


def test_event_levels_and_validation(otelkit_capture: Capture) -> None:
    otelkit.event("RESOURCE_METRICS", level="debug", cpu=0.4)
    otelkit.event("CIRCUIT_OPEN", level="WARN", failure_count=5)
    assert [line["level"] for line in otelkit_capture.logs] == ["DEBUG", "WARNING"]
    with pytest.raises(ValueError, match="unknown level 'LOUD'"):
        otelkit.event("X", level="LOUD")
    with pytest.raises(ValueError, match="event_type"):
        otelkit.event("")


def test_bad_job_arguments_fail_at_the_call_site() -> None:
    with pytest.raises(ValueError, match="invalid value for ID 'job_id'"):
        otelkit.job("x", job_id="")
    with pytest.raises(ValueError, match="invalid value for ID 'user_id'"):
        otelkit.job("x", user_id=42)
    with pytest.raises(ValueError, match="name"):
        otelkit.job("")


async def test_one_job_object_shared_by_concurrent_tasks(otelkit_capture: Capture) -> None:
    runner = otelkit.job("scene.render")

    async def work(fail: bool, delay: float) -> None:
        async with runner:
            await asyncio.sleep(delay)
            if fail:
                raise RuntimeError("render failed")

    results = await asyncio.gather(work(True, 0.0), work(False, 0.02), return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert results[1] is None
    statuses = sorted(s.status.status_code.name for s in otelkit_capture.spans)
    assert statuses == ["ERROR", "UNSET"]


def test_job_id_passed_by_position_is_the_jobs_id() -> None:
    @otelkit.job("video.generate")
    def generate(prompt: str, job_id: str | None = None) -> str:
        return otelkit.ids()["job_id"]

    assert generate("a fox", "job-positional") == "job-positional"


_GRACEFUL_WORKER = """
import sys
import otelkit
otelkit.configure(service_name="worker", log_format="json", console=False)
with otelkit.session("sess-w1", name="bot.session"):
    otelkit.get_logger("worker").info("shutting down")
    sys.exit(int(sys.argv[1]))
"""


@pytest.mark.parametrize(
    ("code", "event_type", "level"),
    [
        (0, "SESSION_ENDED", "INFO"),
        (3, "SESSION_FAILED", "ERROR"),
    ],
)
def test_sys_exit_0_ends_a_session_and_other_codes_fail_it(
    code: int, event_type: str, level: str
) -> None:
    # A worker's graceful shutdown leaves through sys.exit(0): no alarm-raising failure.
    done = subprocess.run(
        [sys.executable, "-c", _GRACEFUL_WORKER, str(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == code, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    (closing,) = [
        line for line in lines if line.get("event_type", "SESSION_STARTED") != "SESSION_STARTED"
    ]
    assert (closing["event_type"], closing["level"]) == (event_type, level)


@pytest.mark.parametrize(("exit_code", "failed"), [(None, False), (0, False), (1, True)])
def test_system_exit_is_a_failure_only_with_a_failing_code(
    otelkit_capture: Capture, exit_code: int | None, failed: bool
) -> None:
    @otelkit.traced("step")
    @otelkit.timed("StepDuration")
    def step() -> None:
        raise SystemExit(exit_code)

    with pytest.raises(SystemExit), otelkit.job("batch", job_id="job-exit"):
        step()

    outcome = "error" if failed else "success"
    expected_status = StatusCode.ERROR if failed else StatusCode.UNSET
    assert otelkit_capture.span("step").status.status_code == expected_status
    assert otelkit_capture.span("batch").status.status_code == expected_status
    assert [a["outcome"] for a, _ in otelkit_capture.metrics["StepDuration"]] == [outcome]
    assert [a["outcome"] for a, _ in otelkit_capture.metrics["Jobs"]] == [outcome]
    assert _events(otelkit_capture, "JOB_FAILED" if failed else "JOB_COMPLETED")
