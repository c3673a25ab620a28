"""Metrics over OTLP: the exporters behind the SDK's periodic reader.

Names are restored to the case the user wrote (the SDK lower-cases them), every value is
made encodable, points the collector did not take yet are held for the next export
(``metric_hold``), and points a failed export lost or a partial success rejected are
counted as dropped; ``metric_failures_here`` lets ``flush()`` tell.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import weakref
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
)

from otelkit._core import drops as _drops
from otelkit._metering.metrics import display_name
from otelkit._sdk import export_plan
from otelkit._sdk.collector_link import within
from otelkit._sdk.metric_hold import Held, point_count
from otelkit._sdk.outbox import ABORT_GRACE, SHUTDOWN_PROBE_EVERY


class OtlpMetricExporter(MetricExporter):
    """Metrics over otelkit's OTLP/HTTP: names restored to the case the user wrote
    (``MessagesProcessed``), every value encodable; points the collector did not take
    yet held for the next export (``metric_hold``), and those a partial success rejected
    or a failed export lost counted as dropped."""

    def __init__(self, exporter: Any, temporality: dict[type, AggregationTemporality]):
        # As the SDK's OTLP exporters prefer, read without their encoder module (it loads
        # protobuf's generated classes, ~13 ms of a Lambda cold start, for nothing here):
        # ``temporality`` is the preference variable's table when it is set, and a kind
        # it leaves out is cumulative, as the reader has it and the variable's default.
        super().__init__(
            preferred_temporality=temporality,
            preferred_aggregation=export_plan.histogram_aggregation(),
        )
        self._exporter = exporter
        self._pid = os.getpid()
        self._held = Held()
        self._lock = threading.Lock()  # one export at a time: the reader's thread, a flush
        self._final = False  # shutdown is counting what is left: nothing is held any more
        self._accounts = threading.Lock()  # hands the request in flight over at shutdown
        self._in_flight = 0  # points of the request being sent (what is held among them)
        self._abandoned = False  # shutdown counted the request in flight: its sender won't
        _holders.add(self)

    @property
    def holding(self) -> bool:
        return bool(self._held) and not _in_a_forked_child(self._pid)

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        if _in_a_forked_child(self._pid):
            return MetricExportResult.SUCCESS  # the parent's points: the parent sends them
        with self._lock:
            return self._send(rename_metrics(metrics_data))

    def _send(self, data: MetricsData | None) -> MetricExportResult:
        held = self._held
        payload = held.with_new(data)
        points = point_count(payload)
        if not points:
            held.clear()
            return MetricExportResult.SUCCESS
        with self._accounts:
            self._in_flight = points
        outcome = self._exporter.export(payload, points)
        with self._accounts:
            self._in_flight = 0
            if self._abandoned:  # shutdown gave up waiting and counted it
                return MetricExportResult.FAILURE
        if outcome.delivered:
            held.clear()
            return MetricExportResult.SUCCESS
        _failed.count = metric_failures_here() + 1
        if outcome.kept and not self._final:
            if data is not None:
                _drops.add("metrics", "queue full", held.add(data))
            return MetricExportResult.FAILURE
        held.clear()
        if outcome.rejected:
            _drops.add("metrics", "rejected", outcome.rejected, detail=outcome.message)
            return MetricExportResult.SUCCESS  # the rest arrived
        reason = "undelivered at shutdown" if outcome.kept else outcome.dropped
        _drops.add("metrics", reason or "export failed", points)
        return MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Send what is held (the reader calls this after its collection, which exports
        nothing when no delta is new)."""
        if not self._held:
            return True
        if not self._lock.acquire(timeout=max(0.0, timeout_millis / 1000)):
            return False
        try:
            return self._send(None) is MetricExportResult.SUCCESS
        finally:
            self._lock.release()

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Send what is held within the budget (probing a paused collector again, as the
        outboxes do), then count what is left. The reader passes ``timeout`` (ms)."""
        budget = float(kwargs.get("timeout", timeout_millis)) / 1000
        deadline = time.monotonic() + max(0.0, budget)
        link = self._exporter.client.link
        got_lock = self._lock.acquire(timeout=max(0.0, deadline - time.monotonic()))
        try:
            with within(deadline):
                while got_lock and self._held and time.monotonic() < deadline:
                    paused = link.paused_for()
                    if paused > 0:
                        time.sleep(min(paused, SHUTDOWN_PROBE_EVERY, deadline - time.monotonic()))
                        link.probe_now()
                        continue
                    self._send(None)
            self._final = True
            self._exporter.shutdown()  # ends a request in flight in the reader's thread
            if not got_lock:  # the reader's thread counts its request itself, now
                got_lock = self._lock.acquire(timeout=ABORT_GRACE)
            with self._accounts:
                left = self._held.clear()
                if not got_lock and self._in_flight:
                    # Not even the abort got an answer (a starved process): the request's
                    # points, the held ones among them, are counted here; the process may
                    # exit before its sender runs again.
                    self._abandoned = True
                    left = self._in_flight
                _drops.add("metrics", "undelivered at shutdown", left)
        finally:
            if got_lock:
                self._lock.release()


_holders: weakref.WeakSet[OtlpMetricExporter] = weakref.WeakSet()


def _in_a_forked_child(pid: int) -> bool:
    """Whether an exporter made in process ``pid`` now runs in a forked child of it.

    The SDK restarts a periodic reader's thread in a forked child, so the parent's reader
    goes on exporting there what it holds of the parent's counts, which the parent sends
    too: a count made before a pre-fork server forked its workers arrived once per worker
    more. A child's own metrics go through the pipeline it builds (``_setup``)."""
    return os.getpid() != pid


