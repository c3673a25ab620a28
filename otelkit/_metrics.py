"""Metrics: ``count``, ``record`` and ``timed`` on the OpenTelemetry metrics API.

Attributes given to a call are the metric's dimensions; bound correlation IDs are never
added (each distinct ID would be a new, billed CloudWatch metric). Names keep the case the
user wrote: the SDK lower-cases instrument names, so the exporters rename them back from
``display_name`` (see ``_setup``).
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, cast

from otelkit import _switch
from otelkit._context_stack import ContextStack
from otelkit._ids import reject_generator
from otelkit._keys import UNBOUNDED_ID_KEYS
from otelkit._scrub import REDACTED, is_secret, redact_text

F = TypeVar("F", bound=Callable[..., Any])

# The OpenTelemetry instrument-name grammar; CloudWatch accepts all of it.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$")
_ATTRIBUTE_TYPES = (str, bool, int, float)
_NUMBER_TYPES = frozenset({int, float})  # exact types: bool is an int, but not a number here

_open_timers: ContextStack[float] = ContextStack("otelkit_timers")
# Exact name -> (kind, unit, instrument); lower-cased name -> the name as first written.
_instruments: dict[str, tuple[str, str, Any]] = {}
_display_names: dict[str, str] = {}
_lock = threading.Lock()
_KIND_WORDS = {"counter": "a counter (count)", "histogram": "a histogram (record/timed)",
               "gauge": "a gauge (gauge)"}


def display_name(name: str) -> str:
    """The name as the user wrote it, for an instrument name the SDK lower-cased."""
    return _display_names.get(name, name)


def _instrument(kind: str, name: str, unit: str) -> Any:
    found = _instruments.get(name) if isinstance(name, str) else None
    if found is None:
        found = _create(kind, name, unit)
    known_kind, known_unit, instrument = found
    if kind != known_kind:
        raise ValueError(f"metric {name!r} is {_KIND_WORDS[known_kind]}; it cannot also be "
                         f"{_KIND_WORDS[kind]}")
    if unit != known_unit:
        raise ValueError(f"metric {name!r} was first recorded with unit {known_unit!r}, "
                         f"not {unit!r}; one metric has one unit")
    return instrument


def _create(kind: str, name: str, unit: str) -> tuple[str, str, Any]:
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
        return _instruments.setdefault(name, (kind, unit, create(name, unit=unit)))


def _value(name: str, value: object, *, non_negative: bool) -> float:
    """A finite number (non-negative for counters and histograms), or a clear error."""
    if type(value) in _NUMBER_TYPES:  # the common case, kept to a few comparisons
        number = cast("float", value)
        lowest = 0.0 if non_negative else -math.inf
        if lowest <= number < math.inf:  # False for NaN: it takes the path below
            return number
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"metric {name!r} value must be a number, got {value!r}")
    if not math.isfinite(value) or (non_negative and value < 0):
        need = "a finite number >= 0" if non_negative else "a finite number"
        raise ValueError(f"metric {name!r} value must be {need}, got {value!r}")
    return value


def _check(attributes: dict[str, Any]) -> dict[str, Any]:
    for key, value in attributes.items():
        if key in UNBOUNDED_ID_KEYS:
            raise ValueError(
                f"{key} is a correlation ID and never a metric dimension: each value would be "
                "a separately billed metric. It is on the log lines and spans already."
            )
        if not isinstance(value, _ATTRIBUTE_TYPES):
            raise ValueError(
                f"metric dimension {key}={value!r} must be str, bool, int or float, "
                f"not {type(value).__name__}"
            )
        if isinstance(value, str):  # dimensions leave the process on every export
            attributes[key] = REDACTED if is_secret(key) else redact_text(value)
    return attributes


def count(name: str, value: float = 1, *, unit: str = "1", **attributes: Any) -> None:
    """Add ``value`` to the counter ``name``; keyword arguments are its dimensions.

    Example:
        >>> otelkit.count("MessagesProcessed", 1, status="completed")
    """
    counter = _instrument("counter", name, unit)
    counter.add(_value(name, value, non_negative=True),
                _check(attributes) if attributes else None)


def record(name: str, value: float, *, unit: str = "", **attributes: Any) -> None:
    """Record ``value`` in the histogram ``name``; keyword arguments are its dimensions.

    Example:
        >>> otelkit.record("ProcessingDuration", 12.5, unit="ms", message_type="scheduled")
    """
    histogram = _instrument("histogram", name, unit)
    histogram.record(_value(name, value, non_negative=True),
                     _check(attributes) if attributes else None)


def gauge(name: str, value: float, *, unit: str = "1", **attributes: Any) -> None:
    """Set the current value of ``name`` (active sessions, queue depth, worker state).

    Unlike ``count``, a gauge may go down; the last value set in an export interval is
    what is exported.

    Example:
        >>> otelkit.gauge("ActiveSessions", 12, service_area="ca-central")
    """
    instrument = _instrument("gauge", name, unit)
    instrument.set(_value(name, value, non_negative=False),
                   _check(attributes) if attributes else None)


class timed:  # noqa: N801 - used like a function: ``@otelkit.timed("Name")``
    """Record the duration of a block or of each call in ms, with ``outcome=success|error``.

    Works as a decorator (sync and async functions) and as a ``with`` block. One object
    may time blocks in several threads or asyncio tasks at once: start times are kept per
    context, not on the object.
    """

    __slots__ = ("_attributes", "_name")

    def __init__(self, name: str, **attributes: Any) -> None:
        _instrument("histogram", name, "ms")  # validate the name now, not at first call
        self._name = name
        self._attributes = _check(attributes)

    def _record(self, started: float, failed: bool) -> None:
        elapsed = (time.perf_counter() - started) * 1000.0
        outcome = "error" if failed else "success"
        record(self._name, elapsed, unit="ms", **self._attributes, outcome=outcome)

    def __enter__(self) -> timed:
        _open_timers.push(self, time.perf_counter())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._record(_open_timers.pop(self), exc is not None)

    def __call__(self, func: F) -> F:
        reject_generator(func, "timed")
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
