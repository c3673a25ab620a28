"""The meter provider of a pipeline whose metrics have nowhere to go (no reader, no EMF):
the OpenTelemetry API's proxy, whose instruments record nothing, so a function that
never counts anything does not import the SDK's metrics package (~17 ms of cold start).
``attach`` gives it an SDK provider with a reader (Prometheus, added as the process
runs); the instruments made before then record from that moment on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The API's own proxy (what the global provider is before one is set): its meters and
# instruments switch to the real ones when it is given a provider.
from opentelemetry.metrics._internal import _ProxyMeterProvider

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.resources import Resource


class IdleMeterProvider(_ProxyMeterProvider):
    """Records nothing until ``attach``; ``real`` is the SDK provider it forwards to then."""

    def __init__(self, resource: Resource) -> None:
        super().__init__()
        self.resource = resource
        self.real: MeterProvider | None = None

    def attach(self, reader: MetricReader) -> None:
        """Forward every meter, from now on, to an SDK provider read by ``reader``."""
        from opentelemetry.sdk.metrics import MeterProvider

        if self.real is not None:
            self.real.add_metric_reader(reader)
            return
        self.real = MeterProvider(
            resource=self.resource, metric_readers=[reader], shutdown_on_exit=False
        )
        self.on_set_meter_provider(self.real)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True if self.real is None else self.real.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000) -> Any:
        if self.real is not None:
            self.real.shutdown(timeout_millis=timeout_millis)
