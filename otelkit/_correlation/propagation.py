"""What crosses a process boundary: trace context and the bound IDs, to allowed places only.

One propagator does both directions. Outgoing, it writes W3C ``traceparent``, the AWS
``X-Amzn-Trace-Id`` header and a W3C ``baggage`` entry per public bound ID; incoming, it
reads them back and binds the IDs it recognises. The rules (docs/security.md):

* Only well-known ID keys travel as baggage, and ``private_ids`` (default ``user_id``)
  never do: no other baggage entry is forwarded, whoever put it in the context.
* For HTTP, the httpx, urllib3 and aiohttp integrations name the destination host before
  each request hop (redirects included); only hosts matching ``propagate_to`` (default:
  loopback, private addresses and internal DNS names) get any of these headers, and the
  headers a previous hop received are stripped from a hop that may not have them.
* A bare ``propagate.inject()`` (requests, gRPC, hand-written clients)
  does not say where the carrier goes: it gets the trace context, never baggage.
* Incoming, ``user_id`` is never read from baggage, at most ``MAX_INCOMING_IDS`` IDs and
  ``MAX_BAGGAGE_CHARS`` of header are read, and other entries are dropped. An untrusted
  caller's context is not read at all (``extract(..., trusted=False)``).

Messaging (SQS, SNS, EventBridge) goes to the user's own queues and topics, so injection
there is not host-filtered; private IDs are still withheld.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
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

from otelkit._core import pipeline as _pipeline
from otelkit._correlation.ids import context_with_ids, current_ids
from otelkit._values.propagation_policy import Policy

#: A longer incoming ``baggage`` header is ignored whole (W3C allows 8,192 bytes; the
#: well-known IDs at their longest fit in a quarter of that).
MAX_BAGGAGE_CHARS = 4096
#: The headers that carry context out; stripped from a request hop that may not get them.
PROPAGATION_HEADERS = ("traceparent", "tracestate", "baggage", "x-amzn-trace-id")


# Set by the HTTP integration just before it injects: whether that request's host is allowed.
_destination_allowed: ContextVar[bool | None] = ContextVar(
    "otelkit_destination_allowed", default=None
)


def policy() -> Policy:
    """The propagation policy of the active pipeline."""
    return _pipeline.current().propagation


def allow_next_injection(host: str) -> bool:
    """Decide, for the request about to be sent to ``host``, whether headers go with it."""
    allowed = policy().is_internal(host)
    _destination_allowed.set(allowed)
    return allowed


@contextmanager
def deciding_for(host: str) -> Iterator[None]:
    """``allow_next_injection(host)`` for the calls made inside; the decision is undone
    after them, used or not, so a later bare inject never inherits it."""
    token = _destination_allowed.set(policy().is_internal(host))
    try:
        yield
    finally:
        _destination_allowed.reset(token)


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


def _may_carry_xray(carrier: Any, getter: Getter[Any]) -> bool:
    """False only when ``carrier`` is known to have no X-Ray header: a lower-cased carrier
    (every message reader's) without the key. Any other carrier is asked the usual way."""
    return getter is not LOWERCASE_GETTER or _XRAY_HEADER in carrier


def _chars(values: list[str]) -> int:
    return len(values[0]) if len(values) == 1 else sum(len(value) for value in values)


def _trace_names(names: Sequence[str]) -> list[str]:
    """The trace-context formats among ``OTEL_PROPAGATORS`` (``baggage`` is the IDs')."""
    return [name for name in names if name not in ("baggage", "none")]


# The common ``traceparent``: version 00, exactly, in lower-case hex (W3C Trace Context).
_CANONICAL = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


class W3CTraceContext(TraceContextTextMapPropagator):
    """The SDK's W3C propagator, with the common incoming header read directly: a
    version-00 ``traceparent`` exactly as the specification writes it, no ``tracestate``,
    in a carrier of lower-cased keys (``LOWERCASE_GETTER``). Each message and request
    reads one, and the SDK's generic path (two getter calls, a module-level regex
    search, the groups one by one) cost almost twice as much. Anything else is the
    SDK's."""

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        if getter is LOWERCASE_GETTER and context is not None:
            header = carrier.get("traceparent")  # type: ignore[attr-defined]
            found = _CANONICAL.fullmatch(header) if type(header) is str else None
            if found is not None and "tracestate" not in carrier:  # type: ignore[operator]
                trace_id, span_id = int(found[1], 16), int(found[2], 16)
                if not (trace_id and span_id):
                    return context  # an all-zero ID: no parent, as the SDK reads it
                flags = trace.TraceFlags(int(found[3], 16))
                parent = trace.SpanContext(trace_id, span_id, True, flags, None)
                return trace.set_span_in_context(trace.NonRecordingSpan(parent), context)
        return super().extract(carrier, context, getter)


def _named(name: str, xray: AwsXRayPropagator) -> TextMapPropagator:
    """A propagator by its ``OTEL_PROPAGATORS`` name: otelkit's own or an installed one."""
    if name == "xray":
        return xray
    if name == "tracecontext":
        return W3CTraceContext()
    from importlib.metadata import entry_points

    for found in entry_points(group="opentelemetry_propagator", name=name):
        return found.load()()  # type: ignore[no-any-return]
    raise ValueError(
        f"OTEL_PROPAGATORS: no propagator named {name!r} is installed "
        "(otelkit has tracecontext, xray, baggage, none)"
    )


class OtelkitPropagator(TextMapPropagator):
    """Trace context (W3C and X-Ray) plus the bound IDs as baggage, both directions."""

    def __init__(self, names: Sequence[str] | None = None) -> None:
        """``names``: ``OTEL_PROPAGATORS`` (None: ``xray,tracecontext,baggage``)."""
        self._xray = AwsXRayPropagator()
        # X-Ray first, W3C after: when a request carries both, the W3C parent wins.
        default = (self._xray, W3CTraceContext())
        self._trace: tuple[TextMapPropagator, ...] = default
        self._ids_as_baggage = True
        if names is not None:
            self._trace = tuple(_named(name, self._xray) for name in _trace_names(names))
            self._ids_as_baggage = "baggage" in names
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
        context = Context() if context is None else context
        for propagator in self._trace:
            if propagator is self._xray and not _may_carry_xray(carrier, getter):
                continue  # most messages and requests carry no X-Ray header: skip its parse
            context = propagator.extract(carrier, context, getter)
        if not trace.get_current_span(context).get_span_context().is_valid:
            root = _xray_root(carrier, getter)
            if root is not None:
                context = set_value(_ROOT_KEY, root, context)
        header = getter.get(carrier, "baggage") if self._ids_as_baggage else None
        if not header or _chars(header) > MAX_BAGGAGE_CHARS:
            return context
        # Only the ID entries are read: other entries are never kept, so never parsed.
        from otelkit._correlation.incoming_baggage import incoming_ids  # first baggage

        incoming = incoming_ids(header[0], policy().private_ids)
        return context_with_ids(incoming, context) if incoming else context

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        allowed = _destination_allowed.get()
        if allowed is None:  # a bare inject(): the destination is unknown
            for propagator in self._trace:
                propagator.inject(carrier, context, setter)
            return
        _destination_allowed.set(None)  # the decision was for this one request
        if allowed:
            self.inject_unfiltered(carrier, context, setter)

    def inject_unfiltered(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        """Inject without the per-host decision: for the user's own queues and topics.

        The baggage holds the public bound IDs and nothing else: entries others put in the
        context (an upstream caller's, a library's) and private IDs never leave.
        """
        for propagator in self._trace:
            propagator.inject(carrier, context, setter)
        if not self._ids_as_baggage:
            return
        outgoing = Context()
        for key, value in policy().public_ids(current_ids(context)).items():
            outgoing = baggage.set_baggage(key, value, outgoing)
        self._baggage.inject(carrier, outgoing, setter)


PROPAGATOR = OtelkitPropagator()  # stateless: one instance serves every message and request


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


def extract(
    carrier: Mapping[str, Any],
    context: Context | None = None,
    *,
    trusted: bool = True,
    lowercased: bool = False,
) -> Context:
    """Context (parent span and bound IDs) from a header-like mapping, keys case-insensitive.

    Without ``context`` the result starts from an empty Context (a new trace unless the
    carrier continues one); pass the current context to keep its IDs and span. From an
    untrusted caller (``trusted=False``) neither the parent span, its sampling decision
    nor any ID is taken: the work starts a trace of its own, sampled by this service's
    rules. Only an X-Ray ``Root`` without a parent (what an ALB stamps) still names the
    new trace, which decides nothing but the ID. ``lowercased``: the carrier's keys are
    lower case already (request headers as the middleware and Lambda sources read them).
    """
    lowered = carrier if lowercased else {str(k).lower(): v for k, v in carrier.items()}
    if trusted:
        return extract_lowercased(lowered, context)
    context = Context() if context is None else context
    root = _xray_root(lowered, LOWERCASE_GETTER)
    return set_value(_ROOT_KEY, root, context) if root is not None else context


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
