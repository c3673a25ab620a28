"""Process and host metrics (``system_metrics=True``) through OpenTelemetry's system-metrics
instrumentation: scraped from a real /metrics endpoint and checked by promtool, exported
to a real OTLP receiver, switched off by a re-configure, and measured by a forked child
for itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from typing import Any

import psutil
import pytest

import otelkit
from otelkit._metering import system_metrics as _system_metrics
from tests.support.otlp_receiver import otlp_receiver
from tests.support.servers import request
from tests.test_runtime_server import promtool_check


def _scrape(url: str) -> dict[str, float]:
    """``/metrics`` as {series name: value}, the first series of each name."""
    response = request("GET", f"{url}/metrics", timeout=10)
    assert response.status_code == 200
    values: dict[str, float] = {}
    for line in response.text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{[^}]*\})? (\S+)", line)
        if match:
            values.setdefault(match.group(1), float(match.group(2)))
    return values


def test_process_metrics_on_the_prometheus_endpoint_pass_promtool() -> None:
    otelkit.configure(service_name="worker", log_stdout=False, console=False, system_metrics=True)
    server = otelkit.start_http_server(port=0)
    response = request("GET", f"{server.url}/metrics", timeout=10)
    checked = promtool_check(response.content)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    scraped = _scrape(server.url)
    me = psutil.Process()
    # measured from this process, not invented: within a loose band of psutil's own view
    rss = me.memory_info().rss
    assert 0.5 * rss < scraped["process_memory_usage_bytes"] < 2 * rss
    assert scraped["process_memory_virtual_bytes"] >= scraped["process_memory_usage_bytes"]
    assert scraped["process_threads"] >= 2, "the server's thread at least"
    assert scraped["process_open_fds"] >= 3
    assert scraped["process_cpu_time_seconds_total"] > 0
    assert 0 <= scraped["process_cpu_utilization"] <= 1
    assert scraped["cpython_gc_collections_total"] >= 0
    assert 0 < scraped["system_memory_utilization"] < 1
    # no per-CPU, per-disk or per-interface series: a fleet pays for each one
    assert not [name for name in scraped if name.startswith(("system_cpu", "system_disk"))]
    assert not [name for name in scraped if name.startswith("system_network")]


def test_off_by_default_and_off_again_when_reconfigured_without_it() -> None:
    otelkit.configure(log_stdout=False, console=False, prometheus=True)
    server = otelkit.start_http_server(port=0)
    assert "process_memory_usage_bytes" not in _scrape(server.url)
    otelkit.configure(log_stdout=False, console=False, prometheus=True, system_metrics=True)
    assert "process_memory_usage_bytes" in _scrape(server.url)
    otelkit.configure(log_stdout=False, console=False, prometheus=True)
    assert "process_memory_usage_bytes" not in _scrape(server.url)


def test_the_environment_turns_them_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTELKIT_SYSTEM_METRICS", "1")
    otelkit.configure(log_stdout=False, console=False, prometheus=True)
    server = otelkit.start_http_server(port=0)
    assert _scrape(server.url)["process_threads"] >= 1


def _points(metric: dict[str, Any]) -> list[dict[str, Any]]:
    kind = next(key for key in ("sum", "gauge") if key in metric)
    points: list[dict[str, Any]] = metric[kind]["dataPoints"]
    return points


def _value(point: dict[str, Any]) -> float:
    return float(point.get("asDouble", point.get("asInt", 0)))


def test_exported_over_otlp_with_semantic_convention_names() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(
            service_name="worker",
            endpoint=endpoint,
            log_stdout=False,
            console=False,
            resource_detectors="none",
            system_metrics=True,
        )
        threads = [threading.Thread(target=threading.Event().wait, args=(2,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        otelkit.shutdown(timeout=5)  # the final collection exports every instrument
        for thread in threads:
            thread.join()
    metrics = {metric["name"]: metric for metric in received.metrics()}
    assert set(_system_metrics.METRICS) - {"process.context_switches"} <= set(metrics)
    assert _value(_points(metrics["process.thread.count"])[0]) >= 5
    memory = _points(metrics["process.memory.usage"])[0]
    assert _value(memory) > 10 * 1024 * 1024
    assert metrics["process.memory.usage"]["unit"] == "By"
    cpu = {
        point["attributes"][0]["value"]["stringValue"]: _value(point)
        for point in _points(metrics["process.cpu.time"])
    }
    assert set(cpu) == {"user", "system"}
    assert metrics["process.cpu.time"]["sum"]["isMonotonic"] is True
    generations = _points(metrics["cpython.gc.collections"])
    assert len(generations) == 3


def test_without_the_extra_configure_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_system_metrics, "_instrumentor", None)
    monkeypatch.setitem(sys.modules, "opentelemetry.instrumentation.system_metrics", None)
    with pytest.raises(ImportError, match=r"otelkit\[system-metrics\]"):
        otelkit.configure(log_stdout=False, console=False, system_metrics=True)


FORKED = """
import multiprocessing, sys, otelkit
otelkit.configure(service_name="fork-test", endpoint=sys.argv[1], console=False,
                  log_stdout=False, resource_detectors="none", system_metrics=True)

def work():
    ballast = bytearray(300 * 1024 * 1024)  # touched: resident, the child's alone
    for offset in range(0, len(ballast), 4096):
        ballast[offset] = 1
    otelkit.count("ChildEvents", 1)
    otelkit.flush(5.0)

if __name__ == "__main__":
    child = multiprocessing.get_context("fork").Process(target=work)
    child.start()
    child.join()
    assert child.exitcode == 0
    otelkit.count("ParentEvents", 1)
"""


@pytest.mark.slow
def test_a_forked_child_measures_itself_not_its_parent() -> None:
    with otlp_receiver() as (endpoint, received):
        subprocess.run(
            [sys.executable, "-c", FORKED, endpoint],
            check=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if k != "OTELKIT_STRICT"},
        )
    memory: dict[str, float] = {}
    for export in received.requests["/v1/metrics"]:
        names = {
            metric["name"]: metric
            for rm in export["resourceMetrics"]
            for sm in rm["scopeMetrics"]
            for metric in sm["metrics"]
        }
        who = "child" if "ChildEvents" in names else "parent" if "ParentEvents" in names else ""
        if who and "process.memory.usage" in names:  # the highest: the ballast is freed later
            value = _value(_points(names["process.memory.usage"])[0])
            memory[who] = max(value, memory.get(who, 0.0))
    assert set(memory) == {"child", "parent"}
    assert memory["child"] > 300 * 1024 * 1024 > memory["parent"]
