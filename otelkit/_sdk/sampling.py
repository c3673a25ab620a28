"""Head sampling: a parent-based sampler whose root decisions are a reservoir, then a ratio.

X-Ray's default rule, which AWS users know, is "the first request each second, then 5 % of
the rest": low-traffic services keep a trace of nearly everything, busy ones keep a steady
trickle plus a share, and a traffic spike costs a bounded number of traces. The reservoir
is a token bucket holding up to ``max(1, per_second)`` tokens, refilled at ``per_second``;
a root trace that takes a token is sampled, any other is left to ``TraceIdRatioBased``.
Children follow their parent's decision (``ParentBased``), local or remote, so a request
is traced across services or not at all.

Tail sampling (keep every trace with an error, drop the boring rest) needs whole traces and
lives in the collector gateway (``tail_sampling``), not here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes


class ReservoirThenRatio(Sampler):
    """Samples ``per_second`` root traces each second, then ``ratio`` of the others.

    Args:
        per_second: the reservoir's refill rate; 0 turns it off.
        ratio: the share of traces sampled once the reservoir is empty.
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(
        self, per_second: float, ratio: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._per_second = per_second
        self._capacity = max(1.0, per_second)
        self._tokens = self._capacity if per_second > 0 else 0.0
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()
        self._ratio = TraceIdRatioBased(ratio)

    def _take(self) -> bool:
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._last)
            self._last = now
            self._tokens = min(self._capacity, self._tokens + elapsed * self._per_second)
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

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
        if self._per_second > 0 and self._take():
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"ReservoirThenRatio{{{self._per_second:g}/s, {self._ratio.rate:g}}}"


def head_sampler(
    ratio: float, per_second: float, clock: Callable[[], float] = time.monotonic
) -> Sampler:
    """The tracer provider's sampler: parent-based, root decisions by reservoir then ratio."""
    root: Sampler = (
        ReservoirThenRatio(per_second, ratio, clock) if per_second > 0 else TraceIdRatioBased(ratio)
    )
    return ParentBased(root)
