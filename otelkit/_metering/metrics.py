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

from otelkit._core import switch as _switch
from otelkit._core.pipeline import current
from otelkit._core.safety import reject
from otelkit._correlation.ids import reject_generator
from otelkit._redaction.scrub import REDACTED
from otelkit._tracing.spans import is_clean_exit
from otelkit._values import encodable as _encodable
from otelkit._values.context_stack import ContextStack
from otelkit._values.keys import UNBOUNDED_ID_KEYS
from otelkit._values.safe_values import safe_repr, safe_str

F = TypeVar("F", bound=Callable[..., Any])

# The OpenTelemetry instrument-name grammar; CloudWatch accepts all of it.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$")
_ATTRIBUTE_TYPES = (str, bool, int, float)
_EXACT_ATTRIBUTE_TYPES = frozenset(_ATTRIBUTE_TYPES)

_open_timers: ContextStack[float] = ContextStack("otelkit_timers")
# Exact name -> (kind, unit, instrument); lower-cased name -> the name as first written.
_instruments: dict[str, tuple[str, str, Any]] = {}
_display_names: dict[str, str] = {}
_lock = threading.Lock()
_KIND_WORDS = {
    "counter": "a counter (count)",
    "histogram": "a histogram (record/timed)",
    "gauge": "a gauge (gauge)",
}


def display_name(name: str) -> str:
    """The name as the user wrote it, for an instrument name the SDK lower-cased."""
    return _display_names.get(name, name)


def _instrument(kind: str, name: str, unit: str) -> Any:
    found = _instruments.get(name) if isinstance(name, str) else None
    if found is None:
        found = _create(kind, name, unit)
    known_kind, known_unit, instrument = found
    if kind != known_kind:
        raise ValueError(
            f"metric {name!r} is {_KIND_WORDS[known_kind]}; it cannot also be {_KIND_WORDS[kind]}"
        )
    if unit != known_unit:
        raise ValueError(
            f"metric {name!r} was first recorded with unit {known_unit!r}, "
            f"not {unit!r}; one metric has one unit"
        )
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
        create = {
            "counter": meter.create_counter,
            "histogram": meter.create_histogram,
            "gauge": meter.create_gauge,
        }[kind]
        return _instruments.setdefault(name, (kind, unit, create(name, unit=unit)))


