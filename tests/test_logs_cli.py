"""``otelkit logs``: the same verbs over local JSONL files and CloudWatch Logs (moto)."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import moto_client

NOW = datetime.now(UTC).isoformat()
LINES: list[dict[str, Any]] = [
    {
        "timestamp": NOW,
        "level": "INFO",
        "service": "svc",
        "message": "Job started",
        "job_id": "job-1",
    },
    {
        "timestamp": NOW,
        "level": "ERROR",
        "service": "svc",
        "message": "Job failed",
        "job_id": "job-1",
        "error": "boom",
    },
    {
        "timestamp": NOW,
        "level": "INFO",
        "service": "svc",
        "message": "Request completed",
        "latency_ms": 2500.0,
        "correlation_id": "c-9",
    },
    {
        "timestamp": NOW,
        "level": "INFO",
        "service": "svc",
        "message": "Other job",
        "job_id": "job-2",
    },
]


def _otelkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otelkit", "logs", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "svc.jsonl.gz"
    with gzip.open(path, "wt") as stream:
        stream.write("not json\n")
        stream.writelines(json.dumps(line) + "\n" for line in LINES)
    return path


@pytest.mark.slow
def test_verbs_over_a_local_file(jsonl: Path) -> None:
    found = _otelkit("find", "--id", "job-1", "--file", str(jsonl), "--json")
    assert found.returncode == 0, found.stderr
    assert [json.loads(x)["message"] for x in found.stdout.splitlines()] == [
        "Job started",
        "Job failed",
    ]
    errors = _otelkit("errors", "--file", str(jsonl))
    assert errors.stdout.count("\n") == 1
    assert "ERROR    svc: Job failed" in errors.stdout
    assert "error=boom" in errors.stdout
    slow = _otelkit("slow", "--file", str(jsonl), "--slow-ms", "2000", "--json")
    assert [json.loads(x)["correlation_id"] for x in slow.stdout.splitlines()] == ["c-9"]
    assert _otelkit("find", "--id", "nope", "--file", str(jsonl)).returncode == 1
    bad = _otelkit("tail", "--file", str(jsonl), "--since", "soon")
    assert bad.returncode == 2
    assert "'soon': a number and s, m, h or d" in bad.stderr


@pytest.mark.slow
def test_verbs_over_cloudwatch_logs(aws_endpoint: str, aws_env: dict[str, str]) -> None:
    client = moto_client("logs", aws_endpoint)
    group = f"/ecs/svc-{time.time_ns()}"
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName="task-1")
    now_ms = int(time.time() * 1000)
    client.put_log_events(
        logGroupName=group,
        logStreamName="task-1",
        logEvents=[
            {"timestamp": now_ms + i, "message": json.dumps(line)} for i, line in enumerate(LINES)
        ],
    )

    found = _otelkit("find", "--id", "job-1", "--group", group, "--json", env=aws_env)
    assert found.returncode == 0, found.stderr
    assert [json.loads(x)["message"] for x in found.stdout.splitlines()] == [
        "Job started",
        "Job failed",
    ]
    tail = _otelkit("tail", "--group", group, "--limit", "2", env=aws_env)
    assert tail.stdout.count("\n") == 2
    errors = _otelkit("errors", "--group", group, "--json", env=aws_env)
    assert [json.loads(x)["error"] for x in errors.stdout.splitlines()] == ["boom"]


_WRITER = """
import otelkit
otelkit.configure(service_name="rotor", console=False)
log = otelkit.get_logger("rotor")
with otelkit.job("batch", job_id="job-rotated"):
    for n in range(40):
        log.info("step", n=n, pad="x" * 60)
"""


@pytest.mark.slow
def test_a_log_dir_folder_reads_the_live_file_and_its_archives(tmp_path: Path) -> None:
    # Written the production way: LOG_TO_FILE, small files so that most lines are archived.
    env = {
        **os.environ,
        "LOG_TO_FILE": "true",
        "LOG_DIR": str(tmp_path),
        "OTELKIT_LOG_FILE_MAX_BYTES": "2048",
    }
    written = subprocess.run(
        [sys.executable, "-c", _WRITER], env=env, capture_output=True, text=True, timeout=60
    )
    assert written.returncode == 0, written.stderr
    folder = tmp_path / "rotor"
    assert list(folder.glob("rotor.jsonl.*.gz")), "no rotation happened"

    found = _otelkit("find", "--id", "job-rotated", "--file", str(folder), "--json")

    assert found.returncode == 0, found.stderr
    steps = [json.loads(x).get("n") for x in found.stdout.splitlines()]
    assert [n for n in steps if n is not None] == list(range(40))


def test_a_missing_file_is_one_line_and_bad_usage(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"

    result = _otelkit("tail", "--file", str(missing))

    assert result.returncode == 2
    assert result.stderr == f"otelkit logs: cannot read {missing}: No such file or directory\n"


@pytest.mark.slow
def test_an_unreachable_aws_endpoint_is_one_line_not_a_traceback() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
    }

    result = _otelkit("tail", "--group", "/ecs/svc", env=env)

    assert result.returncode == 1
    assert result.stderr.startswith("otelkit logs: the AWS request failed: Could not connect")
    assert "Traceback" not in result.stderr


def test_nothing_found_says_how_far_back_it_looked(tmp_path: Path) -> None:
    # Yesterday's log file: outside the default one-hour window, found with --since.
    old = {**LINES[0], "timestamp": "2020-01-01T00:00:00+00:00", "job_id": "job-old"}
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(old) + "\n")

    missed = _otelkit("find", "--id", "job-old", "--file", str(path))
    assert missed.returncode == 1
    assert missed.stdout == ""
    assert missed.stderr == (
        "otelkit logs: no matching lines in the last 1h "
        "(--since looks further back, e.g. --since 7d)\n"
    )
    found = _otelkit("find", "--id", "job-old", "--file", str(path), "--since", "10000d")
    assert found.returncode == 0, found.stderr
    assert "job-old" in found.stdout
