"""Runtime endpoints: ``/health``, ``/metrics`` (Prometheus text) and ``/stats`` (JSON).

``otelkit.start_http_server()`` serves them from a small threaded HTTP server on loopback;
``asgi_app()`` and ``wsgi_app()`` give the same handlers to mount in an application that
already has a server (FastAPI, Starlette, Flask). Setting ``METRICS_PORT`` makes
``configure()`` start the server itself.

- ``GET /health``: ``status``, service, version, uptime, host and the process's resources
  (memory, CPU, threads, open files; psutil).
- ``GET /metrics``: every otelkit metric in the Prometheus text format, through the
  OpenTelemetry Prometheus exporter (the ``runtime`` extra).
- ``GET /stats``: requests, latency percentiles, error rate, slow requests and the most
  frequent error fingerprints (with ``error_dedup_every``).
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from otelkit._core import pipeline as _pipeline
from otelkit._core.safety import report_internal_error
from otelkit._process import resources as _resources
from otelkit._process.resources import process_resources
from otelkit._requests import stats as _request_stats
from otelkit._scopes.resource_events import ResourceEvents, resource_events
from otelkit._values.safe_values import safe_str
from otelkit._version import __version__

__all__ = [
    "ResourceEvents",
    "RuntimeServer",
    "asgi_app",
    "health_body",
    "process_resources",
    "resource_events",
    "start_http_server",
    "stats_body",
    "wsgi_app",
]

#: Port used when neither the argument nor ``METRICS_PORT`` gives one.
DEFAULT_PORT = 9200
HealthCheck = Callable[[], Mapping[str, Any]]
Response = tuple[int, str, bytes]
_STARTED = time.monotonic()
_JSON = "application/json"
_PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


def _json(status: int, body: Mapping[str, Any]) -> Response:
    # Every body through the one redaction policy: a health check's fields and error, an
    # error fingerprint's message (these endpoints are often bound to 0.0.0.0).
    return (
        status,
        _JSON,
        json.dumps(_pipeline.current().redaction.redact_value(dict(body)), default=str).encode(),
    )


def health_body(health: HealthCheck | None = None) -> dict[str, Any]:
    """What ``GET /health`` answers; ``health``'s fields are merged in (its ``status`` wins)."""
    pipeline = _pipeline.current()
    body: dict[str, Any] = {
        "status": "healthy",
        "service": pipeline.service,
        "version": pipeline.service_version or "unknown",
        "otelkit_version": __version__,
        "environment": pipeline.environment,
        "uptime_seconds": round(time.monotonic() - _STARTED, 3),
        "system": _resources.system_info(),
        "resources": _resources.process_resources(),
        "timestamp": round(time.time(), 3),
    }
    if health is not None:
        body.update(health())
    return body


def stats_body() -> dict[str, Any]:
    """What ``GET /stats`` answers."""
    aggregator = _pipeline.current().error_aggregator
    errors: dict[str, Any] = {"aggregation": "off (set error_dedup_every)"}
    if aggregator is not None:
        errors = {**aggregator.summary(), "top_errors": aggregator.top(10)}
    return {
        "status": "healthy",
        "service": _pipeline.current().service,
        "uptime_seconds": round(time.monotonic() - _STARTED, 3),
        "performance": _request_stats.STATS.snapshot(),
        "errors": errors,
    }


def handle(method: str, path: str, health: HealthCheck | None = None) -> Response:
    """The response to ``method path``: the one routing table every front end shares."""
    if method not in ("GET", "HEAD"):
        return _json(405, {"error": "method not allowed"})
    path = path.split("?", 1)[0].rstrip("/") or "/"
    try:
        if path == "/health":
            return _json(200, health_body(health))
        if path == "/stats":
            return _json(200, stats_body())
        if path == "/metrics":
            text = _pipeline.current().prometheus_text
            if text is None:
                return _json(
                    503,
                    {
                        "error": "no Prometheus reader: set METRICS_PORT, or "
                        "configure(prometheus=True)"
                    },
                )
            return 200, _PROMETHEUS, text()
    except Exception as exc:  # a failing health check is an unhealthy service, not a crash
        error = f"{type(exc).__name__}: {safe_str(exc, 1024)}"
        return _json(500, {"status": "unhealthy", "error": error})
    return _json(404, {"error": "not found", "paths": ["/health", "/metrics", "/stats"]})


