"""redis: a client span per redis call, carrying the bound IDs (OpenTelemetry's redis
instrumentation).

Needs the ``redis`` extra: ``pip install 'otelkit[redis]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.redis import RedisInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the redis integration needs opentelemetry-instrumentation-redis: "
        "pip install 'otelkit[redis]'"
    ) from exc


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument redis once per process; spans follow otelkit's provider switches."""
    instrumentor = RedisInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    RedisInstrumentor().uninstrument()
