"""SQLAlchemy: a client span per statement (``db.query.text`` with its placeholders,
never the bound values), carrying the bound IDs (OpenTelemetry's SQLAlchemy
instrumentation).

Engines created after ``configure()`` are instrumented.

Needs the ``sqlalchemy`` extra: ``pip install 'otelkit[sqlalchemy]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the sqlalchemy integration needs opentelemetry-instrumentation-sqlalchemy: "
        "pip install 'otelkit[sqlalchemy]'"
    ) from exc


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument SQLAlchemy once per process; spans follow otelkit's provider switches."""
    instrumentor = SQLAlchemyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    SQLAlchemyInstrumentor().uninstrument()
