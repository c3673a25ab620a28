"""Which parent context a Lambda invocation continues: one table of carriers, one walk.

A caller's trace context can reach a function in several places. ``CARRIERS`` lists them
in the order they are believed, each with the rule that decides whether it is trusted, and
:func:`invocation_context` walks the list once per invocation:

* A ``context`` carrier gives the whole context (parent span, baggage, bound IDs). The
  first one that finds something wins; the rest are not read.
* A ``parent`` carrier gives only a parent span, and only when no carrier before it gave
  one: the IDs and baggage already found stay bound. This is the Lambda service's X-Ray
  segment under active tracing, so a caller's ``X-Correlation-ID`` stays on the lines.

Then the IDs are bound: the ambient ones, the context's, and a correlation ID found at the
configured event path (``lambda_handler(correlation_id_path=...)``), which wins.

Where ``lambda.invoke`` callers put their headers: otelkit's producer side writes
``traceparent``, ``baggage`` and ``X-Amzn-Trace-Id`` into the Lambda *client context*'s
``custom`` map, which Lambda passes to synchronous invocations only; asynchronous ones
(``InvocationType="Event"``) carry them in the payload's ``headers`` object, where the
OpenTelemetry botocore instrumentation also writes them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagators.aws import AwsXRayPropagator

from otelkit._core import pipeline as _pipeline
from otelkit._correlation.ids import context_with_ids, current_ids, validate_ids
from otelkit._correlation.propagation import extract, policy
from otelkit._requests.incoming import (
    CORRELATION_HEADERS,
    incoming_context,
    safe_correlation_id,
)
from otelkit.aws._paths import search
from otelkit.aws._sources import Source

#: The X-Ray trace header Lambda sets for each invocation (``Root=…;Parent=…;Sampled=…``).
XRAY_ENV = "_X_AMZN_TRACE_ID"
#: A carrier without one of these continues no trace, so it is not a carrier at all.
_TRACE_HEADERS = ("traceparent", "x-amzn-trace-id")


# The three records below are NamedTuples, not dataclasses: two are made for every
# invocation and all three are defined at a cold start, and a NamedTuple is cheaper to
# build and to define (a dataclass compiles its methods when its module loads).


class Arrival(NamedTuple):
    """What an invocation brings for the carriers to read."""

    source: Source
    event: Any
    lambda_context: Any


class Found(NamedTuple):
    """What a carrier gave: a context, and the correlation ID to echo in the response."""

    context: Context
    echo: str | None = None


class Carrier(NamedTuple):
    """One place a caller's trace context can arrive in.

    Attributes:
        name: what it is, for readers and reports.
        role: ``context`` (the whole context; first found wins) or ``parent`` (a parent
            span only, when none was found before it).
        trust: when its trace context, baggage and IDs are believed.
        read: the context it carries for this invocation, or None when it carries none.
    """

    name: str
    role: Literal["context", "parent"]
    trust: str
    read: Callable[[Arrival], Found | None]


def _http_request(arrival: Arrival) -> Found | None:
    source = arrival.source
    if not source.http_request:
        return None
    context, echo = incoming_context(source.headers, source.peer)
    return Found(context, echo)


def _event_request_headers(arrival: Arrival) -> Found | None:
    source = arrival.source
    if source.http_request or not source.headers:
        return None
    headers = source.headers
    trusted = policy().trust.trusts(source.peer, headers.get("x-forwarded-for"))
    context = extract(headers, trusted=trusted)
    given = next((v.strip() for n in CORRELATION_HEADERS if (v := headers.get(n, "")).strip()), "")
    correlation_id = safe_correlation_id(given)
    if correlation_id is not None:  # bound, not echoed: no response of ours to put it in
        context = context_with_ids({"correlation_id": correlation_id}, context)
    return Found(context)


def _trace_carrier(values: object) -> dict[str, str]:
    if not isinstance(values, Mapping):
        return {}
    carrier = {str(k).lower(): v for k, v in values.items() if isinstance(v, str)}
    return carrier if any(name in carrier for name in _TRACE_HEADERS) else {}


def _direct(read: Callable[[Arrival], object]) -> Callable[[Arrival], Found | None]:
    """A ``lambda.invoke`` carrier: read only for direct invocations."""

    def found(arrival: Arrival) -> Found | None:
        if arrival.source.name != "direct":
            return None
        carrier = _trace_carrier(read(arrival))
        return Found(extract(carrier)) if carrier else None

    return found


def _client_context(arrival: Arrival) -> object:
    return getattr(getattr(arrival.lambda_context, "client_context", None), "custom", None)


def _payload_headers(arrival: Arrival) -> object:
    return arrival.event.get("headers") if isinstance(arrival.event, Mapping) else None


def _single_record(read: Callable[[Source], Context | None]) -> Callable[[Arrival], Found | None]:
    """A one-record batch's producer, when ``lambda_single_record`` is ``continue``."""

    def found(arrival: Arrival) -> Found | None:
        if _pipeline.current().lambda_single_record != "continue":
            return None
        producer = read(arrival.source)
        if producer is None or not _has_parent(producer):
            return None
        return Found(producer)

    return found


