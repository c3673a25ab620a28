"""Presets: the alarms and widgets every service of a workload type needs.

Each preset row puts one alarm on an AWS service metric of one resource the model
names (a function, a queue, a load balancer…), so a model lists its resources and gets
the seeds' standard alarms with their usual thresholds. ``thresholds: {KEY: value}`` in
the model changes a row's threshold; a threshold of ``-1`` drops the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from otelkit.ops._model import (
    Alarm,
    Comparison,
    MetricRef,
    ModelError,
    OpsModel,
    Resources,
    Severity,
    View,
    Widget,
    Workload,
)


@dataclass(frozen=True)
class _Row:
    key: str
    namespace: str | None  # None: the service's own namespace
    metric: str
    stat: str
    period: int
    comparison: Comparison
    threshold: float
    severity: Severity
    description: str
    runbook: str
    # The dimension sets to alarm on, one alarm each; (suffix, dimensions).
    targets: Callable[[Resources], list[tuple[str, dict[str, str]]]]


def _per_function(r: Resources) -> list[tuple[str, dict[str, str]]]:
    return [(f"-{name}", {"FunctionName": name}) for name in r.functions]


def _one(key: str, **dims: str | None) -> Callable[[Resources], list[tuple[str, dict[str, str]]]]:
    """Targets for one resource: empty when the model does not name it."""

    def targets(r: Resources) -> list[tuple[str, dict[str, str]]]:
        values = {dim: getattr(r, attr) for dim, attr in dims.items() if attr}
        if any(v is None for v in values.values()):
            return []
        return [("", {dim: str(v) for dim, v in values.items()})]

    targets.__name__ = key
    return targets


def _per_job(r: Resources) -> list[tuple[str, dict[str, str]]]:
    return [(f"-{name}", {"job_name": name, "outcome": "error"}) for name in r.jobs]


_ALB = {"LoadBalancer": "load_balancer"}
_ECS = {"ClusterName": "cluster", "ServiceName": "ecs_service"}
ROWS: tuple[_Row, ...] = (
    _Row(
        "LambdaErrors",
        "AWS/Lambda",
        "Errors",
        "Sum",
        300,
        ">",
        5,
        "warning",
        "Invocations failed with an uncaught error.",
        "lambda-errors.md",
        _per_function,
    ),
    _Row(
        "LambdaThrottles",
        "AWS/Lambda",
        "Throttles",
        "Sum",
        300,
        ">",
        0,
        "warning",
        "Invocations were throttled at the concurrency limit.",
        "lambda-throttles.md",
        _per_function,
    ),
    _Row(
        "DLQHasMessages",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
        60,
        ">",
        0,
        "critical",
        "Messages reached the dead-letter queue after their retries.",
        "dlq-investigation.md",
        _one("dlq", QueueName="dlq"),
    ),
    _Row(
        "QueueBacklog",
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "Maximum",
        300,
        ">",
        300,
        "warning",
        "The oldest message has waited longer than this (seconds).",
        "queue-backlog.md",
        _one("queue", QueueName="queue"),
    ),
    _Row(
        "Api5xx",
        "AWS/ApiGateway",
        "5XXError",
        "Sum",
        300,
        ">",
        10,
        "warning",
        "The API answered with server errors.",
        "api-errors.md",
        _one("api", ApiName="api"),
    ),
    _Row(
        "CpuHigh",
        "AWS/ECS",
        "CPUUtilization",
        "Average",
        300,
        ">",
        80,
        "warning",
        "The ECS service is CPU-bound (percent).",
        "ecs-capacity.md",
        _one("cpu", **_ECS),
    ),
    _Row(
        "MemoryHigh",
        "AWS/ECS",
        "MemoryUtilization",
        "Average",
        300,
        ">",
        85,
        "warning",
        "The ECS service is close to its memory limit (percent).",
        "ecs-capacity.md",
        _one("memory", **_ECS),
    ),
    _Row(
        "UnhealthyTargets",
        "AWS/ApplicationELB",
        "UnHealthyHostCount",
        "Maximum",
        120,
        ">",
        0,
        "critical",
        "Load balancer targets fail their health checks.",
        "unhealthy-targets.md",
        _one("unhealthy", TargetGroup="target_group", **_ALB),
    ),
    _Row(
        "SlowResponses",
        "AWS/ApplicationELB",
        "TargetResponseTime",
        "Average",
        300,
        ">",
        5,
        "warning",
        "Responses take longer than this (seconds).",
        "slow-responses.md",
        _one("slow", **_ALB),
    ),
    _Row(
        "Target5xx",
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        "Sum",
        300,
        ">",
        5,
        "warning",
        "The service answered with server errors.",
        "api-errors.md",
        _one("5xx", **_ALB),
    ),
    _Row(
        "DynamoThrottles",
        "AWS/DynamoDB",
        "ThrottledRequests",
        "Sum",
        300,
        ">",
        0,
        "warning",
        "DynamoDB throttled requests.",
        "dynamodb-throttles.md",
        _one("table", TableName="table"),
    ),
)

# What each workload type must name, so its presets have something to watch.
REQUIRED: dict[Workload, tuple[str, ...]] = {
    "lambda_api": ("functions",),
    "sqs_pipeline": ("functions", "queue", "dlq"),
    "ecs_api": ("cluster", "ecs_service", "load_balancer", "target_group"),
    "job_pipeline": ("jobs",),
    "worker_fleet": ("jobs", "scrape_job"),
}


def preset_alarms(model: OpsModel) -> list[Alarm]:
    """The workload's standard alarms on the resources the model names."""
    missing = [name for name in REQUIRED[model.workload] if not getattr(model.resources, name)]
    if missing:
        raise ModelError(f"resources: a {model.workload} model names {', '.join(missing)}")
    rows = (*ROWS, _job_row(model), _error_lines_row(model))
    unknown = set(model.thresholds) - {row.key for row in rows}
    if unknown:
        raise ModelError(
            f"thresholds: unknown preset {sorted(unknown)[0]!r} "
            f"(known: {', '.join(sorted(row.key for row in rows))})"
        )
    alarms = []
    for row in rows:
        threshold = model.thresholds.get(row.key, row.threshold)
        if threshold == -1:
            continue
        for suffix, dims in row.targets(model.resources):
            alarms.append(
                Alarm(
                    name=row.key + suffix,
                    metric=MetricRef(row.metric, row.namespace, dims, row.stat),
                    threshold=threshold,
                    description=row.description,
                    runbook=row.runbook,
                    comparison=row.comparison,
                    period=row.period,
                    severity=row.severity,
                )
            )
    return alarms


