"""Seed 004's Prometheus side: the scrape configuration and the fleet's Grafana panels,
checked by promtool and by a real Prometheus scraping a real otelkit ``/metrics``."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import otelkit
from otelkit.ops import ModelError, load_model, parse_model, render

ROOT = Path(__file__).resolve().parents[1]
FLEET = ROOT / "examples" / "ops" / "bot_worker_fleet.yaml"


def _promtool() -> str:
    promtool = shutil.which("promtool")
    assert promtool, "make system-deps installs Debian's prometheus package (promtool)"
    return promtool


def test_scrape_config_has_seed_004s_jobs_and_passes_promtool(tmp_path: Path) -> None:
    render(load_model(FLEET), "prod", tmp_path)
    config = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    jobs = {
        c["job_name"]: (c["scrape_interval"], c["metrics_path"], c["static_configs"][0]["targets"])
        for c in config["scrape_configs"]
    }
    assert jobs == {
        "bot-workers": ("15s", "/metrics", ["worker-1:9200", "worker-2:9200"]),
        "bot-main": ("30s", "/metrics", ["bot:9200"]),
    }
    assert config["rule_files"] == ["prometheus-rules.yaml"]
    assert {c["static_configs"][0]["labels"]["stage"] for c in config["scrape_configs"]} == {"prod"}
    # check config also loads and checks the rules file it names
    result = subprocess.run(
        [_promtool(), "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rules found" in result.stdout + result.stderr


def test_fleet_dashboard_has_the_seeds_panels_on_prometheus(tmp_path: Path) -> None:
    render(load_model(FLEET), "prod", tmp_path)
    board = json.loads((tmp_path / "grafana" / "bot-worker-prod-overview.json").read_text())
    prometheus = {
        p["title"]: p["targets"][0]["expr"]
        for p in board["panels"]
        if p["datasource"]["type"] == "prometheus"
    }
    assert prometheus["Worker state"] == 'worker_state{job="bot-workers"}'
    assert "process_memory_usage_bytes" in prometheus["Memory per worker"]
    assert "process_cpu_time_seconds_total" in prometheus["CPU per worker (cores)"]
    assert "rate(jobs_total" in prometheus["Jobs per second by outcome"]
    assert 'outcome="error"' in prometheus["Job failure ratio"]


def _model(**extra: Any) -> dict[str, Any]:
    return {
        "service": "w",
        "workload": "worker_fleet",
        "namespace": "W",
        "runbooks": "https://example.com/rb/",
        "retention": {},
        "resources": {"jobs": ["j"], "scrape_job": "workers"},
        **extra,
    }


@pytest.mark.parametrize(
    ("scrape", "message"),
    [
        ({"job": "other", "targets": ["a:1"]}, "no job named resources.scrape_job"),
        ({"job": "workers", "targets": ["no-port"]}, "host:port"),
        ({"job": "workers", "targets": []}, "host:port"),
        ({"job": "workers", "targets": ["a:1"], "interval": "15"}, "Prometheus duration"),
        ({"job": "workers", "targets": ["a:1"], "metrics_path": "metrics"}, "starting with /"),
    ],
)
def test_bad_scrape_jobs_are_refused(scrape: dict[str, Any], message: str) -> None:
    with pytest.raises(ModelError, match=message):
        parse_model(_model(prometheus_scrape=[scrape]))


# --- a real Prometheus scraping a real worker -------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _query(base: str, expr: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An otelkit worker serving /metrics, running jobs (one in four fails) until the end."""
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "worker_id=worker-1")
    otelkit.configure(
        service_name="bot-worker",
        log_stdout=False,
        console=False,
        prometheus=True,
        system_metrics=True,
    )
    otelkit.gauge("WorkerState", 2, worker_id="worker-1")
    server = otelkit.start_http_server(port=0)
    stop = threading.Event()

    def run_jobs() -> None:
        count = 0
        while not stop.wait(0.05):
            count += 1
            try:
                with otelkit.job("browser.navigate", job_id=f"job-{count}"):
                    if count % 4 == 0:
                        raise TimeoutError("page load")
            except TimeoutError:
                pass

    thread = threading.Thread(target=run_jobs, daemon=True)
    thread.start()
    try:
        yield f"{server.host}:{server.port}"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.stop()


@pytest.mark.slow
def test_every_fleet_panel_reads_the_metrics_a_worker_serves(worker: str, tmp_path: Path) -> None:
    prometheus = shutil.which("prometheus")
    assert prometheus, "make system-deps installs Debian's prometheus package"
    render(load_model(FLEET), "prod", tmp_path)
    config = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    # The rendered job, pointed at the worker on loopback and scraped every second.
    [job] = [c for c in config["scrape_configs"] if c["job_name"] == "bot-workers"]
    job["static_configs"][0]["targets"] = [worker]
    job["scrape_interval"] = "1s"
    config["scrape_configs"] = [job]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            prometheus,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        board = json.loads((tmp_path / "grafana" / "bot-worker-prod-overview.json").read_text())
        panels = {
            p["title"]: p["targets"][0]["expr"]
            for p in board["panels"]
            if p["datasource"]["type"] == "prometheus" and "legendFormat" in p["targets"][0]
        }
        assert len(panels) == 6
        results: dict[str, list[dict[str, Any]]] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                results = {title: _query(base, expr) for title, expr in panels.items()}
            except OSError:  # not listening yet
                results = {}
            if results and all(results.values()):
                break
            time.sleep(0.5)
        assert results, "Prometheus did not answer"
        assert all(results.values()), results
    finally:
        process.terminate()
        process.wait(timeout=10)

    def only(title: str) -> tuple[dict[str, str], float]:
        [series] = results[title]
        return series["metric"], float(series["value"][1])

    labels, state = only("Worker state")
    assert (labels["worker_id"], state) == ("worker-1", 2)
    for title in ("Memory per worker", "CPU per worker (cores)", "Threads per worker"):
        labels, value = only(title)
        assert labels["worker_id"] == "worker-1", title  # joined from target_info
        assert value > 0, title
    assert only("Memory per worker")[1] > 10 * 1024 * 1024
    outcomes = {s["metric"]["outcome"] for s in results["Jobs per second by outcome"]}
    assert outcomes == {"success", "error"}
    _, ratio = only("Job failure ratio")
    assert 0.1 < ratio < 0.5  # one job in four fails
