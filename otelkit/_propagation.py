"""What crosses a process boundary: trace context and the bound IDs, to allowed places only.

One propagator does both directions. Outgoing, it writes W3C ``traceparent``, the AWS
``X-Amzn-Trace-Id`` header and a W3C ``baggage`` entry per public bound ID; incoming, it
reads them back and binds the IDs it recognises. Two rules keep IDs in:

* ``private_ids`` (default ``user_id``) are never written anywhere.
* For HTTP, the httpx integration names the destination host before each request; only
  hosts matching ``propagate_to`` (default: loopback, private addresses and internal DNS
  names) get any of these headers. Third-party APIs get nothing.

Messaging (SQS, SNS, EventBridge) goes to the user's own queues and topics, so injection
there is not host-filtered; private IDs are still withheld.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from opentelemetry import baggage, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context, create_key, get_value, set_value
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
    default_getter,
    default_setter,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from otelkit import _pipeline
from otelkit._ids import context_with_ids, current_ids
from otelkit._keys import ID_KEY_PATTERN, MAX_ID_VALUE_LENGTH, WELL_KNOWN_ID_KEYS
from otelkit._propagation_policy import Policy

#: At most this many IDs are accepted from one incoming carrier (baggage can be forged).
MAX_INCOMING_IDS = 16


# Set by the HTTP integration just before it injects: whether that request's host is allowed.
_destination_allowed: ContextVar[bool | None] = ContextVar(
    "otelkit_destination_allowed", default=None
)


def policy() -> Policy:
    """The propagation policy of the active pipeline."""
    return _pipeline.current().propagation


def allow_next_injection(host: str) -> None:
    """Decide, for the request about to be sent to ``host``, whether headers go with it."""
    _destination_allowed.set(policy().is_internal(host))


# An X-Ray trace ID that arrived without a parent span (an ALB's ``X-Amzn-Trace-Id:
# Root=…``), kept in the context until the span it should be the trace ID of is started.
_ROOT_KEY = create_key("otelkit.xray_root")
# Set while ``start_span_from`` starts that span; read by the tracer's ID generator.
_next_trace_id: ContextVar[int | None] = ContextVar("otelkit_next_trace_id", default=None)
_XRAY_HEADER = "x-amzn-trace-id"


def _xray_root(carrier: CarrierT, getter: Getter[CarrierT]) -> int | None:
    """The ``Root=1-xxxxxxxx-yyyy…`` trace ID of an X-Ray header, as an integer."""
    values = getter.get(carrier, _XRAY_HEADER) or getter.get(carrier, "X-Amzn-Trace-Id")
    for part in (values[0] if values else "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == "Root":
            pieces = value.split("-")
            if len(pieces) == 3 and pieces[0] == "1":
                try:
                    trace_id = int(pieces[1] + pieces[2], 16)
                except ValueError:
                    return None
                return trace_id if 0 < trace_id < 1 << 128 else None
    return None


def start_span_from(tracer: trace.Tracer, name: str, context: Context, **kwargs: Any) -> trace.Span:
    """Start the first span of incoming work from its extracted ``context``.

    An ALB (and API Gateway) stamps requests with an X-Ray ``Root`` trace ID but no parent
    span. That ID is in the ALB's access logs, so the request's trace takes it as its
    own: the span starts a new trace whose ID is the ALB's, and both join on it.
    """
    root = get_value(_ROOT_KEY, context)
    if not isinstance(root, int):
        return tracer.start_span(name, context, **kwargs)
    token = _next_trace_id.set(root)
    try:
        return tracer.start_span(name, context, **kwargs)
    finally:
        _next_trace_id.reset(token)


def adopted_trace_id() -> int | None:
    """The trace ID ``start_span_from`` asks the ID generator for, if any."""
    return _next_trace_id.get()


class OtelkitPropagator(TextMapPropagator):
    """Trace context (W3C and X-Ray) plus the bound IDs as baggage, both directions."""

    def __init__(self) -> None:
        # X-Ray first, W3C after: when a request carries both, the W3C parent wins.
        self._trace = (AwsXRayPropagator(), TraceContextTextMapPropagator())
        self._baggage = W3CBaggagePropagator()

    @property
    def fields(self) -> set[str]:
        names = set(self._baggage.fields)
        for propagator in self._trace:
            names |= propagator.fields
        return names

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        for propagator in self._trace:
            context = propagator.extract(carrier, context, getter)
        if not trace.get_current_span(context).get_span_context().is_valid:
            root = _xray_root(carrier, getter)
            if root is not None:
                context = set_value(_ROOT_KEY, root, context)
        context = self._baggage.extract(carrier, context, getter)
        incoming = ids_from_baggage(baggage.get_all(context))
        return context_with_ids(incoming, context) if incoming else context

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        allowed = _destination_allowed.get()
        if allowed is not None:
            _destination_allowed.set(None)  # the decision was for this one request
            if not allowed:
                return
        self.inject_unfiltered(carrier, context, setter)

    def inject_unfiltered(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        """Inject without the per-host decision: for the user's own queues and topics.

        Private IDs are still withheld, including baggage entries of that name that
        arrived from elsewhere: a private key never leaves, whoever put it in context.
        """
        for propagator in self._trace:
            propagator.inject(carrier, context, setter)
        rules = policy()
        for key in baggage.get_all(context):
            if key in rules.private_ids:
                context = baggage.remove_baggage(key, context)
        outgoing = rules.public_ids(current_ids(context))
        for key, value in outgoing.items():
            context = baggage.set_baggage(key, value, context)
        self._baggage.inject(carrier, context, setter)


PROPAGATOR = OtelkitPropagator()  # stateless: one instance serves every message and request


def ids_from_baggage(entries: Mapping[str, object]) -> dict[str, str]:
    """The well-formed ID entries of incoming baggage (at most ``MAX_INCOMING_IDS``).

    Only well-known ID keys are taken: baggage is open to anything upstream, and an
    arbitrary key must not become a field on every span and log line here.
    """
    ids: dict[str, str] = {}
    for key, value in entries.items():
        if (
            key in WELL_KNOWN_ID_KEYS
            and isinstance(value, str)
            and ID_KEY_PATTERN.match(key)
            and 0 < len(value) <= MAX_ID_VALUE_LENGTH
            and value.isprintable()
        ):
            ids[key] = value
            if len(ids) == MAX_INCOMING_IDS:
                break
    return ids


class LowercaseGetter(Getter[Mapping[str, Any]]):
    """Reads a carrier whose keys were lower-cased, whatever case a propagator asks in.

    HTTP header names and message attribute names arrive in any case, so carriers are
    normalised to lower case; the X-Ray propagator, though, asks for ``X-Amzn-Trace-Id``.
    """

    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        value = carrier.get(key.lower())
        if value is None:
            return None
        return [value] if isinstance(value, str) else list(value)

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        return list(carrier)


LOWERCASE_GETTER = LowercaseGetter()


def extract(carrier: Mapping[str, Any], context: Context | None = None) -> Context:
    """Context (parent span and bound IDs) from a header-like mapping, keys case-insensitive.

    Without ``context`` the result starts from an empty Context (a new trace unless the
    carrier continues one); pass the current context to keep its IDs and span.
    """
    return extract_lowercased({str(k).lower(): v for k, v in carrier.items()}, context)


def extract_lowercased(carrier: Mapping[str, Any], context: Context | None = None) -> Context:
    """``extract`` for a carrier whose keys are already lower case (message readers)."""
    return PROPAGATOR.extract(carrier, context, LOWERCASE_GETTER)


def outgoing_headers(context: Context | None = None) -> dict[str, str]:
    """The headers a message to the user's own infrastructure carries (no host filter).

    Keys are as the propagators spell them: ``traceparent``, ``tracestate`` (only when
    set), ``X-Amzn-Trace-Id`` and ``baggage`` (only when there are public IDs).
    """
    headers: dict[str, str] = {}
    PROPAGATOR.inject_unfiltered(headers, context)
    return headers
