"""Runtime endpoints: /health, /metrics (checked by promtool) and /stats on a real server."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
import pytest

import otelkit
from otelkit._requests import stats as _request_stats
from otelkit.runtime import asgi_app, wsgi_app
from tests.support.polling import eventually
from tests.support.processes import production_env
from tests.support.servers import asgi_server, request, wsgi_server

log = otelkit.get_logger("api")


@pytest.fixture(autouse=True)
def fresh_stats() -> None:
    _request_stats.STATS.reset()


def _get(url: str) -> httpx.Response:
    response: httpx.Response = request("GET", url, timeout=10)
    return response


def promtool_check(text: bytes) -> subprocess.CompletedProcess[bytes]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: `make system-deps` installs Debian's prometheus"
    return subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=30, check=False
    )


def test_health_names_the_service_and_its_resources() -> None:
    otelkit.configure(service_name="bot", service_version="1.4.2", log_stdout=False, console=False)
    server = otelkit.start_http_server(port=0)
    try:
        assert server.host == "127.0.0.1"
        response = _get(f"{server.url}/health")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "healthy"
        assert (body["service"], body["version"]) == ("bot", "1.4.2")
        assert body["uptime_seconds"] >= 0
        assert {"hostname", "platform", "python_version"} <= set(body["system"])
        resources = body["resources"]
        assert resources["memory_mb"] > 1
        assert resources["num_threads"] >= 2, "the server's own thread at least"
        assert resources["open_files"] >= 3
        assert 0 <= resources["memory_percent"] < 100
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        _get(f"{server.url}/health")


def test_metrics_pass_promtool_with_snake_case_names() -> None:
    otelkit.configure(service_name="worker", log_stdout=False, console=False, prometheus=True)
    otelkit.count("JobsProcessed", 3, queue="render")
    otelkit.record("JobDuration", 120.0, unit="ms", queue="render")
    otelkit.gauge("worker_state", 2, worker_kind="browser")
    server = otelkit.start_http_server(port=0)
    response = _get(f"{server.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.content
    lines = text.decode().splitlines()
    assert any(
        line.startswith("jobs_processed_total{")
        and 'queue="render"' in line
        and line.endswith(" 3.0")
        for line in lines
    ), text.decode()
    assert "# HELP jobs_processed_total JobsProcessed" in lines
    assert any(line.startswith("job_duration_seconds_count{") for line in lines)
    assert any(
        line.startswith("job_duration_seconds_sum{") and line.endswith(" 0.12") for line in lines
    ), "milliseconds are served as seconds"
    assert any(line.startswith("worker_state{") and line.endswith(" 2.0") for line in lines)
    checked = promtool_check(text)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_reconfiguring_never_serves_duplicate_series() -> None:
    otelkit.configure(log_stdout=False, console=False, prometheus=True)
    otelkit.count("Requests", 1)
    otelkit.configure(log_stdout=False, console=False, prometheus=True)
    otelkit.count("Requests", 1)
    server = otelkit.start_http_server(port=0)
    text = _get(f"{server.url}/metrics").content
    assert text.decode().count("# TYPE requests_total counter") == 1
    assert promtool_check(text).returncode == 0


def test_counts_made_before_the_server_starts_are_in_the_first_scrape() -> None:
    otelkit.configure(service_name="early", log_stdout=False, console=False)
    otelkit.count("Early", 4, queue="a")
    otelkit.get_logger("api").info("before the server")
    server = otelkit.start_http_server(port=0)
    otelkit.count("Early", 1, queue="a")
    lines = _get(f"{server.url}/metrics").text.splitlines()
    assert any(line.startswith("early_total{") and line.endswith(" 5.0") for line in lines)


def test_start_http_server_never_rebuilds_the_pipeline() -> None:
    from otelkit._core import pipeline as _pipeline

    otelkit.configure(service_name="kept", log_stdout=False, console=False)
    before = _pipeline.current()
    otelkit.start_http_server(port=0)
    assert _pipeline.current() is before


def test_a_pipeline_without_the_reader_gets_it_added_as_it_runs() -> None:
    from otelkit._core import pipeline as _pipeline

    otelkit.configure(service_name="late", log_stdout=False, console=False, prometheus=False)
    before = _pipeline.current()
    server = otelkit.start_http_server(port=0)
    otelkit.count("Late", 1)
    assert "late_total" in _get(f"{server.url}/metrics").text
    # Swapped whole for its successor with the reader: the same providers, never rebuilt.
    after = _pipeline.current()
    assert after is not before
    assert before.prometheus_text is None
    assert (after.tracer_provider, after.meter_provider, after.settings) == (
        before.tracer_provider,
        before.meter_provider,
        before.settings,
    )
    otelkit.shutdown()  # the successor is what shutdown() leaves without exports
    assert _pipeline.current().meter_provider is None


def test_instruments_made_before_the_reader_is_added_count_once_it_is() -> None:
    # Without a reader configured metrics go nowhere (the SDK's metrics package is not
    # even loaded); the counter made then is the one that counts once the reader comes.
    otelkit.configure(service_name="late", log_stdout=False, console=False, prometheus=False)
    otelkit.count("Early", 5)  # nowhere to go yet
    server = otelkit.start_http_server(port=0)
    otelkit.count("Early", 2)
    served = _get(f"{server.url}/metrics").text
    assert re.search(r"^early_total\{[^}]*\} 2\.0$", served, re.MULTILINE), served


def test_metrics_port_makes_configure_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:  # a free port, as a deployment would set one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("METRICS_PORT", str(port))
    otelkit.configure(log_stdout=False, console=False)
    assert _get(f"http://127.0.0.1:{port}/health").json()["status"] == "healthy"
    otelkit.configure(log_stdout=False, console=False)  # again: the same server keeps going
    assert _get(f"http://127.0.0.1:{port}/metrics").status_code == 200
    same = otelkit.start_http_server()
    assert same.port == port
    # a worker's health check joins the server METRICS_PORT started
    assert otelkit.start_http_server(health=lambda: {"state": "BUSY"}) is same
    assert _get(f"http://127.0.0.1:{port}/health").json()["state"] == "BUSY"
    otelkit.shutdown()
    with pytest.raises(httpx.ConnectError):
        _get(f"http://127.0.0.1:{port}/health")


def test_metrics_port_zero_serves_on_a_free_port_the_health_check_joins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("METRICS_PORT", "0")
    otelkit.configure(log_stdout=False, console=False)
    server = otelkit.start_http_server(health=lambda: {"state": "IDLE", "worker_id": "w-1"})
    assert server.port != 0
    body = _get(f"{server.url}/health").json()
    assert (body["status"], body["state"], body["worker_id"]) == ("healthy", "IDLE", "w-1")


def test_unknown_paths_and_methods() -> None:
    otelkit.configure(log_stdout=False, console=False)
    server = otelkit.start_http_server(port=0)
    assert _get(f"{server.url}/nope").status_code == 404
    assert request("POST", f"{server.url}/health", timeout=10).status_code in (405, 501)
    assert _get(f"{server.url}/health/").status_code == 200


def test_a_failing_health_check_is_an_unhealthy_answer() -> None:
    otelkit.configure(log_stdout=False, console=False)
    state = {"n": 0}

    def check() -> dict[str, Any]:
        state["n"] += 1
        if state["n"] > 1:
            raise ConnectionError("redis down")
        return {"state": "BUSY", "worker_id": "worker-1"}

    server = otelkit.start_http_server(port=0, health=check)
    first = _get(f"{server.url}/health").json()
    assert (first["status"], first["state"], first["worker_id"]) == ("healthy", "BUSY", "worker-1")
    second = _get(f"{server.url}/health")
    assert second.status_code == 500
    assert second.json() == {"status": "unhealthy", "error": "ConnectionError: redis down"}


def _app() -> Any:
    from fastapi import FastAPI, HTTPException

    from otelkit.middleware.asgi import OtelkitASGIMiddleware

    app = FastAPI()

    @app.get("/api/users/{user}")
    async def user(user: int) -> dict[str, int]:
        if user % 5 == 0:
            try:
                raise ValueError(f"user {user} has an invalid phone number")
            except ValueError:
                log.exception("Validation failed")
            raise HTTPException(status_code=500)
        return {"user": user}

    app.mount("/ops", asgi_app())
    return OtelkitASGIMiddleware(app)


def test_stats_count_requests_errors_and_top_fingerprints_mounted_in_asgi() -> None:
    otelkit.configure(log_stdout=False, console=False, error_dedup_every=10, prometheus=True)
    with asgi_server(_app()) as url:
        for n in range(1, 21):
            request("GET", f"{url}/api/users/{n}", timeout=10)
        stats = _get(f"{url}/ops/stats").json()
        health = _get(f"{url}/ops/health").json()
        metrics = _get(f"{url}/ops/metrics")
    performance = stats["performance"]
    assert performance["total_requests"] == 20
    assert performance["error_requests"] == 4
    assert performance["error_rate"] == 20.0
    assert performance["routes"]["/api/users/{user}"] == {"requests": 20, "errors": 4}
    latency = performance["latency_ms"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    top = {item["message"]: item for item in stats["errors"]["top_errors"]}
    validation = top["Validation failed user <n> has an invalid phone number"]
    assert (validation["error_type"], validation["count"], validation["severity"]) == (
        "ValueError",
        4,
        "high",
    )
    assert top["Request completed"]["count"] == 4, "the 500 lines, fingerprinted"
    assert stats["errors"]["total_error_count"] >= 8
    assert health["status"] == "healthy"
    assert metrics.status_code == 200
    assert promtool_check(metrics.content).returncode == 0


def test_the_wsgi_app_serves_the_same_handlers() -> None:
    otelkit.configure(log_stdout=False, console=False, prometheus=True)
    otelkit.count("Bookings", 2)
    with wsgi_server(wsgi_app()) as url:
        assert _get(f"{url}/health").json()["status"] == "healthy"
        assert "bookings_total" in _get(f"{url}/metrics").text
        assert _get(f"{url}/stats").json()["performance"]["total_requests"] == 0


def test_slow_requests_and_percentiles() -> None:
    stats = _request_stats.RequestStats()
    for n in range(1, 101):
        stats.observe("/book", 200, float(n), slow_ms=90)
    snapshot = stats.snapshot()
    assert snapshot["slow_requests"] == 10
    assert snapshot["latency_ms"]["p50"] in (50.0, 51.0)
    assert snapshot["latency_ms"]["p99"] == 99.0
    assert snapshot["avg_response_time"] == pytest.approx(0.0505)


def test_routes_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_request_stats, "MAX_ROUTES", 3)
    stats = _request_stats.RequestStats()
    for n in range(10):
        stats.observe(f"/r{n}", 200, 1.0)
    assert list(stats.snapshot()["routes"]) == ["other", "/r0", "/r1", "/r2"]


def test_stats_and_health_serve_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # The endpoints are often bound to 0.0.0.0: what they serve passes the one policy.
    otelkit.configure(log_stdout=False, console=False, error_dedup_every=10, prometheus=True)
    log.error("Login failed for ann password=opensesame")
    try:
        raise ConnectionError("cannot reach postgres://app:dbpass@db.internal:5432/app")
    except ConnectionError:
        log.exception("Database down")

    def failing_check() -> dict[str, Any]:
        raise ConnectionError("redis://:hunter2pass@cache.internal:6379 refused")

    server = otelkit.start_http_server(port=0, health=failing_check)
    try:
        stats = _get(f"{server.url}/stats")
        health = _get(f"{server.url}/health")
        server.health = lambda: {"status": "degraded", "db": "postgres://app:fieldpass@db/x"}
        fields = _get(f"{server.url}/health")
    finally:
        server.stop()
    top = stats.json()["errors"]["top_errors"]
    assert {error["error_type"] for error in top} == {"ERROR", "ConnectionError"}
    assert health.status_code == 500
    assert health.json()["status"] == "unhealthy"
    assert "redis://" in health.json()["error"], "the error still says what failed"
    assert fields.json()["status"] == "degraded"
    for body in (stats.text, health.text, fields.text):
        for secret in ("opensesame", "dbpass", "hunter2pass", "fieldpass"):
            assert secret not in body


def test_health_discloses_only_the_documented_system_fields() -> None:
    otelkit.configure(log_stdout=False, console=False)
    server = otelkit.start_http_server(port=0)
    try:
        body = _get(f"{server.url}/health").json()
    finally:
        server.stop()
    assert set(body["system"]) == {"hostname", "platform", "python_version", "pid"}
    assert sys.executable not in json.dumps(body)


def test_internal_error_reports_hold_no_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from otelkit._core.safety import report_internal_error

    monkeypatch.delenv("OTELKIT_STRICT", raising=False)
    report_internal_error(
        "export to the collector", OSError("https://ops:reportpass@collector:4318 refused")
    )
    err = capsys.readouterr().err
    assert "export to the collector" in err
    assert "reportpass" not in err


def _answered(url: str) -> httpx.Response | None:
    try:
        return _get(url)
    except httpx.HTTPError:  # refused while the pool is full
        return None


def _stall(url: str, count: int) -> list[socket.socket]:
    """``count`` connections that send nothing."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return [socket.create_connection((host, int(port)), timeout=5) for _ in range(count)]


