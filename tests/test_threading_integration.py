"""``configure(instrument=["threading"])``: lines and spans made in threads and thread-pool
tasks carry the job that started them. Real threads in a child process, its rendered
lines read back."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.support.processes import production_env

PROGRAM = """
import asyncio, sys, threading
from concurrent.futures import ThreadPoolExecutor
import otelkit

instrument = sys.argv[1:]
otelkit.configure(service_name="pool", console=False, log_format="json",
                  resource_detectors="none", instrument=instrument)
log = otelkit.get_logger("pool")
pool = ThreadPoolExecutor(2)  # shared by both jobs: its threads start inside the first


def work(job_id, mine, other):
    with otelkit.job("batch", job_id=job_id):
        thread = threading.Thread(target=log.info, args=("in thread",))
        thread.start()
        thread.join()
        mine.set()
        other.wait(10)  # both jobs are open when they submit
        pool.submit(log.info, "in pool").result()


a_open, b_open = threading.Event(), threading.Event()
jobs = [threading.Thread(target=work, args=("job-a", a_open, b_open)),
        threading.Thread(target=work, args=("job-b", b_open, a_open))]
with otelkit.job("driver", job_id="job-driver"):
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
pool.shutdown()


async def in_executor():
    with otelkit.job("aio", job_id="job-aio"):
        await asyncio.get_running_loop().run_in_executor(None, log.info, "in executor")


asyncio.run(in_executor())
"""


def _lines(*instrument: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, *instrument],
        capture_output=True,
        text=True,
        timeout=60,
        env=production_env(),
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def _by_job(lines: list[dict[str, Any]], message: str) -> dict[str, str]:
    """job_id -> trace_id of the lines with ``message``."""
    return {
        line.get("job_id", "-"): line.get("trace_id", "-")
        for line in lines
        if line["message"] == message
    }


def test_threads_and_pool_tasks_carry_the_job_that_started_them() -> None:
    lines = _lines("threading")
    started = {
        line["job_id"]: line["trace_id"] for line in lines if line["message"] == "JOB_STARTED"
    }
    assert set(started) == {"job-driver", "job-a", "job-b", "job-aio"}
    # The job threads themselves started inside the driver's job: a job of their own
    # inside it continues its trace.
    assert started["job-a"] == started["job-b"] == started["job-driver"]
    for message in ("in thread", "in pool"):
        assert _by_job(lines, message) == {
            "job-a": started["job-a"],
            "job-b": started["job-b"],
        }, message
    assert _by_job(lines, "in executor") == {"job-aio": started["job-aio"]}  # asyncio's too


def test_without_the_integration_threads_start_empty() -> None:
    """What the integration fixes: the same program loses every ID in its threads."""
    lines = _lines()
    assert _by_job(lines, "in thread") == {"-": "-"}
    assert _by_job(lines, "in pool") == {"-": "-"}
    assert _by_job(lines, "in executor") == {"-": "-"}


def test_an_unknown_integration_names_threading_among_the_known() -> None:
    import otelkit

    with pytest.raises(ValueError, match="threading"):
        otelkit.configure(console=False, log_stdout=False, instrument=["threads"])
