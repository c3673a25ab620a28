"""Measurements given to the OpenTelemetry SDK at the flush instead of as they are made.

On Lambda (see ``held_calls``): aggregating each measurement as it is made (the SDK's
``Measurement``, its attributes hashed, the aggregation looked up and updated) put that
work in what the caller waits for, for no earlier delivery. Here a synchronous
instrument keeps each measurement with the context it was made in (trace exemplars
still point at its span) until the flush. Observable instruments are the SDK's own:
they are read at collection anyway.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics

from otelkit._sdk.held_calls import HeldCalls

#: Measurements kept before one of them drains them all.
LIMIT = 1024


class DeferredMeterProvider(HeldCalls, metrics.MeterProvider):
    """Wraps ``sdk``: its synchronous instruments' measurements wait for ``drain``."""

    def __init__(self, sdk: metrics.MeterProvider) -> None:
        super().__init__(LIMIT, "metrics", "measurement")
        self.sdk = sdk

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> metrics.Meter:
        return _DeferredMeter(name, self.sdk.get_meter(name, version, schema_url, attributes), self)


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
        self._keep(self._instrument.add, amount, attributes, context)

    def record(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._keep(self._instrument.record, amount, attributes, context)

    def set(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._keep(self._instrument.set, amount, attributes, context)

    def _keep(self, call: Any, amount: float, attributes: Any, context: Any) -> None:
        # The context it was made in, not the flush's: exemplars name the right span.
        self._owner.keep(call, amount, attributes, context or otel_context.get_current())
