"""Spans that no processor will see: kept in this process only, at a fraction of the cost.

A pipeline with nothing to send spans to (a Lambda function writing EMF and log lines,
no OTLP endpoint) still needs spans: log lines carry their trace and span IDs, the
sampling decision and the ``stage``, and failure lines read the request span's
attributes. The SDK's span does far more for each one (attribute validation and limits,
events, links, the processor calls, its own metrics) — most of a warm invocation's
in-handler cost on that path. ``LocalTracer`` keeps the SDK's decisions (the same
sampler, the same ID generator, the parent from the context) and makes a ``LocalSpan``:
the context, the name, a plain attribute dict, the status.

The moment a span processor is added to the provider (a test's in-memory exporter), the
next span is the SDK's again: nothing a processor could see is ever a local span.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor, Tracer, TracerProvider, _Span
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.util.types import Attributes

from otelkit._sdk.held_calls import HeldCalls

#: Spans held before one of them drains them all (the outbox's bounds then decide).
LIMIT = 512

# The W3C ``random-trace-id`` flag, where this API line has it, as the SDK sets it.
_RANDOM = getattr(TraceFlags, "RANDOM_TRACE_ID", 0)
_UNSET = Status(StatusCode.UNSET)


class LocalSpan(trace.Span):
    """A recording span that lives only in this process (never exported)."""

    __slots__ = (
        "_context", "attributes", "end_time", "kind", "name", "parent", "start_time", "status"
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: dict[str, Any],
        start_time: int | None,
    ) -> None:
        self.name = name
        self._context = context
        self.parent = parent
        self.kind = kind
        self.attributes = attributes
        self.status = _UNSET
        self.start_time = start_time or time.time_ns()
        self.end_time: int | None = None

    def get_span_context(self) -> SpanContext:
        return self._context

    @property
    def context(self) -> SpanContext:
        """As the SDK's span has it (``span.context.trace_id``)."""
        return self._context

    def is_recording(self) -> bool:
        return self.end_time is None

    def set_attribute(self, key: str, value: Any) -> None:
        if self.end_time is None:
            self.attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        if self.end_time is None:
            self.attributes.update(attributes)

    def add_event(
        self, name: str, attributes: Attributes = None, timestamp: int | None = None
    ) -> None:
        """Events are for exporters; a local span has none to give them to."""

    def add_link(self, context: SpanContext, attributes: Attributes = None) -> None:
        """Links are for exporters too."""

    def update_name(self, name: str) -> None:
        if self.end_time is None:
            self.name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        """As the SDK's: OK is final, UNSET changes nothing."""
        if self.end_time is not None or self.status.status_code is StatusCode.OK:
            return
        if isinstance(status, Status):
            if status.status_code is not StatusCode.UNSET:
                self.status = status
        elif status is not StatusCode.UNSET:
            self.status = Status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        """The exception event is for exporters; lines record failures themselves."""

    def end(self, end_time: int | None = None) -> None:
        if self.end_time is None:
            self.end_time = end_time or time.time_ns()


