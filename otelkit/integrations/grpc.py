"""gRPC: a client span per call on channels opened after ``configure()`` and a server span
per call on servers created after it, carrying the bound IDs (OpenTelemetry's gRPC
instrumentation). Calls carry the trace context (``traceparent``) in their metadata, not
the bound IDs: a server span carries IDs that arrive in ``baggage`` metadata.

Needs the ``grpc`` extra: ``pip install 'otelkit[grpc]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.grpc import (
        GrpcInstrumentorClient,
        GrpcInstrumentorServer,
    )
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the grpc integration needs opentelemetry-instrumentation-grpc: pip install 'otelkit[grpc]'"
    ) from exc


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument gRPC clients and servers once per process."""
    instrumentors = (GrpcInstrumentorClient(), GrpcInstrumentorServer())  # type: ignore[no-untyped-call]
    for instrumentor in instrumentors:
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=tracer_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    GrpcInstrumentorClient().uninstrument()  # type: ignore[no-untyped-call]
    GrpcInstrumentorServer().uninstrument()  # type: ignore[no-untyped-call]