def _job_row(model: OpsModel) -> _Row:
    # otelkit.job() counts every job in ``Jobs`` with job_name and outcome dimensions.
    return _Row(
        "JobFailures",
        None,
        "Jobs",
        "Sum",
        300,
        ">",
        0,
        "warning",
        "Jobs failed (JOB_FAILED lines carry the job_id and the error).",
        "job-failures.md",
        _per_job,
    )


ERROR_LINES = "ErrorLines"


def _error_lines_row(model: OpsModel) -> _Row:
    # The template's metric filters count ERROR lines per service in every log group.
    targets: list[tuple[str, dict[str, str]]] = [("", {})] if model.log_groups else []
    return _Row(
        "ErrorSpike",
        None,
        ERROR_LINES,
        "Sum",
        300,
        ">",
        10,
        "warning",
        "More ERROR lines than usual.",
        "error-spike.md",
        lambda _r: targets,
    )


def preset_widgets(model: OpsModel) -> list[Widget]:
    """Widgets on the AWS metrics of the model's resources, after the model's own."""
    r = model.resources
    widgets: list[Widget] = []

    def per_function(title: str, metric: str, stat: str, view: View = "timeSeries") -> None:
        if r.functions:
            widgets.append(
                Widget(
                    title,
                    tuple(
                        MetricRef(metric, "AWS/Lambda", {"FunctionName": f}, stat)
                        for f in r.functions
                    ),
                    view=view,
                )
            )

    per_function("Lambda invocations", "Invocations", "Sum")
    per_function("Lambda errors", "Errors", "Sum", "stacked")
    per_function("Lambda duration (p99)", "Duration", "p99")
    queues: tuple[tuple[str, str | None, str, View], ...] = (
        ("SQS queue depth", r.queue, "Maximum", "timeSeries"),
        ("DLQ messages", r.dlq, "Maximum", "singleValue"),
    )
    for title, name, stat, view in queues:
        if name:
            widgets.append(
                Widget(
                    title,
                    (
                        MetricRef(
                            "ApproximateNumberOfMessagesVisible",
                            "AWS/SQS",
                            {"QueueName": name},
                            stat,
                        ),
                    ),
                    view=view,
                )
            )
    if r.cluster and r.ecs_service:
        dims = {"ClusterName": r.cluster, "ServiceName": r.ecs_service}
        widgets.append(
            Widget(
                "ECS CPU and memory (%)",
                (
                    MetricRef("CPUUtilization", "AWS/ECS", dims, "Average"),
                    MetricRef("MemoryUtilization", "AWS/ECS", dims, "Average"),
                ),
            )
        )
    if r.load_balancer:
        dims = {"LoadBalancer": r.load_balancer}
        widgets.append(
            Widget(
                "ALB response time (p95, s)",
                (MetricRef("TargetResponseTime", "AWS/ApplicationELB", dims, "p95"),),
            )
        )
        widgets.append(
            Widget(
                "ALB 5xx",
                (MetricRef("HTTPCode_Target_5XX_Count", "AWS/ApplicationELB", dims, "Sum"),),
            )
        )
    if r.table:
        widgets.append(
            Widget(
                "DynamoDB throttles",
                (MetricRef("ThrottledRequests", "AWS/DynamoDB", {"TableName": r.table}, "Sum"),),
            )
        )
    return widgets
