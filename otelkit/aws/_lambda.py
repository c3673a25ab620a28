"""The Lambda handler decorator.

The event-source-aware handler (API Gateway, ALB, SQS, SNS, EventBridge) arrives with the
propagation work; until then ``lambda_handler`` gives each invocation a span, a cold-start
flag and a flush before returning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from opentelemetry.trace import SpanKind

from otelkit._setup import flush
from otelkit._spans import span

F = TypeVar("F", bound=Callable[..., Any])
_cold_start = True


def lambda_handler(func: F | None = None, *, correlation_id_path: str | None = None) -> Any:
    """Trace a Lambda handler: one server span per invocation, flushed before returning."""

    def decorate(handler: F) -> F:
        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            global _cold_start
            cold, _cold_start = _cold_start, False
            name = getattr(context, "function_name", None) or handler.__qualname__
            try:
                with span(name, kind=SpanKind.SERVER, **{"faas.coldstart": cold}):
                    return handler(event, context)
            finally:
                flush()

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate
