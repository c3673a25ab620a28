"""What one service publishes to CloudWatch: the declaration a sidecar config is rendered
from, so the metrics the app sends arrive under the namespace, names, dimension sets and
units its alarms watch.

The collector tooling knows nothing of ops models; ``otelkit.ops`` builds a
:class:`ServiceTelemetry` from one (``otelkit.ops.telemetry_of``), and anything else may
build one by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: The metric label that carries the service name, as otelkit's direct EMF writes it.
SERVICE_DIMENSION = "service"


@dataclass(frozen=True)
class MetricDeclaration:
    """One metric: its name, CloudWatch unit and every dimension set it is published under."""

    name: str
    unit: str
    dimension_sets: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ServiceTelemetry:
    """A service's namespace and metrics, the single source for its ``awsemf`` settings."""

    service: str
    namespace: str
    metrics: tuple[MetricDeclaration, ...]


def metric_declarations(telemetry: ServiceTelemetry) -> list[dict[str, Any]]:
    """``awsemf`` ``metric_declarations``: metrics sharing their dimension sets share one
    rule, each selected by its exact name (awsemf matches selectors as regexes)."""
    by_sets: dict[tuple[tuple[str, ...], ...], list[str]] = {}
    for metric in telemetry.metrics:
        by_sets.setdefault(metric.dimension_sets, []).append(metric.name)
    return [
        {
            "dimensions": [list(dims) for dims in sets],
            "metric_name_selectors": [f"^{re.escape(name)}$" for name in names],
        }
        for sets, names in by_sets.items()
    ]


def metric_descriptors(telemetry: ServiceTelemetry) -> list[dict[str, Any]]:
    """``awsemf`` ``metric_descriptors``: the declared unit replaces the one the app sent
    (awsemf would pass OpenTelemetry's ``1`` or ``{request}`` through unchanged)."""
    return [{"metric_name": m.name, "unit": m.unit, "overwrite": True} for m in telemetry.metrics]


def service_label() -> dict[str, Any]:
    """A ``resource`` processor that copies ``service.name`` to ``service``, which
    ``resource_to_telemetry_conversion`` then turns into the label the alarms name."""
    return {
        "attributes": [
            {"key": SERVICE_DIMENSION, "from_attribute": "service.name", "action": "insert"}
        ]
    }
