"""Metrics: ``count``, ``record`` and ``timed`` on the OpenTelemetry metrics API.

Attributes given to a call are the metric's dimensions; bound correlation IDs are never
added (each distinct ID would be a new, billed CloudWatch metric). Names keep the case the
user wrote: the SDK lower-cases instrument names, so the exporters rename them back from
``display_name`` (see ``_setup``).
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from types import TracebackType
from typing import Any, TypeVar

from otelkit import _switch

F = TypeVar("F", bound=Callable[..., Any])

# The OpenTelemetry instrument-name grammar; CloudWatch accepts all of it.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$")
_ATTRIBUTE_TYPES = (str, bool, int, float)

_instruments: dict[tuple[str, str], tuple[Any, str]] = {}
_display_names: dict[str, str] = {}
_lock = threading.Lock()


def display_name(name: str) -> str:
    """The name as the user wrote it, for an instrument name the SDK lower-cased."""
    return _display_names.get(name, name)


def _instrument(kind: str, name: str, unit: str) -> Any:
    key = (kind, name)
    found = _instruments.get(key)
    if found is not None:
        instrument, known_unit = found
        if unit != known_unit:
            raise ValueError(f"metric {name!r} was first recorded with unit {known_unit!r}, "
                             f"not {unit!r}; one metric has one unit")
        return instrument
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"invalid metric name {name!r}: start with a letter, then letters, digits, "
            "'_', '.', '-' or '/', at most 255 characters"
        )
    with _lock:
        lowered = name.lower()
        if _display_names.setdefault(lowered, name) != name:
            raise ValueError(
                f"metric name {name!r} differs only in case from {_display_names[lowered]!r}; "
                "OpenTelemetry treats them as one instrument"
            )
        meter = _switch.METER
        create = {"counter": meter.create_counter, "histogram": meter.create_histogram,
                  "gauge": meter.create_gauge}[kind]
        return _instruments.setdefault(key, (create(name, unit=unit), unit))[0]


def _check(attributes: dict[str, Any]) -> dict[str, Any]:
    for key, value in attributes.items():
        if not isinstance(value, _ATTRIBUTE_TYPES):
            raise ValueError(
                f"metric dimension {key}={value!r} must be str, bool, int or float, "
                f"not {type(value).__name__}"
            )
    return attributes


def count(name: str, value: float = 1, *, unit: str = "1", **attributes: Any) -> None:
    """Add ``value`` to the counter ``name``; keyword arguments are its dimensions.

    Example:
        >>> otelkit.count("MessagesProcessed", 1, status="completed")
    """
    if value < 0:
        raise ValueError(f"count({name!r}) value must be >= 0, got {value}; counters only grow")
    _instrument("counter", name, unit).add(value, _check(attributes) if attributes else None)


def record(name: str, value: float, *, unit: str = "", **attributes: Any) -> None:
    """Record ``value`` in the histogram ``name``; keyword arguments are its dimensions.

    Example:
        >>> otelkit.record("ProcessingDuration", 12.5, unit="ms", message_type="scheduled")
    """
    _instrument("histogram", name, unit).record(value, _check(attributes) if attributes else None)


def gauge(name: str, value: float, *, unit: str = "1", **attributes: Any) -> None:
    """Set the current value of ``name`` (active sessions, queue depth, worker state).

    Unlike ``count``, a gauge may go down; the last value set in an export interval is
    what is exported.

    Example:
        >>> otelkit.gauge("ActiveSessions", 12, service_area="ca-central")
    """
    _instrument("gauge", name, unit).set(value, _check(attributes) if attributes else None)


class timed:  # noqa: N801 - used like a function: ``@otelkit.timed("Name")``
    """Record the duration of a block or of each call in ms, with ``outcome=success|error``.

    Works as a decorator (sync and async functions) and as a ``with`` block. One object
    may time blocks in several threads or asyncio tasks at once: start times are kept per
    context, not on the object.
    """

    __slots__ = ("_attributes", "_name", "_starts")

    def __init__(self, name: str, **attributes: Any) -> None:
        _instrument("histogram", name, "ms")  # validate the name now, not at first call
        self._name = name
        self._attributes = _check(attributes)
        self._starts: ContextVar[tuple[float, ...]] = ContextVar(f"otelkit_timed_{name}",
                                                                 default=())

    def _record(self, started: float, failed: bool) -> None:
        elapsed = (time.perf_counter() - started) * 1000.0
        outcome = "error" if failed else "success"
        record(self._name, elapsed, unit="ms", **self._attributes, outcome=outcome)

    def __enter__(self) -> timed:
        self._starts.set((*self._starts.get(), time.perf_counter()))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        *outer, started = self._starts.get()
        self._starts.set(tuple(outer))
        self._record(started, exc is not None)

    def __call__(self, func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                started, failed = time.perf_counter(), True
                try:
                    result = await func(*args, **kwargs)
                    failed = False
                    return result
                finally:
                    self._record(started, failed)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started, failed = time.perf_counter(), True
            try:
                result = func(*args, **kwargs)
                failed = False
                return result
            finally:
                self._record(started, failed)

        return wrapper  # type: ignore[return-value]