def _value(name: str, value: object, *, non_negative: bool) -> float | None:
    """A finite number (non-negative for counters and histograms) OTLP can encode, or
    None when the point must be dropped (reported once; a ``ValueError`` when strict)."""
    kind = type(value)  # the common cases, kept to a few comparisons
    if kind is float:
        number = cast("float", value)
        # ``number - number`` is 0.0 for a finite number, NaN for -inf, +inf and NaN.
        if number - number == 0.0 and (number >= 0.0 or not non_negative):
            return number
    elif kind is int:
        number = cast("int", value)
        if (0 if non_negative else _INT64_MIN) <= number <= _INT64_MAX:
            return number
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        reject(
            f"metric value ({type(value).__name__})",
            f"metric {name!r} value must be a number, got {safe_repr(value)}",
            "metrics",
        )
        return None
    if isinstance(value, int):  # past int64: OTLP carries it as a double, when it fits one
        try:
            value = float(value)
        except OverflowError:
            value = math.inf
    if not math.isfinite(value) or (non_negative and value < 0):
        need = "a finite number >= 0" if non_negative else "a finite number"
        reject(
            "metric value (out of range)",
            f"metric {name!r} value must be {need}, got {safe_repr(value)}",
            "metrics",
        )
        return None
    return value


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _check(name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """The dimensions to record: correlation IDs dropped, secrets redacted (dimensions
    leave the process on every export), values of other types written as text (each
    reported once; a ``ValueError`` when strict). Pairs found clean before cost a set
    lookup each."""
    clean = current().redaction.clean_dimensions
    try:
        for pair in attributes.items():
            if pair not in clean:
                return _checked(name, attributes)
    except TypeError:  # an unhashable value: never clean as it is
        return _checked_slowly(name, attributes)
    return attributes


def _checked(name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """``_check`` for dimensions not all known clean: each pair of an exact type checked
    once (and remembered), the others written as text."""
    redaction = current().redaction
    for pair in attributes.items():
        key, value = pair
        kind = type(value)
        if kind in _EXACT_ATTRIBUTE_TYPES and key not in UNBOUNDED_ID_KEYS and key.isascii():
            if kind is not str:
                redaction.remember_clean(pair)
                continue
            if value.isascii() and redaction.shows_as_is(key, value):
                continue
        return _checked_slowly(name, attributes)
    return attributes


def _checked_slowly(name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    redaction = current().redaction
    for name_given, value in attributes.items():
        key = _encodable.text(name_given)  # one bad dimension must not fail the export
        if key in UNBOUNDED_ID_KEYS:
            reject(
                f"metric dimension {key}",
                f"{key} is a correlation ID and never a metric dimension: each value "
                "would be a separately billed metric. It is on the log lines and spans "
                "already",
                "metrics",
            )
        elif isinstance(value, str):
            checked[key] = (
                REDACTED
                if redaction.is_secret(key)
                else _encodable.text(redaction.redact_text(value))
            )
        elif isinstance(value, _ATTRIBUTE_TYPES):
            checked[key] = value
        else:
            reject(
                f"metric dimension type ({type(value).__name__})",
                f"metric {name!r} dimension {key}={safe_repr(value)} must be str, "
                f"bool, int or float, not {type(value).__name__}",
                "metrics",
            )
            checked[key] = safe_str(value, 1024)
    return checked


def count(name: str, value: float = 1, *, unit: str = "1", **attributes: Any) -> None:
    """Add ``value`` to the counter ``name``; keyword arguments are its dimensions.

    Example:
        >>> otelkit.count("MessagesProcessed", 1, status="completed")
    """
    counter = _instrument("counter", name, unit)
    number = _value(name, value, non_negative=True)
    if number is not None:
        counter.add(number, _check(name, attributes) if attributes else None)


def record(name: str, value: float, *, unit: str = "", **attributes: Any) -> None:
    """Record ``value`` in the histogram ``name``; keyword arguments are its dimensions.

    Example:
        >>> otelkit.record("ProcessingDuration", 12.5, unit="ms", message_type="scheduled")
    """
    histogram = _instrument("histogram", name, unit)
    number = _value(name, value, non_negative=True)
    if number is not None:
        histogram.record(number, _check(name, attributes) if attributes else None)


def gauge(name: str, value: float, *, unit: str = "1", **attributes: Any) -> None:
    """Set the current value of ``name`` (active sessions, queue depth, worker state).

    Unlike ``count``, a gauge may go down; the last value set in an export interval is
    what is exported.

    Example:
        >>> otelkit.gauge("ActiveSessions", 12, service_area="ca-central")
    """
    instrument = _instrument("gauge", name, unit)
    number = _value(name, value, non_negative=False)
    if number is not None:
        instrument.set(number, _check(name, attributes) if attributes else None)


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
        self._attributes = _check(name, attributes)

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
        self._record(_open_timers.pop(self), not is_clean_exit(exc))

    def __call__(self, func: F) -> F:
        reject_generator(func, "timed")
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                started, failed = time.perf_counter(), False
                try:
                    return await func(*args, **kwargs)
                except BaseException as exc:
                    failed = not is_clean_exit(exc)
                    raise
                finally:
                    self._record(started, failed)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started, failed = time.perf_counter(), False
            try:
                return func(*args, **kwargs)
            except BaseException as exc:
                failed = not is_clean_exit(exc)
                raise
            finally:
                self._record(started, failed)

        return wrapper  # type: ignore[return-value]
