"""The worker-fleet example: every line of a job names its worker and job, the failed job is
visible, and the fleet's status is read back from Redis."""

from __future__ import annotations

import shutil
from collections import defaultdict

import pytest

from tests.support.examples import run_example

pytestmark = pytest.mark.slow  # each test runs an example as a program

WORKERS = {"worker-1", "worker-2", "worker-3"}


def test_worker_fleet_lines_carry_worker_and_job() -> None:
    if shutil.which("redis-server") is None:
        pytest.fail(
            "redis-server not found on PATH: the example runs a real Redis. Install "
            "it with `apt-get install -y redis-server` (CI does).",
            pytrace=False,
        )
    result, lines = run_example("worker_fleet.py", timeout=30)

    by_job: defaultdict[str, list[dict[str, object]]] = defaultdict(list)
    for line in lines:
        if "job_id" in line:
            by_job[str(line["job_id"])].append(line)
    assert len(by_job) == 9
    for job_id, job_lines in by_job.items():
        assert job_id.startswith("browser.navigate.")
        assert job_lines[0]["message"] == "JOB_STARTED"
        assert {line["message"] for line in job_lines} >= {"JOB_STARTED", "Navigating"}
        # one worker per job, named on every line, with the deployment context
        assert len({line["worker_id"] for line in job_lines}) == 1
        assert {line["hostname"] for line in job_lines} != {None}
        assert {line["service"] for line in job_lines} == {"bot-worker"}
    assert {line["worker_id"] for line in lines if "worker_id" in line} == WORKERS

    failed = [line for line in lines if line["message"] == "JOB_FAILED"]
    assert len(failed) == 1
    assert failed[0]["level"] == "ERROR"
    assert failed[0]["error_type"] == "TimeoutError"
    assert "/hang" in failed[0]["error"]
    assert failed[0]["worker_id"] in WORKERS

    # transitions are logged, heartbeats are not
    for event_type in ("WORKER_STARTED", "WORKER_STATE_CHANGED", "WORKER_STOPPED"):
        assert {
            line["worker_id"] for line in lines if line.get("event_type") == event_type
        } == WORKERS
    assert not [line for line in lines if "HEARTBEAT" in str(line.get("event_type"))]
    stopped = [line for line in lines if line.get("event_type") == "WORKER_STOPPED"]
    assert sum(line["jobs_processed"] for line in stopped) == 9
    assert sum(line["jobs_failed"] for line in stopped) == 1

    # the fleet status printed at the end comes from the workers' Redis hashes
    final = result.stdout.split("Fleet status at the end", 1)[1]
    for worker_id in WORKERS:
        assert f"  {worker_id}  STOPPED" in final
    assert "failed=1" in final
