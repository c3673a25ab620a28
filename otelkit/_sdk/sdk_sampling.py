"""The head sampler as the SDK's tracer provider asks for it: ``should_sample``, with the
SDK's result types. The sampler itself does not load the SDK (``sampling``): a function
whose spans go nowhere decides without it."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes

from otelkit._sdk.sampling import HeadSampler


class SdkSampler(Sampler):
    """``head``'s decisions, as ``SamplingResult``s."""

    def __init__(self, head: HeadSampler) -> None:
        self.head = head
        self._decide = head.decide  # bound once: this runs for every span

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        sampled, attributes, state = self._decide(parent_context, trace_id, attributes)
        if sampled:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, state)
        return SamplingResult(Decision.DROP, None, state)

    def get_description(self) -> str:
        return self.head.get_description()
