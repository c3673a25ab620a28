"""Head sampling, and what a sampled span starts with: the bound IDs.

Decisions: a span with a parent, local or remote, follows its parent (so a request is
traced across services or not at all); a root span is sampled by a reservoir, then a
ratio. X-Ray's default rule, which AWS users know, is "the first request each second,
then 5 % of the rest": low-traffic services keep a trace of nearly everything, busy ones
keep a steady trickle plus a share, and a spike costs a bounded number of traces. The
reservoir is a token bucket holding up to ``max(1, per_second)`` tokens, refilled at
``per_second``; a root that takes a token is sampled, any other is left to the ratio
(``TraceIdRatioBased``'s rule on the trace ID's low 64 bits).

Stamping: the SDK takes a new span's attributes from the sampling result, before the span
exists, so the sampler adds the IDs bound in the parent context there. They are validated
once with the rest and never set on a started span (``set_attributes`` takes the span's
lock and validates again); spans that instrumentations start get them too, and a span
sampled out costs nothing more. A bound ID wins over an attribute of the same name (a
stale ``job_id`` passed by hand). One sampler does both because it runs for every span:
one look at the parent context serves the decision, the trace state and the IDs.

Tail sampling (keep every trace with an error, drop the boring rest) needs whole traces and
lives in the collector gateway (``tail_sampling``), not here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from opentelemetry.context import Context, get_current
from opentelemetry.trace import TraceState, get_current_span
from opentelemetry.util.types import Attributes

from otelkit._correlation.ids import current_ids

#: ``TraceIdRatioBased``'s mask: the trace ID's low 64 bits decide.
_LOW_64 = (1 << 64) - 1

#: A decision: sampled or not, the new span's first attributes, its trace state. The
#: SDK's result types are not used here: a function whose spans go nowhere decides
#: without loading the SDK (``sdk_sampling`` gives the SDK's provider its own types).
Decided = tuple[bool, Attributes, "TraceState | None"]


class Ratio:
    """Samples ``ratio`` of root traces, by trace ID, as ``TraceIdRatioBased`` does."""

    def __init__(self, ratio: float) -> None:
        self.ratio = ratio
        self._bound = round(ratio * (_LOW_64 + 1))  # ``get_bound_for_rate``

    def sampled(self, trace_id: int) -> bool:
        return trace_id & _LOW_64 < self._bound

    def __str__(self) -> str:
        return f"{self.ratio:g}"


class ReservoirThenRatio:
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
        self._ratio = Ratio(ratio)

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

    def sampled(self, trace_id: int) -> bool:
        """Whether a root trace with this ID is sampled (taking a token if there is one)."""
        return (self._per_second > 0 and self._take()) or self._ratio.sampled(trace_id)

    def __str__(self) -> str:
        return f"ReservoirThenRatio{{{self._per_second:g}/s, {self._ratio}}}"


class HeadSampler:
    """Children follow their parent; roots are decided by ``root``; a sampled span gets
    the bound IDs of its parent context as attributes (see the module docs).

    With ``parent_based=False`` (``OTEL_TRACES_SAMPLER=always_on`` and the like) every
    span is decided by ``root``, its parent's decision notwithstanding, as the
    specification's non-parent-based samplers do."""

    def __init__(self, root: Ratio | ReservoirThenRatio, *, parent_based: bool = True) -> None:
        self._root = root
        self._root_sampled = root.sampled  # bound once: this runs for every span
        self._parent_based = parent_based

    def decide(
        self, parent_context: Context | None, trace_id: int, attributes: Attributes = None
    ) -> Decided:
        """The decision for a new span of ``trace_id`` under ``parent_context``."""
        context = get_current() if parent_context is None else parent_context
        parent = get_current_span(context).get_span_context()
        state: TraceState | None = None
        if parent.is_valid and self._parent_based:
            state = parent.trace_state
            if not parent.trace_flags.sampled:
                return False, None, state
        elif not self._root_sampled(trace_id):
            return False, None, None
        bound = current_ids(context)
        if bound:
            attributes = {**attributes, **bound} if attributes else bound
        return True, attributes, state

    def get_description(self) -> str:
        based = "parent-based" if self._parent_based else "every span"
        return f"HeadSampler{{{based}, root: {self._root}}}"


#: ``OTEL_TRACES_SAMPLER`` values: (parent-based, the root ratio; None: ``sample_rate``).
SAMPLERS: dict[str, tuple[bool, float | None]] = {
    "always_on": (False, 1.0),
    "always_off": (False, 0.0),
    "traceidratio": (False, None),
    "parentbased_always_on": (True, 1.0),
    "parentbased_always_off": (True, 0.0),
    "parentbased_traceidratio": (True, None),
}


def head_sampler(
    ratio: float,
    per_second: float,
    clock: Callable[[], float] = time.monotonic,
    *,
    named: str | None = None,
) -> HeadSampler:
    """The tracer provider's sampler: parent-based, root decisions by reservoir then ratio
    (at ratio 1 every root is sampled anyway: no reservoir, no lock per root span).

    ``named`` is an ``OTEL_TRACES_SAMPLER`` value: the reservoir then applies only to the
    ratio samplers, and only when ``per_second`` was asked for."""
    parent_based = True
    if named is not None:
        parent_based, fixed = SAMPLERS[named]
        if fixed is not None:
            ratio, per_second = fixed, 0.0
    if per_second > 0 and ratio < 1.0:
        root: Ratio | ReservoirThenRatio = ReservoirThenRatio(per_second, ratio, clock)
    else:
        root = Ratio(ratio)
    return HeadSampler(root, parent_based=parent_based)
