"""Request telemetry: what every HTTP request into the service leaves behind, the same for
the ASGI and WSGI middleware and for Lambda HTTP invocations.

* "Request started" and "Request completed" log lines (method, path, route template,
  status, latency, request and response sizes, client address);
* the OpenTelemetry HTTP server metrics ``http.server.request.duration`` (seconds),
  ``http.server.request.body.size`` and ``http.server.response.body.size`` (bytes) by
  method, route template and status class, and ``http.server.active_requests`` (requests
  in flight) by method. Their dimensions are bounded: a route template or none, never a
  raw path (``/jobs/job-3f2a…`` would be one metric per job, each billed by CloudWatch),
  a status class (``2xx``), a known method or ``_OTHER``;
* above ``slow_request_ms``, a "Slow request" WARNING line naming the route and the
  ``http.server.slow_requests`` counter.

Each front end makes one ``Request`` when a request arrives, tells it the route and status
as it learns them, and calls ``completed`` once when the response has been sent.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from opentelemetry import trace

from otelkit._core import pipeline as _pipeline
from otelkit._core import switch as _switch
from otelkit._logs.event import FIELDS_ATTR, ONE_PER_UNIT_ATTR
from otelkit._requests import stats as _request_stats

#: The logger of the request log lines; raise its level to silence them all.
LOGGER_NAME = "otelkit.http"
#: Methods kept as they are in metric dimensions; any other is ``_OTHER``.
KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
# Seconds: the semantic conventions' advisory buckets for request duration.
_DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)

_logger = logging.getLogger(LOGGER_NAME)
_meter = _switch.METER_PROVIDER.get_meter("otelkit.http")
_duration = _meter.create_histogram(
    "http.server.request.duration",
    unit="s",
    description="Duration of HTTP server requests.",
    explicit_bucket_boundaries_advisory=list(_DURATION_BUCKETS),
)
_request_size = _meter.create_histogram(
    "http.server.request.body.size", unit="By", description="Size of HTTP server request bodies."
)
_response_size = _meter.create_histogram(
    "http.server.response.body.size", unit="By", description="Size of HTTP server response bodies."
)
_active = _meter.create_up_down_counter(
    "http.server.active_requests",
    unit="{request}",
    description="Number of active HTTP server requests.",
)
_slow = _meter.create_counter(
    "http.server.slow_requests",
    unit="{request}",
    description="HTTP server requests slower than slow_request_ms.",
)


def content_length(value: object) -> int | None:
    """A ``Content-Length`` header's value as a size, or None when absent or malformed."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def status_class(status: int) -> str:
    """``2xx`` for 200-299 and so on; ``_OTHER`` outside 100-599."""
    return f"{status // 100}xx" if 100 <= status <= 599 else "_OTHER"


