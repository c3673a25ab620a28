"""Process and host metrics through OpenTelemetry's system-metrics instrumentation.

With ``system_metrics=True`` the process's CPU, memory, threads, open file descriptors,
context switches and garbage collections, and the host's memory utilization, are
recorded next to otelkit's own metrics: the same OTLP export, ``/metrics`` scrape and EMF
namespace. They are the upstream instrumentation's metrics, with the semantic
conventions' names (``process.memory.usage``, ``process.thread.count``…), so dashboards
built for any OpenTelemetry service read them.

Only per-process metrics and one host-wide series are kept: the instrumentation's
default set also has per-CPU, per-disk and per-interface series and a scan of every
socket on the host, which multiply a fleet's metric bill and cost a scrape.

The instruments are created once per process on a meter provider of their own, which
follows the configured pipeline and is switched off when a re-configure turns the
setting off. A forked child (a gunicorn worker) measures itself, not its parent.

Needs the ``system-metrics`` extra: ``pip install 'otelkit[system-metrics]'``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from opentelemetry import metrics

from otelkit._core.switch import SwitchableMeterProvider

#: The instrumentation's metrics otelkit turns on, with the states each reports.
METRICS: dict[str, list[str] | None] = {
    "process.cpu.time": ["user", "system"],
    "process.cpu.utilization": None,
    "process.memory.usage": None,
    "process.memory.virtual": None,
    "process.open_file_descriptor.count": None,
    "process.thread.count": None,
    "process.context_switches": ["involuntary", "voluntary"],
    "cpython.gc.collections": None,
    "system.memory.utilization": ["used"],
}

_provider = SwitchableMeterProvider()
_lock = threading.Lock()
_instrumentor: Any = None
_measured_pid = 0


def _instrumented() -> Any:
    """The instrumentor, instruments created on ``_provider`` the first time."""
    global _instrumentor, _measured_pid
    if _instrumentor is None:
        try:
            from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor
        except ImportError as exc:
            raise ImportError(
                "system_metrics needs OpenTelemetry's system-metrics instrumentation: "
                "pip install 'otelkit[system-metrics]'"
            ) from exc
        instrumentor = SystemMetricsInstrumentor(config=METRICS)
        instrumentor.instrument(meter_provider=_provider)
        _instrumentor, _measured_pid = instrumentor, os.getpid()
    elif _measured_pid != os.getpid():
        # The instrumentor holds a psutil handle on the process that created it: after a
        # fork it would report the parent's memory and threads as the child's.
        import psutil

        _instrumentor._proc = psutil.Process()
        _measured_pid = os.getpid()
    return _instrumentor


def enable(on: bool, meter_provider: metrics.MeterProvider | None) -> None:
    """Send the system metrics to ``meter_provider`` when ``on``; else record none.

    Raises:
        ImportError: ``on`` and the ``system-metrics`` extra is not installed.
    """
    with _lock:
        if on and meter_provider is not None:
            _instrumented()
            _provider.switch(meter_provider)
        elif _instrumentor is not None:
            _provider.switch(metrics.NoOpMeterProvider())


def disable() -> None:
    """Stop recording (``shutdown()``): the pipeline's provider is closing."""
    enable(False, None)
