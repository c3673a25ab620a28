"""A local OTLP/HTTP receiver that misbehaves on demand, for the fault suite and benchmarks.

Modes:

* ``healthy``: answers 200 and counts what it received.
* ``closed``: nothing listens on the port (connections are refused).
* ``blackhole``: the port accepts connections and never answers.
* ``slow``: answers 200 after ``SLOW_SECONDS``.
* ``500``: answers 500 Internal Server Error.
* ``429``: answers 429 Too Many Requests with ``Retry-After: 1``.
* ``flapping``: alternates: 503 to one request, 200 to the next.
* ``trickle``: answers 200 with ``Content-Length: 100000``, then one byte every
  ``TRICKLE_SECONDS``; ``trickle_body``: the same with a body short enough to be read
  (1,000 bytes); ``trickle_head``: the status line and headers themselves trickle.
* ``hang``: reads each request, never processes it and never answers (the connection
  stays open).
* ``huge``: answers 200 with a 1 GiB body (``Content-Length`` given), sent as fast as
  the client reads it; ``huge_unsized``: the same with no length (ends when it closes).
* ``partial``: answers 200 with an OTLP partial success rejecting half of each request's
  items (rounded down) with the message ``PARTIAL_MESSAGE``; only the rest is counted.

In-process (``fault_receiver(mode)``, a context manager) or as a process of its own
(``python -m tests.support.fault_receiver MODE``: prints the endpoint, serves until stdin closes),
so benchmarks measure otelkit's cost without the receiver's in the same interpreter.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.support.servers import http_server

MODES = (
    "healthy",
    "closed",
    "blackhole",
    "slow",
    "500",
    "429",
    "flapping",
    "trickle",
    "trickle_body",
    "trickle_head",
    "hang",
    "huge",
    "huge_unsized",
    "partial",
)
SLOW_SECONDS = 0.2
TRICKLE_SECONDS = 0.5
HUGE_BYTES = 1 << 30
PARTIAL_MESSAGE = "quota exceeded for tenant"


@dataclass
class Tally:
    """What the receiver saw: requests per status, and the spans and logs it accepted.
    ``mode`` is read at each request: a test changes it to make the collector heal (or
    break) on the same port."""

    mode: str = "healthy"
    requests: int = 0
    spans: int = 0
    logs: int = 0
    points: int = 0  # metric data points
    rejected: int = 0  # items a partial success refused (``partial``)
    sums: list[tuple[str, float, bool]] = field(default_factory=list)  # (name, value, delta)
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _count(path: str, body: bytes) -> tuple[int, int, int]:
    """The spans, log records and metric points of a request."""
    if path == "/v1/traces":
        traces = ExportTraceServiceRequest()
        traces.ParseFromString(body)
        return sum(len(ss.spans) for rs in traces.resource_spans for ss in rs.scope_spans), 0, 0
    if path == "/v1/logs":
        logs = ExportLogsServiceRequest()
        logs.ParseFromString(body)
        return 0, sum(len(sl.log_records) for rl in logs.resource_logs for sl in rl.scope_logs), 0
    if path == "/v1/metrics":
        metrics = ExportMetricsServiceRequest()
        metrics.ParseFromString(body)
        points = 0
        for rm in metrics.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    kind = metric.WhichOneof("data")
                    points += len(getattr(metric, kind).data_points) if kind else 0
        return 0, 0, points
    return 0, 0, 0


def _sums(body: bytes) -> list[tuple[str, float, bool]]:
    """Each sum point of a metrics request: its metric's name, value, and whether delta."""
    metrics = ExportMetricsServiceRequest()
    metrics.ParseFromString(body)
    return [
        (metric.name, point.as_int or point.as_double, metric.sum.aggregation_temporality == 1)
        for rm in metrics.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
        if metric.WhichOneof("data") == "sum"
        for point in metric.sum.data_points
    ]


def _partial_answer(path: str, rejected: int) -> bytes:
    """An OTLP answer to ``path`` rejecting ``rejected`` items with ``PARTIAL_MESSAGE``."""
    answer: Any
    if path == "/v1/traces":
        answer = ExportTraceServiceResponse()
        answer.partial_success.rejected_spans = rejected
    elif path == "/v1/logs":
        answer = ExportLogsServiceResponse()
        answer.partial_success.rejected_log_records = rejected
    else:
        answer = ExportMetricsServiceResponse()
        answer.partial_success.rejected_data_points = rejected
    answer.partial_success.error_message = PARTIAL_MESSAGE
    return bytes(answer.SerializeToString())


