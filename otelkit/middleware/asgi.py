"""ASGI (FastAPI, Starlette, any ASGI app): a server span per request, a correlation ID
bound for the request and echoed in the response, and request log lines.

Example:
    >>> from fastapi import FastAPI
    >>> from otelkit.middleware.asgi import OtelkitASGIMiddleware
    >>> app = FastAPI()
    >>> app.add_middleware(OtelkitASGIMiddleware, quiet=("/health", "GET /api/v1/jobs/{id}"))

Needs the ``asgi`` extra: ``pip install 'otelkit[asgi]'``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

try:
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the ASGI integration needs opentelemetry-instrumentation-asgi: pip install 'otelkit[asgi]'"
    ) from exc

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.metrics import NoOpMeterProvider

from otelkit._core.safety import report_internal_error
from otelkit._logs import coexist as _coexist
from otelkit._requests import incoming as http
from otelkit._requests.telemetry import content_length
from otelkit._setup import EXIT_TIMEOUT, flush
from otelkit._values import semconv as _semconv

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["DEFAULT_QUIET_PATHS", "OtelkitASGIMiddleware"]

DEFAULT_QUIET_PATHS = http.DEFAULT_QUIET_PATHS
_SCOPE_KEY = "otelkit.context"


class OtelkitASGIMiddleware:
    """Trace, correlate and log every HTTP request of an ASGI application.

    For each request it starts a server span (through the upstream OpenTelemetry ASGI
    middleware, so span attributes follow the semantic conventions) whose parent and
    bound IDs come from the incoming ``traceparent``, ``X-Amzn-Trace-Id`` and ``baggage``
    headers. It binds ``correlation_id`` from ``X-Correlation-ID`` or ``X-Request-ID`` (a
    new UUID when absent), echoes it in the ``X-Correlation-ID`` response header, and
    records the request telemetry: "Request started" and "Request completed" lines
    (method, path, route, client_ip, status, latency_ms, sizes), HTTP server metrics by
    route template and status class, and a "Slow request" line above ``slow_request_ms``.

    Health checks and status polling would drown the logs: requests matching ``quiet``
    write no log lines. Their spans are still produced; drop them in the collector if
    they cost too much.

    Args:
        app: the ASGI application to wrap (Starlette's ``add_middleware`` passes it).
        quiet: patterns of requests that log nothing: ``"/health"``, ``"/api/*/status"``,
            ``"GET /api/v1/jobs/{id}"`` (``*`` and ``{name}`` match one path segment,
            ``**`` several), or compiled regexes matched against the whole path.
        log_requests: False turns request log lines off entirely.
        response_header: the header echoing the correlation ID; None to not send it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        quiet: Iterable[http.QuietPattern] = DEFAULT_QUIET_PATHS,
        log_requests: bool = True,
        response_header: str | None = http.RESPONSE_HEADER,
    ) -> None:
        log = http.RequestLog(quiet, log_requests=log_requests, response_header=response_header)
        # A chain of ``.app`` attributes, as ASGI middleware stacks are: frameworks that
        # trace natively (FastAPI) find the upstream middleware in it and stand down, so a
        # request gets one server span, not two.
        _semconv.prefer_stable()  # read once, when the first upstream middleware starts
        self.app = OpenTelemetryMiddleware(
            _RequestScope(app, log),
            tracer_provider=http.IncomingContextTracerProvider(),
            meter_provider=NoOpMeterProvider(),
            exclude_spans=["receive", "send"],
        )
        self._adopted = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._adopted:  # the server has applied its logging config by now
            self._adopted = scope.get("type") == "http"
            _coexist.readopt()
        if scope.get("type") == "lifespan":
            await self.app(scope, receive, _flushing_at_shutdown(send))
            return
        if scope.get("type") != "http":  # websockets pass straight through
            await self.app(scope, receive, send)
            return
        token = None
        try:
            headers = http.header_map(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", ())
            )
            client = scope.get("client")
            incoming, correlation_id = http.incoming_context(
                headers, str(client[0]) if client else None
            )
            scope[_SCOPE_KEY] = (incoming, correlation_id, headers)
            token = http.set_incoming(incoming)
        except Exception as exc:
            report_internal_error("ASGI middleware (request start)", exc)
        try:
            await self.app(scope, receive, send)
        finally:
            if token is not None:
                http.reset_incoming(token)


_SHUTDOWN_DONE = frozenset({"lifespan.shutdown.complete", "lifespan.shutdown.failed"})


def _flushing_at_shutdown(send: Send) -> Send:
    """The server's lifespan ``send``, which exports what is buffered once the app has
    shut down: uvicorn then ends the process by raising SIGTERM again with its default
    action, which skips the exit-time flush (and so lost every worker's last spans, log
    records and up to a minute of metrics)."""

    async def send_after_flushing(message: Message) -> None:
        if message.get("type") in _SHUTDOWN_DONE:
            try:
                flush(EXIT_TIMEOUT)  # bounded; the server waits for nothing else now
            except Exception as exc:
                report_internal_error("ASGI middleware (flush at shutdown)", exc)
        await send(message)

    return send_after_flushing


class _RequestScope:
    """The application, inside the server span, with the request's IDs bound and logged."""

    def __init__(self, app: ASGIApp, log: http.RequestLog) -> None:
        self.app = app
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prepared = scope.pop(_SCOPE_KEY, None)
        if prepared is None:  # the start failed: serve the request untouched
            await self.app(scope, receive, send)
            return
        incoming: Context = prepared[0]
        correlation_id: str = prepared[1]
        echo = self._log.response_header
        echo_value = http.header_value(correlation_id) if echo else None
        echo_header = (
            (echo.lower().encode("ascii"), echo_value.encode("ascii"))
            if echo and echo_value is not None and http.header_value(echo) is not None
            else None
        )
        size = 0
        token = otel_context.attach(http.request_context(incoming))
        try:
            client = scope.get("client")
            request = self._log.begin(
                str(scope.get("method", "")),
                str(scope.get("path", "")),
                http.client_ip(prepared[2], client[0] if client else None),
                content_length(prepared[2].get("content-length")),
            )

            async def send_with_id(message: Message) -> None:
                nonlocal size
                kind = message.get("type")
                if kind == "http.response.start":
                    # Routed by now, and the upstream middleware ends the span with the body.
                    request.routed(scope.get("route"))
                    request.status = int(message.get("status", 500))
                    if echo_header is not None:
                        message["headers"] = [*message.get("headers", ()), echo_header]
                elif kind == "http.response.body":
                    size += len(message.get("body", b""))
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            except BaseException as exc:
                if request.status is None:
                    request.routed(scope.get("route"))
                request.completed(size, exc)
                raise
            request.completed(size)
        finally:
            otel_context.detach(token)
