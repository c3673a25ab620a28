"""The process's resource use on every log line: ``memory_mb``, ``cpu_percent``,
``num_threads``.

A fleet's lines answer "which worker was using too much memory when this happened"
(``| json | memory_mb > 500`` in Loki) only if ordinary lines carry the figure, not just
the periodic resource events. Reading it with psutil costs tens of microseconds, too much
per line, so the fields are read at most once per ``period`` and every line in between
gets the cached copy. The line that finds the copy stale refreshes it; lines of other
threads meanwhile take the stale one instead of waiting.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

#: The fields, named as the seeds' resource events and ``/health`` name them.
FIELD_NAMES = ("memory_mb", "cpu_percent", "num_threads")


def _psutil() -> Any:
    try:
        import psutil
    except ImportError as exc:
        raise ImportError("resource_fields needs psutil: pip install 'otelkit[runtime]'") from exc
    return psutil


class ResourceFields:
    """Returns the process's resource fields, read at most once per ``period`` seconds.

    Args:
        period: seconds a reading stays fresh.
        clock: monotonic seconds (a parameter so the tests can step it).
    """

    def __init__(self, period: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.period = period
        self.reads = 0  # psutil readings taken, for the tests and the benchmark
        self._clock = clock
        self._psutil = _psutil()
        self._process: Any = None
        self._refreshing = threading.Lock()
        # (expiry, fields), replaced whole so a reader never sees half of a refresh.
        self._cached: tuple[float, Mapping[str, Any]] = (float("-inf"), MappingProxyType({}))
        forget = weakref.WeakMethod(self._forget)  # weak: a re-configure drops this one
        os.register_at_fork(after_in_child=lambda: (method := forget()) and method())

    def __call__(self) -> Mapping[str, Any]:
        expires, fields = self._cached
        if self._clock() < expires or not self._refreshing.acquire(blocking=False):
            return fields  # fresh, or another thread is refreshing: the last reading
        try:
            fields = self._read()
            self._cached = (self._clock() + self.period, fields)
        finally:
            self._refreshing.release()
        return fields

    def _read(self) -> Mapping[str, Any]:
        process = self._process
        if process is None:
            process = self._process = self._psutil.Process()
            process.cpu_percent(None)  # the first call only starts the measurement
        with process.oneshot():
            fields = {
                "memory_mb": round(process.memory_info().rss / 1024 / 1024, 1),
                "cpu_percent": round(process.cpu_percent(None), 1),
                "num_threads": process.num_threads(),
            }
        self.reads += 1
        return MappingProxyType(fields)

    def _forget(self) -> None:
        """A forked child reports its own process, never the parent's last reading."""
        self._process = None
        self._refreshing = threading.Lock()
        self._cached = (float("-inf"), MappingProxyType({}))


def build(enabled: bool) -> ResourceFields | None:
    """The line-field source for the ``resource_fields`` setting, or None when off."""
    return ResourceFields() if enabled else None