def metrics_held() -> bool:
    """Whether a metric exporter holds points for its next export (a flush then
    exports metrics even when nothing was recorded since the last one)."""
    return any(exporter.holding for exporter in list(_holders))


class CountedMetricExport(MetricExporter):
    """The SDK's gRPC metric exporter with names restored to the case the user wrote,
    every value encodable, and the points of a failed export, or those a partial success
    rejected, counted as dropped."""

    def __init__(self, exporter: MetricExporter) -> None:
        super().__init__(
            preferred_temporality=exporter._preferred_temporality,
            preferred_aggregation=exporter._preferred_aggregation,
        )
        self._exporter = exporter
        self._pid = os.getpid()

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        if _in_a_forked_child(self._pid):
            return MetricExportResult.SUCCESS  # the parent's points: the parent sends them
        from otelkit._sdk.grpc_answers import take_rejected

        take_rejected()
        result = self._exporter.export(rename_metrics(metrics_data), timeout_millis, **kwargs)
        if result is not MetricExportResult.SUCCESS:
            _failed.count = metric_failures_here() + 1
            _drops.add("metrics", "export failed", point_count(metrics_data))
            return result
        rejected, message = take_rejected()
        if rejected:
            _failed.count = metric_failures_here() + 1
            _drops.add("metrics", "rejected", rejected, detail=message)
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._exporter.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._exporter.shutdown(timeout_millis=timeout_millis, **kwargs)


_failed = threading.local()


def metric_failures_here() -> int:
    """Metric exports that failed in this thread so far (``flush()`` compares)."""
    return int(getattr(_failed, "count", 0))


def rename_metrics(data: MetricsData) -> MetricsData:
    """``data`` with every metric named as the user wrote it, and every int value OTLP's
    int64 cannot carry (a counter summed past it) turned into a double: one such value
    must not fail the encoding of the whole batch."""
    replace = dataclasses.replace
    return replace(
        data,
        resource_metrics=[
            replace(
                rm,
                scope_metrics=[
                    replace(
                        sm,
                        metrics=[
                            _encodable(replace(m, name=display_name(m.name))) for m in sm.metrics
                        ],
                    )
                    for sm in rm.scope_metrics
                ],
            )
            for rm in data.resource_metrics
        ],
    )


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _encodable(metric: Metric) -> Metric:
    points = getattr(metric.data, "data_points", ())
    if not any(_past_int64(p) for p in points):
        return metric
    fixed = [dataclasses.replace(p, value=float(p.value)) if _past_int64(p) else p for p in points]
    data: Any = metric.data
    return dataclasses.replace(metric, data=dataclasses.replace(data, data_points=fixed))


def _past_int64(point: object) -> bool:
    return (
        isinstance(point, NumberDataPoint)
        and isinstance(point.value, int)
        and not _INT64_MIN <= point.value <= _INT64_MAX
    )
