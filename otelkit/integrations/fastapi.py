"""FastAPI: a server span per request named by its route (``GET /items/{item_id}``),
carrying the IDs that arrive in ``baggage`` (OpenTelemetry's FastAPI instrumentation).

Applications created after ``configure()`` are instrumented. For otelkit's correlation
IDs and request log lines as well, add ``OtelkitASGIMiddleware`` instead (the FastAPI
instrumentation then stands down: one server span per request).

Needs the ``fastapi`` extra: ``pip install 'otelkit[fastapi]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the fastapi integration needs opentelemetry-instrumentation-fastapi: "
        "pip install 'otelkit[fastapi]'"
    ) from exc


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument FastAPI once per process; spans follow otelkit's provider switches."""
    instrumentor = FastAPIInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    FastAPIInstrumentor().uninstrument()
