"""The stage a line is written in: ``stage=`` of the enclosing ``span``/``@traced``.

``@otelkit.traced("render scene", stage="render")`` puts ``stage`` on its span; the
span's context also carries it under a private key, so every log line written inside
(in nested spans too, until another stage opens) has a ``stage`` field, and Logs Insights'
``fields job_id, stage, status`` shows where each line of a job came from. Only spans
given a stage pay for the extra context entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

#: Where the stage lives in a context (a hot path reads ``context.get(STAGE_KEY)``).
STAGE_KEY = otel_context.create_key("otelkit.stage")


def span_context(span: trace.Span, attributes: Mapping[str, Any] | None) -> otel_context.Context:
    """The context making ``span`` current, with its ``stage`` attribute, if any."""
    context = trace.set_span_in_context(span)
    stage = attributes.get("stage") if attributes else None
    if stage is None:
        return context
    return otel_context.set_value(STAGE_KEY, str(stage), context)


def current_stage(context: otel_context.Context | None = None) -> str | None:
    """The stage of the innermost span with one, in ``context`` (default: the current)."""
    value = otel_context.get_value(STAGE_KEY, context)
    return value if isinstance(value, str) else None