@pytest.mark.slow
def test_stalled_connections_cost_a_bounded_pool_and_time_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from otelkit import runtime

    monkeypatch.setattr(runtime, "CONNECTION_TIMEOUT", 1.0)
    otelkit.configure(log_stdout=False, console=False)
    server = otelkit.start_http_server(port=0)
    before = threading.active_count()
    stalled = _stall(server.url, 300)
    try:
        time.sleep(0.5)
        assert threading.active_count() <= before + runtime.WORKERS, "a bounded pool"
        for connection in stalled[:4]:  # the server cuts a silent client off
            connection.settimeout(5)
            assert connection.recv(1) == b""
        for connection in stalled:
            connection.close()
        response = eventually(lambda: _answered(f"{server.url}/health"), timeout=10)
        assert response.status_code == 200, "answering again once the stalled ones are gone"
    finally:
        server.stop()


_EXIT_WITH_A_STALLED_CLIENT = """
import socket, time, otelkit
otelkit.configure(log_stdout=False, console=False)
server = otelkit.start_http_server(port=0)
stalled = socket.create_connection(("127.0.0.1", server.port))
time.sleep(0.3)  # accepted: a worker waits for its request
print("exiting", flush=True)
"""


@pytest.mark.slow
def test_a_stalled_client_does_not_delay_the_process_exit() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _EXIT_WITH_A_STALLED_CLIENT],
        capture_output=True,
        text=True,
        timeout=60,
        env=production_env(),
        check=False,
    )
    assert done.stdout.strip() == "exiting", done.stderr
    assert done.returncode == 0
    assert time.monotonic() - started < 8, "the 10 s connection timeout was waited out"
