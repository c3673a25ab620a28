"""Forked children (multiprocessing workers, pre-fork servers) export their own telemetry,
once, and never the parent's again: real processes against a real OTLP receiver."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.support.otlp_receiver import otlp_receiver

pytestmark = pytest.mark.slow

PARENT = """
import multiprocessing, sys, otelkit
otelkit.configure(service_name="fork-test", endpoint=sys.argv[1], console=False,
                  log_stdout=False, resource_detectors="none")
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
        subprocess.run([sys.executable, "-c", PARENT, endpoint], check=True, timeout=60)
        names = [span["name"] for span in received.spans()]
        assert names.count("child work") == 400  # before: 0, the workers left via os._exit
        assert names.count("parent work") == 1
        exports = [_metric_names(r) for r in received.requests.get("/v1/metrics", [])]
        from_children = [names for names in exports if "ChildEvents" in names]
        assert len(from_children) == 4
        # Before: every child also re-sent the parent's ParentEvents sum as its own.
        assert not any("ParentEvents" in names for names in from_children)
        assert any("ParentEvents" in names for names in exports)


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
    from tests.support.processes import production_env

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
