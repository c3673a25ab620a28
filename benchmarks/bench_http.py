"""One HTTP request through the ASGI middleware, called directly (no server, no socket):
otelkit's middleware (server span, correlation ID, request telemetry: lines, metrics,
slow-request check) against the upstream OpenTelemetry ASGI middleware alone (server span
and its own HTTP metrics), both on the same in-memory pipeline with a metric reader.

Request log lines are off in both (the root logger is at WARNING, as the logging rows
measure lines on their own), so the row is the cost of the middleware itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from _pipelines import activate, pipeline
from harness import Pair
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from otelkit._core import switch as _switch
from otelkit.middleware.asgi import OtelkitASGIMiddleware

SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/api/v1/jobs/job-42",
    "raw_path": b"/api/v1/jobs/job-42",
    "query_string": b"",
    "root_path": "",
    "headers": [
        (b"host", b"api.internal"),
        (b"content-length", b"2"),
        (b"x-correlation-id", b"corr-bench-1"),
    ],
    "client": ("10.0.0.7", 51234),
    "server": ("10.0.0.1", 8000),
}


class _Discard(SpanProcessor):
    def on_end(self, span: ReadableSpan) -> None:
        pass


async def _app(
    scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
) -> None:
    scope["route"] = "/api/v1/jobs/{job_id}"
    await receive()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"{}", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    pass


def _caller(middleware: Any) -> Callable[[], object]:
    loop = asyncio.new_event_loop()

    def call() -> object:
        return loop.run_until_complete(middleware(dict(SCOPE), _receive, _send))

    return call


def pairs() -> list[Pair]:
    chosen = pipeline(span_processors=[_Discard()], metric_readers=[InMemoryMetricReader()])
    ours = OtelkitASGIMiddleware(_app)  # type: ignore[arg-type]
    upstream = OpenTelemetryMiddleware(
        _app, tracer_provider=_switch.TRACER_PROVIDER, meter_provider=_switch.METER_PROVIDER
    )
    return [
        Pair(
            "ASGI request: span, correlation ID, request telemetry",
            _caller(ours),
            "upstream ASGI middleware (span, metrics)",
            _caller(upstream),
            anchor="OTel ASGI",
            setup=lambda: activate(chosen),
        ),
    ]
