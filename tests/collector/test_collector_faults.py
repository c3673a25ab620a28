"""Faults at the collector, with what is lost counted span by span.

The shipped local config runs in the built collector; its trace exporter is pointed at
an OTLP/gRPC receiver on loopback that the test starts and stops. ``span_sender.py``
(an otelkit program) sends numbered spans, so every lost one is known.
"""

from __future__ import annotations

import json
import os
import re
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
from tests.support.doc_tables import record

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


def send(
    endpoint: str, count: int, interval: float, payload_bytes: int = 0, first_seq: int = 0
) -> subprocess.Popen[str]:
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "PYTHONPATH": str(REPO)}
    env["OTEL_SERVICE_NAME"] = "fault-test"
    env.pop("OTELKIT_STRICT", None)
    return subprocess.Popen(
        [
            sys.executable,
            str(SENDER),
            str(count),
            str(interval),
            str(payload_bytes),
            str(first_seq),
        ],
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
    record(
        "collector-faults",
        "queue-on-disk" if on_disk else "queue-in-memory",
        f"{count - len(got):,} of {count:,}",
    )


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
    record("collector-faults", "restart", f"{lost:,} of {count:,} (down 2 s)")


def reported_drops(stderr: str) -> dict[str, int]:
    """Spans otelkit said it dropped, by reason, summed over its stderr summary lines."""
    out: dict[str, int] = {}
    for count, reason in re.findall(r"(\d+) spans \(([^)]*)\)", stderr):
        out[reason] = out.get(reason, 0) + int(count)
    return out


def peak_rss_mib(pid: int) -> float:
    """The process's resident-set high-water mark so far."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1)) / 1024


def collector_drops(log: str) -> int:
    """Items the collector logged as dropped (``dropped_items``)."""
    return sum(int(n) for n in re.findall(r'"dropped_items": (\d+)', log))


#: The collector's memory in the shipped ECS task definition and EKS manifest.
CONTAINER_MIB = 512


def test_memory_limiter_under_a_burst(tmp_path: Path) -> None:
    """Three otelkit programs send 6 KB spans as fast as they can into a collector limited
    as in the shipped ECS task (512 MiB for the collector), whose backend stalls during
    the burst (each export answered after 10 s, past the exporter's 5 s timeout) and
    then catches up. The memory limiter refuses data; otelkit keeps refused batches
    (bounded) and says what it dropped; the collector logs what its exporter gave up on.
    Every span is delivered or reported dropped by one of them."""
    senders, per_sender, payload = 3, 20_000, 6144
    backend = free_port()
    config, ports = config_with_queue(backend, None)
    # The shipped limiter, with its percentages of the collector's 512 MiB container
    # written as the absolute values it computes there (outside a container it would
    # take them of the host's memory).
    shipped = yaml.safe_load((REPO / "collector" / "ecs" / "config.yaml").read_text())
    limiter = shipped["processors"]["memory_limiter"]
    config["processors"]["memory_limiter"] = {
        "check_interval": limiter["check_interval"],
        "limit_mib": CONTAINER_MIB * limiter["limit_percentage"] // 100,
        "spike_limit_mib": CONTAINER_MIB * limiter["spike_limit_percentage"] // 100,
    }
    # And the Go memory limit the shipped task definition gives the collector's container.
    task = json.loads((REPO / "collector" / "ecs" / "task-definition.json").read_text())
    (sidecar,) = [c for c in task["containerDefinitions"] if c["name"] != "app"]
    go_env = {e["name"]: e["value"] for e in sidecar["environment"] if e["name"] == "GOMEMLIMIT"}
    assert go_env, "the shipped task definition sets GOMEMLIMIT for the collector"
    export_delay = [10.0]
    with (
        grpc_trace_receiver(backend, delay=lambda: export_delay[0]) as (_, spans),
        running(config, ports, tmp_path, env=go_env) as collector,
    ):
        processes = [
            send(collector.otlp_http, per_sender, 0, payload, first_seq=i * per_sender)
            for i in range(senders)
        ]
        errors = [p.communicate(timeout=240)[1] for p in processes]
        export_delay[0] = 0.0  # the backend catches up
        total = senders * per_sender
        wait_for(spans, total, timeout=90)
        got = delivered(spans)
        alive = collector.process.poll() is None
        peak = peak_rss_mib(collector.process.pid)
        log = collector.log()
    drops = [reported_drops(e) for e in errors]
    dropped = sum(sum(d.values()) for d in drops)
    reasons = {r: sum(d.get(r, 0) for d in drops) for d in drops for r in d}
    refusals = log.count("Refusing data")
    at_collector = collector_drops(log)
    print(
        f"\nburst of {total} 6 KB spans, limiter {config['processors']['memory_limiter']}: "
        f"{len(got)} delivered, "
        f"{dropped} dropped and reported by otelkit {reasons}, "
        f"{at_collector} dropped and logged by the collector, "
        f"{total - len(got) - dropped - at_collector} unaccounted; limiter refused data "
        f"{refusals} times; collector peak RSS {peak:.0f} MiB"
    )
    assert alive
    assert peak < CONTAINER_MIB, "the collector would be OOM-killed in its container"
    assert refusals > 0, "the burst never reached the limiter: the test measured nothing"
    assert len(got) + dropped + at_collector >= total, "spans lost without anyone saying so"
    lost = total - len(got)
    record("collector-faults", "burst", f"{lost:,} of {total:,}, every one reported")
    sent = f"{senders} programs, {per_sender:,} spans each, {payload:,} bytes a span"
    record("collector-burst", "burst", sent)
    limits = config["processors"]["memory_limiter"]
    record(
        "collector-burst",
        "limiter",
        f"`limit_mib: {limits['limit_mib']}`, `spike_limit_mib: {limits['spike_limit_mib']}`, "
        f"checked every {limits['check_interval']}",
    )
    record("collector-burst", "delivered", f"{len(got):,}")
    by_reason = ", ".join(f"{n:,} ({reason})" for reason, n in sorted(reasons.items()))
    record("collector-burst", "reported", by_reason or "0")
    record("collector-burst", "collector", f"{at_collector:,}")
    record("collector-burst", "unreported", f"{max(0, lost - dropped - at_collector):,}")
    record("collector-burst", "refusals", f"{refusals:,}")
    record("collector-burst", "peak", f"{peak:.0f} MiB (container: {CONTAINER_MIB} MiB)")