def _handler(tally: Tally) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real collector

        def do_POST(self) -> None:
            mode = tally.mode
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            with tally.lock:
                tally.requests += 1
                number = tally.requests
            status = {"500": 500, "429": 429}.get(mode, 200)
            if mode == "flapping" and number % 2:
                status = 503
            if mode == "slow":
                time.sleep(SLOW_SECONDS)
            answer = b""
            if mode == "hang":  # accepted, never processed, never answered
                time.sleep(3600)  # a daemon thread: it dies with the server's process
            if status == 200:
                spans, logs, points = _count(self.path, body)
                rejected = (spans + logs + points) // 2 if mode == "partial" else 0
                if rejected:
                    answer = _partial_answer(self.path, rejected)
                sums = _sums(body) if points and not rejected else []
                with tally.lock:
                    tally.sums.extend(sums)
                    tally.spans += spans - (rejected if spans else 0)
                    tally.logs += logs - (rejected if logs else 0)
                    tally.points += points - (rejected if points else 0)
                    tally.rejected += rejected
            with tally.lock:
                tally.statuses[status] = tally.statuses.get(status, 0) + 1
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/x-protobuf")
            misbehave = _MISBEHAVIOURS.get(mode)
            if misbehave is not None:
                with contextlib.suppress(OSError):  # the client hung up: as it should
                    misbehave(self)
                return
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _trickle(handler: BaseHTTPRequestHandler, length: int = 100_000) -> None:
    handler.send_header("Content-Length", str(length))
    handler.end_headers()
    handler.wfile.flush()
    _drip(handler, b"x" * length)


def _drip(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    for byte in data:
        handler.wfile.write(bytes((byte,)))
        handler.wfile.flush()
        time.sleep(TRICKLE_SECONDS)


def _trickle_head(handler: BaseHTTPRequestHandler) -> None:
    handler._headers_buffer = []  # type: ignore[attr-defined]  # what send_response queued
    _drip(handler, b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"x" * 1000 + b"\r\n\r\n")


def _huge(handler: BaseHTTPRequestHandler, *, sized: bool = True) -> None:
    if sized:
        handler.send_header("Content-Length", str(HUGE_BYTES))
    else:
        handler.send_header("Connection", "close")
        handler.close_connection = True
    handler.end_headers()
    chunk = b"\0" * (1 << 16)
    for _ in range(HUGE_BYTES // len(chunk)):
        handler.wfile.write(chunk)  # the client hangs up long before: BrokenPipe ends it


_MISBEHAVIOURS: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
    "trickle": _trickle,
    "trickle_body": lambda handler: _trickle(handler, 1000),
    "trickle_head": _trickle_head,
    "huge": _huge,
    "huge_unsized": lambda handler: _huge(handler, sized=False),
}


@contextmanager
def fault_receiver(mode: str, tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, Tally]]:
    """Serve ``mode`` on 127.0.0.1 (an ephemeral port); yield (endpoint, tally). With
    ``tls`` (a server context) it serves HTTPS."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
    tally = Tally(mode=mode)
    if mode == "closed":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        yield f"http://127.0.0.1:{port}", tally
        return
    if mode == "blackhole":
        with socket.socket() as hole:
            hole.bind(("127.0.0.1", 0))
            hole.listen(1024)  # the kernel completes handshakes; nobody ever reads
            yield f"http://127.0.0.1:{hole.getsockname()[1]}", tally
        return
    with http_server(_handler(tally), tls=tls) as url:
        yield url, tally


class _TrackingServer(ThreadingHTTPServer):
    """Remembers its connections, so that stopping it closes the kept-alive ones too."""

    daemon_threads = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.connections: set[socket.socket] = set()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a connection cut by ``stop()``: expected

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        self.connections.add(sock)
        return sock, address


class Restartable:
    """A healthy receiver that can be stopped (its port refuses connections, its open
    connections are cut) and started again on the same port, keeping its tally: a
    collector restarting."""

    def __init__(self) -> None:
        self.tally = Tally()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: _TrackingServer | None = None

    def start(self) -> None:
        if self._server is None:
            server = _TrackingServer(("127.0.0.1", self.port), _handler(self.tally))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._server = server

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            for sock in list(server.connections):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def restartable_receiver() -> Iterator[Restartable]:
    """A ``Restartable`` receiver, stopped at first; stopped again at the end."""
    receiver = Restartable()
    try:
        yield receiver
    finally:
        receiver.stop()


def dropped_in(stderr: str, signal: str) -> int:
    """The items of ``signal`` the ``otelkit: dropped …`` lines of ``stderr`` report."""
    return sum(
        int(count)
        for line in stderr.splitlines()
        if line.startswith("otelkit: dropped ")
        for count in re.findall(rf"(\d+) {signal} \(", line)
    )


def main() -> None:
    """Serve the mode named on the command line until stdin closes; report the tally."""
    with fault_receiver(sys.argv[1]) as (endpoint, tally):
        print(endpoint, flush=True)
        sys.stdin.read()
    print(f"{tally.spans} {tally.logs} {tally.requests}", flush=True)


if __name__ == "__main__":
    main()
