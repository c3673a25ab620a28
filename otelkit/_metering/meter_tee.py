"""One meter provider that gives every measurement to two: the SDK's and EMF's.

EMF beside OTLP (or the console, or Prometheus) used to be a second SDK reader, which
aggregated every measurement a second time in the SDK's machinery. The tee hands each one
to the SDK provider (aggregated once, for its readers) and to the EMF provider (a dict
update). Instruments are made on both when an instrument is made on the tee.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import metrics


class TeeMeterProvider(metrics.MeterProvider):
    """Gives every measurement to two providers: ``sdk`` (for its readers) and ``emf``."""

    def __init__(self, sdk: metrics.MeterProvider, emf: metrics.MeterProvider) -> None:
        self.sdk = sdk
        self.emf = emf
        self._providers = (sdk, emf)

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> metrics.Meter:
        sdk, emf = (p.get_meter(name, version, schema_url, attributes) for p in self._providers)
        return _TeeMeter(name, sdk, emf)


class _TeeMeter(metrics.Meter):
    def __init__(self, name: str, sdk: metrics.Meter, emf: metrics.Meter) -> None:
        super().__init__(name)
        self._meters = (sdk, emf)

    def _both(self, method: str, *args: Any, **kwargs: Any) -> Any:
        sdk, emf = (getattr(meter, method)(*args, **kwargs) for meter in self._meters)
        return _Tee(sdk, emf)

    def create_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._both("create_counter", *args, **kwargs)

    def create_up_down_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._both("create_up_down_counter", *args, **kwargs)

    def create_histogram(self, *args: Any, **kwargs: Any) -> Any:
        return self._both("create_histogram", *args, **kwargs)

    def create_gauge(self, *args: Any, **kwargs: Any) -> Any:
        return self._both("create_gauge", *args, **kwargs)

    def create_observable_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._both("create_observable_counter", *args, **kwargs)

    def create_observable_up_down_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._both("create_observable_up_down_counter", *args, **kwargs)

    def create_observable_gauge(self, *args: Any, **kwargs: Any) -> Any:
        return self._both("create_observable_gauge", *args, **kwargs)


class _Tee:
    """One instrument of each provider; a measurement goes to EMF first, so a dimension
    strict mode refuses raises before the SDK has counted it."""

    __slots__ = ("_emf", "_sdk")

    def __init__(self, sdk: Any, emf: Any) -> None:
        self._sdk = sdk
        self._emf = emf

    def add(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._emf.add(amount, attributes, context)
        self._sdk.add(amount, attributes, context)

    def record(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._emf.record(amount, attributes, context)
        self._sdk.record(amount, attributes, context)

    def set(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._emf.set(amount, attributes, context)
        self._sdk.set(amount, attributes, context)
