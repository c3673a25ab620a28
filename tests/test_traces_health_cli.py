"""``otelkit traces find`` against X-Ray (moto server) and ``otelkit health`` against a
real local HTTP server."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from tests.support.servers import http_server, moto_client


def _otelkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otelkit", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _segment(trace_id: str, name: str, annotations: dict[str, str]) -> str:
    # Ended seconds ago: the emulator compares the window's end in whole seconds, so a
    # segment ending in the CLI's own second can fall outside it.
    now = time.time() - 3
    return json.dumps(
        {
            "name": name,
            "id": secrets.token_hex(8),
            "trace_id": trace_id,
            "start_time": now - 1.5,
            "end_time": now - 0.5,
            "annotations": annotations,
            "subsegments": [
                {
                    "name": "DynamoDB",
                    "id": secrets.token_hex(8),
                    "start_time": now - 1.4,
                    "end_time": now - 1.0,
                    "annotations": {"stage": "render"},
                }
            ],
        }
    )


def _trace_id() -> str:
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


@pytest.mark.slow
def test_traces_find_by_annotation(aws_endpoint: str, aws_env: dict[str, str]) -> None:
    client = moto_client("xray", aws_endpoint)
    job = f"job-{secrets.token_hex(4)}"
    mine, other = _trace_id(), _trace_id()
    client.put_trace_segments(
        TraceSegmentDocuments=[
            _segment(mine, "video-api", {"job_id": job}),
            _segment(other, "video-api", {"job_id": "job-someone-else"}),
        ]
    )

    found = _otelkit("traces", "find", "--annotation", f"job_id={job}", "--json", env=aws_env)
    assert found.returncode == 0, found.stderr
    [trace] = [json.loads(line) for line in found.stdout.splitlines()]
    assert trace["id"] == mine
    assert trace["annotations"] == {"job_id": job, "stage": "render"}
    assert trace["segments"] == ["video-api"]
    readable = _otelkit("traces", "find", "--annotation", f"job_id={job}", env=aws_env)
    assert readable.stdout.startswith(f"{mine}  ")
    assert f"job_id={job}" in readable.stdout
    assert _otelkit("traces", "find", "--annotation", "job_id=nope", env=aws_env).returncode == 1
    bad = _otelkit("traces", "find", "--annotation", "job_id")
    assert bad.returncode == 2
    assert "'job_id': KEY=VALUE" in bad.stderr


class _Health(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, dict[str, str]]]] = {
        "/health": (200, {"status": "healthy", "worker_id": "worker-1"}),
        "/sick": (503, {"status": "unhealthy", "reason": "redis down"}),
        "/degraded": (200, {"status": "degraded"}),
    }

    def do_GET(self) -> None:
        code, body = self.answers.get(self.path, (404, {}))
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def health_url() -> Iterator[str]:
    with http_server(_Health) as url:
        yield url


@pytest.mark.slow
def test_health_verdicts(health_url: str) -> None:
    ok = _otelkit("health", health_url)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("healthy   200  ")
    assert "worker_id=worker-1" in ok.stdout
    sick = _otelkit("health", f"{health_url}/sick", "--json")
    assert sick.returncode == 1
    assert json.loads(sick.stdout) == {
        "verdict": "unhealthy",
        "http_status": 503,
        "body": {"status": "unhealthy", "reason": "redis down"},
    }
    assert _otelkit("health", f"{health_url}/degraded").returncode == 1
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    down = _otelkit("health", f"http://127.0.0.1:{free}", "--json", "--timeout", "2")
    assert down.returncode == 1
    assert json.loads(down.stdout)["verdict"] == "down"
    assert _otelkit("health", "ftp://example.com").returncode == 2


def test_traces_find_without_a_region_is_one_line_not_a_traceback() -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"}
    }
    env["AWS_CONFIG_FILE"] = os.devnull  # no region from a profile either

    result = _otelkit("traces", "find", "--annotation", "job_id=job-1", env=env)

    assert result.returncode == 1
    assert result.stderr == ("otelkit traces: the AWS request failed: You must specify a region.\n")
