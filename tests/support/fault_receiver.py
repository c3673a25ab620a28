"""A local OTLP/HTTP receiver that misbehaves on demand, for the fault suite and benchmarks.

Modes:

* ``healthy``: answers 200 and counts what it received.
* ``closed``: nothing listens on the port (connections are refused).
* ``blackhole``: the port accepts connections and never answers.
* ``slow``: answers 200 after ``SLOW_SECONDS``.
* ``500``: answers 500 Internal Server Error.
* ``429``: answers 429 Too Many Requests with ``Retry-After: 1``.
* ``flapping``: alternates: 503 to one request, 200 to the next.

In-process (``fault_receiver(mode)``, a context manager) or as a process of its own
(``python -m tests.support.fault_receiver MODE``: prints the endpoint, serves until stdin closes),
so benchmarks measure otelkit's cost without the receiver's in the same interpreter.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.support.servers import http_server

MODES = ("healthy", "closed", "blackhole", "slow", "500", "429", "flapping")
SLOW_SECONDS = 0.2


@dataclass
class Tally:
    """What the receiver saw: requests per status, and the spans and logs it accepted."""

    requests: int = 0
    spans: int = 0
    logs: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _count(path: str, body: bytes) -> tuple[int, int]:
    if path == "/v1/traces":
        traces = ExportTraceServiceRequest()
        traces.ParseFromString(body)
        return sum(len(ss.spans) for rs in traces.resource_spans for ss in rs.scope_spans), 0
    if path == "/v1/logs":
        logs = ExportLogsServiceRequest()
        logs.ParseFromString(body)
        return 0, sum(len(sl.log_records) for rl in logs.resource_logs for sl in rl.scope_logs)
    return 0, 0


def _handler(mode: str, tally: Tally) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real collector

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with tally.lock:
                tally.requests += 1
                number = tally.requests
            status = {"500": 500, "429": 429}.get(mode, 200)
            if mode == "flapping" and number % 2:
                status = 503
            if mode == "slow":
                time.sleep(SLOW_SECONDS)
            if status == 200:
                spans, logs = _count(self.path, body)
                with tally.lock:
                    tally.spans += spans
                    tally.logs += logs
            with tally.lock:
                tally.statuses[status] = tally.statuses.get(status, 0) + 1
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fault_receiver(mode: str) -> Iterator[tuple[str, Tally]]:
    """Serve ``mode`` on 127.0.0.1 (an ephemeral port); yield (endpoint, tally)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
    tally = Tally()
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
    with http_server(_handler(mode, tally)) as url:
        yield url, tally


def main() -> None:
    """Serve the mode named on the command line until stdin closes; report the tally."""
    with fault_receiver(sys.argv[1]) as (endpoint, tally):
        print(endpoint, flush=True)
        sys.stdin.read()
    print(f"{tally.spans} {tally.logs} {tally.requests}", flush=True)


if __name__ == "__main__":
    main()
