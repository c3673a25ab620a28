"""The CloudWatch dashboard body: the model's widgets, then the workload's presets."""

from __future__ import annotations

import re
from typing import Any

from otelkit.ops._model import MetricRef, OpsModel, Widget
from otelkit.ops._presets import preset_widgets

_WIDTH, _HEIGHT, _PER_ROW = 12, 6, 2
REGION = "${AWS::Region}"  # filled in by CloudFormation (the body goes through Fn::Sub)


def dashboard_widgets(model: OpsModel) -> list[Widget]:
    """Every widget of the model's dashboards, in order."""
    return [*model.widgets, *preset_widgets(model)]


def dashboard_body(model: OpsModel, stage: str) -> dict[str, Any]:
    """The ``DashboardBody`` document of ``model`` at ``stage``."""
    body = []
    for index, widget in enumerate(dashboard_widgets(model)):
        place = {
            "x": (index % _PER_ROW) * _WIDTH,
            "y": (index // _PER_ROW) * _HEIGHT,
            "width": _WIDTH,
            "height": _HEIGHT,
        }
        if widget.query is not None:
            body.append(
                {"type": "log", **place, "properties": _log_properties(model, stage, widget)}
            )
        else:
            body.append(
                {"type": "metric", **place, "properties": _metric_properties(model, stage, widget)}
            )
    return {"widgets": body}


def _quoted(name: str) -> str:
    """A SEARCH schema name; quoted when it has more than letters, digits and ``_``."""
    return name if re.fullmatch(r"\w+", name) else f'"{name}"'


def search_expression(model: OpsModel, stage: str, ref: MetricRef, period: int = 300) -> str:
    """A SEARCH over every value of the ``*`` dimensions of ``ref``."""
    dims = model.dimensions(ref, stage)
    schema = ",".join(_quoted(n) for n in [model.namespace_of(ref), *sorted(dims)])
    fixed = " ".join(f'{_quoted(k)}="{v}"' for k, v in sorted(dims.items()) if v != "*")
    terms = f'MetricName="{ref.metric}"' + (f" {fixed}" if fixed else "")
    return f"SEARCH('{{{schema}}} {terms}', '{ref.stat}', {period})"


def _metric_properties(model: OpsModel, stage: str, widget: Widget) -> dict[str, Any]:
    metrics: list[list[Any]] = []
    for index, ref in enumerate(widget.metrics):
        options: dict[str, Any] = {"stat": ref.stat, "id": f"m{index}"}
        if widget.expression is not None:
            options["visible"] = False
        dims = model.dimensions(ref, stage)
        if "*" in dims.values():
            search: dict[str, Any] = {
                "expression": search_expression(model, stage, ref),
                "id": f"m{index}",
                "label": ref.metric,
            }
            if widget.expression is not None:
                search["visible"] = False
            metrics.append([search])
            continue
        flat = [item for pair in sorted(dims.items()) for item in pair]
        metrics.append([model.namespace_of(ref), ref.metric, *flat, options])
    if widget.expression is not None:
        metrics.append([{"expression": widget.expression, "label": widget.title, "id": "e0"}])
    return {
        "title": widget.title,
        "region": REGION,
        "metrics": metrics,
        "view": "singleValue" if widget.view == "singleValue" else "timeSeries",
        "stacked": widget.view == "stacked",
        "period": 300,
    }


def _log_properties(model: OpsModel, stage: str, widget: Widget) -> dict[str, Any]:
    query = next(q for q in model.queries if q.name == widget.query)
    sources = " | ".join(f"SOURCE '{model.fill(g.name, stage)}'" for g in model.log_groups)
    return {
        "title": widget.title,
        "region": REGION,
        "view": "table",
        "query": f"{sources} | {query.insights}",
    }
