"""The in-memory pipeline behind ``otelkit.testing.capture()``."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    InMemoryMetricReader,
    NumberDataPoint,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otelkit import _integrations
from otelkit._config.settings import resolve
from otelkit._core import pipeline as _pipeline
from otelkit._logs import handler as _logging
from otelkit._metering.metrics import display_name
from otelkit._sdk.providers import assemble


class Capture:
    """What a ``capture()`` block recorded.

    Attributes:
        spans: finished spans, as OpenTelemetry ``ReadableSpan`` objects.
        logs: log records as dicts, in the shape of the JSON log lines.
    """

    # Imported as ``otelkit.testing.Capture``; defined here, with the SDK it needs.
    __module__ = "otelkit.testing"

    def __init__(self, *, service_name: str, environment: str, level: str) -> None:
        configured = _pipeline.current().settings
        settings = resolve(
            {
                # Built-in redaction always; the configured words too, so a test sees the
                # fields production redacts.
                "redact_keys": configured.redact_keys if configured is not None else (),
                "service_name": service_name,
                "environment": environment,
                "log_level": level,
                "console": False,
                "log_format": "json",
                "resource_detectors": "none",
            },
            environ={},
        )
        self._spans = InMemorySpanExporter()
        self._reader = InMemoryMetricReader()
        self.logs: list[dict[str, Any]] = []
        self._pipeline = assemble(
            settings=settings,
            span_processors=[SimpleSpanProcessor(self._spans)],
            metric_readers=[self._reader],
            logger_provider=None,
            render=None,
            resource=lambda: Resource(
                {"service.name": service_name, "deployment.environment": environment}
            ),
            sinks=(self.logs.append,),
        )
        self._previous: _pipeline.Pipeline | None = None
        self._root_level = logging.NOTSET

    @property
    def spans(self) -> list[Any]:
        """Finished spans, oldest first."""
        return list(self._spans.get_finished_spans())

    @property
    def metrics(self) -> dict[str, list[tuple[dict[str, Any], Any]]]:
        """Metric name -> ``(attributes, value)`` points; value is the sum for counters and
        ``{count, sum, min, max}`` for histograms."""
        result: dict[str, list[tuple[dict[str, Any], Any]]] = {}
        data = self._reader.get_metrics_data()
        if data is None:
            return result
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    points = result.setdefault(display_name(metric.name), [])
                    for point in metric.data.data_points:
                        value: Any
                        if isinstance(point, HistogramDataPoint):
                            value = {
                                "count": point.count,
                                "sum": point.sum,
                                "min": point.min,
                                "max": point.max,
                            }
                        elif isinstance(point, NumberDataPoint):
                            value = point.value
                        else:  # exponential histograms: only if a user configures a view
                            value = {"count": point.count, "sum": point.sum}
                        points.append((dict(point.attributes or {}), value))
        return result

    def span(self, name: str) -> Any:
        """The one finished span called ``name`` (AssertionError if none or several)."""
        found = [s for s in self.spans if s.name == name]
        assert len(found) == 1, (
            f"expected one span {name!r}, found {len(found)}: {[s.name for s in self.spans]}"
        )
        return found[0]

    def clear(self) -> None:
        """Forget what was captured so far (metrics keep accumulating, as counters do)."""
        self._spans.clear()
        self.logs.clear()

    def __enter__(self) -> Capture:
        # The installed integrations, as configure() would: botocore and httpx spans are
        # part of what a test wants to see, even in a process that never configured.
        _integrations.enable(None)
        root = logging.getLogger()
        self._root_level = root.level
        self._previous = _pipeline.activate(self._pipeline)
        _logging.install(self._pipeline.handler_level)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._previous is not None
        _pipeline.activate(self._previous)
        if self._previous.tracer_provider is None:
            _logging.uninstall()
        logging.getLogger().setLevel(self._root_level)
