"""Faults at the collector, with what is lost counted span by span.

The shipped local config runs in the built collector; its trace exporter is pointed at
an OTLP/gRPC receiver on loopback that the test starts and stops. ``span_sender.py``
(an otelkit program) sends numbered spans, so every lost one is known.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.collector.real_collector import (
    Ports,
    free_port,
    grpc_trace_receiver,
    on_loopback,
    running,
)
from tests.support.collector import REPO, SHIPPED

pytestmark = pytest.mark.slow

SENDER = Path(__file__).with_name("span_sender.py")


def config_with_queue(backend_port: int, queue_dir: Path | None) -> tuple[dict[str, Any], Ports]:
    """The local config, traces to ``backend_port``; with ``queue_dir``, the exporter's
    sending queue lives on disk (``file_storage``) and survives a restart."""
    shipped = yaml.safe_load((SHIPPED / "local" / "config.yaml").read_text(encoding="utf-8"))
    config, ports = on_loopback(shipped)
    exporter = config["exporters"]["otlp/jaeger"]
    exporter["endpoint"] = f"127.0.0.1:{backend_port}"
    if queue_dir is not None:
        queue_dir.mkdir(parents=True, exist_ok=True)
        config["extensions"]["file_storage"] = {"directory": str(queue_dir)}
        config["service"]["extensions"].append("file_storage")
        exporter["sending_queue"] = {"storage": "file_storage"}
    return config, ports


def send(endpoint: str, count: int, interval: float) -> subprocess.Popen[str]:
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "PYTHONPATH": str(REPO)}
    env["OTEL_SERVICE_NAME"] = "fault-test"
    env.pop("OTELKIT_STRICT", None)
    return subprocess.Popen(
        [sys.executable, str(SENDER), str(count), str(interval)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def delivered(spans: list[dict[str, Any]]) -> set[int]:
    return {
        int(a["value"]["intValue"])
        for span in spans
        for a in span.get("attributes", [])
        if a["key"] == "seq"
    }


def wait_for(spans: list[dict[str, Any]], count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(delivered(spans)) < count and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.mark.parametrize("on_disk", [True, False], ids=["file_storage", "in-memory"])
def test_queue_across_a_restart_while_the_backend_is_down(on_disk: bool, tmp_path: Path) -> None:
    """The backend is down; the collector queues, is restarted, then the backend returns.
    On disk the queue is delivered whole; in memory it dies with the process."""
    count = 200
    backend = free_port()
    config, ports = config_with_queue(backend, tmp_path / "queue" if on_disk else None)
    with running(config, ports, tmp_path) as collector:
        sender = send(collector.otlp_http, count, 0)
        assert sender.wait(timeout=60) == 0, sender.stderr.read() if sender.stderr else ""
    with grpc_trace_receiver(backend) as (_, spans), running(config, ports, tmp_path):
        wait_for(spans, count, timeout=20 if on_disk else 8)
        got = delivered(spans)
    print(
        f"\nbackend down, collector restarted, queue {'on disk' if on_disk else 'in memory'}: "
        f"{count - len(got)} of {count} spans lost"
    )
    assert len(got) == (count if on_disk else 0)


def test_collector_restart_while_the_app_sends(tmp_path: Path) -> None:
    """The collector is stopped for two seconds while an otelkit program sends; otelkit's
    exporter retries what the collector refused or could not take."""
    count, interval = 400, 0.01
    backend = free_port()
    config, ports = config_with_queue(backend, tmp_path / "queue")
    with grpc_trace_receiver(backend) as (_, spans):
        with running(config, ports, tmp_path) as collector:
            sender = send(collector.otlp_http, count, interval)
            time.sleep(1.5)
        time.sleep(2.0)
        with running(config, ports, tmp_path):
            assert sender.wait(timeout=90) == 0, sender.stderr.read() if sender.stderr else ""
            wait_for(spans, count, timeout=15)
        got = delivered(spans)
    lost = count - len(got)
    print(f"\ncollector down 2 s while sending {count} spans: {lost} lost")
    assert lost <= count * 0.05, f"{lost} of {count} spans lost"
