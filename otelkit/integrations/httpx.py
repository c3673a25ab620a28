"""httpx: a client span per request, sync and async clients, carrying the bound IDs.

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

TARGET_MODULE = "httpx"


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument every httpx client once per process."""
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    HTTPXClientInstrumentor().uninstrument()
