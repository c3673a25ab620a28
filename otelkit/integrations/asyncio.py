"""asyncio: a span per run of the coroutines and ``asyncio.to_thread`` functions named in
``OTEL_PYTHON_ASYNCIO_COROUTINE_NAMES_TO_TRACE`` and
``OTEL_PYTHON_ASYNCIO_TO_THREAD_FUNCTION_NAMES_TO_TRACE`` (read when it is turned on),
carrying the bound IDs (OpenTelemetry's asyncio instrumentation).

Needs the ``asyncio`` extra: ``pip install 'otelkit[asyncio]'``. Tasks carry the context
without it; this adds the spans and the ``asyncio.process.*`` metrics.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.asyncio import AsyncioInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the asyncio integration needs opentelemetry-instrumentation-asyncio: "
        "pip install 'otelkit[asyncio]'"
    ) from exc


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument asyncio once per process; spans follow otelkit's provider switches."""
    instrumentor = AsyncioInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    AsyncioInstrumentor().uninstrument()
