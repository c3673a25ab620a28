"""``Lifecycle``: the names a ``job()`` or ``session()`` writes, and the count of scopes
open right now (the ``ActiveSessions`` gauge).

Every system spells its lifecycle its own way (``SESSION_CREATED`` / ``CREATING``,
``SessionDuration`` in seconds); one ``Lifecycle`` says how, once.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otelkit._metering import metrics as _metrics

DURATION_UNITS = {"ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Lifecycle:
    """The records and metrics a ``job()`` or ``session()`` writes: event names, status
    spelling, metric names and the duration metric's unit.

    Every system spells its lifecycle its own way (``SESSION_CREATED`` / ``CREATING``,
    ``SessionDuration`` in seconds); one ``Lifecycle`` describes it once, and every
    ``job(..., lifecycle=...)`` or ``session(..., lifecycle=...)`` writes it.

    Attributes:
        started / completed / failed: the ``event_type`` (and message) of the records
            written on entry, on success and on failure. ``completed`` and ``failed`` may
            be the same name, told apart by ``status``.
        started_status / completed_status / failed_status: their ``status`` values.
        count_metric: the counter of finished scopes (by outcome); None for none.
        duration_metric: the duration histogram (by outcome); None for none.
        unit: ``"ms"`` or ``"s"``, the duration metric's unit. The records' own
            ``duration_ms`` is always in milliseconds.
        active_metric: a gauge of the scopes open right now (``ActiveSessions``), by
            name and ``dimensions``; None for none.

    Example:
        >>> BROWSER_SESSION = otelkit.Lifecycle(
        ...     started="SESSION_CREATED", started_status="CREATING",
        ...     completed="SESSION_TERMINATED", completed_status="STOPPED",
        ...     failed="SESSION_TERMINATED", failed_status="FAILED",
        ...     count_metric=None, duration_metric="SessionDuration", unit="s")
    """

    started: str
    completed: str
    failed: str
    started_status: str = "started"
    completed_status: str = "completed"
    failed_status: str = "failed"
    count_metric: str | None = None
    duration_metric: str | None = None
    unit: str = "ms"
    active_metric: str | None = None

    def __post_init__(self) -> None:
        for name in (
            "started",
            "completed",
            "failed",
            "started_status",
            "completed_status",
            "failed_status",
        ):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"Lifecycle {name} must be a non-empty string, got {value!r}")
        for name in ("count_metric", "duration_metric", "active_metric"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"Lifecycle {name} must be a metric name or None, got {value!r}")
        if self.unit not in DURATION_UNITS:
            raise ValueError(f"Lifecycle unit must be 'ms' or 's', got {self.unit!r}")


#: What ``job()`` writes unless given another lifecycle.
JOB_LIFECYCLE = Lifecycle(
    "JOB_STARTED", "JOB_COMPLETED", "JOB_FAILED", count_metric="Jobs", duration_metric="JobDuration"
)
#: What ``session()`` writes unless given another lifecycle.
SESSION_LIFECYCLE = Lifecycle(
    "SESSION_STARTED",
    "SESSION_ENDED",
    "SESSION_FAILED",
    completed_status="ended",
    count_metric="Sessions",
    duration_metric="SessionDuration",
)


_open: dict[tuple[str, tuple[tuple[str, Any], ...]], int] = {}
_open_lock = threading.Lock()


def count_open(metric: str, dimensions: Mapping[str, Any], delta: int) -> None:
    """Add ``delta`` to the scopes open under ``metric`` and these dimensions, and set
    the gauge to the new count (under the lock, so gauges never go back in time)."""
    key = (metric, tuple(sorted(dimensions.items())))
    with _open_lock:
        value = _open.get(key, 0) + delta
        if value:
            _open[key] = value
        else:
            _open.pop(key, None)
        _metrics.gauge(metric, value, **dimensions)
