"""Celery: a producer span per task sent and a consumer span per task run, carrying the
bound IDs (OpenTelemetry's Celery instrumentation). The bound IDs travel with the task in
its ``baggage`` header (the broker is the application's own), so the worker's spans and
log lines carry the sender's IDs.

Turn it on in both the sending process and the worker (``configure()`` where the Celery
app is defined does both).

Needs the ``celery`` extra: ``pip install 'otelkit[celery]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the celery integration needs opentelemetry-instrumentation-celery: "
        "pip install 'otelkit[celery]'"
    ) from exc

from celery import signals

from otelkit._correlation.propagation import outgoing_headers


def _send_ids(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Add the public bound IDs to a task's headers, next to its trace context."""
    if headers is None:
        return
    baggage = outgoing_headers().get("baggage")
    if baggage:
        headers["baggage"] = baggage


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument Celery once per process."""
    instrumentor = CeleryInstrumentor()  # type: ignore[no-untyped-call]
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        signals.before_task_publish.connect(_send_ids, weak=False)


def uninstrument() -> None:
    """Undo ``instrument``."""
    signals.before_task_publish.disconnect(_send_ids)
    CeleryInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
