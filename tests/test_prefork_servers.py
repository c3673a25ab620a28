"""Pre-fork servers: gunicorn ``--preload`` forks its workers after the app module ran
``configure()``; uvicorn ``--workers`` spawns workers that each import the app. Real
servers, real requests, a real OTLP receiver: each worker's telemetry arrives once, under
its own pid and instance id, the master's metrics are never re-sent by a worker, and
SIGTERM to the master flushes every worker."""

from __future__ import annotations

import socket
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from otelkit._sdk.outbox import DELAY
from tests.support.otlp_receiver import Received, attributes, otlp_receiver
from tests.support.processes import BIN, server_process

pytestmark = pytest.mark.slow

CONFIGURE = """
import os
import otelkit

otelkit.configure(service_name="prefork", endpoint=os.environ["TEST_OTLP_ENDPOINT"],
                  console=False, log_stdout=False, resource_detectors="none")
otelkit.count("MasterEvents", 7)  # at import: in the master when the app is preloaded
log = otelkit.get_logger("app")


def handle():
    pid = os.getpid()
    with otelkit.span("handle", worker=pid):
        log.info("handled", worker=pid)
        otelkit.count("Requests")
    return str(pid).encode()
"""

WSGI_APP = (
    CONFIGURE
    + """

def app(environ, start_response):
    body = handle()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
"""
)

ASGI_APP = (
    CONFIGURE
    + """
from otelkit.middleware.asgi import OtelkitASGIMiddleware


async def served(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = handle()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = OtelkitASGIMiddleware(served)
"""
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _until_both_workers_answered(url: str, workers: int = 2) -> Counter[str]:
    """Requests on new connections until ``workers`` distinct pids answered; the count
    of requests each pid served."""
    served: Counter[str] = Counter()
    deadline = time.monotonic() + 30
    while len(served) < workers or sum(served.values()) < 20:
        assert time.monotonic() < deadline, f"only these workers answered: {served}"
        try:
            response = httpx.get(url, timeout=5)
        except httpx.TransportError:  # a worker still booting
            time.sleep(0.1)
            continue
        served[response.text] += 1
    return served


def _per_pid(received: Received, path: str, name: str) -> Counter[str]:
    """How many spans / log records named ``name`` each resource ``process.pid`` sent."""
    found: Counter[str] = Counter()
    for resource, item in received.with_resource(path):
        label = item.get("name") or item.get("body", {}).get("stringValue")
        if label == name:
            found[str(resource["process.pid"])] += 1
    return found


def _metric_sums(received: Received, name: str) -> dict[str, int]:
    """The last reported sum of counter ``name``, per resource ``process.pid``."""
    sums: dict[str, int] = {}
    for resource, metric in received.with_resource("/v1/metrics"):
        if metric["name"] == name:
            for point in metric["sum"]["dataPoints"]:
                sums[str(resource["process.pid"])] = int(point["asInt"])
    return sums


def _assert_each_worker_reported_itself(received: Received, served: Counter[str]) -> None:
    # Every request's span and log line, under the pid of the worker that served it.
    assert _per_pid(received, "/v1/traces", "handle") == served
    assert _per_pid(received, "/v1/logs", "handled") == served
    for resource, span in received.with_resource("/v1/traces"):
        if span["name"] == "handle":
            assert attributes(span["attributes"])["worker"] == resource["process.pid"]
    assert _metric_sums(received, "Requests") == dict(served)
    instances = {
        str(resource["process.pid"]): resource["service.instance.id"]
        for path in ("/v1/traces", "/v1/logs", "/v1/metrics")
        for resource, _ in received.with_resource(path)
    }
    # One instance id per process: workers reporting as one instance would merge their
    # cumulative sums into one series.
    assert len(set(instances.values())) == len(instances), instances


def test_gunicorn_preloaded_workers_report_their_own_telemetry_and_flush_on_sigterm(
    tmp_path: Path,
) -> None:
    (tmp_path / "prefork_app.py").write_text(WSGI_APP)
    with otlp_receiver() as (endpoint, received):
        with server_process(
            [
                str(BIN / "gunicorn"),
                "--preload",
                "--workers=2",
                "--bind=127.0.0.1:0",
                "--no-control-socket",
                "prefork_app:app",
            ],
            cwd=tmp_path,
            env={"TEST_OTLP_ENDPOINT": endpoint},
        ) as output:
            port = output.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+) \((\d+)\)")
            master = port.group(2)
            started = time.monotonic()
            served = _until_both_workers_answered(f"http://127.0.0.1:{port.group(1)}/")
            assert master not in served
            if time.monotonic() - started < DELAY - 1:  # no background export was due yet
                assert not received.spans(), "the workers' spans wait for the batch or exit"
        # SIGTERM to the master (leaving the block): it stops the workers, each flushes.
        output.wait_for(r"Shutting down: Master", timeout=1)
    _assert_each_worker_reported_itself(received, served)
    # The count the app made at import, in the master, is the master's alone: before, each
    # forked worker re-sent it as its own.
    assert _metric_sums(received, "MasterEvents") == {master: 7}


def test_uvicorn_workers_report_their_own_telemetry_and_flush_on_sigterm(
    tmp_path: Path,
) -> None:
    (tmp_path / "prefork_app.py").write_text(ASGI_APP)
    port = _free_port()
    with otlp_receiver() as (endpoint, received):
        with server_process(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--workers=2",
                "--host=127.0.0.1",
                f"--port={port}",
                "prefork_app:app",
            ],
            cwd=tmp_path,
            env={"TEST_OTLP_ENDPOINT": endpoint},
        ) as output:
            output.wait_for(r"Started parent process \[(\d+)\]")
            served = _until_both_workers_answered(f"http://127.0.0.1:{port}/")
        output.wait_for(r"Stopping parent process", timeout=1)
    _assert_each_worker_reported_itself(received, served)
    # uvicorn spawns its workers: each imported the app, so each counted once at import.
    # They end by re-raising SIGTERM, which skips atexit: the middleware flushed them when
    # the app's lifespan shut down (before, nothing from them ever arrived).
    assert _metric_sums(received, "MasterEvents") == dict.fromkeys(served, 7)


# No middleware: the app flushes from the server's own shutdown hook, the ASGI lifespan
# shutdown (FastAPI: the code after ``yield`` in its ``lifespan``).
HOOKED_APP = (
    CONFIGURE
    + """

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        otelkit.shutdown(2.0)  # uvicorn ends the process by SIGTERM next: no atexit
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = handle()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
"""
)


def test_uvicorn_without_the_middleware_flushes_from_the_lifespan_shutdown(
    tmp_path: Path,
) -> None:
    (tmp_path / "hooked_app.py").write_text(HOOKED_APP)
    port = _free_port()
    with otlp_receiver() as (endpoint, received):
        with server_process(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--workers=2",
                "--host=127.0.0.1",
                f"--port={port}",
                "hooked_app:app",
            ],
            cwd=tmp_path,
            env={"TEST_OTLP_ENDPOINT": endpoint},
        ) as output:
            output.wait_for(r"Started parent process \[(\d+)\]")
            served = _until_both_workers_answered(f"http://127.0.0.1:{port}/")
        output.wait_for(r"Stopping parent process", timeout=1)
    _assert_each_worker_reported_itself(received, served)
