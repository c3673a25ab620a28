"""Switchable tracer and meter providers: the global providers otelkit installs.

OpenTelemetry lets a global provider be set once per process, but ``configure()`` must be
re-callable and ``testing.capture()`` must route everything (instrumentation spans too)
into memory for a while. So the globals are these thin switches, and the SDK providers
behind them are swapped. Tracers and instruments handed out earlier follow every switch,
which is what lets botocore/httpx be instrumented once per process.

This module uses the OpenTelemetry API only.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.util.types import Attributes


class SwitchableTracerProvider(trace.TracerProvider):
    """A tracer provider whose tracers delegate to the currently switched-in provider."""

    def __init__(self) -> None:
        self._target: trace.TracerProvider = trace.NoOpTracerProvider()
        self._tracers: weakref.WeakSet[SwitchableTracer] = weakref.WeakSet()
        self._lock = threading.Lock()

    @property
    def target(self) -> trace.TracerProvider:
        """The provider spans currently go to."""
        return self._target

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes | None = None,
    ) -> SwitchableTracer:
        scope = (instrumenting_module_name, instrumenting_library_version, schema_url, attributes)
        tracer = SwitchableTracer(scope, self._target.get_tracer(*scope))
        with self._lock:
            self._tracers.add(tracer)
        return tracer

    def switch(self, target: trace.TracerProvider) -> None:
        """Send every tracer's future spans to ``target``."""
        with self._lock:
            self._target = target
            for tracer in list(self._tracers):
                tracer.delegate = target.get_tracer(*tracer.scope)


class SwitchableTracer(trace.Tracer):
    """A tracer that forwards to ``delegate``, which the provider replaces on switch."""

    def __init__(self, scope: tuple[Any, ...], delegate: trace.Tracer) -> None:
        self.scope = scope
        self.delegate = delegate

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self.delegate.start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self.delegate.start_as_current_span(*args, **kwargs)


class SwitchableMeterProvider(metrics.MeterProvider):
    """A meter provider whose instruments re-bind to the switched-in provider."""

    def __init__(self) -> None:
        self._target: metrics.MeterProvider = metrics.NoOpMeterProvider()
        self._meters: weakref.WeakSet[SwitchableMeter] = weakref.WeakSet()
        self._lock = threading.Lock()

    @property
    def target(self) -> metrics.MeterProvider:
        """The provider measurements currently go to."""
        return self._target

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes | None = None,
    ) -> SwitchableMeter:
        scope = (name, version, schema_url, attributes)
        meter = SwitchableMeter(scope, self._target.get_meter(*scope))
        with self._lock:
            self._meters.add(meter)
        return meter

    def switch(self, target: metrics.MeterProvider) -> None:
        """Re-create every instrument handed out so far on ``target``."""
        with self._lock:
            self._target = target
            for meter in list(self._meters):
                meter.rebind(target.get_meter(*meter.scope))


class SwitchableInstrument:
    """Forwards measurements to the real instrument of the current provider.

    One class serves every synchronous kind: each kind calls only its own method
    (``add``, ``record`` or ``set``).
    """

    __slots__ = ("__weakref__", "create", "delegate")

    def __init__(self, create: Callable[[metrics.Meter], Any], meter: metrics.Meter) -> None:
        self.create = create
        self.delegate = create(meter)

    def add(self, amount: float, attributes: Attributes = None, context: Any = None) -> None:
        global _recorded
        _recorded = True
        self.delegate.add(amount, attributes, context)

    def record(self, amount: float, attributes: Attributes = None, context: Any = None) -> None:
        global _recorded
        _recorded = True
        self.delegate.record(amount, attributes, context)

    def set(self, amount: float, attributes: Attributes = None, context: Any = None) -> None:
        global _recorded
        _recorded = True
        self.delegate.set(amount, attributes, context)


# Whether any measurement was made since ``take_recorded()`` last looked: a flush with
# nothing new skips the metrics collection (on Lambda, most invocations record nothing).
_recorded = False


def take_recorded() -> bool:
    """Whether a measurement was made since the last call; resets the flag."""
    global _recorded
    recorded, _recorded = _recorded, False
    return recorded


