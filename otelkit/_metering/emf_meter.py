"""Metrics aggregated for EMF in plain dicts, behind the OpenTelemetry metrics API.

When EMF is where metrics go, the SDK's reader machinery (views, per-reader storages,
exemplars, a collection that builds ``MetricsData`` only for EMF to take it apart again)
costs several times what the output needs. ``EMFMeterProvider`` is an API meter provider
whose instruments add each measurement to a dict under a lock; ``flush`` swaps the dicts
out and writes one EMF document per dimension set. It is the meter provider when EMF is
the only metrics destination. Beside OTLP (or the console, or Prometheus)
``_meter_tee.TeeMeterProvider`` gives every measurement to the SDK, aggregated once for
those readers, and to EMF, instead of a second SDK reader aggregating it all again.

Every kind reports per flush what was recorded since the last one (delta): counters the
sum, histograms a statistic set, gauges the last value set; a series with nothing new
writes nothing. Observable instruments are read at each flush; an observable counter
reports the increase since the previous reading.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from otelkit._core import safety as _safety
from otelkit._core.pipeline import current
from otelkit._metering import emf_rules as _emf_rules
from otelkit._metering.emf_documents import Dimensions, DocumentWriter, Points
from otelkit._redaction.scrub import REDACTED

_NO_DIMENSIONS: Dimensions = ()
# Distinct raw attribute sets remembered with their checked dimensions; past this many the
# memory is cleared rather than grown (a dimension with unbounded values is a bug that
# the bill shows first; it must not also exhaust memory).
_MAX_REMEMBERED = 10_000


class _Series:
    """Checked dimensions of each raw attribute set, shared by every instrument."""

    def __init__(self) -> None:
        self._checked: dict[Any, Dimensions | None] = {}

    def key(self, metric: str, attributes: Mapping[str, Any] | None) -> Dimensions | None:
        """The sorted, checked dimensions for ``attributes``; None drops the point."""
        if not attributes:
            return _NO_DIMENSIONS
        items = tuple(attributes.items())
        # With the types: True == 1 == 1.0 as dict keys, but they are written differently.
        raw: Any = (items, tuple(map(type, attributes.values())))
        try:
            return self._checked[raw]
        except KeyError:
            pass
        except TypeError:  # an unhashable value (a list from an instrumentation)
            items = tuple((name, str(value)) for name, value in items)
            raw = (items, ())
        checked = _check(metric, items)
        if len(self._checked) >= _MAX_REMEMBERED:
            self._checked.clear()
        self._checked[raw] = checked
        return checked


def _check(metric: str, raw: Iterable[tuple[str, Any]]) -> Dimensions | None:
    dimensions = []
    redaction = current().redaction
    for name, value in raw:
        name = str(name)
        if not _emf_rules.dimension_name_ok(metric, name):
            return None
        text = REDACTED if redaction.is_secret(name) else redaction.redact_text(str(value))
        dimensions.append((name, _emf_rules.dimension_value(metric, name, text)))
    return tuple(sorted(dimensions))


class _Instrument:
    """What every EMF instrument shares: its name, unit and the points since the flush."""

    def __init__(self, name: str, unit: str, series: _Series, lock: threading.Lock) -> None:
        self.name = name
        self.unit = unit
        self._series = series
        self._lock = lock
        self._points: dict[Dimensions, Any] = {}

    def take(self) -> Points:
        """The points recorded since the last call (the caller holds the lock)."""
        points, self._points = self._points, {}
        return points


class _Sum(_Instrument, metrics.Counter, metrics.UpDownCounter):
    def add(
        self, amount: float, attributes: Mapping[str, Any] | None = None, context: Any = None
    ) -> None:
        key = self._series.key(self.name, attributes)
        if key is not None:
            with self._lock:
                points = self._points
                points[key] = points.get(key, 0) + amount


class _Stats(_Instrument, metrics.Histogram):
    def record(
        self, amount: float, attributes: Mapping[str, Any] | None = None, context: Any = None
    ) -> None:
        key = self._series.key(self.name, attributes)
        if key is None:
            return
        with self._lock:
            stats = self._points.get(key)
            if stats is None:
                self._points[key] = [amount, amount, amount, 1]
            else:
                if amount < stats[0]:
                    stats[0] = amount
                if amount > stats[1]:
                    stats[1] = amount
                stats[2] += amount
                stats[3] += 1

    def take(self) -> Points:
        # One observation is its own statistic set: CloudWatch reads a plain value as
        # Min = Max = Sum, SampleCount 1 (a Lambda invocation records most once; 45 bytes).
        return {
            key: low if count == 1 else {"Min": low, "Max": high, "Sum": total, "Count": count}
            for key, (low, high, total, count) in super().take().items()
        }


class _Last(_Instrument, metrics._Gauge):
    def set(
        self, amount: float, attributes: Mapping[str, Any] | None = None, context: Any = None
    ) -> None:
        key = self._series.key(self.name, attributes)
        if key is not None:
            with self._lock:
                self._points[key] = amount


class _Observed(_Instrument, metrics.ObservableGauge):
    """An observable instrument: its callbacks are read at each flush."""

    def __init__(
        self,
        name: str,
        unit: str,
        series: _Series,
        lock: threading.Lock,
        callbacks: Sequence[Callable[[CallbackOptions], Iterable[Observation]]] | None,
        increases: bool,
    ) -> None:
        super().__init__(name, unit, series, lock)
        self._callbacks = list(callbacks or ())
        self._increases = increases  # counters report the change since the last reading
        self._previous: dict[Dimensions, float] = {}

    def take(self) -> Points:
        points: dict[Dimensions, Any] = {}
        for callback in self._callbacks:
            try:
                observations = list(callback(CallbackOptions()))
            except Exception as exc:  # the host's callback: reported, never raised
                _safety.report_internal_error(f"metric callback of {self.name}", exc)
                continue
            for observation in observations:
                key = self._series.key(self.name, observation.attributes)
                if key is None:
                    continue
                value = observation.value
                if self._increases:
                    value, self._previous[key] = value - self._previous.get(key, 0), value
                    if not value:
                        continue
                points[key] = value
        return points


class _Ignored:
    """An instrument whose name CloudWatch refuses: its measurements go nowhere."""

    def add(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        """Dropped: the name was reported when the instrument was made."""

    record = set = add


class EMFMeter(metrics.Meter):
    """Hands out EMF instruments; all of one provider's share its lock and series."""

    def __init__(self, provider: EMFMeterProvider, name: str) -> None:
        super().__init__(name)
        self._provider = provider

    def _add(self, instrument: _Instrument) -> Any:
        if not _emf_rules.metric_name_ok(instrument.name):
            return _Ignored()
        if isinstance(instrument, _Observed):
            self._provider.observed.append(instrument)
        else:
            self._provider.recorded.append(instrument)
        return instrument

    def create_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._add(_Sum(name, unit, self._provider.series, self._provider.lock))

    def create_up_down_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._add(_Sum(name, unit, self._provider.series, self._provider.lock))

    def create_histogram(
        self, name: str, unit: str = "", description: str = "", **advice: Any
    ) -> Any:
        return self._add(_Stats(name, unit, self._provider.series, self._provider.lock))

    def create_gauge(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._add(_Last(name, unit, self._provider.series, self._provider.lock))

    def _observed(self, name: str, unit: str, callbacks: Any, increases: bool) -> Any:
        provider = self._provider
        return self._add(
            _Observed(name, unit, provider.series, provider.lock, callbacks, increases)
        )

    def create_observable_counter(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> Any:
        return self._observed(name, unit, callbacks, increases=True)

    def create_observable_up_down_counter(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> Any:
        return self._observed(name, unit, callbacks, increases=True)

    def create_observable_gauge(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> Any:
        return self._observed(name, unit, callbacks, increases=False)


class EMFMeterProvider(metrics.MeterProvider):
    """Meters whose measurements ``flush`` writes as EMF documents.

    Args:
        writer: renders and writes the documents.
        interval: seconds between flushes from a background thread; None for none (on
            Lambda the end-of-invocation flush writes them).
    """

    def __init__(self, writer: DocumentWriter, interval: float | None = None) -> None:
        self.writer = writer
        self.lock = threading.Lock()
        self.series = _Series()
        self.recorded: list[_Instrument] = []  # their calls record points
        self.observed: list[_Observed] = []  # their callbacks are read at each flush
        self._flush_lock = threading.Lock()  # one flush at a time writes a point once
        self._stop = threading.Event()
        if interval is not None:
            threading.Thread(
                target=self._every, args=(interval,), name="otelkit-emf", daemon=True
            ).start()

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> EMFMeter:
        return EMFMeter(self, name)

    def flush(self) -> bool:
        """Write what was recorded since the last flush; True (stdout does not refuse)."""
        with self._flush_lock:
            with self.lock:
                taken = [(i, i.take()) for i in self.recorded if i._points]
            # Callbacks are the host's code: run outside the lock, which records take.
            taken += [(i, i.take()) for i in self.observed]
            try:
                self.writer.write([(i.name, i.unit, points) for i, points in taken if points])
            except Exception as exc:
                _safety.report_internal_error("EMF flush", exc)
        return True

    def shutdown(self) -> None:
        """Stop the background flushes and write what is left."""
        self._stop.set()
        self.flush()

    def _every(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.flush()


def export_interval() -> float:
    """Seconds between background EMF flushes: ``OTEL_METRIC_EXPORT_INTERVAL`` (ms), as the
    SDK's periodic reader reads it, else 60."""
    try:
        millis = float(os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", "60000"))
    except ValueError:
        millis = 60_000.0
    return max(millis, 100.0) / 1000.0
