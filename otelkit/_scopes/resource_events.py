"""Periodic resource events: ``RESOURCE_METRICS`` lines while a session or job runs.

A long-lived unit of work (a browser session, a render) wants its resource use on its own
lines, with its IDs, every minute or so. ``resource_events`` samples the process from a
thread and writes one ``event()`` per interval, carrying the bound IDs and span of the
block that started it: one when the block starts, then one per interval.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context

from otelkit._core.safety import report_internal_error
from otelkit._process.resources import process_resources
from otelkit._scopes.lifecycle import event


class ResourceEvents:
    """Writes a resource event every ``interval`` seconds while the block runs.

    Use as ``with`` or ``async with``; ``samples`` keeps the fields of every event written
    (for a summary at the end: average CPU, peak memory).

    Args:
        interval: seconds between events.
        event_type: the events' ``event_type``.
        fields: called at each sample for more fields (bytes moved, pages open…).
    """

    def __init__(
        self,
        interval: float = 60.0,
        *,
        event_type: str = "RESOURCE_METRICS",
        fields: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be a number of seconds above 0, got {interval!r}")
        self.interval = interval
        self.event_type = event_type
        self.samples: list[dict[str, Any]] = []
        self._fields = fields
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> dict[str, Any]:
        """Write one event now and return its fields."""
        resources = process_resources()
        fields: dict[str, Any] = {
            "cpu_percent": resources.get("cpu_percent", 0.0),
            "memory_mb": resources.get("memory_mb", resources.get("memory_peak_mb", 0.0)),
            "num_threads": resources["num_threads"],
        }
        if "open_files" in resources:
            fields["open_files"] = resources["open_files"]
        if self._fields is not None:
            fields.update(self._fields())
        event(self.event_type, **fields)
        self.samples.append(fields)
        return fields

    def __enter__(self) -> ResourceEvents:
        context = otel_context.get_current()  # the block's IDs and span, for the thread
        self._sample_safely()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(context,), daemon=True, name="otelkit-resource-events"
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    async def __aenter__(self) -> ResourceEvents:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def _sample_safely(self) -> None:
        try:
            self.sample()
        except Exception as exc:  # a sampling bug must not end the session
            report_internal_error("resource events", exc)

    def _run(self, context: otel_context.Context) -> None:
        token = otel_context.attach(context)
        try:
            while not self._stop.wait(self.interval):
                self._sample_safely()
        finally:
            otel_context.detach(token)


def resource_events(
    interval: float = 60.0,
    *,
    event_type: str = "RESOURCE_METRICS",
    fields: Callable[[], Mapping[str, Any]] | None = None,
) -> ResourceEvents:
    """Write ``RESOURCE_METRICS`` events (``cpu_percent``, ``memory_mb``, ``num_threads``,
    ``open_files`` and ``fields()``) every ``interval`` seconds while the block runs.

    Example:
        >>> with otelkit.session(session_id), resource_events(60, fields=usage.counters):
        ...     drive_browser()
    """
    return ResourceEvents(interval, event_type=event_type, fields=fields)


# Users import these from otelkit.runtime: reprs, help() and pickle say so.
ResourceEvents.__module__ = resource_events.__module__ = "otelkit.runtime"
