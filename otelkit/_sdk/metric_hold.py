"""Metric points a collector did not take yet, held for the next export.

The SDK's reader resets a delta once it is collected, whatever became of its export: a
delta whose export was refused ("not now") or skipped during the collector's pause was
gone, while the spans and records of the same moments waited in their outboxes. Here the
points of such an export are held and sent with the next one:

* delta points (the deltas of Lambda) are all held, up to ``MAX_HELD_POINTS``; past it
  the oldest held export is dropped and counted;
* cumulative points are superseded by the next export, which reports the same streams
  with their new totals: only the latest is held, for an export at shutdown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Metric,
    MetricsData,
    ResourceMetrics,
    ScopeMetrics,
)

#: Delta points held at most while the collector is away (a few hundred bytes each).
MAX_HELD_POINTS = 20_000


def point_count(data: MetricsData) -> int:
    return sum(
        len(getattr(m.data, "data_points", ()))
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    )


def _is_delta(metric: Metric) -> bool:
    return getattr(metric.data, "aggregation_temporality", None) == AggregationTemporality.DELTA


def only(data: MetricsData, *, delta: bool) -> MetricsData:
    """The metrics of ``data`` with (or without) delta temporality."""
    return merged([data], keep=lambda metric: _is_delta(metric) == delta)


def merged(parts: Iterable[MetricsData], keep: Any = None) -> MetricsData:
    """``parts`` as one ``MetricsData``, one entry per resource and scope (the encoder
    keeps only the last entry of a resource it sees twice)."""
    resources: dict[Any, dict[Any, list[Metric]]] = {}
    for data in parts:
        for rm in data.resource_metrics:
            scopes = resources.setdefault(rm.resource, {})
            for sm in rm.scope_metrics:
                metrics = [m for m in sm.metrics if keep is None or keep(m)]
                if metrics:
                    scopes.setdefault(sm.scope, []).extend(metrics)
    return MetricsData(
        resource_metrics=[
            ResourceMetrics(
                resource=resource,
                scope_metrics=[
                    ScopeMetrics(scope=scope, metrics=metrics, schema_url=scope.schema_url or "")
                    for scope, metrics in scopes.items()
                ],
                schema_url=resource.schema_url or "",
            )
            for resource, scopes in resources.items()
            if scopes
        ]
    )


class Held:
    """What earlier exports could not deliver yet (see the module docs)."""

    def __init__(self) -> None:
        self._deltas: list[tuple[MetricsData, int]] = []
        self._cumulative: MetricsData | None = None
        self.points = 0  # delta points held

    def __bool__(self) -> bool:
        return bool(self._deltas) or self._cumulative is not None

    def with_new(self, data: MetricsData | None) -> MetricsData:
        """What to send now: the held deltas, then ``data`` (which supersedes the held
        cumulative points), or the held cumulative points when there is no ``data``."""
        parts = [held for held, _ in self._deltas]
        if data is not None:
            parts.append(data)
        elif self._cumulative is not None:
            parts.append(self._cumulative)
        return merged(parts)

    def add(self, data: MetricsData) -> int:
        """Hold ``data``, which an export could not deliver (with what was held before),
        for the next export; the number of older points dropped to stay within
        ``MAX_HELD_POINTS``."""
        deltas, cumulative = only(data, delta=True), only(data, delta=False)
        self._cumulative = cumulative if cumulative.resource_metrics else None
        count = point_count(deltas)
        if count:
            self._deltas.append((deltas, count))
            self.points += count
        dropped = 0
        while self.points > MAX_HELD_POINTS and len(self._deltas) > 1:
            _, oldest = self._deltas.pop(0)
            self.points -= oldest
            dropped += oldest
        return dropped

    def clear(self) -> int:
        """Forget everything held; the points forgotten (cumulative ones included)."""
        count = self.points + (point_count(self._cumulative) if self._cumulative else 0)
        self._deltas, self._cumulative, self.points = [], None, 0
        return count
