"""The Grafana dashboard: CloudWatch metrics, Loki logs and Prometheus fleet panels.

Built with Grafana's foundation SDK (the builders Grafana generates from its own
schemas), so panel and query shapes follow the Grafana version the SDK targets rather
than a hand-copied JSON export.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import cloudwatch as cw
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import logs as logs_panel
from grafana_foundation_sdk.builders import loki, stat, timeseries
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.cloudwatch import MetricEditorMode, MetricQueryType
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from otelkit.ops._dashboard_cw import dashboard_widgets, search_expression
from otelkit.ops._fleet import fleet_panels
from otelkit.ops._model import OpsModel, Widget
from otelkit.ops._names import checked_stage
from otelkit.ops._prometheus import preset_rules

CLOUDWATCH = DataSourceRef(type_val="cloudwatch", uid="${cloudwatch}")
LOKI = DataSourceRef(type_val="loki", uid="${loki}")
PROMETHEUS = DataSourceRef(type_val="prometheus", uid="${prometheus}")


def grafana_dashboard(model: OpsModel, stage: str) -> dict[str, Any]:
    """The dashboard as the JSON model Grafana imports."""
    checked_stage(stage)
    board = (
        dash.Dashboard(f"{model.service} ({stage})")
        .uid(f"{model.service}-{stage}"[:40])
        .tags(["otelkit", model.service, stage])
        .refresh("1m")
        .time("now-24h", "now")
        .with_variable(dash.DatasourceVariable("cloudwatch").type("cloudwatch"))
        .with_variable(dash.DatasourceVariable("loki").type("loki"))
    )
    rules = [*preset_rules(model), *model.prometheus_rules]
    fleet = fleet_panels(model)
    if rules or fleet:
        board = board.with_variable(dash.DatasourceVariable("prometheus").type("prometheus"))
    for widget in dashboard_widgets(model):
        if widget.query is None:
            board = board.with_panel(_metric_panel(model, stage, widget))
    for query in model.queries:
        if query.logql and not query.logql.lstrip().startswith(("sum", "count", "rate")):
            board = board.with_panel(
                logs_panel.Panel()
                .title(query.description)
                .datasource(LOKI)
                .span(24)
                .with_target(loki.Dataquery().expr(model.fill(query.logql, stage)).ref_id("A"))
            )
    for panel in fleet:
        board = board.with_panel(
            timeseries.Panel()
            .title(panel.title)
            .datasource(PROMETHEUS)
            .unit(panel.unit)
            .span(12)
            .with_target(prom.Dataquery().expr(panel.expr).legend_format(panel.legend).ref_id("A"))
        )
    for rule in rules:
        board = board.with_panel(
            timeseries.Panel()
            .title(rule.summary)
            .datasource(PROMETHEUS)
            .span(12)
            .with_target(prom.Dataquery().expr(model.fill(rule.expr, stage)).ref_id("A"))
        )
    encoded: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    _flow(encoded.get("panels", []))  # an empty board has no "panels"
    return encoded


GRID_COLUMNS = 24  # Grafana's dashboard grid


def _flow(panels: list[dict[str, Any]]) -> None:
    """Place panels left to right in rows of the 24-column grid, a panel that does not fit
    starting the next row (the SDK's own placement can run a full-width panel off the
    grid after an odd number of half-width ones)."""
    x = y = row_height = 0
    for panel in panels:
        grid = panel["gridPos"]
        if x + grid["w"] > GRID_COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        grid["x"], grid["y"] = x, y
        x += grid["w"]
        row_height = max(row_height, grid["h"])


def _metric_panel(model: OpsModel, stage: str, widget: Widget) -> Any:
    panel: Any = stat.Panel() if widget.view == "singleValue" else timeseries.Panel()
    panel = panel.title(widget.title).datasource(CLOUDWATCH).span(12)
    for index, ref in enumerate(widget.metrics):
        query = (
            cw.CloudWatchMetricsQuery()
            .ref_id(f"m{index}")
            .region("default")
            .metric_query_type(MetricQueryType.SEARCH)
            .metric_editor_mode(MetricEditorMode.BUILDER)
            .namespace(model.namespace_of(ref))
            .metric_name(ref.metric)
            .statistic(ref.stat)
            .hide(widget.expression is not None)
        )
        dims = model.dimensions(ref, stage)
        if "*" in dims.values():
            query = query.metric_editor_mode(MetricEditorMode.CODE).expression(
                search_expression(model, stage, ref)
            )
        else:
            query = query.dimensions({k: v for k, v in dims.items()}).match_exact(True)
        panel = panel.with_target(query)
    if widget.expression is not None:
        panel = panel.with_target(
            cw.CloudWatchMetricsQuery()
            .ref_id("e0")
            .region("default")
            .metric_query_type(MetricQueryType.SEARCH)
            .metric_editor_mode(MetricEditorMode.CODE)
            .expression(widget.expression)
        )
    return panel
