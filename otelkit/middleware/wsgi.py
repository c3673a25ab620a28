"""WSGI (Flask, Django, any WSGI app): a server span per request, a correlation ID bound
for the request and echoed in the response, and request log lines.

Example:
    >>> from flask import Flask
    >>> from otelkit.middleware.wsgi import OtelkitWSGIMiddleware
    >>> app = Flask(__name__)
    >>> app.wsgi_app = OtelkitWSGIMiddleware(app.wsgi_app, quiet=("/health",))

Needs the ``wsgi`` extra: ``pip install 'otelkit[wsgi]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

try:
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the WSGI integration needs opentelemetry-instrumentation-wsgi: pip install 'otelkit[wsgi]'"
    ) from exc

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.metrics import NoOpMeterProvider

from otelkit._core.safety import report_internal_error
from otelkit._logs import coexist as _coexist
from otelkit._requests import incoming as http
from otelkit._requests.telemetry import Request, content_length
from otelkit._values import semconv as _semconv

Environ = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

__all__ = ["DEFAULT_QUIET_PATHS", "OtelkitWSGIMiddleware"]

DEFAULT_QUIET_PATHS = http.DEFAULT_QUIET_PATHS
_ENVIRON_KEY = "otelkit.context"


def _headers(environ: Environ) -> dict[str, str]:
    return http.header_map(
        (key[5:].replace("_", "-"), value)
        for key, value in environ.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    )


def _route(environ: Environ) -> str | None:
    """The URL rule werkzeug-based frameworks (Flask) matched, if the request has one."""
    rule = getattr(getattr(environ.get("werkzeug.request"), "url_rule", None), "rule", None)
    return rule if isinstance(rule, str) else None


class OtelkitWSGIMiddleware:
    """Trace, correlate and log every HTTP request of a WSGI application.

    The WSGI twin of ``otelkit.middleware.asgi.OtelkitASGIMiddleware``, with the same
    behaviour and arguments: a server span (upstream OpenTelemetry WSGI middleware) started
    from the context in the ``traceparent``/``X-Amzn-Trace-Id``/``baggage`` headers,
    ``correlation_id`` bound from ``X-Correlation-ID``/``X-Request-ID`` (or a new UUID)
    and echoed as ``X-Correlation-ID``, and "Request started"/"Request completed" log
    lines except for requests matching ``quiet``. "Request completed" is written when the
    server has sent the whole body, so ``response_size`` and ``latency_ms`` are exact.

    For Flask, wrap ``app.wsgi_app`` (not ``app``) so Flask's own attributes stay
    reachable: ``app.wsgi_app = OtelkitWSGIMiddleware(app.wsgi_app)``.
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        quiet: Iterable[http.QuietPattern] = DEFAULT_QUIET_PATHS,
        log_requests: bool = True,
        response_header: str | None = http.RESPONSE_HEADER,
    ) -> None:
        log = http.RequestLog(quiet, log_requests=log_requests, response_header=response_header)
        _semconv.prefer_stable()  # read once, when the first upstream middleware starts
        self.app = OpenTelemetryMiddleware(
            _RequestScope(app, log),
            tracer_provider=http.IncomingContextTracerProvider(),
            meter_provider=NoOpMeterProvider(),
        )
        self._adopted = False

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if not self._adopted:  # the server has applied its logging config by now
            self._adopted = True
            _coexist.readopt()
        token = None
        try:
            headers = _headers(environ)
            incoming, correlation_id = http.incoming_context(headers, environ.get("REMOTE_ADDR"))
            environ[_ENVIRON_KEY] = (incoming, correlation_id, headers)
            token = http.set_incoming(incoming)
        except Exception as exc:
            report_internal_error("WSGI middleware (request start)", exc)
        try:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        finally:
            if token is not None:
                http.reset_incoming(token)


class _RequestScope:
    """The application, inside the server span, with the request's IDs bound and logged."""

    def __init__(self, app: WSGIApp, log: http.RequestLog) -> None:
        self.app = app
        self._log = log

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        prepared = environ.pop(_ENVIRON_KEY, None)
        if prepared is None:  # the start failed: serve the request untouched
            return self.app(environ, start_response)
        incoming: Context = prepared[0]
        correlation_id: str = prepared[1]
        echo = self._log.response_header
        context = http.request_context(incoming)
        token = otel_context.attach(context)
        try:
            request = self._log.begin(
                str(environ.get("REQUEST_METHOD", "")),
                str(environ.get("PATH_INFO", "")),
                http.client_ip(prepared[2], environ.get("REMOTE_ADDR")),
                content_length(environ.get("CONTENT_LENGTH")),
            )

            def start_with_id(
                status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
            ) -> Callable[[bytes], object]:
                # Routed by now, and Flask forgets its request once the response is made.
                request.routed(_route(environ))
                try:
                    request.status = int(status.split(" ", 1)[0])
                except ValueError:
                    request.status = None
                if echo and http.header_value(echo) and http.header_value(correlation_id):
                    headers = [*headers, (echo, correlation_id)]
                return start_response(status, headers, exc_info)

            try:
                body = self.app(environ, start_with_id)
            except BaseException as exc:
                if request.status is None:
                    request.routed(_route(environ))
                request.completed(0, exc)
                raise
        finally:
            otel_context.detach(token)
        return _LoggedBody(body, request, context)


class _LoggedBody:
    """The response body, counted as the server sends it; logs completion on ``close``."""

    def __init__(self, body: Iterable[bytes], request: Request, context: Context) -> None:
        self._body = body
        self._request = request
        self._context = context
        self._size = 0
        self._error: BaseException | None = None

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._body:
                self._size += len(chunk)
                yield chunk
        except BaseException as exc:
            self._error = exc
            raise

    def close(self) -> None:
        token = otel_context.attach(self._context)
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._request.completed(self._size, self._error)
            otel_context.detach(token)