def _message_attributes(source: Source) -> Context | None:
    if len(source.records) == 1 and not source.record_views:
        from otelkit.aws._messages import context_from_message  # loads with the first record

        return context_from_message(source.records[0])
    return None


def _record_headers(source: Source) -> Context | None:
    views = source.record_views
    if len(views) == 1 and not source.records and views[0].carrier:
        return extract(views[0].carrier)
    return None


def _xray_environment(arrival: Arrival) -> Found | None:
    # Only a sampled header: with tracing off Lambda still sets ``Sampled=0``, which as
    # a parent would make the sampler drop every span of the function.
    header = os.environ.get(XRAY_ENV, "")
    if "Sampled=1" not in header:
        return None
    return Found(AwsXRayPropagator().extract({"X-Amzn-Trace-Id": header}))


#: Where a caller's context is looked for, in priority order.
CARRIERS: tuple[Carrier, ...] = (
    Carrier(
        "HTTP request headers (API Gateway, function URL, ALB)",
        "context",
        "trace context and baggage from a trusted peer only (trust policy on the source IP "
        "and X-Forwarded-For); X-Correlation-ID bound and echoed, reissued for an "
        "untrusted caller when reissue_untrusted_ids is on",
        _http_request,
    ),
    Carrier(
        "event request headers (authorizer, WebSocket, CloudFront)",
        "context",
        "trace context and baggage from a trusted peer only; a safe X-Correlation-ID is "
        "bound, never echoed",
        _event_request_headers,
    ),
    Carrier(
        "lambda.invoke client context (custom map; synchronous calls)",
        "context",
        "trusted: only a caller allowed to invoke the function can set it",
        _direct(_client_context),
    ),
    Carrier(
        "lambda.invoke payload headers (asynchronous calls)",
        "context",
        "trusted: only a caller allowed to invoke the function can set it",
        _direct(_payload_headers),
    ),
    Carrier(
        "SQS/SNS message attributes of a one-record batch",
        "context",
        "trusted when lambda_single_record is continue: only a producer allowed to send "
        "to the queue or topic can set them",
        _single_record(_message_attributes),
    ),
    Carrier(
        "stream record headers of a one-record batch (Kafka headers, MQ properties)",
        "context",
        "trusted when lambda_single_record is continue: only a producer allowed to write "
        "to the stream can set them",
        _single_record(_record_headers),
    ),
    Carrier(
        f"Lambda's X-Ray segment ({XRAY_ENV}, Sampled=1 only)",
        "parent",
        "trusted: Lambda sets it; used only when no carrier above gave a parent span",
        _xray_environment,
    ),
)


def _has_parent(context: Context) -> bool:
    return trace.get_current_span(context).get_span_context().is_valid


def invocation_context(
    arrival: Arrival, path: tuple[str | int, ...] | None
) -> tuple[Context, str | None]:
    """The parent and bound IDs of the invocation span; the correlation ID to echo."""
    context, echo, settled = Context(), None, False
    for carrier in CARRIERS:
        if settled if carrier.role == "context" else _has_parent(context):
            continue
        found = carrier.read(arrival)
        if found is None:
            continue
        if carrier.role == "context":
            context, echo, settled = found.context, found.echo, True
        else:
            context = trace.set_span_in_context(trace.get_current_span(found.context), context)
    outside = current_ids()  # IDs bound around the handler are the invocation's too
    given = search(path, arrival.event) if path is not None else None
    if not outside and not given:
        return context, echo  # the context holds every ID already
    fields = {**outside, **current_ids(context)}
    if given:
        try:
            fields.update(validate_ids({"correlation_id": given}))
            echo = given if echo is not None else None
        except ValueError:
            pass  # an unusable value (too long, unprintable) is not bound
    return context_with_ids(fields, context), echo
