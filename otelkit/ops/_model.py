"""The ops model: what one service emits and what should page someone about it.

A model is a small YAML document (or the same mapping built in Python). It names the
service, its workload type, the AWS resources it runs on, its log groups, and the
alarms, SLOs, dashboard widgets and saved queries on top; the workload's preset
(``_presets.py``) adds the alarms every service of that type needs, so a typical model
is a dozen lines. Names may contain ``{stage}`` and ``{service}``, filled in at render
time, so one model serves every stage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, get_args

_T = TypeVar("_T")
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
_STATISTIC = re.compile(r"^(SampleCount|Average|Sum|Minimum|Maximum|p\d{1,2}(\.\d+)?)$")
_PERCENTILE = re.compile(r"^p\d")


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
class Alarm:
    """A threshold alarm on one metric, sent to the SNS topic of its severity."""

    name: str
    metric: MetricRef
    threshold: float
    description: str
    runbook: str
    comparison: Comparison = ">"
    period: int = 300
    evaluation_periods: int = 1
    severity: Severity = "warning"


@dataclass(frozen=True)
class Slo:
    """An availability objective: ``bad / total`` stays under ``1 - objective``.

    Rendered as multi-window burn-rate alarms (a fast and a slow pair), which page when
    the error budget of ``window_days`` would be gone long before the window ends.
    """

    name: str
    objective: float
    bad: MetricRef
    total: tuple[MetricRef, ...]
    runbook: str
    window_days: int = 30


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
    archive: Mapping[str, str] = field(default_factory=dict)  # destination_arn, role_arn
    example: str | None = None  # the script under examples/ that runs this service

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


def load_model(path: str | Path) -> OpsModel:
    """Read and validate a YAML ops model.

    Raises:
        ModelError: naming the field that is missing or wrong.
    """
    import yaml

    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ModelError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: an ops model is a mapping at the top level")
    try:
        return parse_model(data)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def parse_model(data: Mapping[str, Any]) -> OpsModel:
    """Build an :class:`OpsModel` from plain data, validating every field."""
    _known(data, OpsModel, "model", renames={})
    workload = _choice(data.get("workload"), WORKLOADS, "workload")
    retention = {
        str(k): _retention_days(_int(v, f"retention.{k}"), f"retention.{k}")
        for k, v in _mapping(data.get("retention", {}), "retention").items()
    }
    groups = tuple(_log_group(item, i) for i, item in enumerate(_list(data, "log_groups")))
    notify: dict[Severity, tuple[str, ...]] = {}
    for severity, targets in _mapping(data.get("notify", {}), "notify").items():
        checked = _choice(severity, SEVERITIES, "notify")
        notify[checked] = tuple(str(t) for t in _seq(targets, f"notify.{severity}"))
    model = OpsModel(
        service=_text(data, "service"),
        workload=workload,
        namespace=_text(data, "namespace"),
        runbooks=_text(data, "runbooks"),
        retention=retention,
        log_groups=groups,
        resources=_resources(_mapping(data.get("resources", {}), "resources")),
        notify=notify,
        thresholds={
            str(k): _float(v, f"thresholds.{k}")
            for k, v in _mapping(data.get("thresholds", {}), "thresholds").items()
        },
        alarms=tuple(_alarm(item, f"alarms[{i}]") for i, item in enumerate(_list(data, "alarms"))),
        slos=tuple(_slo(item, f"slos[{i}]") for i, item in enumerate(_list(data, "slos"))),
        widgets=tuple(
            _widget(item, f"widgets[{i}]") for i, item in enumerate(_list(data, "widgets"))
        ),
        queries=tuple(
            _query(item, f"queries[{i}]") for i, item in enumerate(_list(data, "queries"))
        ),
        prometheus_rules=tuple(
            _rule(item, f"prometheus_rules[{i}]")
            for i, item in enumerate(_list(data, "prometheus_rules"))
        ),
        archive={str(k): str(v) for k, v in _mapping(data.get("archive", {}), "archive").items()},
        example=_opt_text(data, "example", "model"),
    )
    _cross_check(model)
    return model


def _cross_check(model: OpsModel) -> None:
    names = [q.name for q in model.queries]
    for widget in model.widgets:
        if widget.query is not None and widget.query not in names:
            raise ModelError(
                f"widgets: {widget.title!r} shows query {widget.query!r}, "
                f"which is not among queries ({', '.join(names) or 'none'})"
            )
    if model.archive and set(model.archive) != {"destination_arn", "role_arn"}:
        raise ModelError("archive: needs exactly destination_arn and role_arn")


def _metric(data: Any, where: str) -> MetricRef:
    item = _mapping(data, where)
    _known(item, MetricRef, where, renames={})
    stat = str(item.get("stat", "Sum"))
    if not _STATISTIC.match(stat):
        raise ModelError(
            f"{where}.stat: {stat!r} is not a CloudWatch statistic "
            "(Sum, Average, Minimum, Maximum, SampleCount or pNN)"
        )
    namespace = _opt_text(item, "namespace", where)
    if namespace is None and _PERCENTILE.match(stat):
        # otelkit's EMF writes histograms as statistic sets, which carry no percentiles.
        raise ModelError(
            f"{where}.stat: {stat} of a metric the service emits as EMF "
            "cannot be computed (statistic sets keep min/max/sum/count "
            "only); use Average or Maximum, or an AWS metric"
        )
    return MetricRef(
        metric=_text(item, "metric", where),
        namespace=namespace,
        dimensions={
            str(k): str(v)
            for k, v in _mapping(item.get("dimensions", {}), f"{where}.dimensions").items()
        },
        stat=stat,
    )


def _alarm(data: Any, where: str) -> Alarm:
    item = _mapping(data, where)
    own = {
        "name",
        "threshold",
        "description",
        "runbook",
        "comparison",
        "period",
        "evaluation_periods",
        "severity",
    }
    metric = _metric({k: v for k, v in item.items() if k not in own}, where)
    return Alarm(
        name=_text(item, "name", where),
        metric=metric,
        threshold=_float(_required(item, "threshold", where), f"{where}.threshold"),
        description=_text(item, "description", where),
        runbook=_text(item, "runbook", where),
        comparison=_choice(
            item.get("comparison", ">"), get_args(Comparison), f"{where}.comparison"
        ),
        period=_period(item.get("period", 300), f"{where}.period"),
        evaluation_periods=_int(item.get("evaluation_periods", 1), f"{where}.evaluation_periods"),
        severity=_choice(item.get("severity", "warning"), SEVERITIES, f"{where}.severity"),
    )


def _slo(data: Any, where: str) -> Slo:
    item = _mapping(data, where)
    _known(item, Slo, where, renames={})
    objective = _float(_required(item, "objective", where), f"{where}.objective")
    if not 0 < objective < 100:
        raise ModelError(f"{where}.objective: a percentage between 0 and 100, got {objective}")
    total = tuple(
        _metric(m, f"{where}.total[{i}]")
        for i, m in enumerate(_seq(_required(item, "total", where), f"{where}.total"))
    )
    return Slo(
        name=_text(item, "name", where),
        objective=objective,
        bad=_metric(_required(item, "bad", where), f"{where}.bad"),
        total=total,
        runbook=_text(item, "runbook", where),
        window_days=_int(item.get("window_days", 30), f"{where}.window_days"),
    )


def _widget(data: Any, where: str) -> Widget:
    item = _mapping(data, where)
    _known(item, Widget, where, renames={})
    metrics = tuple(
        _metric(m, f"{where}.metrics[{i}]")
        for i, m in enumerate(_seq(item.get("metrics", []), f"{where}.metrics"))
    )
    query = item.get("query")
    if bool(metrics) == (query is not None):
        raise ModelError(f"{where}: a widget shows either metrics or a query")
    return Widget(
        title=_text(item, "title", where),
        metrics=metrics,
        expression=_opt_text(item, "expression", where),
        view=_choice(item.get("view", "timeSeries"), get_args(View), f"{where}.view"),
        query=None if query is None else str(query),
    )


def _query(data: Any, where: str) -> Query:
    item = _mapping(data, where)
    _known(item, Query, where, renames={})
    if "insights" not in item and "logql" not in item:
        raise ModelError(f"{where}: a query needs insights, logql or both")
    name = _text(item, "name", where)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ModelError(
            f"{where}.name: {name!r} must be lowercase words joined by '-' (it names files)"
        )
    return Query(
        name=name,
        description=_text(item, "description", where),
        insights=_opt_text(item, "insights", where),
        logql=_opt_text(item, "logql", where),
    )


def _rule(data: Any, where: str) -> PrometheusRule:
    item = _mapping(data, where)
    _known(item, PrometheusRule, where, renames={"for": "for_"})
    return PrometheusRule(
        alert=_text(item, "alert", where),
        expr=_text(item, "expr", where),
        summary=_text(item, "summary", where),
        runbook=_text(item, "runbook", where),
        for_=_opt_text(item, "for", where) or "5m",
        severity=_choice(item.get("severity", "warning"), SEVERITIES, f"{where}.severity"),
    )


def _log_group(data: Any, index: int) -> LogGroup:
    where = f"log_groups[{index}]"
    if isinstance(data, str):
        return LogGroup(data)
    item = _mapping(data, where)
    _known(item, LogGroup, where, renames={})
    days = item.get("retention_days")
    return LogGroup(
        _text(item, "name", where),
        None
        if days is None
        else _retention_days(_int(days, f"{where}.retention_days"), f"{where}.retention_days"),
    )


def _resources(data: Mapping[str, Any]) -> Resources:
    _known(data, Resources, "resources", renames={})
    values: dict[str, Any] = {}
    for spec in fields(Resources):
        if spec.name in data:
            raw = data[spec.name]
            values[spec.name] = (
                tuple(str(v) for v in _seq(raw, f"resources.{spec.name}"))
                if spec.name in {"functions", "jobs"}
                else str(raw)
            )
    return Resources(**values)


# --- small validators: each names the field it rejects -------------------------------


def _known(data: Mapping[str, Any], cls: type, where: str, renames: Mapping[str, str]) -> None:
    allowed = {renames.get(k, k) for k in data}
    known = {f.name for f in fields(cls)}
    unknown = sorted(k for k in allowed if k not in known)
    if unknown:
        raise ModelError(
            f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )


def _required(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] is None:
        raise ModelError(f"{where}: {key} is required")
    return data[key]


def _text(data: Mapping[str, Any], key: str, where: str = "model") -> str:
    value = _required(data, key, where)
    if not isinstance(value, str) or not value.strip():
        raise ModelError(f"{where}.{key}: a non-empty string, got {value!r}")
    return value


def _opt_text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    if data.get(key) is None:
        return None
    return _text(data, key, where)


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ModelError(f"{where}: a whole number, got {value!r}")
    return value


def _float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ModelError(f"{where}: a number, got {value!r}")
    return float(value)


def _mapping(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ModelError(f"{where}: a mapping, got {type(data).__name__}")
    return cast("Mapping[str, Any]", data)


def _seq(data: Any, where: str) -> list[Any]:
    if not isinstance(data, list):
        raise ModelError(f"{where}: a list, got {type(data).__name__}")
    return data


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    return _seq(data.get(key, []), key)


def _choice(value: Any, choices: tuple[_T, ...], where: str) -> _T:
    if value not in choices:
        raise ModelError(f"{where}: {value!r} is not one of {', '.join(map(str, choices))}")
    return cast("_T", value)


def _period(value: Any, where: str) -> int:
    period = _int(value, where)
    if period not in {10, 30} and (period < 60 or period % 60):
        raise ModelError(
            f"{where}: CloudWatch periods are 10, 30 or a multiple of 60 seconds, got {period}"
        )
    return period


def _retention_days(days: int, where: str) -> int:
    if days not in RETENTION_DAYS:
        raise ModelError(
            f"{where}: CloudWatch Logs does not offer {days} days "
            f"(nearest: {min(RETENTION_DAYS, key=lambda d: abs(d - days))})"
        )
    return days
