"""The worker-fleet example against the distributed-bot guide: one process per worker; every
line of a job names its worker, job, deployment context and the process's memory; the
heartbeats use the guide's Redis keys and answer its own redis-cli commands; each worker
serves /health and /metrics (checked by promtool, with the guide's labels through
target_info) on its METRICS_PORT; LOG_TO_FILE writes the same lines to one file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.support.examples import run_example
from tests.support.servers import redis_server
from tests.test_runtime_server import promtool_check

pytestmark = pytest.mark.slow  # each test runs an example as a program

WORKERS = {"worker-1", "worker-2", "worker-3"}
Line = dict[str, Any]


@dataclass(frozen=True)
class Run:
    result: subprocess.CompletedProcess[str]
    lines: list[Line]
    redis_url: str
    log_dir: Path

    def printed(self, start: str, end: str | None = None) -> str:
        """What the example printed after ``start`` (up to ``end``)."""
        after = self.result.stdout.split(start, 1)[1]
        return after.split(end, 1)[0] if end else after


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    if shutil.which("redis-server") is None:
        pytest.fail(
            "redis-server not found on PATH: the example runs a real Redis. Install "
            "it with `apt-get install -y redis-server` (CI does).",
            pytrace=False,
        )
    log_dir = tmp_path_factory.mktemp("logs")
    with redis_server() as redis_url:
        result, lines = run_example(
            "worker_fleet.py",
            env={
                "REDIS_URL": redis_url,
                "HEARTBEAT_INTERVAL": "0.1",
                "DEPLOYMENT_ENV": "production",
                "FLY_REGION": "us-west-1",
                "ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/a1b2c3d4e5f6-42",
                "LOG_TO_FILE": "1",
                "LOG_DIR": str(log_dir),
            },
            timeout=60,
        )
        yield Run(result, lines, redis_url, log_dir)


def test_worker_fleet_lines_carry_worker_job_and_deployment_context(run: Run) -> None:
    lines = run.lines
    by_job: defaultdict[str, list[Line]] = defaultdict(list)
    for line in lines:
        if "job_id" in line:
            by_job[str(line["job_id"])].append(line)
    assert len(by_job) == 9
    for job_id, job_lines in by_job.items():
        assert job_id.startswith("browser.navigate.")
        assert job_lines[0]["message"] == "JOB_STARTED"
        assert {line["message"] for line in job_lines} >= {"JOB_STARTED", "Navigating"}
        # one worker per job, named on every line
        assert len({line["worker_id"] for line in job_lines}) == 1
        assert {line["service"] for line in job_lines} == {"bot-worker"}
    assert {line["worker_id"] for line in lines if "worker_id" in line} == WORKERS
    # the guide's deployment context, detected from the platform, on every line
    for line in lines:
        assert line["hostname"], line
        assert line["container_id"] == "a1b2c3d4e5f6-42"  # the ECS metadata URI's task
        assert line["region"] == "us-west-1"  # FLY_REGION
        assert line["deployment_env"] == "production"
        # resource_fields: the guide's ``| json | memory_mb > 500`` works on every line
        assert line["memory_mb"] > 10
        assert line["num_threads"] >= 1

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
    started = [line for line in lines if line.get("event_type") == "WORKER_STARTED"]
    assert {line["heartbeat_interval"] for line in started} == {0.1}  # HEARTBEAT_INTERVAL
    assert {line["heartbeat_key"] for line in started} == {
        f"worker:heartbeat:{worker}" for worker in WORKERS
    }
    stopped = [line for line in lines if line.get("event_type") == "WORKER_STOPPED"]
    assert sum(line["jobs_processed"] for line in stopped) == 9
    assert sum(line["jobs_failed"] for line in stopped) == 1


def test_the_guides_redis_commands_answer(run: Run) -> None:
    client = redis.Redis.from_url(run.redis_url, decode_responses=True)
    try:
        # redis-cli HGETALL worker:heartbeat:worker-1
        status: dict[str, str] = client.hgetall("worker:heartbeat:worker-1")  # type: ignore[assignment]
        assert (status["worker_id"], status["state"]) == ("worker-1", "STOPPED")
        assert float(status["timestamp"]) > 0
        resources = json.loads(status["resources"])
        assert resources["memory_mb"] > 10
        assert resources["num_threads"] >= 1
        assert int(status["jobs_processed"]) >= 1
        assert 0 < client.ttl("worker:heartbeat:worker-1") <= 30  # gone when a worker dies
        # redis-cli XREAD COUNT 10 STREAMS worker:status 0
        answer: Any = client.xread({"worker:status": 0}, count=10)
        [(stream, entries)] = answer
        assert stream == "worker:status"
        assert len(entries) == 10
        beats = [dict(fields) for _, fields in entries]
        assert {beat["worker_id"] for beat in beats} <= WORKERS
        assert all("timestamp" in beat and "state" in beat for beat in beats)
        assert not client.keys("otelkit:*"), "nothing under otelkit's default prefix"
        # one process per worker, each with its own heartbeat and endpoints
        hashes = [client.hgetall(f"worker:heartbeat:{worker}") for worker in sorted(WORKERS)]
        assert len({fields["pid"] for fields in hashes}) == 3
        assert len({fields["metrics_url"] for fields in hashes}) == 3
    finally:
        client.close()
    # and the fleet printed at the end came from those hashes
    final = run.printed("Fleet status at the end")
    for worker_id in WORKERS:
        assert f"  {worker_id}  STOPPED" in final
    assert "failed=1" in final


def _per_worker(run: Run, prefix: str, end: str) -> dict[str, str]:
    """What the supervisor printed for each worker after ``prefix <worker_id>:``."""
    return {worker: run.printed(f"{prefix} {worker}:", end) for worker in sorted(WORKERS)}


def test_each_worker_serves_health_with_the_guides_fields(run: Run) -> None:
    pids = set()
    for worker_id, answer in _per_worker(run, "GET /health", "\n").items():
        health = json.loads(answer)
        assert health["status"] == "healthy"
        assert health["worker_id"] == worker_id
        assert health["state"] in {"IDLE", "BUSY", "DRAINING"}
        assert health["uptime_seconds"] > 0
        assert health["timestamp"] > 0
        assert {"hostname", "platform", "python_version"} <= set(health["system"])
        resources = health["resources"]
        assert resources["memory_mb"] > 10
        assert 0 <= resources["memory_percent"] < 100
        assert resources["cpu_percent"] >= 0
        assert resources["num_threads"] >= 3, "the worker, its heartbeat and its server"
        assert resources["open_files"] >= 3
        pids.add(health["system"]["pid"])
    assert len(pids) == 3, "each worker is its own process"


def _samples(text: str) -> dict[str, list[str]]:
    samples: dict[str, list[str]] = defaultdict(list)
    for line in text.splitlines():
        if line and not line.startswith("#"):
            samples[re.split(r"[{ ]", line, maxsplit=1)[0]].append(line)
    return samples


def _labels(sample: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', sample))


def _value(sample: str) -> float:
    return float(sample.rsplit(" ", 1)[1])


def test_each_workers_metrics_pass_promtool_and_carry_the_guides_labels(run: Run) -> None:
    outcomes: defaultdict[str, float] = defaultdict(float)
    for worker_id, text in _per_worker(run, "GET /metrics", "GET /metrics ends\n").items():
        checked = promtool_check(text.encode())
        assert checked.returncode == 0, checked.stdout + checked.stderr
        samples = _samples(text)
        # the guide's labels, once per process: target_info, for a PromQL join
        [target] = samples["target_info"]
        labels = _labels(target)
        assert labels["worker_id"] == worker_id  # OTEL_RESOURCE_ATTRIBUTES
        assert labels["host_name"]
        assert labels["container_id"] == "a1b2c3d4e5f6-42"
        assert labels["cloud_region"] == "us-west-1"
        assert labels["deployment_environment"] == "production"
        # worker_state{worker_id=…}: DRAINING when scraped
        [state] = samples["worker_state"]
        assert _labels(state)["worker_id"] == worker_id
        assert _value(state) == 3
        # the guide's worker_memory_bytes, CPU, threads and file handles, per process
        assert _value(samples["process_memory_usage_bytes"][0]) > 10 * 1024 * 1024
        assert _value(samples["process_threads"][0]) >= 2
        assert _value(samples["process_open_fds"][0]) >= 3
        assert samples["process_cpu_time_seconds_total"]
        for line in samples["jobs_total"]:
            outcomes[_labels(line)["outcome"]] += _value(line)
    # jobs over the fleet, for rate(jobs_total{outcome="error"}[5m]) / rate(jobs_total[5m])
    assert outcomes == {"success": 8.0, "error": 1.0}


def test_log_to_file_writes_the_same_json_lines(run: Run) -> None:
    path = run.log_dir / "bot-worker" / "bot-worker.jsonl"
    written = [json.loads(text) for text in path.read_text().splitlines()]
    # three processes append to one file: the same lines, each whole, in their own order
    assert sorted(map(json.dumps, written)) == sorted(map(json.dumps, run.lines))
