"""The ops model: what one service emits and what should page someone about it.

A model is a small YAML document (or the same mapping built in Python). It names the
service, its workload type, the AWS resources it runs on, its log groups, and the
alarms, SLOs, dashboard widgets and saved queries on top; the workload's preset
(``_presets.py``) adds the alarms every service of that type needs, so a typical model
is a dozen lines. Names may contain ``{stage}`` and ``{service}``, filled in at render
time, so one model serves every stage. Reading and validating one is ``_parse.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

Severity = Literal["critical", "warning", "info"]
Workload = Literal["lambda_api", "sqs_pipeline", "ecs_api", "job_pipeline", "worker_fleet"]
Comparison = Literal[">", ">=", "<", "<="]
View = Literal["timeSeries", "singleValue", "stacked"]

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
WORKLOADS: tuple[Workload, ...] = get_args(Workload)
# The values CloudWatch Logs accepts for RetentionInDays.
RETENTION_DAYS = frozenset(
    {
        1,
        3,
        5,
        7,
        14,
        30,
        60,
        90,
        120,
        150,
        180,
        365,
        400,
        545,
        731,
        1096,
        1827,
        2192,
        2557,
        2922,
        3288,
        3653,
    }
)


#: The units CloudWatch accepts on a metric (MetricDatum.Unit), which the model declares.
CLOUDWATCH_UNITS = frozenset(
    {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    }
)


class ModelError(ValueError):
    """The model is not valid; the message names the field and what was wrong."""


@dataclass(frozen=True)
class MetricRef:
    """One CloudWatch metric: a name, its namespace and its full dimension set.

    ``namespace`` None means the service's own namespace, where otelkit's EMF documents
    add ``service`` to every dimension set: it is added here too, so an alarm names the
    exact set the service emits (CloudWatch matches dimension sets exactly). A dimension
    value ``*`` matches every value (dashboards only, through a SEARCH expression).
    """

    metric: str
    namespace: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    stat: str = "Sum"

    @property
    def custom(self) -> bool:
        """Whether the service emits this metric itself (not an AWS service metric)."""
        return self.namespace is None


@dataclass(frozen=True)
class MetricSpec:
    """What the service declares about one metric it emits: the single source for the
    collector's ``awsemf`` settings, the alarms' units and the end-to-end checks.

    ``unit`` is a CloudWatch unit (``Seconds``, ``Count``, ...). ``dimensions`` lists
    dimension sets published besides the ones the alarms, SLOs and widgets watch.
    """

    name: str
    unit: str
    dimensions: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Alarm:
    """A threshold alarm on one metric, sent to the SNS topic of its severity.

    ``unit`` is the unit the threshold is written in; it must be the metric's declared
    unit (a threshold in ms on a metric in seconds would fire 1000 times too late).
    """

    name: str
    metric: MetricRef
    threshold: float
    description: str
    runbook: str
    comparison: Comparison = ">"
    period: int = 300
    evaluation_periods: int = 1
    severity: Severity = "warning"
    unit: str | None = None


@dataclass(frozen=True)
class Slo:
    """An objective: ``bad / total`` stays under ``1 - objective`` (availability or latency).

    Rendered as multi-window burn-rate alarms (a fast and a slow pair), which page when
    the error budget of ``window_days`` would be gone long before the window ends.
    """

    name: str
    objective: float
    bad: MetricRef
    total: tuple[MetricRef, ...]
    runbook: str
    window_days: int = 30
    # A latency objective ("p95 under 500 ms" is objective 95, threshold 500): bad is
    # the count of samples above ``threshold`` (CloudWatch's ``TC(500:)``), total their
    # count, both derived from ``latency`` by the parser.
    latency: MetricRef | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Widget:
    """A dashboard widget: metrics (optionally combined by ``expression``) or a query."""

    title: str
    metrics: tuple[MetricRef, ...] = ()
    expression: str | None = None
    view: View = "timeSeries"
    query: str | None = None  # the name of a saved query: a log table widget


@dataclass(frozen=True)
class Query:
    """A saved query, in Logs Insights and/or LogQL form."""

    name: str
    description: str
    insights: str | None = None
    logql: str | None = None


@dataclass(frozen=True)
class LogGroup:
    """A log group; ``retention_days`` overrides the model's per-stage retention."""

    name: str
    retention_days: int | None = None


@dataclass(frozen=True)
class PrometheusRule:
    """An alerting rule for fleets scraped by Prometheus."""

    alert: str
    expr: str
    summary: str
    runbook: str
    for_: str = "5m"
    severity: Severity = "warning"


