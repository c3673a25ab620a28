"""A real OTLP/HTTP receiver on loopback for tests: decodes what the exporters send."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.support.servers import http_server

_MESSAGES: dict[str, type[Message]] = {
    "/v1/traces": ExportTraceServiceRequest,
    "/v1/metrics": ExportMetricsServiceRequest,
    "/v1/logs": ExportLogsServiceRequest,
}

#: Where each path's items sit in its decoded request: resource, scope, item lists.
_LAYERS = {
    "/v1/traces": ("resourceSpans", "scopeSpans", "spans"),
    "/v1/logs": ("resourceLogs", "scopeLogs", "logRecords"),
    "/v1/metrics": ("resourceMetrics", "scopeMetrics", "metrics"),
}


def attributes(items: list[dict[str, Any]]) -> dict[str, Any]:
    """OTLP key/value list as a plain dict (values as strings, ints or floats)."""
    result: dict[str, Any] = {}
    for item in items:
        value = item.get("value", {})
        result[item["key"]] = next(iter(value.values()), None)
    return result


@dataclass
class Received:
    """Decoded requests by path, plus the flattened spans, log records and metrics."""

    requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # the path of each of ``headers``

    def headers_of(self, path: str) -> list[dict[str, str]]:
        """The headers of each request sent to ``path``."""
        return [h for h, p in zip(self.headers, self.paths, strict=True) if p == path]

    def spans(self) -> list[dict[str, Any]]:
        return [
            span
            for request in self.requests.get("/v1/traces", [])
            for rs in request.get("resourceSpans", [])
            for ss in rs.get("scopeSpans", [])
            for span in ss.get("spans", [])
        ]

    def logs(self) -> list[dict[str, Any]]:
        return [
            record
            for request in self.requests.get("/v1/logs", [])
            for rl in request.get("resourceLogs", [])
            for sl in rl.get("scopeLogs", [])
            for record in sl.get("logRecords", [])
        ]

    def metrics(self) -> list[dict[str, Any]]:
        return [
            metric
            for request in self.requests.get("/v1/metrics", [])
            for rm in request.get("resourceMetrics", [])
            for sm in rm.get("scopeMetrics", [])
            for metric in sm.get("metrics", [])
        ]

    def with_resource(self, path: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Each span, log record or metric sent to ``path``, with its resource's attributes."""
        outer, middle, inner = _LAYERS[path]
        return [
            (attributes(resource.get("resource", {}).get("attributes", [])), item)
            for request in self.requests.get(path, [])
            for resource in request.get(outer, [])
            for scope in resource.get(middle, [])
            for item in scope.get(inner, [])
        ]

    def resources(self) -> list[dict[str, Any]]:
        return [
            attributes(rs.get("resource", {}).get("attributes", []))
            for request in self.requests.get("/v1/traces", [])
            for rs in request.get("resourceSpans", [])
        ]


@contextmanager
def otlp_receiver(
    prefix: str = "", port: int = 0, answer_after: float = 0.0
) -> Iterator[tuple[str, Received]]:
    """Serve OTLP/HTTP protobuf on 127.0.0.1; yield (endpoint, received).

    With ``prefix="/otlp"`` it is shaped like Loki, which takes OTLP logs at
    ``/otlp/v1/logs``; requests are filed under the path without the prefix. Each
    answer leaves ``answer_after`` seconds after its request arrived (a distant
    collector).
    """
    received = Received()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            path = self.path[len(prefix) :] if self.path.startswith(prefix) else ""
            message_type = _MESSAGES.get(path)
            if message_type is None:
                self.send_error(404)
                return
            message = message_type()
            message.ParseFromString(body)
            with lock:
                received.requests.setdefault(path, []).append(MessageToDict(message))
                received.headers.append(dict(self.headers))
                received.paths.append(path)
            time.sleep(answer_after)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler, port) as url:
        yield url, received
