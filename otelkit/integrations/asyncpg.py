"""asyncpg: a client span per query, carrying the bound IDs and the stable database
conventions; parameters are never recorded (OpenTelemetry's asyncpg instrumentation).

Needs the ``asyncpg`` extra: ``pip install 'otelkit[asyncpg]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the asyncpg integration needs opentelemetry-instrumentation-asyncpg: "
        "pip install 'otelkit[asyncpg]'"
    ) from exc


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument asyncpg connections once per process; parameters stay out of spans."""
    instrumentor = AsyncPGInstrumentor(capture_parameters=False)  # type: ignore[no-untyped-call]
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