class SwitchableMeter(metrics.Meter):
    """A meter that hands out switchable instruments and re-creates them on switch."""

    def __init__(self, scope: tuple[Any, ...], delegate: metrics.Meter) -> None:
        super().__init__(scope[0], scope[1], scope[2])
        self.scope = scope
        self._delegate = delegate
        self._instruments: list[SwitchableInstrument] = []
        self._lock = threading.Lock()

    def rebind(self, delegate: metrics.Meter) -> None:
        with self._lock:
            self._delegate = delegate
            for instrument in self._instruments:
                instrument.delegate = instrument.create(delegate)

    def _make(self, method: str, name: str, *args: Any, **kwargs: Any) -> Any:
        def create(meter: metrics.Meter) -> Any:
            return getattr(meter, method)(name, *args, **kwargs)

        with self._lock:
            instrument = SwitchableInstrument(create, self._delegate)
            self._instruments.append(instrument)
        return instrument

    def create_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._make("create_counter", name, unit, description)

    def create_up_down_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._make("create_up_down_counter", name, unit, description)

    def create_histogram(
        self, name: str, unit: str = "", description: str = "", **kwargs: Any
    ) -> Any:
        return self._make("create_histogram", name, unit, description, **kwargs)

    def create_gauge(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._make("create_gauge", name, unit, description)

    def create_observable_counter(
        self,
        name: str,
        callbacks: Sequence[Any] | None = None,
        unit: str = "",
        description: str = "",
    ) -> Any:
        return self._make("create_observable_counter", name, callbacks, unit, description)

    def create_observable_gauge(
        self,
        name: str,
        callbacks: Sequence[Any] | None = None,
        unit: str = "",
        description: str = "",
    ) -> Any:
        return self._make("create_observable_gauge", name, callbacks, unit, description)

    def create_observable_up_down_counter(
        self,
        name: str,
        callbacks: Sequence[Any] | None = None,
        unit: str = "",
        description: str = "",
    ) -> Any:
        return self._make("create_observable_up_down_counter", name, callbacks, unit, description)


TRACER_PROVIDER = SwitchableTracerProvider()
METER_PROVIDER = SwitchableMeterProvider()

#: otelkit's own tracer and meter; their delegates are what the hot paths call.
TRACER = TRACER_PROVIDER.get_tracer("otelkit")
METER = METER_PROVIDER.get_meter("otelkit")

_installed = False
_install_lock = threading.Lock()


def follow_global() -> None:
    """Before ``configure()``: send otelkit's spans wherever the global provider sends them.

    A library may decorate with otelkit and never configure it; its spans then go to the
    application's provider, if it set one, like any API-only instrumentation's.
    """
    TRACER.delegate = trace.get_tracer("otelkit")


def connect(tracer_provider: trace.TracerProvider, meter_provider: metrics.MeterProvider) -> None:
    """Send every span and measurement, otelkit's and instrumentations', to these providers."""
    install_globals()
    TRACER_PROVIDER.switch(tracer_provider)  # otelkit's TRACER is one of its tracers
    METER_PROVIDER.switch(meter_provider)


def disconnect() -> None:
    """Stop sending spans and measurements anywhere (after ``shutdown()``, after a capture
    that had nothing before it), so nothing piles up in a provider no one reads."""
    TRACER_PROVIDER.switch(trace.NoOpTracerProvider())
    METER_PROVIDER.switch(metrics.NoOpMeterProvider())
    if not _installed:
        follow_global()


def install_globals() -> bool:
    """Make the switches the global providers (once). Returns False when another provider
    was already set globally, in which case only otelkit's own spans and the integrations
    it instruments go through otelkit's pipeline."""
    global _installed
    with _install_lock:
        if _installed:
            return True
        trace.set_tracer_provider(TRACER_PROVIDER)
        metrics.set_meter_provider(METER_PROVIDER)
        _installed = (
            trace.get_tracer_provider() is TRACER_PROVIDER
            and metrics.get_meter_provider() is METER_PROVIDER
        )
        return _installed


follow_global()
