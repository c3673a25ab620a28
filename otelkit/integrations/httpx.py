"""httpx: a client span per request (sync and async clients) carrying the bound IDs, and
trace headers only to allowed hosts.

Needs the ``httpx`` extra: ``pip install 'otelkit[httpx]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the httpx integration needs opentelemetry-instrumentation-httpx: "
        "pip install 'otelkit[httpx]'"
    ) from exc

from otelkit._correlation.propagation import PROPAGATION_HEADERS, allow_next_injection


def _host(request: Any) -> str:
    url = request.url
    host = getattr(url, "host", None)  # an httpx.URL
    if host is None:  # raw (scheme, host, port, path) tuple from the transport API
        host = url[1]
    return host.decode() if isinstance(host, bytes) else str(host)


def _request_hook(span: Any, request: Any) -> None:
    """Decide for this hop, right before the instrumentation injects headers.

    It runs for every hop, redirects included. httpx copies the previous hop's headers
    onto a redirect, so a hop that may not receive context has them stripped here.
    """
    if not allow_next_injection(_host(request)):
        headers = request.headers
        for name in PROPAGATION_HEADERS:
            if headers is not None and name in headers:
                del headers[name]


async def _async_request_hook(span: Any, request: Any) -> None:
    _request_hook(span, request)


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument every httpx client once per process."""
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            request_hook=_request_hook,
            async_request_hook=_async_request_hook,
        )


def uninstrument() -> None:
    """Undo ``instrument``."""
    HTTPXClientInstrumentor().uninstrument()
