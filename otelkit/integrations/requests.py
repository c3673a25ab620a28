"""requests: a client span per requests call, carrying the bound IDs (OpenTelemetry's requests
instrumentation).

Needs the ``requests`` extra: ``pip install 'otelkit[requests]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the requests integration needs opentelemetry-instrumentation-requests: "
        "pip install 'otelkit[requests]'"
    ) from exc


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument requests once per process; spans follow otelkit's provider switches."""
    instrumentor = RequestsInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    RequestsInstrumentor().uninstrument()