def wsgi_app(health: HealthCheck | None = None) -> Callable[..., Iterable[bytes]]:
    """A WSGI application answering ``/health``, ``/metrics`` and ``/stats``.

    Example (Flask): ``DispatcherMiddleware(app.wsgi_app, {"/ops": otelkit.runtime.wsgi_app()})``
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, content_type, body = handle(
            environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/"), health
        )
        start_response(
            f"{status} {_REASONS.get(status, 'OK')}",
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


def asgi_app(health: HealthCheck | None = None) -> ASGIApp:
    """An ASGI application answering ``/health``, ``/metrics`` and ``/stats``.

    Example (FastAPI/Starlette): ``app.mount("/ops", otelkit.runtime.asgi_app())``
    """

    async def app(
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        path = scope.get("path", "/")
        root = scope.get("root_path", "")
        if root and path.startswith(root):  # mounted: route on the part below the mount
            path = path[len(root) :]
        status, content_type, body = handle(scope.get("method", "GET"), path, health)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


_REASONS = {
    200: "OK",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


#: Seconds a connection may take to send its request and read the answer.
CONNECTION_TIMEOUT = 10.0
#: Threads answering at once; connections past ``WORKERS + WAITING`` are closed at once.
WORKERS = 4
WAITING = 16


class _BoundedServer(HTTPServer):
    """An HTTP server answering from a fixed set of daemon threads: 300 stalled
    connections cost ``WORKERS`` threads (and each at most ``CONNECTION_TIMEOUT``), never
    300; daemon threads, so a stalled scraper never delays the process's exit."""

    request_queue_size = 128  # accepted at once, then answered or refused: never left to retry

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._waiting: queue.Queue[tuple[Any, Any] | None] = queue.Queue(WAITING)
        for number in range(WORKERS):
            name = f"otelkit-runtime-{self.server_address[1]}-{number}"
            threading.Thread(target=self._work, daemon=True, name=name).start()

    def process_request(self, request: Any, client_address: Any) -> None:
        try:
            self._waiting.put_nowait((request, client_address))
        except queue.Full:  # too many at once: the newest is refused
            self.shutdown_request(request)

    def _work(self) -> None:
        while (item := self._waiting.get()) is not None:
            request, client_address = item
            try:
                self.finish_request(request, client_address)
            except Exception as exc:  # never the serving thread's end
                report_internal_error("a runtime endpoint connection", exc)
            finally:
                self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        while True:  # connections still waiting are closed, then each worker told to end
            try:
                item = self._waiting.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self.shutdown_request(item[0])
        for _ in range(WORKERS):
            try:
                self._waiting.put_nowait(None)
            except queue.Full:  # a new connection raced in: the daemon thread ends at exit
                break


class RuntimeServer:
    """A running runtime-endpoints server (threaded, daemon threads).

    Attributes:
        host: the address it listens on.
        port: the port it listens on (the one chosen when asked for 0).
        health: the extra ``/health`` fields' source, if any (replaceable while serving).
    """

    def __init__(self, host: str, port: int, health: HealthCheck | None) -> None:
        runtime = self
        self.health = health

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer(send_body=True)

            def do_HEAD(self) -> None:
                self._answer(send_body=False)

            def _answer(self, send_body: bool) -> None:
                status, content_type, body = handle("GET", self.path, runtime.health)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return  # a scrape every 15 s is not worth a log line

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except OSError:  # a reset or timed-out client is the client's problem
                    self.close_connection = True

        Handler.timeout = CONNECTION_TIMEOUT  # a stalled client is cut off, never waited for
        self._server = _BoundedServer((host, port), Handler)
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name=f"otelkit-runtime-{self.port}"
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        with _lock:
            if self in _servers:
                _servers.remove(self)
        self._server.shutdown()
        self._server.server_close()


_lock = threading.Lock()
_servers: list[RuntimeServer] = []
_configured: RuntimeServer | None = None


def start_http_server(
    port: int | None = None, host: str = "127.0.0.1", *, health: HealthCheck | None = None
) -> RuntimeServer:
    """Serve ``/health``, ``/metrics`` and ``/stats`` on ``host:port`` from a thread.

    Args:
        port: the port; None reads ``METRICS_PORT``, else 9200. 0 picks a free port.
        host: the address; loopback by default (``0.0.0.0`` for a scrape from outside).
        health: returns extra ``/health`` fields (a worker's state, a dependency check);
            its ``status`` replaces ``healthy``. Given for the port ``configure()``
            already serves (``METRICS_PORT``), it is added to that server.

    The pipeline is never rebuilt here: ``configure()`` builds the Prometheus reader in
    whenever the ``runtime`` extra is installed, so the first scrape serves every count
    made before. A pipeline configured with ``prometheus=False`` gets the reader added
    as it runs, and serves what is recorded from then on.

    Raises:
        ImportError: the ``runtime`` extra is not installed.
        OSError: the port is taken.
    """
    from otelkit._sdk.prometheus import prometheus_reader
    from otelkit._sdk.providers import attach_prometheus

    pipeline = _pipeline.current()
    if pipeline.prometheus_text is None:
        prometheus_reader()  # the ImportError without the extra, before any port is taken
        with_reader = attach_prometheus(pipeline)
        if with_reader is not None:
            _pipeline.swap(pipeline, with_reader)
    configured = configured_server()
    if port is None and configured is not None:  # METRICS_PORT's, whichever port it got
        return _with_health(configured, health)
    if port is None:
        port = int(os.environ.get("METRICS_PORT", "").strip() or DEFAULT_PORT)
    with _lock:
        running = _serving(host, port)
    if running is not None:  # configure() serves it already
        return _with_health(running, health)
    server = RuntimeServer(host, port, health)
    with _lock:
        _servers.append(server)
    return server


def _with_health(server: RuntimeServer, health: HealthCheck | None) -> RuntimeServer:
    if health is not None:
        server.health = health
    return server


def _serving(host: str, port: int) -> RuntimeServer | None:
    """The running server on ``host:port`` (never for port 0: that asks for a new one)."""
    return next((s for s in _servers if port and (s.host, s.port) == (host, port)), None)


def serve_configured(port: int, host: str) -> None:
    """The server ``METRICS_PORT`` asks for, started by ``configure()`` once."""
    global _configured
    with _lock:
        running = _configured
    if (
        running is not None
        and running in _servers
        and (running.host, running.port) == (host, port if port else running.port)
    ):
        return
    server = RuntimeServer(host, port, None)
    with _lock:
        _servers.append(server)
        _configured = server


def configured_server() -> RuntimeServer | None:
    """The server ``configure()`` started from ``METRICS_PORT``, if it runs."""
    with _lock:
        return _configured if _configured in _servers else None


def stop_all() -> None:
    """Stop every runtime server (``otelkit.shutdown()``)."""
    with _lock:
        running = list(_servers)
    for server in running:
        server.stop()
