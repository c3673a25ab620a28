"""Calls held back until a flush replays them: what the Lambda deferrals share.

On Lambda, log records and SDK measurements leave only at the end-of-invocation flush,
which the extension runs after the response; building them as each line is written or
each measurement made put that work in what the caller waits for. ``deferred_logs`` and
``deferred_metrics`` keep the calls here instead; ``drain`` — called by the flush and
the close, first — makes them in order. Past ``limit`` calls the burst is drained where
it happens, so the bounds downstream (the outbox's queue) still decide what is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from otelkit._core import drops as _drops
from otelkit._core.safety import report_internal_error


class HeldCalls:
    """Calls kept in order until ``drain``; a call that fails there is counted as one
    dropped item of ``signal`` and reported, and costs no other."""

    def __init__(self, limit: int, signal: str, item: str) -> None:
        self.limit = limit
        self._signal = signal
        self._item = item  # what one call makes, for the drop reason and the report
        self._calls: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self._lock = threading.Lock()

    def keep(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self._calls.append((call, args, kwargs))
            full = len(self._calls) >= self.limit
        if full:
            self.drain()

    def pending(self) -> int:
        """How many calls wait for ``drain``."""
        return len(self._calls)

    def drain(self) -> None:
        """Make every kept call, oldest first."""
        with self._lock:
            taken, self._calls = self._calls, []
        for call, args, kwargs in taken:
            try:
                call(*args, **kwargs)
            except Exception as exc:
                _drops.add(self._signal, f"{self._item} failed")
                report_internal_error(f"{self._item} (deferred)", exc)
