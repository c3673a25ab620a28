"""Measurements given to the OpenTelemetry SDK at the flush instead of as they are made.

On Lambda the SDK's metrics leave only at the end-of-invocation flush, which the
extension runs after the response: aggregating each measurement as it is made (the
SDK's ``Measurement``, its attributes hashed, the aggregation looked up and updated)
put that work in what the caller waits for, for no earlier delivery. Here a
synchronous instrument keeps each measurement with the context it was made in (trace
exemplars still point at its span) and ``drain`` — called by the flush and the close,
first — hands them over in order. Observable instruments are the SDK's own: they are
read at collection anyway. A burst past ``LIMIT`` is handed over where it happens.
"""

from __future__ import annotations

import threading
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics

from otelkit._core import drops as _drops
from otelkit._core.safety import report_internal_error

#: Measurements kept before one of them drains them all.
LIMIT = 1024


class DeferredMeterProvider(metrics.MeterProvider):
    """Wraps ``sdk``: its synchronous instruments' measurements wait for ``drain``."""

    def __init__(self, sdk: metrics.MeterProvider) -> None:
        self.sdk = sdk
        self._pending: list[tuple[Any, str, float, Any, Any]] = []
        self._lock = threading.Lock()

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> metrics.Meter:
        return _DeferredMeter(name, self.sdk.get_meter(name, version, schema_url, attributes), self)

    def keep(
        self, instrument: Any, method: str, amount: float, attributes: Any, context: Any
    ) -> None:
        entry = (instrument, method, amount, attributes, context or otel_context.get_current())
        with self._lock:
            self._pending.append(entry)
            full = len(self._pending) >= LIMIT
        if full:
            self.drain()

    def pending(self) -> int:
        """How many measurements wait for ``drain``."""
        return len(self._pending)

    def drain(self) -> None:
        """Hand every kept measurement to the SDK, oldest first."""
        with self._lock:
            taken, self._pending = self._pending, []
        for instrument, method, amount, attributes, context in taken:
            try:
                getattr(instrument, method)(amount, attributes, context)
            except Exception as exc:  # one bad measurement must not cost the others
                _drops.add("metrics", "measurement failed")
                report_internal_error("metric (deferred measurement)", exc)


class _DeferredMeter(metrics.Meter):
    def __init__(self, name: str, sdk: metrics.Meter, owner: DeferredMeterProvider) -> None:
        super().__init__(name)
        self._sdk = sdk
        self._owner = owner

    def create_counter(self, *args: Any, **kwargs: Any) -> Any:
        return _Deferred(self._sdk.create_counter(*args, **kwargs), self._owner)

    def create_up_down_counter(self, *args: Any, **kwargs: Any) -> Any:
        return _Deferred(self._sdk.create_up_down_counter(*args, **kwargs), self._owner)

    def create_histogram(self, *args: Any, **kwargs: Any) -> Any:
        return _Deferred(self._sdk.create_histogram(*args, **kwargs), self._owner)

    def create_gauge(self, *args: Any, **kwargs: Any) -> Any:
        return _Deferred(self._sdk.create_gauge(*args, **kwargs), self._owner)

    # Observable instruments are read at collection: the SDK's own.
    def create_observable_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._sdk.create_observable_counter(*args, **kwargs)

    def create_observable_up_down_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._sdk.create_observable_up_down_counter(*args, **kwargs)

    def create_observable_gauge(self, *args: Any, **kwargs: Any) -> Any:
        return self._sdk.create_observable_gauge(*args, **kwargs)


class _Deferred:
    """One SDK instrument whose measurements are kept until the flush."""

    __slots__ = ("_instrument", "_owner")

    def __init__(self, instrument: Any, owner: DeferredMeterProvider) -> None:
        self._instrument = instrument
        self._owner = owner

    def add(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._owner.keep(self._instrument, "add", amount, attributes, context)

    def record(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._owner.keep(self._instrument, "record", amount, attributes, context)

    def set(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._owner.keep(self._instrument, "set", amount, attributes, context)