StorageClass = Literal[
    "INTELLIGENT_TIERING", "STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
]
STORAGE_CLASSES: tuple[StorageClass, ...] = get_args(StorageClass)


@dataclass(frozen=True)
class S3Archive:
    """An archive stack the template creates: the log groups' lines (those matching
    ``filter_pattern``) through a Firehose stream into an S3 bucket whose lifecycle moves
    them to ``storage_class`` after ``transition_days`` and deletes them after
    ``expire_days``; Intelligent-Tiering's archive tiers take objects nobody read for
    ``archive_access_days`` / ``deep_archive_access_days`` (None: tier not used).
    """

    bucket: str
    filter_pattern: str = ""
    prefix: str = "logs/"
    storage_class: StorageClass = "INTELLIGENT_TIERING"
    transition_days: int = 30
    expire_days: int | None = None
    archive_access_days: int | None = 90
    deep_archive_access_days: int | None = 180


@dataclass(frozen=True)
class ErrorRouting:
    """ERROR lines to an SNS topic: a metric filter's count alarms at the first line."""

    severity: Severity = "warning"
    period: int = 60


@dataclass(frozen=True)
class ScrapeJob:
    """A Prometheus scrape job: the targets serving ``/metrics`` (host:port)."""

    job: str
    targets: tuple[str, ...]
    interval: str = "15s"
    metrics_path: str = "/metrics"


@dataclass(frozen=True)
class Resources:
    """The AWS resources the presets put alarms and widgets on (names take ``{stage}``)."""

    functions: tuple[str, ...] = ()
    queue: str | None = None
    dlq: str | None = None
    api: str | None = None
    cluster: str | None = None
    ecs_service: str | None = None
    load_balancer: str | None = None  # the ALB's ARN suffix: app/<name>/<id>
    target_group: str | None = None  # the target group's ARN suffix: targetgroup/<name>/<id>
    table: str | None = None
    jobs: tuple[str, ...] = ()  # job names given to otelkit.job()
    scrape_job: str | None = None  # the Prometheus job that scrapes the fleet


@dataclass(frozen=True)
class OpsModel:
    """Everything rendered for one service."""

    service: str
    workload: Workload
    namespace: str
    runbooks: str
    retention: Mapping[str, int]
    log_groups: tuple[LogGroup, ...] = ()
    resources: Resources = Resources()
    notify: Mapping[Severity, tuple[str, ...]] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)
    alarms: tuple[Alarm, ...] = ()
    slos: tuple[Slo, ...] = ()
    widgets: tuple[Widget, ...] = ()
    queries: tuple[Query, ...] = ()
    prometheus_rules: tuple[PrometheusRule, ...] = ()
    prometheus_scrape: tuple[ScrapeJob, ...] = ()
    s3_archive: S3Archive | None = None  # an archive stack the template creates
    error_routing: ErrorRouting | None = None
    archive: Mapping[str, str] = field(default_factory=dict)  # destination_arn, role_arn
    example: str | None = None  # the script under examples/ that runs this service
    metrics: Mapping[str, MetricSpec] = field(default_factory=dict)
    # Loki stream label -> the resource attribute it comes from, or "severity" (level)
    loki_labels: Mapping[str, str] = field(default_factory=dict)

    def fill(self, text: str, stage: str) -> str:
        """``text`` with ``{stage}`` and ``{service}`` filled in."""
        return text.replace("{stage}", stage).replace("{service}", self.service)

    def dimensions(self, ref: MetricRef, stage: str) -> dict[str, str]:
        """The full dimension set of ``ref`` at ``stage``, ``service`` added to custom ones."""
        dims = {k: self.fill(v, stage) for k, v in ref.dimensions.items()}
        if ref.custom:
            dims["service"] = self.service
        return dims

    def namespace_of(self, ref: MetricRef) -> str:
        """The namespace ``ref`` lives in."""
        return self.namespace if ref.namespace is None else ref.namespace

    def runbook_url(self, page: str) -> str:
        """A runbook link: absolute URLs as given, other pages under ``runbooks``."""
        return page if "://" in page else self.runbooks.rstrip("/") + "/" + page

    def retention_for(self, group: LogGroup, stage: str) -> int:
        """The retention in days of ``group`` at ``stage``."""
        if group.retention_days is not None:
            return group.retention_days
        try:
            return self.retention[stage]
        except KeyError:
            raise ModelError(
                f"retention: no entry for stage {stage!r} (known: {', '.join(self.retention)})"
            ) from None
