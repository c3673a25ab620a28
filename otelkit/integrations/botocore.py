"""boto3/botocore: a client span per AWS API call, carrying the bound IDs, and trace
context plus public IDs written into SQS, SNS and EventBridge messages.

Needs the ``botocore`` extra: ``pip install 'otelkit[botocore]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the botocore integration needs opentelemetry-instrumentation-botocore: "
        "pip install 'otelkit[botocore]'"
    ) from exc

from otelkit.aws._inject import request_hook


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument botocore once per process; spans follow otelkit's provider switches."""
    instrumentor = BotocoreInstrumentor()  # type: ignore[no-untyped-call]
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            request_hook=request_hook,
        )


def uninstrument() -> None:
    """Undo ``instrument``."""
    BotocoreInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