class HeldSpan(LocalSpan):
    """A local span that becomes the SDK's at the flush (``held``): built then, with its
    events and links replayed in order, and handed to the provider's processors as if it
    had just ended."""

    __slots__ = ("_held", "_later", "_links", "_tracer")

    def __init__(
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: dict[str, Any],
        start_time: int | None,
        links: Sequence[trace.Link] | None,
        tracer: Tracer,
        held: HeldCalls,
    ) -> None:
        super().__init__(name, context, parent, kind, attributes, start_time)
        self._links = links
        self._tracer = tracer
        self._held = held
        self._later: list[tuple[str, tuple[Any, ...]]] = []

    def add_event(
        self, name: str, attributes: Attributes = None, timestamp: int | None = None
    ) -> None:
        if self.end_time is None:
            self._later.append(("add_event", (name, attributes, timestamp or time.time_ns())))

    def add_link(self, context: SpanContext, attributes: Attributes = None) -> None:
        if self.end_time is None:
            self._later.append(("add_link", (context, attributes)))

    def record_exception(
        self,
        exception: BaseException,
        attributes: Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        if self.end_time is None:
            later = (exception, attributes, timestamp or time.time_ns(), escaped)
            self._later.append(("record_exception", later))

    def end(self, end_time: int | None = None) -> None:
        if self.end_time is None:
            self.end_time = end_time or time.time_ns()
            self._held.keep(self._made)

    def _made(self) -> None:
        tracer = self._tracer
        made = _Span(
            name=self.name,
            context=self._context,
            parent=self.parent,
            sampler=tracer.sampler,
            resource=tracer.resource,
            attributes=self.attributes,
            span_processor=tracer.span_processor,
            kind=self.kind,
            links=self._links or (),
            instrumentation_info=tracer.instrumentation_info,
            limits=tracer._span_limits,
            instrumentation_scope=tracer._instrumentation_scope,
        )
        made.start(start_time=self.start_time)
        for method, arguments in self._later:
            getattr(made, method)(*arguments)
        made.set_status(self.status)
        made.end(self.end_time)


class HeldSpans(HeldCalls):
    """Spans held until the flush (on Lambda, after the response)."""

    def __init__(self) -> None:
        super().__init__(LIMIT, "spans", "span")


class LocalTracer(trace.Tracer):
    """Starts ``LocalSpan``s (``HeldSpan``s with ``held``) while its provider has the span
    processors it was built with; SDK spans once it has others."""

    def __init__(self, sdk: Tracer, provider: LocalSpansTracerProvider) -> None:
        self._sdk = sdk
        self._processors = provider._active_span_processor
        self._built_with = provider.built_with
        self._held = provider.held
        self._sampler = provider.sampler
        self._ids = provider.id_generator
        self._random_ids = _RANDOM if self._ids.is_trace_id_random() else 0

    def start_span(
        self,
        name: str,
        context: otel_context.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        if self._processors._span_processors is not self._built_with or not self._sdk._is_enabled():
            return self._sdk.start_span(
                name, context, kind, attributes, links, start_time, record_exception,
                set_status_on_exception,
            )  # fmt: skip
        parent: SpanContext | None = trace.get_current_span(context).get_span_context()
        if parent is None or not parent.is_valid:
            parent = None
            trace_id = self._ids.generate_trace_id()
            flags = self._random_ids
        else:
            trace_id = parent.trace_id
            flags = parent.trace_flags & _RANDOM
        decision = self._sampler.should_sample(context, trace_id, name, kind, attributes, links)
        if decision.decision is Decision.RECORD_AND_SAMPLE:
            flags |= TraceFlags.SAMPLED
        span_context = SpanContext(
            trace_id,
            self._ids.generate_span_id(),
            is_remote=False,
            trace_flags=TraceFlags(flags),
            trace_state=decision.trace_state,
        )
        if decision.decision is Decision.DROP:
            return trace.NonRecordingSpan(span_context)
        given = dict(decision.attributes) if decision.attributes else {}
        if self._held is None:
            return LocalSpan(name, span_context, parent, kind, given, start_time)
        return HeldSpan(
            name, span_context, parent, kind, given, start_time, links, self._sdk, self._held
        )

    @contextmanager
    def start_as_current_span(  # type: ignore[override] # the API's own context-manager type
        self,
        name: str,
        context: otel_context.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[trace.Span]:
        started = self.start_span(
            name, context, kind, attributes, links, start_time, record_exception,
            set_status_on_exception,
        )  # fmt: skip
        with trace.use_span(
            started,
            end_on_exit=end_on_exit,
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
        ) as current:
            yield current


class LocalSpansTracerProvider(TracerProvider):
    """The SDK's provider, whose tracers make local spans while it has no processor, or
    held spans while it has the ones ``hold`` gives it."""

    built_with: tuple[SpanProcessor, ...] = ()
    held: HeldSpans | None = None

    def hold(self, processors: Sequence[SpanProcessor]) -> HeldSpans:
        """Add ``processors`` (which act only when a span ends) and hold spans for them."""
        for processor in processors:
            self.add_span_processor(processor)
        self.built_with = self._active_span_processor._span_processors
        self.held = HeldSpans()
        return self.held

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        tracer = super().get_tracer(*args, **kwargs)
        return LocalTracer(tracer, self) if isinstance(tracer, Tracer) else tracer
