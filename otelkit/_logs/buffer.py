"""Debug-log buffering: DEBUG lines are kept back and written only if the work fails.

With ``configure(log_buffer=True)`` and a level above DEBUG, a unit of work (a job, a
session, a Lambda invocation, an HTTP request, a consumed message) gets a buffer. Records
below the level are prepared as they happen (their IDs, span and timestamp are those of
that moment) but held in the buffer; when a record at ERROR or above is written in the
same unit of work, the buffer is written first, in order. Work that succeeds discards its
buffer. Production logs stay at INFO, and a failure still comes with its DEBUG context.

The buffer is bounded; when the oldest records had to make room, the flush says how
many, so nothing disappears without a trace.

``log_sample_rate`` extends the same idea to INFO: each unit of work is kept whole with
that probability. A unit that is not kept holds its INFO-and-below lines back like DEBUG
lines, so a unit that fails still writes every line, and one that succeeds writes none.
The draw is made once, by the outermost unit of work.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context

from otelkit._core import pipeline as _pipeline

#: The most DEBUG records one unit of work holds back when ``log_buffer`` is on.
CAPACITY = 200
_KEY = otel_context.create_key("otelkit.log_buffer")


class LogBuffer:
    """The held-back records of one unit of work (shared by its threads via ``carry``)."""

    __slots__ = ("_dropped", "_items", "_lock", "sampled_out")

    def __init__(self, capacity: int, *, sampled_out: bool = False) -> None:
        #: True when the unit of work's INFO lines are held back too (``log_sample_rate``).
        self.sampled_out = sampled_out
        self._items: deque[Any] = deque(maxlen=capacity)
        self._dropped = 0
        self._lock = threading.Lock()

    def add(self, prepared: Any) -> None:
        """Hold one prepared record back."""
        with self._lock:
            if len(self._items) == self._items.maxlen:
                self._dropped += 1
            self._items.append(prepared)

    def drain(self) -> tuple[list[Any], int]:
        """Take every held record, oldest first, and how many were pushed out before."""
        with self._lock:
            items, dropped = list(self._items), self._dropped
            self._items.clear()
            self._dropped = 0
        return items, dropped


def scoped(context: Context) -> Context:
    """``context`` with a fresh buffer, unless buffering is off or an enclosing unit of
    work already has one (a failure then brings back the whole unit's DEBUG lines)."""
    pipeline = _pipeline.current()
    capacity, rate = pipeline.log_buffer_capacity, pipeline.log_sample_rate
    if (not capacity and rate >= 1.0) or otel_context.get_value(_KEY, context) is not None:
        return context
    sampled_out = rate < 1.0 and random.random() >= rate  # noqa: S311 - not cryptography
    return otel_context.set_value(
        _KEY, LogBuffer(capacity or CAPACITY, sampled_out=sampled_out), context
    )


def current() -> LogBuffer | None:
    """The buffer of the unit of work running now, if any."""
    found = otel_context.get_value(_KEY)
    return found if isinstance(found, LogBuffer) else None
