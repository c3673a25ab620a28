"""The ASGI middleware on a real FastAPI app served by uvicorn, driven over real HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Response
from opentelemetry.trace import SpanKind, StatusCode

import otelkit
from otelkit.middleware.asgi import OtelkitASGIMiddleware
from otelkit.testing import Capture
from tests.support.polling import eventually
from tests.support.servers import asgi_server, request

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
log = otelkit.get_logger("app.jobs")


def _app(**options: Any) -> FastAPI:
    app = FastAPI()
    app.add_middleware(OtelkitASGIMiddleware, **options)

    @app.post("/api/v1/generate", status_code=202)
    async def generate() -> dict[str, str]:
        log.info("Starting generation")
        return {"job_id": "job-1", "status": "queued"}

    @app.get("/api/v1/jobs/{job_id}")
    async def job_status(job_id: str) -> dict[str, str]:
        log.info("Polled", polled=job_id)
        return {"job_id": job_id, "status": "running"}

    @app.get("/health")
    async def health() -> Response:
        return Response("ok")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kling adapter exploded")

    return app


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with asgi_server(_app(quiet=("/health", "GET /api/v1/jobs/{id}"))) as base:
        yield base


def _request_logs(cap: Capture, count: int) -> list[dict[str, Any]]:
    return eventually(
        lambda: (
            (found := [line for line in cap.logs if line["logger"] == "otelkit.http"])
            and len(found) >= count
            and found
        )
    )


def _server_span(cap: Capture, name: str) -> Any:
    return eventually(
        lambda: next((s for s in cap.spans if s.name == name and s.kind is SpanKind.SERVER), None)
    )


def test_request_continues_the_trace_binds_ids_and_logs(url: str, otelkit_capture: Capture) -> None:
    response = request(
        "POST",
        f"{url}/api/v1/generate",
        headers={
            "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01",
            "baggage": "job_id=job-abc,project_id=proj_9",
            "X-Correlation-ID": "corr-42",
            "Authorization": "Bearer sk-very-secret",
            "X-Forwarded-For": "192.168.1.100, 10.0.0.2",
        },
    )
    assert response.status_code == 202
    assert response.headers["x-correlation-id"] == "corr-42"

    started, completed = _request_logs(otelkit_capture, 2)
    server = _server_span(otelkit_capture, "POST /api/v1/generate")
    # FastAPI's own tracing stands down: one server span per request, not two
    assert [s.kind for s in otelkit_capture.spans].count(SpanKind.SERVER) == 1
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert format(server.parent.span_id, "016x") == PARENT_ID
    assert server.attributes["correlation_id"] == "corr-42"
    assert server.attributes["job_id"] == "job-abc"
    assert server.attributes["project_id"] == "proj_9"

    app_line = next(line for line in otelkit_capture.logs if line["logger"] == "app.jobs")
    for line in (started, app_line, completed):
        assert (line["correlation_id"], line["job_id"]) == ("corr-42", "job-abc")
        assert line["trace_id"] == TRACE_ID
        assert line["span_id"] == format(server.context.span_id, "016x")
    assert started["message"] == "Request started"
    assert (started["method"], started["path"], started["client_ip"]) == (
        "POST",
        "/api/v1/generate",
        "192.168.1.100",
    )
    assert completed["message"] == "Request completed"
    assert completed["level"] == "INFO"
    assert (completed["status"], completed["response_size"]) == (202, len(response.content))
    assert completed["route"] == "/api/v1/generate", "stats by endpoint, not by ID"
    assert 0 < completed["latency_ms"] < 5000

    everything = json.dumps(
        [dict(s.attributes) for s in otelkit_capture.spans] + otelkit_capture.logs, default=str
    )
    assert "sk-very-secret" not in everything
    assert "authorization" not in everything.lower()


def test_correlation_id_is_generated_or_taken_from_x_request_id(
    url: str, otelkit_capture: Capture
) -> None:
    generated = request("POST", f"{url}/api/v1/generate").headers["x-correlation-id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", generated)
    taken = request("POST", f"{url}/api/v1/generate", headers={"X-Request-ID": "req-7"})
    assert taken.headers["x-correlation-id"] == "req-7"
    malformed = request("POST", f"{url}/api/v1/generate", headers={"X-Correlation-ID": "x" * 300})
    assert malformed.headers["x-correlation-id"] != "x" * 300

    lines = _request_logs(otelkit_capture, 6)
    assert [line["correlation_id"] for line in lines[:4]] == [generated] * 2 + ["req-7"] * 2


def test_quiet_paths_log_nothing_but_still_make_spans(url: str, otelkit_capture: Capture) -> None:
    assert request("GET", f"{url}/health").text == "ok"
    polled = request("GET", f"{url}/api/v1/jobs/job-123", headers={"X-Correlation-ID": "corr-poll"})
    assert polled.headers["x-correlation-id"] == "corr-poll"
    request("POST", f"{url}/api/v1/generate")  # a loud request, to know the quiet ones are done

    _request_logs(otelkit_capture, 2)
    _server_span(otelkit_capture, "POST /api/v1/generate")
    http_paths = [line["path"] for line in otelkit_capture.logs if line["logger"] == "otelkit.http"]
    assert http_paths == ["/api/v1/generate", "/api/v1/generate"]
    health = _server_span(otelkit_capture, "GET /health")
    poll = _server_span(otelkit_capture, "GET /api/v1/jobs/{job_id}")
    assert health.attributes["correlation_id"] != "corr-poll"
    assert poll.attributes["correlation_id"] == "corr-poll"
    # The application's own log line in a quiet request is kept: only request logs go.
    polled_line = next(line for line in otelkit_capture.logs if line["message"] == "Polled")
    assert polled_line["correlation_id"] == "corr-poll"


def test_unhandled_exception_is_logged_as_error_and_fails_the_span(
    url: str, otelkit_capture: Capture
) -> None:
    assert request("GET", f"{url}/boom").status_code == 500
    _, completed = _request_logs(otelkit_capture, 2)
    assert completed["level"] == "ERROR"
    assert completed["status"] == 500
    assert completed["error"] == "RuntimeError: kling adapter exploded"
    span = _server_span(otelkit_capture, "GET /boom")
    assert span.status.status_code is StatusCode.ERROR
