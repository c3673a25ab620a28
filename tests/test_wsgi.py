"""The WSGI middleware on a real Flask app served by werkzeug, driven over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response
from opentelemetry.trace import SpanKind

import otelkit
from otelkit.middleware.wsgi import OtelkitWSGIMiddleware
from otelkit.testing import Capture
from tests.support.polling import eventually
from tests.support.servers import request, wsgi_server

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
log = otelkit.get_logger("app.flask")


def _app() -> Flask:
    app = Flask(__name__)
    app.wsgi_app = OtelkitWSGIMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, quiet=("/health", "GET /api/v1/jobs/*", re.compile(r"/internal/.*"))
    )

    @app.post("/api/v1/generate")
    def generate() -> tuple[dict[str, str], int]:
        log.info("Starting generation")
        return {"job_id": "job-1"}, 202

    @app.get("/api/v1/jobs/<job_id>")
    def job_status(job_id: str) -> dict[str, str]:
        return {"job_id": job_id, "status": "running"}

    @app.get("/health")
    def health() -> str:
        return "ok"

    @app.get("/stream")
    def stream() -> Response:
        return Response((f"chunk {i}\n" for i in range(3)), mimetype="text/plain")

    return app


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with wsgi_server(_app()) as base:
        yield base


def _request_logs(cap: Capture, count: int) -> list[dict[str, Any]]:
    return eventually(
        lambda: (
            (found := [line for line in cap.logs if line["logger"] == "otelkit.http"])
            and len(found) >= count
            and found
        )
    )


def test_flask_request_is_traced_correlated_and_logged(url: str, otelkit_capture: Capture) -> None:
    response = request(
        "POST",
        f"{url}/api/v1/generate",
        headers={
            "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01",
            "baggage": "session_id=sess-5",
            "X-Request-ID": "req-abc",
            "Authorization": "Basic dXNlcjpwYXNz",
        },
    )
    assert response.status_code == 202
    assert response.headers["x-correlation-id"] == "req-abc"

    started, completed = _request_logs(otelkit_capture, 2)
    server = eventually(
        lambda: next((s for s in otelkit_capture.spans if s.kind is SpanKind.SERVER), None)
    )
    assert server.name == "POST /api/v1/generate"
    assert format(server.parent.span_id, "016x") == PARENT_ID
    assert (server.attributes["correlation_id"], server.attributes["session_id"]) == (
        "req-abc",
        "sess-5",
    )
    app_line = next(line for line in otelkit_capture.logs if line["logger"] == "app.flask")
    for line in (started, app_line, completed):
        assert (line["correlation_id"], line["session_id"], line["trace_id"]) == (
            "req-abc",
            "sess-5",
            TRACE_ID,
        )
    assert (started["method"], started["path"], started["client_ip"]) == (
        "POST",
        "/api/v1/generate",
        "127.0.0.1",
    )
    assert (completed["status"], completed["response_size"]) == (202, len(response.content))
    assert completed["route"] == "/api/v1/generate", "stats by endpoint, not by ID"
    assert "dXNlcjpwYXNz" not in repr(
        [dict(s.attributes) for s in otelkit_capture.spans] + otelkit_capture.logs
    )


def test_streamed_body_is_counted_and_quiet_paths_are_silent(
    url: str, otelkit_capture: Capture
) -> None:
    request("GET", f"{url}/health")
    request("GET", f"{url}/api/v1/jobs/job-1")
    request("GET", f"{url}/internal/metrics")  # 404, but quiet by regex
    streamed = request("GET", f"{url}/stream")
    _, completed = _request_logs(otelkit_capture, 2)
    assert completed["path"] == "/stream"
    assert completed["response_size"] == len(streamed.content) == 24
    names = eventually(
        lambda: len(otelkit_capture.spans) >= 4 and sorted(s.name for s in otelkit_capture.spans)
    )
    assert names == ["GET", "GET /api/v1/jobs/<job_id>", "GET /health", "GET /stream"]
