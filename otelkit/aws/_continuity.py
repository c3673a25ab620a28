"""Where a caller's trace context reaches a function that no request or message carries.

* ``lambda.invoke``, synchronous: otelkit's producer side puts ``traceparent``,
  ``baggage`` and ``X-Amzn-Trace-Id`` in the Lambda *client context*'s ``custom`` map,
  which the runtime hands to the function as ``context.client_context.custom``. Lambda
  passes a client context to synchronous invocations only.
* ``lambda.invoke``, asynchronous (``InvocationType="Event"``): the client context is
  dropped, so the same headers travel in the payload's ``headers`` object (where the
  OpenTelemetry botocore instrumentation also writes them).
* A batch of one SQS/SNS (or stream) record, when ``lambda_single_record`` is
  ``continue``: the invocation continues the producer's trace instead of starting a new
  one linked to it, so a one-message hop is one trace end to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context

from otelkit._core import pipeline as _pipeline
from otelkit._correlation.propagation import extract
from otelkit.aws._messages import context_from_message
from otelkit.aws._sources import Source

_TRACE_HEADERS = ("traceparent", "x-amzn-trace-id")


def _carrier(values: object) -> dict[str, str]:
    if not isinstance(values, Mapping):
        return {}
    carrier = {str(k).lower(): v for k, v in values.items() if isinstance(v, str)}
    return carrier if any(name in carrier for name in _TRACE_HEADERS) else {}


def invoke_carrier(event: Any, lambda_context: Any) -> dict[str, str]:
    """The headers a ``lambda.invoke`` caller sent: client context first, then payload."""
    client_context = getattr(lambda_context, "client_context", None)
    found = _carrier(getattr(client_context, "custom", None))
    if not found and isinstance(event, Mapping):
        found = _carrier(event.get("headers"))
    return found


def caller_context(source: Source, event: Any, lambda_context: Any) -> Context:
    """The caller's context for an invocation that is neither a request nor carries
    trace headers of its own (an empty Context when there is none)."""
    if source.name == "direct":
        carrier = invoke_carrier(event, lambda_context)
        return extract(carrier) if carrier else Context()
    if _pipeline.current().lambda_single_record == "continue":
        producer = _single_producer(source)
        if producer is not None and trace.get_current_span(producer).get_span_context().is_valid:
            return producer
    return Context()


def _single_producer(source: Source) -> Context | None:
    if len(source.records) == 1 and not source.record_views:
        return context_from_message(source.records[0])
    if len(source.record_views) == 1 and not source.records and source.record_views[0].carrier:
        return extract(source.record_views[0].carrier)
    return None
