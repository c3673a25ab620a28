"""logging: every standard ``LogRecord`` carries ``otelTraceID``, ``otelSpanID``,
``otelTraceSampled`` and ``otelServiceName`` (OpenTelemetry's logging instrumentation),
for handlers and format strings other than otelkit's, e.g.
``"%(otelTraceID)s %(message)s"``. otelkit's own lines already carry ``trace_id``,
``span_id`` and the bound IDs, and do not repeat these.

The upstream instrumentation's own log handler is not installed: otelkit already sends
every record once.

Needs the ``logging`` extra: ``pip install 'otelkit[logging]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.logging import LoggingInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the logging integration needs opentelemetry-instrumentation-logging: "
        "pip install 'otelkit[logging]'"
    ) from exc


class _CurrentResource:
    """Where the upstream instrumentation reads ``otelServiceName`` (once, at the first
    record): the resource of the provider spans go to then, not otelkit's switch, which
    has none."""

    def __init__(self, switchable: Any) -> None:
        self._switchable = switchable

    @property
    def resource(self) -> Any:
        return getattr(getattr(self._switchable, "target", None), "resource", None)


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Add the trace context to every record, once per process."""
    instrumentor = LoggingInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(
            tracer_provider=_CurrentResource(tracer_provider),
            inject_trace_context=True,
            enable_log_auto_instrumentation=False,
        )


def uninstrument() -> None:
    """Undo ``instrument``."""
    LoggingInstrumentor().uninstrument()