class Request:
    """One request in flight: its lines, metrics and slow-request check.

    Args:
        method: the request method as sent.
        path: the request path without its query string (logged, never a dimension).
        client_ip: the caller's address, for the log lines.
        logs: whether this request writes "Request started"/"Request completed".
        warns: whether a slow response writes the "Slow request" line.
        request_size: the request body's size in bytes, when known.
    """

    __slots__ = (
        "_done",
        "_metric_method",
        "client_ip",
        "logs",
        "method",
        "path",
        "request_size",
        "route",
        "started",
        "status",
        "warns",
    )

    def __init__(
        self,
        method: str,
        path: str,
        client_ip: str | None,
        *,
        logs: bool,
        warns: bool = True,
        request_size: int | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.client_ip = client_ip
        self.logs = logs
        self.warns = warns
        self.request_size = request_size
        self.status: int | None = None
        self.route: str | None = None
        upper = method.upper()
        self._metric_method = upper if upper in KNOWN_METHODS else "_OTHER"
        self._done = False
        self.started = time.perf_counter()
        _active.add(1, {"http.request.method": self._metric_method})
        if logs:
            fields: dict[str, Any] = {"method": method, "path": path, "client_ip": client_ip}
            if request_size is not None:
                fields["request_size"] = request_size
            _log(logging.INFO, "Request started", fields)

    def routed(self, route: object) -> None:
        """Record the route template and name the server span ``METHOD route``.

        A raw path in the name (``GET /api/v1/jobs/job-3f2a…``) would make one span name
        per job ID, which trace backends group and index by; the route template or,
        failing that, the bare method keeps names few, as the HTTP semantic conventions
        require. The template also goes on "Request completed" and the metrics, so
        latency statistics group by endpoint, not by ID.
        """
        template = route if isinstance(route, str) else getattr(route, "path", None)
        self.route = template if isinstance(template, str) and template else None
        span = trace.get_current_span()
        if not span.is_recording():
            return
        method = self.method.upper() or "HTTP"
        if self.route:
            span.update_name(f"{method} {self.route}")
            span.set_attribute("http.route", self.route)
        else:
            span.update_name(method)

    def completed(self, response_size: int, error: BaseException | None = None) -> None:
        """The response is sent (or failed): record the metrics and write the lines.

        "Request completed" is ERROR for 5xx and unhandled exceptions. Only the first call
        counts, so a front end may call it from more than one exit path.
        """
        if self._done:
            return
        self._done = True
        status = self.status if self.status is not None else 500
        seconds = time.perf_counter() - self.started
        latency_ms = round(seconds * 1000.0, 2)
        dimensions = {
            "http.request.method": self._metric_method,
            "http.response.status_class": status_class(status),
        }
        if self.route:
            dimensions["http.route"] = self.route
        _active.add(-1, {"http.request.method": self._metric_method})
        _duration.record(seconds, dimensions)
        _response_size.record(response_size, dimensions)
        if self.request_size is not None:
            _request_size.record(self.request_size, dimensions)
        threshold = _pipeline.current().slow_request_ms
        slow = threshold is not None and latency_ms > threshold
        if slow:
            _slow.add(1, dimensions)
        if self.logs:  # quiet requests stay out of /stats as they stay out of the lines
            _request_stats.observe(
                self.route, status, latency_ms, failed=error is not None, slow_ms=threshold
            )
            fields: dict[str, Any] = {"method": self.method, "path": self.path}
            if self.route:
                fields["route"] = self.route
            # duration_ms: the same number under the name Logs Insights queries often use.
            fields.update(
                status=status,
                latency_ms=latency_ms,
                duration_ms=latency_ms,
                response_size=response_size,
            )
            if self.request_size is not None:
                fields["request_size"] = self.request_size
            fields["client_ip"] = self.client_ip
            if error is not None:
                fields["error"] = f"{type(error).__name__}: {error}"
            if _pipeline.current().request_field_aliases:
                fields.update(seed_aliases(fields, seconds))
            failed = status >= 500 or error is not None
            # One line per request, failed ones included: never held back as a repeat.
            _log(logging.ERROR if failed else logging.INFO, "Request completed", fields, True)
        if slow and self.warns:
            _log(
                logging.WARNING,
                "Slow request",
                {
                    "method": self.method,
                    "route": self.route or self.path,
                    "path": self.path,
                    "status": status,
                    "latency_ms": latency_ms,
                    "threshold_ms": threshold,
                },
            )


def seed_aliases(fields: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The ``request_field_aliases`` fields: structlog-style request logs' names for what
    "Request completed" already says (``endpoint``, ``status_code``, ``duration`` in
    seconds, ``event``)."""
    return {
        "event": "request_complete",
        "endpoint": fields.get("route") or fields["path"],
        "status_code": fields["status"],
        "duration": round(seconds, 3),
    }


def _log(level: int, message: str, fields: dict[str, Any], one_per_unit: bool = False) -> None:
    if _logger.isEnabledFor(level):
        _logger.log(level, message, extra={FIELDS_ATTR: fields, ONE_PER_UNIT_ATTR: one_per_unit})
