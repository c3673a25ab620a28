"""The collector built by ``make collector``, run as a real process on loopback.

Tests start it with a shipped config whose listen addresses are moved to free loopback
ports and whose AWS endpoints point at the local moto server; nothing else is changed.
"""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
import yaml
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tests.support.collector import REPO

BINARY = REPO / "build" / "otelcol-otelkit"

#: What every config needs from the environment, with loopback values.
BASE_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "LOKI_URL": "http://127.0.0.1:9",
}


#: The words every skip for a missing binary carries, so the summary can count them.
MISSING_BINARY = "build/otelcol-otelkit is not built"


def binary() -> Path:
    """The built collector; a missing one fails under CI and skips elsewhere."""
    if BINARY.exists():
        return BINARY
    if os.environ.get("CI"):
        pytest.fail(f"{BINARY} is missing: `make test` builds it with `make collector`")
    pytest.skip(f"{MISSING_BINARY}: run `make collector` (needs Go)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def validate(config: str | Path, env: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """Run the collector's own ``validate`` on a config text or file: (ok, output)."""
    path = config
    tmp = None
    if isinstance(config, str):
        import tempfile

        tmp = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)  # noqa: SIM115
        tmp.write(config)
        tmp.close()
        path = tmp.name
    try:
        result = subprocess.run(
            [str(binary()), "validate", f"--config={path}"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **BASE_ENV, **(env or {})},
            check=False,
        )
    finally:
        if tmp is not None:
            os.unlink(tmp.name)
    return result.returncode == 0, result.stdout + result.stderr


def without_eks_detector(config: dict[str, Any]) -> dict[str, Any]:
    """The eks resource detector reads the pod's service-account token at start-up,
    which only exists inside a Kubernetes pod; everything else is left as shipped."""
    out = copy.deepcopy(config)
    detection = out.get("processors", {}).get("resourcedetection", {})
    detection["detectors"] = [d for d in detection.get("detectors", []) if d != "eks"]
    return out


@dataclass
class Ports:
    grpc: int
    http: int
    health: int


def on_loopback(
    config: dict[str, Any], aws_endpoint: str | None = None
) -> tuple[dict[str, Any], Ports]:
    """``config`` with free loopback ports, AWS exporters aimed at ``aws_endpoint``, and
    the collector's own metrics server off (parallel collectors would share :8888)."""
    out = without_eks_detector(config)
    ports = Ports(free_port(), free_port(), free_port())
    protocols = out["receivers"]["otlp"]["protocols"]
    protocols["grpc"]["endpoint"] = f"127.0.0.1:{ports.grpc}"
    protocols["http"]["endpoint"] = f"127.0.0.1:{ports.http}"
    extensions = out.setdefault("extensions", {})
    if "health_check" in extensions:
        extensions["health_check"]["endpoint"] = f"127.0.0.1:{ports.health}"
    if aws_endpoint is not None:
        for cid, settings in out["exporters"].items():
            if cid.split("/")[0] in ("awsxray", "awsemf", "awscloudwatchlogs"):
                settings["endpoint"] = aws_endpoint
    out["service"].setdefault("telemetry", {})["metrics"] = {"level": "none"}
    return out, ports


class Collector:
    """A running collector process; ``log`` holds what it printed once it stopped."""

    def __init__(self, process: subprocess.Popen[str], log_path: Path, ports: Ports) -> None:
        self.process = process
        self.log_path = log_path
        self.ports = ports

    @property
    def otlp_http(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"collector exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.ports.http), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"collector not listening after {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM: the collector drains its batch processors and exporters, then exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running(
    config: dict[str, Any], ports: Ports, workdir: Path, env: Mapping[str, str] | None = None
) -> Iterator[Collector]:
    """Start the collector with ``config``; stop it (draining) when the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / f"config-{ports.http}.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    log_path = workdir / f"collector-{ports.http}.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(binary()), f"--config={config_path}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **BASE_ENV, **(env or {})},
        )
    collector = Collector(process, log_path, ports)
    try:
        collector.wait_ready()
        yield collector
    finally:
        collector.stop()


@contextmanager
def grpc_trace_receiver(
    port: int = 0, delay: Callable[[], float] = lambda: 0.0
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A Jaeger-shaped OTLP/gRPC trace receiver on loopback; yields (host:port, spans).

    Each export is answered after ``delay()`` seconds (a slow backend while it is > 0).
    """
    spans: list[dict[str, Any]] = []

    class Service(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request: Any, context: Any) -> Any:
            time.sleep(delay())
            message = MessageToDict(request)
            spans.extend(
                span
                for rs in message.get("resourceSpans", [])
                for ss in rs.get("scopeSpans", [])
                for span in ss.get("spans", [])
            )
            return trace_service_pb2.ExportTraceServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Service(), server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        yield f"127.0.0.1:{port}", spans
    finally:
        server.stop(grace=None)


JOB_PROGRAM = Path(__file__).with_name("job_program.py")


def run_job(endpoint: str, job_id: str, correlation_id: str, service: str) -> None:
    """Run ``job_program.py`` (a job with a child span, a failed step, a log line, a count)
    in a process of its own, exporting to ``endpoint`` with otelkit's production defaults."""
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_SERVICE_NAME": service,
        "DEPLOYMENT_ENV": "e2e",
        "PYTHONPATH": str(REPO),
    }
    env.pop("OTELKIT_STRICT", None)  # the production default
    # otelkit's own temporality default (delta), not a setting the deployment adds.
    env.pop("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", None)
    result = subprocess.run(
        [sys.executable, str(JOB_PROGRAM), job_id, correlation_id],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
