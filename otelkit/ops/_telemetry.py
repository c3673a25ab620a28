"""A service's telemetry as its ops model declares it: the one source for the sidecar's
``awsemf`` settings (``otelkit collector render --model``), the alarms' units and the
end-to-end checks that what the alarms, SLOs and widgets watch is what arrives.

Each metric's dimension sets are the ones the model's alarms, SLOs and widgets name
(CloudWatch matches a dimension set exactly), plus any declared under ``metrics:``.
"""

from __future__ import annotations

from dataclasses import dataclass

from otelkit.collector._telemetry import MetricDeclaration, ServiceTelemetry
from otelkit.ops._cloudformation import all_alarms
from otelkit.ops._dashboard_cw import dashboard_widgets
from otelkit.ops._fields import insights_fields, logql_fields
from otelkit.ops._model import MetricRef, MetricSpec, ModelError, OpsModel

#: Metrics otelkit itself emits (or its ops presets derive from log lines), with the unit
#: they arrive in; a model's ``metrics:`` entry of the same name takes precedence.
OTELKIT_METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("Jobs", "Count"),
        MetricSpec("JobDuration", "Milliseconds"),
        MetricSpec("Sessions", "Count"),
        MetricSpec("ActiveSessions", "Count"),
        MetricSpec("http.server.request.duration", "Seconds"),
        MetricSpec("http.server.slow_requests", "Count"),
        MetricSpec("ErrorLines", "Count"),
    )
}
#: Metrics a CloudWatch Logs metric filter makes from log lines: never sent by the app.
FROM_LOG_LINES = frozenset({"ErrorLines"})


@dataclass(frozen=True)
class Target:
    """One thing that watches a metric: an alarm, an SLO or a widget."""

    kind: str  # "alarm", "slo" or "widget"
    name: str
    ref: MetricRef


def declared(model: OpsModel) -> dict[str, MetricSpec]:
    """Every metric the model can name in its own namespace, with its unit."""
    return {**OTELKIT_METRICS, **model.metrics}


def targets(model: OpsModel) -> list[Target]:
    """Every alarm, SLO and widget metric in the service's own namespace."""
    found = [Target("alarm", a.name, a.metric) for a in all_alarms(model)]
    for slo in model.slos:
        found += [Target("slo", slo.name, ref) for ref in (slo.bad, *slo.total)]
    for widget in dashboard_widgets(model):
        found += [Target("widget", widget.title, ref) for ref in widget.metrics]
    return [t for t in found if t.ref.custom]


#: The fields of a JSON log line the ``ErrorLines`` metric filter reads
#: (``{ $.level = "ERROR" }``, dimension ``$.service``).
ERROR_LINE_FIELDS = frozenset({"level", "service"})


def log_fields(model: OpsModel) -> dict[str, set[str]]:
    """The log line fields each consumer of the model reads: its saved queries (Insights
    and LogQL) and, when it has log groups, the ``ErrorLines`` metric filter."""
    fields = {
        f"query {q.name}": insights_fields(q.insights or "") | logql_fields(q.logql or "")
        for q in model.queries
    }
    if model.log_groups:
        fields["metric filter ErrorLines"] = set(ERROR_LINE_FIELDS)
    return fields


def check_units(model: OpsModel) -> None:
    """Every watched metric is declared, and every alarm's threshold unit is its unit.

    Raises:
        ModelError: naming the alarm, SLO or widget and the metric.
    """
    units = declared(model)
    for target in targets(model):
        if target.ref.metric not in units:
            raise ModelError(
                f"{target.kind} {target.name!r}: metric {target.ref.metric!r} is not "
                "declared under metrics: (give its unit)"
            )
    for alarm in model.alarms:
        spec = units.get(alarm.metric.metric)
        if alarm.unit is not None and spec is not None and alarm.unit != spec.unit:
            raise ModelError(
                f"alarm {alarm.name!r}: threshold {alarm.threshold:g} is in {alarm.unit}, "
                f"but {alarm.metric.metric} is declared in {spec.unit}"
            )


def telemetry_of(model: OpsModel, stage: str) -> ServiceTelemetry:
    """What the service must publish for its alarms, SLOs and widgets to see data."""
    units = declared(model)
    # Declared sets get ``service`` as watched ones do; a metric nothing watches is
    # still published, by service.
    sets: dict[str, list[tuple[str, ...]]] = {
        name: [tuple(sorted({*dims, "service"})) for dims in spec.dimensions]
        for name, spec in model.metrics.items()
    }
    for target in targets(model):
        name = target.ref.metric
        if name in FROM_LOG_LINES:
            continue
        dims = tuple(sorted(model.dimensions(target.ref, stage)))
        if dims not in sets.setdefault(name, []):
            sets[name].append(dims)
    return ServiceTelemetry(
        service=model.service,
        namespace=model.namespace,
        metrics=tuple(
            MetricDeclaration(name, units[name].unit, tuple(dim_sets or [("service",)]))
            for name, dim_sets in sets.items()
        ),
    )
