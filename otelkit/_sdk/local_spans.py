"""Spans that no processor will see: kept in this process only, at a fraction of the cost.

A pipeline with nothing to send spans to (a Lambda function writing EMF and log lines,
no OTLP endpoint) still needs spans: log lines carry their trace and span IDs, the
sampling decision and the ``stage``, and failure lines read the request span's
attributes. The SDK's span does far more for each one (attribute validation and limits,
events, links, the processor calls, its own metrics) — most of a warm invocation's
in-handler cost on that path. ``LocalTracer`` makes the decisions the SDK's provider
would (the same sampler, the same ID generator, the parent from the context) and a
``LocalSpan``: the context, the name, a plain attribute dict, the status. Neither needs
the SDK: a function whose spans go nowhere never loads its trace package.

The moment a span processor is added to the provider (a test's in-memory exporter), the
SDK's provider is built and the next span is the SDK's: nothing a processor could see
is ever a local span.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.util.types import Attributes

from otelkit._sdk.held_calls import HeldCalls
from otelkit._sdk.sampling import HeadSampler

if TYPE_CHECKING:  # the SDK's trace package loads only when a span must be the SDK's
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, Tracer, TracerProvider
    from opentelemetry.sdk.trace.id_generator import IdGenerator

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
        from opentelemetry.sdk.trace import _Span  # loaded already: a processor needs it

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
    """Starts ``LocalSpan``s (``HeldSpan``s when its provider holds spans) with the
    provider's sampler and ID generator; the SDK's spans once the provider's SDK side has
    processors other than those it was built with."""

    def __init__(self, provider: LocalSpansTracerProvider, scope: tuple[Any, ...]) -> None:
        self._provider = provider
        self._scope = scope  # ``get_tracer``'s arguments, for the SDK's tracer
        self._sdk_tracer: Tracer | None = None
        self._decide = provider.sampler.decide
        self._ids = provider.id_generator
        self._random_ids = _RANDOM if self._ids.is_trace_id_random() else 0

    def _sdk(self) -> Tracer:
        if self._sdk_tracer is None:
            made = self._provider.sdk().get_tracer(*self._scope)
            self._sdk_tracer = cast("Tracer", made)
        return self._sdk_tracer

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
        if not self._provider.local():
            return self._sdk().start_span(
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
        sampled, given, state = self._decide(context, trace_id, attributes)
        if sampled:
            flags |= TraceFlags.SAMPLED
        span_context = SpanContext(
            trace_id,
            self._ids.generate_span_id(),
            is_remote=False,
            trace_flags=TraceFlags(flags),
            trace_state=state,
        )
        if not sampled:
            return trace.NonRecordingSpan(span_context)
        attributes = dict(given) if given else {}
        held = self._provider.held
        if held is None:
            return LocalSpan(name, span_context, parent, kind, attributes, start_time)
        return HeldSpan(
            name, span_context, parent, kind, attributes, start_time, links, self._sdk(), held
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


class LocalSpansTracerProvider(trace.TracerProvider):
    """Spans kept in this process: local spans while nothing would see them, held spans
    while only the processors ``hold`` gave would. The SDK's provider — with the same
    sampler, ID generator and resource — is built only when something needs the SDK's
    spans (``hold``, a processor added later), so a function whose spans go nowhere never
    loads the SDK's trace package, and its resource is detected only if asked for.

    Args:
        resource: makes the resource, on first need.
        sampler: decides every span, local or the SDK's.
        id_generator: the trace and span IDs (the SDK's ``IdGenerator`` methods).
    """

    def __init__(
        self, *, resource: Callable[[], Resource], sampler: HeadSampler, id_generator: Any
    ) -> None:
        self._make_resource = resource
        self.sampler = sampler
        self.id_generator = id_generator
        self.held: HeldSpans | None = None
        self._sdk: TracerProvider | None = None
        self._built_with: tuple[SpanProcessor, ...] = ()
        # As the SDK's provider: OTEL_SDK_DISABLED=true gives no-op tracers.
        self._disabled = os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
        self._tracers: dict[tuple[Any, ...], trace.Tracer] = {}
        self._lock = threading.Lock()

    @property
    def resource(self) -> Resource:
        return self._make_resource()

    @property
    def made_resource(self) -> Resource | None:
        """The resource if something needed it already, else None (not made now: a
        forked child makes its own only if it needs one). A maker that does not say
        (a fixed resource's) is asked."""
        if hasattr(self._make_resource, "made"):
            made: Resource | None = self._make_resource.made
            return made
        return self._make_resource()

    def sdk(self) -> TracerProvider:
        """The SDK's provider, built on first need."""
        with self._lock:
            if self._sdk is None:
                from opentelemetry.sdk.trace import TracerProvider

                from otelkit._sdk.sdk_sampling import SdkSampler

                self._sdk = TracerProvider(
                    resource=self.resource,
                    sampler=SdkSampler(self.sampler),
                    id_generator=cast("IdGenerator", self.id_generator),
                    shutdown_on_exit=False,
                )
            return self._sdk

    def local(self) -> bool:
        """Whether spans are kept in this process: no processor but those it holds for."""
        sdk = self._sdk
        return sdk is None or sdk._active_span_processor._span_processors is self._built_with

    def add_span_processor(self, processor: SpanProcessor) -> None:
        """From the next span on, spans are the SDK's and ``processor`` sees them."""
        self.sdk().add_span_processor(processor)

    def hold(self, processors: Sequence[SpanProcessor]) -> HeldSpans:
        """Add ``processors`` (which act only when a span ends) and hold spans for them."""
        sdk = self.sdk()
        for processor in processors:
            sdk.add_span_processor(processor)
        self._built_with = sdk._active_span_processor._span_processors
        self.held = HeldSpans()
        return self.held

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes = None,
    ) -> trace.Tracer:
        if self._disabled:
            return trace.NoOpTracer()
        scope = (instrumenting_module_name or "", instrumenting_library_version, schema_url)
        found = self._tracers.get(scope) if attributes is None else None
        if found is None:
            found = LocalTracer(self, (*scope, attributes))
            if attributes is None:
                self._tracers[scope] = found
        return found

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._sdk is None or self._sdk.force_flush(timeout_millis)

    def shutdown(self) -> None:
        if self._sdk is not None:
            self._sdk.shutdown()
