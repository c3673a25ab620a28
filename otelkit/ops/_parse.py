"""Reading an ops model from YAML or plain data, validating every field.

Each error is a :class:`ModelError` whose message names the field (``alarms[2].metric``)
and what was wrong, so a typo in a model fails at render time with its location.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, TypeVar, cast, get_args

from otelkit.ops._model import (
    CLOUDWATCH_UNITS,
    RETENTION_DAYS,
    SEVERITIES,
    STORAGE_CLASSES,
    WORKLOADS,
    Alarm,
    Comparison,
    ErrorRouting,
    LogGroup,
    MetricRef,
    MetricSpec,
    ModelError,
    OpsModel,
    PrometheusRule,
    Query,
    Resources,
    S3Archive,
    ScrapeJob,
    Severity,
    Slo,
    View,
    Widget,
)
from otelkit.ops._names import checked

_T = TypeVar("_T")
_STATISTIC = re.compile(r"^(SampleCount|Average|Sum|Minimum|Maximum|p\d{1,2}(\.\d+)?)$")
_PERCENTILE = re.compile(r"^p\d")


def load_model(path: str | Path) -> OpsModel:
    """Read and validate a YAML ops model (bounded: see ``_model_yaml.py``).

    Raises:
        ModelError: naming the field that is missing or wrong.
    """
    from otelkit.ops._model_yaml import MAX_BYTES, load_yaml

    with Path(path).open("rb") as stream:
        raw = stream.read(MAX_BYTES + 1)
    try:
        data = load_yaml(raw)
        if not isinstance(data, dict):
            raise ModelError("an ops model is a mapping at the top level")
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
        level = _choice(severity, SEVERITIES, "notify")
        notify[level] = tuple(str(t) for t in _seq(targets, f"notify.{severity}"))
    model = OpsModel(
        service=checked(_text(data, "service"), "word", "service", placeholders=False),
        workload=workload,
        namespace=_name(data, "namespace", "model", "resource"),
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
        prometheus_scrape=tuple(
            _scrape(item, f"prometheus_scrape[{i}]")
            for i, item in enumerate(_list(data, "prometheus_scrape"))
        ),
        s3_archive=None if data.get("s3_archive") is None else _s3_archive(data["s3_archive"]),
        error_routing=None
        if data.get("error_routing") is None
        else _error_routing(data["error_routing"]),
        queries=tuple(
            _query(item, f"queries[{i}]") for i, item in enumerate(_list(data, "queries"))
        ),
        prometheus_rules=tuple(
            _rule(item, f"prometheus_rules[{i}]")
            for i, item in enumerate(_list(data, "prometheus_rules"))
        ),
        archive={
            str(k): checked(str(v), "arn", f"archive.{k}")
            for k, v in _mapping(data.get("archive", {}), "archive").items()
        },
        example=_opt_text(data, "example", "model"),
        metrics={
            str(name): _metric_spec(str(name), spec)
            for name, spec in _mapping(data.get("metrics", {}), "metrics").items()
        },
        loki_labels=_loki_labels(_mapping(data.get("loki_labels", {}), "loki_labels")),
    )
    _cross_check(model)
    return model


def _cross_check(model: OpsModel) -> None:
    jobs = [scrape.job for scrape in model.prometheus_scrape]
    if model.prometheus_scrape and model.resources.scrape_job not in jobs:
        raise ModelError(
            f"prometheus_scrape: no job named resources.scrape_job "
            f"({model.resources.scrape_job!r}; jobs: {', '.join(jobs)})"
        )
    if model.s3_archive is not None and model.archive:
        raise ModelError("s3_archive: creates the archive stream; drop archive, or this")
    if (model.s3_archive or model.error_routing) and not model.log_groups:
        raise ModelError("s3_archive and error_routing read log_groups, and there are none")
    names = [q.name for q in model.queries]
    for widget in model.widgets:
        if widget.query is not None and widget.query not in names:
            raise ModelError(
                f"widgets: {widget.title!r} shows query {widget.query!r}, "
                f"which is not among queries ({', '.join(names) or 'none'})"
            )
    if model.archive and set(model.archive) != {"destination_arn", "role_arn"}:
        raise ModelError("archive: needs exactly destination_arn and role_arn")
    from otelkit.ops._telemetry import check_units  # it renders alarms: after the model

    check_units(model)


def _unit(value: Any, where: str) -> str:
    if value not in CLOUDWATCH_UNITS:
        raise ModelError(
            f"{where}: {value!r} is not a CloudWatch unit "
            "(Seconds, Milliseconds, Bytes, Count, Percent, ...)"
        )
    return str(value)


def _metric_spec(name: str, data: Any) -> MetricSpec:
    where = f"metrics.{name}"
    item = {"unit": data} if isinstance(data, str) else _mapping(data, where)
    _known(item, MetricSpec, where, renames={})
    sets = tuple(
        tuple(str(key) for key in _seq(dims, f"{where}.dimensions[{i}]"))
        for i, dims in enumerate(_seq(item.get("dimensions", []), f"{where}.dimensions"))
    )
    return MetricSpec(name, _unit(_required(item, "unit", where), f"{where}.unit"), sets)


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
    if namespace is not None:
        checked(namespace, "resource", f"{where}.namespace")
    if namespace is None and _PERCENTILE.match(stat):
        # otelkit's EMF writes histograms as statistic sets, which carry no percentiles.
        raise ModelError(
            f"{where}.stat: {stat} of a metric the service emits as EMF "
            "cannot be computed (statistic sets keep min/max/sum/count "
            "only); use Average or Maximum, or an AWS metric"
        )
    return MetricRef(
        metric=_name(item, "metric", where, "resource"),
        namespace=namespace,
        dimensions={
            checked(str(k), "resource", f"{where}.dimensions"): checked(
                str(v), "dimension value", f"{where}.dimensions.{k}"
            )
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
        "unit",
    }
    metric = _metric({k: v for k, v in item.items() if k not in own}, where)
    return Alarm(
        name=_name(item, "name", where, "identifier"),
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
        unit=None if item.get("unit") is None else _unit(item["unit"], f"{where}.unit"),
    )


def _slo(data: Any, where: str) -> Slo:
    item = _mapping(data, where)
    _known(item, Slo, where, renames={})
    objective = _float(_required(item, "objective", where), f"{where}.objective")
    if not 0 < objective < 100:
        raise ModelError(f"{where}.objective: a percentage between 0 and 100, got {objective}")
    if "latency" in item:
        return _latency_slo(item, where, objective)
    total = tuple(
        _metric(m, f"{where}.total[{i}]")
        for i, m in enumerate(_seq(_required(item, "total", where), f"{where}.total"))
    )
    return Slo(
        name=_name(item, "name", where, "identifier"),
        objective=objective,
        bad=_metric(_required(item, "bad", where), f"{where}.bad"),
        total=total,
        runbook=_text(item, "runbook", where),
        window_days=_int(item.get("window_days", 30), f"{where}.window_days"),
    )


def _latency_slo(item: Mapping[str, Any], where: str, objective: float) -> Slo:
    if "bad" in item or "total" in item:
        raise ModelError(f"{where}: a latency SLO derives bad and total from latency")
    ref = _metric(_required(item, "latency", where), f"{where}.latency")
    if ref.custom:
        # Counting samples above a threshold needs every sample; otelkit's EMF
        # statistic sets keep only min/max/sum/count.
        raise ModelError(
            f"{where}.latency: needs an AWS metric (AWS/ApiGateway Latency, AWS/Lambda "
            "Duration...); the service's own EMF metrics keep no per-sample values"
        )
    threshold = _float(_required(item, "threshold", where), f"{where}.threshold")
    if threshold <= 0:
        raise ModelError(f"{where}.threshold: a positive number, got {threshold:g}")
    return Slo(
        name=_name(item, "name", where, "identifier"),
        objective=objective,
        bad=replace(ref, stat=f"TC({_plain(threshold)}:)"),
        total=(replace(ref, stat="SampleCount"),),
        runbook=_text(item, "runbook", where),
        window_days=_int(item.get("window_days", 30), f"{where}.window_days"),
        latency=ref,
        threshold=threshold,
    )


def _plain(number: float) -> str:
    """``500`` for 500.0, ``0.5`` for 0.5: how CloudWatch statistics write bounds."""
    return str(int(number)) if number.is_integer() else repr(number)


def _s3_archive(data: Any) -> S3Archive:
    where = "s3_archive"
    item = _mapping(data, where)
    _known(item, S3Archive, where, renames={})

    def days(key: str, default: int | None, least: int) -> int | None:
        value = item.get(key, default)
        if value is None:
            return None
        number = _int(value, f"{where}.{key}")
        if number < least:
            raise ModelError(f"{where}.{key}: at least {least} days, got {number}")
        return number

    transition = days("transition_days", 30, 0)
    expire = days("expire_days", None, 1)
    if expire is not None and transition is not None and expire <= transition:
        raise ModelError(
            f"{where}.expire_days: {expire} is not after transition_days ({transition})"
        )
    prefix = str(item.get("prefix", "logs/"))
    if not re.fullmatch(r"[A-Za-z0-9!_.*'()/-]*", prefix):
        raise ModelError(f"{where}.prefix: {prefix!r} has characters S3 keys should not")
    bucket = _text(item, "bucket", where)
    if not re.fullmatch(r"[a-z0-9{][a-z0-9.{}-]{1,61}[a-z0-9}]", bucket):
        raise ModelError(f"{where}.bucket: {bucket!r} is not an S3 bucket name")
    return S3Archive(
        bucket=bucket,
        filter_pattern=str(item.get("filter_pattern") or ""),
        prefix=prefix,
        storage_class=_choice(
            item.get("storage_class", "INTELLIGENT_TIERING"),
            STORAGE_CLASSES,
            f"{where}.storage_class",
        ),
        transition_days=transition or 0,
        expire_days=expire,
        # S3's minimums for the two archive tiers.
        archive_access_days=days("archive_access_days", 90, 90),
        deep_archive_access_days=days("deep_archive_access_days", 180, 180),
    )


_DURATION = re.compile(r"(\d+(ms|s|m|h))+")
_TARGET = re.compile(r"[A-Za-z0-9.{}_-]+:\d{1,5}")


def _scrape(data: Any, where: str) -> ScrapeJob:
    item = _mapping(data, where)
    _known(item, ScrapeJob, where, renames={})
    targets = tuple(str(t) for t in _seq(_required(item, "targets", where), f"{where}.targets"))
    bad = [t for t in targets if not _TARGET.fullmatch(t)]
    if not targets or bad:
        raise ModelError(f"{where}.targets: host:port entries, got {bad or 'none'}")
    interval = str(item.get("interval", "15s"))
    if not _DURATION.fullmatch(interval):
        raise ModelError(f"{where}.interval: a Prometheus duration (15s, 1m), got {interval!r}")
    path = str(item.get("metrics_path", "/metrics"))
    if not path.startswith("/"):
        raise ModelError(f"{where}.metrics_path: a path starting with /, got {path!r}")
    return ScrapeJob(_name(item, "job", where, "identifier"), targets, interval, path)


def _error_routing(data: Any) -> ErrorRouting:
    where = "error_routing"
    item = _mapping(data, where)
    _known(item, ErrorRouting, where, renames={})
    return ErrorRouting(
        severity=_choice(item.get("severity", "warning"), SEVERITIES, f"{where}.severity"),
        period=_period(item.get("period", 60), f"{where}.period"),
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
        alert=_name(item, "alert", where, "identifier"),
        expr=_text(item, "expr", where),
        summary=_text(item, "summary", where),
        runbook=_text(item, "runbook", where),
        for_=checked(_opt_text(item, "for", where) or "5m", "duration", f"{where}.for"),
        severity=_choice(item.get("severity", "warning"), SEVERITIES, f"{where}.severity"),
    )


def _log_group(data: Any, index: int) -> LogGroup:
    where = f"log_groups[{index}]"
    if isinstance(data, str):
        return LogGroup(checked(data, "resource", where))
    item = _mapping(data, where)
    _known(item, LogGroup, where, renames={})
    days = item.get("retention_days")
    return LogGroup(
        _name(item, "name", where, "resource"),
        None
        if days is None
        else _retention_days(_int(days, f"{where}.retention_days"), f"{where}.retention_days"),
    )


def _resources(data: Mapping[str, Any]) -> Resources:
    _known(data, Resources, "resources", renames={})
    values: dict[str, Any] = {}
    for spec in fields(Resources):
        if spec.name in data:
            raw, where = data[spec.name], f"resources.{spec.name}"
            values[spec.name] = (
                tuple(
                    checked(str(v), "resource", f"{where}[{i}]")
                    for i, v in enumerate(_seq(raw, where))
                )
                if spec.name in {"functions", "jobs"}
                else checked(str(raw), "resource", where)
            )
    return Resources(**values)


_LOKI_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# the labels Loki makes of the attributes the retention rule selects on (always indexed)
_RETENTION_LABELS = ("service_name", "deployment_environment", "deployment_environment_name")


def _loki_labels(data: Mapping[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for label, source in data.items():
        where = f"loki_labels.{label}"
        if not isinstance(label, str) or not _LOKI_LABEL.fullmatch(label):
            raise ModelError(f"{where}: a Loki label name is letters, digits and '_'")
        if label in _RETENTION_LABELS:
            raise ModelError(f"{where}: Loki already makes this label from an attribute")
        if not isinstance(source, str):
            raise ModelError(f"{where}: a resource attribute name or 'severity'")
        labels[label] = checked(source, "identifier", where, placeholders=False)
    if list(labels.values()).count("severity") > 1:
        raise ModelError("loki_labels: one label at most comes from 'severity'")
    return labels


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


def _name(data: Mapping[str, Any], key: str, where: str, kind: str) -> str:
    return checked(_text(data, key, where), kind, f"{where}.{key}")


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
