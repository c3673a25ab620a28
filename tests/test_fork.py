"""Forked children (multiprocessing workers, pre-fork servers) export their own telemetry,
once, and never the parent's again: real processes against a real OTLP receiver."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.support import fault_receiver as fault_receiver_module
from tests.support.fault_receiver import fault_receiver
from tests.support.otlp_grpc_receiver import otlp_grpc_receiver
from tests.support.otlp_receiver import Received, otlp_receiver
from tests.support.processes import production_env

pytestmark = pytest.mark.slow

PARENT = """
import multiprocessing, sys, otelkit
# exit_timeout: each worker waits up to that for its last export (the receiver runs in
# the test process, which a full garbage collection can pause for a second).
otelkit.configure(service_name="fork-test", endpoint=sys.argv[1], console=False,
                  log_stdout=False, resource_detectors="none", exit_timeout=float(sys.argv[2]))
otelkit.count("ParentEvents", 5)

def work(n):
    for _ in range(100):
        with otelkit.span("child work", worker=str(n)):
            pass
    otelkit.count("ChildEvents", 10)

if __name__ == "__main__":
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=work, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(worker.exitcode == 0 for worker in workers)
    with otelkit.span("parent work"):
        pass
    otelkit.flush(5.0)
"""


def _metric_names(request: dict[str, Any]) -> set[str]:
    return {
        metric["name"]
        for resource in request.get("resourceMetrics", [])
        for scope in resource.get("scopeMetrics", [])
        for metric in scope.get("metrics", [])
    }


def test_fork_started_workers_export_their_spans_and_only_their_own_metrics() -> None:
    with otlp_receiver() as (endpoint, received):
        subprocess.run([sys.executable, "-c", PARENT, endpoint, "10"], check=True, timeout=60)
        names = [span["name"] for span in received.spans()]
        assert names.count("child work") == 400  # before: 0, the workers left via os._exit
        assert names.count("parent work") == 1
        exports = [_metric_names(r) for r in received.requests.get("/v1/metrics", [])]
        from_children = [names for names in exports if "ChildEvents" in names]
        assert len(from_children) == 4
        # Before: every child also re-sent the parent's ParentEvents sum as its own.
        assert not any("ParentEvents" in names for names in from_children)
        assert any("ParentEvents" in names for names in exports)


def test_fork_started_workers_wait_as_long_as_exit_timeout_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A collector that answers after a second: each worker's exit waits for it, as
    ``exit_timeout`` (5 s) allows. Before: workers waited 0.5 s whatever it said, and
    every child's spans and counts were dropped."""
    monkeypatch.setattr(fault_receiver_module, "SLOW_SECONDS", 1.0)
    with fault_receiver("slow") as (endpoint, tally):
        done = subprocess.run(
            [sys.executable, "-c", PARENT, endpoint, "5"],
            check=True,
            timeout=60,
            capture_output=True,
            text=True,
            env=production_env(),
        )
    assert tally.spans == 401, done.stderr
    assert sorted(name for name, _, _ in tally.sums) == ["ChildEvents"] * 4 + ["ParentEvents"]
    assert "dropped" not in done.stderr


PRE_FORK = """
import os, sys, time, otelkit
# The service's name comes from OTEL_SERVICE_NAME when the caller sets one.
otelkit.configure(endpoint=sys.argv[1], console=False, log_stdout=False,
                  resource_detectors="none")
otelkit.count("StartedUp", 5)  # before the fork, as a server's start-up counts
workers = []
for n in range(2):
    pid = os.fork()
    if pid == 0:  # a pre-fork server's worker: it lives past several export intervals
        time.sleep(1.0)
        otelkit.count("Served", 1)
        otelkit.shutdown()
        os._exit(0)
    workers.append(pid)
for pid in workers:
    os.waitpid(pid, 0)
otelkit.shutdown()
"""


def _sums(received: Received, name: str) -> list[int]:
    return [
        int(point["asInt"])
        for metric in received.metrics()
        if metric["name"] == name
        for point in metric["sum"]["dataPoints"]
    ]


@contextmanager
def _metric_requests(protocol: str) -> Iterator[tuple[str, Received]]:
    """A real receiver of ``protocol``: its endpoint, and what it received."""
    if protocol == "grpc":
        with otlp_grpc_receiver() as (endpoint, by_signal):
            yield endpoint, Received({"/v1/metrics": by_signal.setdefault("metrics", [])})
    else:
        with otlp_receiver() as (endpoint, received):
            yield endpoint, received


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_a_count_made_before_the_fork_is_sent_once(protocol: str) -> None:
    """Workers that outlive an export interval: the parent's reader, which the SDK
    restarts in each child, sent the parent's unexported counts from every worker
    (StartedUp arrived as 5, 5, 5: 15 where 5 was counted)."""
    variables = {"OTEL_METRIC_EXPORT_INTERVAL": "200", "OTEL_EXPORTER_OTLP_PROTOCOL": protocol}
    with _metric_requests(protocol) as (endpoint, received):
        subprocess.run(
            [sys.executable, "-c", PRE_FORK, endpoint],
            check=True,
            timeout=60,
            env={**production_env(), **variables},
        )
        assert _sums(received, "StartedUp") == [5]
        assert _sums(received, "Served") == [1, 1]


POOL = """
import multiprocessing, sys, otelkit
otelkit.configure(service_name="pool-test", endpoint=sys.argv[1], console=False,
                  log_stdout=False, resource_detectors="none")

def work(n):
    for _ in range(100):
        with otelkit.span("pool work", task=str(n)):
            pass
    return n

if __name__ == "__main__":
    # The form Python's docs teach: leaving the block calls terminate(), whose SIGTERM
    # reaches workers that may be in their exit flush.
    with multiprocessing.get_context("fork").Pool(4) as pool:
        assert sorted(pool.map(work, range(4), chunksize=1)) == [0, 1, 2, 3]
"""


@pytest.mark.parametrize("run", range(10))
def test_with_pool_delivers_every_worker_span_every_time(run: int) -> None:
    with otlp_receiver() as (endpoint, received):
        subprocess.run(
            [sys.executable, "-c", POOL, endpoint],
            check=True,
            timeout=60,
            env=production_env(),
            capture_output=True,
        )
        names = [span["name"] for span in received.spans()]
    # Before: 0, 0, 225, 0, 175 of 400 (a worker's SIGTERM handler deadlocked with its
    # exit flush and killed it mid-export).
    assert names.count("pool work") == 400, f"run {run}"
