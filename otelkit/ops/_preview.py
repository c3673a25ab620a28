"""``otelkit ops render --preview``: the CloudWatch dashboard as a static HTML page.

The page lays out the very body CloudFormation deploys (``_dashboard_cw.py``): each widget
at its grid ``x``/``y``/``width``/``height`` (CloudWatch's grid is 24 columns wide), with
its title, its view, and its metrics (namespace, name, dimensions, statistic), SEARCH
expressions or Logs Insights query. One file, inline CSS, no script: it opens from disk
and screenshots the same everywhere. Everything shown comes from the model, so every
piece of text is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

from otelkit.ops._dashboard_cw import REGION, dashboard_body
from otelkit.ops._model import OpsModel

PREVIEW_DIR = "preview"
GRID_COLUMNS = 24  # CloudWatch dashboards' grid width
COLUMN_PX, ROW_PX, GAP_PX = 48, 40, 8
PAGE_PAD_PX, HEADER_PX = 16, 72  # the grid's top-left corner is (PAD, HEADER)

_CSS = f"""
* {{ box-sizing: border-box; }}
body {{ margin: 0; padding: {PAGE_PAD_PX}px; background: #f2f3f3;
  font: 13px/1.35 "DejaVu Sans", Arial, sans-serif; color: #16191f; }}
header {{ height: {HEADER_PX - PAGE_PAD_PX}px; overflow: hidden; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }}
header p {{ margin: 0; color: #545b64; }}
.grid {{ position: relative; }}
.widget {{ position: absolute; overflow: hidden; background: #ffffff;
  border: 1px solid #aab7b8; border-top: 4px solid #0073bb; padding: 8px 10px; }}
.widget.log {{ border-top-color: #7d8998; }}
.widget h2 {{ font-size: 14px; margin: 0 0 4px; }}
.view {{ color: #545b64; font-size: 11px; text-transform: uppercase; margin-bottom: 6px; }}
.widget ul {{ margin: 0; padding-left: 16px; }}
.widget li {{ margin-bottom: 3px; overflow-wrap: anywhere; }}
.dims, .stat {{ color: #545b64; }}
code, pre {{ font: 12px/1.35 "DejaVu Sans Mono", monospace; }}
pre {{ margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; background: #f7f8f8;
  padding: 6px; }}
"""


def preview_name(model: OpsModel, stage: str) -> str:
    """The page's path under ``--out``, named as the deployed dashboard is."""
    return f"{PREVIEW_DIR}/{model.service}-{stage}-overview.html"


def page_size(widgets: list[dict[str, Any]]) -> tuple[int, int]:
    """The page's width and height in CSS pixels: the whole grid and the margins."""
    rows = max((w["y"] + w["height"] for w in widgets), default=0)
    return (
        2 * PAGE_PAD_PX + GRID_COLUMNS * COLUMN_PX,
        HEADER_PX + rows * ROW_PX + PAGE_PAD_PX,
    )


def place(widget: dict[str, Any]) -> tuple[int, int, int, int]:
    """A widget's left, top, width and height in page pixels (its grid cell, less a gap)."""
    return (
        PAGE_PAD_PX + widget["x"] * COLUMN_PX,
        HEADER_PX + widget["y"] * ROW_PX,
        widget["width"] * COLUMN_PX - GAP_PX,
        widget["height"] * ROW_PX - GAP_PX,
    )


def preview_page(model: OpsModel, stage: str) -> str:
    """The dashboard of ``model`` at ``stage`` as one HTML document."""
    widgets: list[dict[str, Any]] = dashboard_body(model, stage)["widgets"]
    name = f"{model.service}-{stage}-overview"
    width, height = page_size(widgets)
    tiles = "\n".join(_tile(widget) for widget in widgets)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width={width}">
<title>{escape(name)} (preview)</title>
<style>{_CSS}</style>
</head>
<body style="width: {width}px; min-height: {height}px">
<header>
<h1>{escape(name)}</h1>
<p>CloudWatch dashboard preview: {len(widgets)} widgets, laid out on the dashboard's
{GRID_COLUMNS}-column grid as <code>otelkit ops render</code> deploys it.</p>
</header>
<main class="grid">
{tiles}
</main>
</body>
</html>
"""


def _tile(widget: dict[str, Any]) -> str:
    properties: dict[str, Any] = widget["properties"]
    left, top, width, height = place(widget)
    grid = {k: widget[k] for k in ("x", "y", "width", "height")}
    data = " ".join(f'data-{k}="{v}"' for k, v in grid.items())
    style = f"left: {left - PAGE_PAD_PX}px; top: {top - HEADER_PX}px; "
    style += f"width: {width}px; height: {height}px"
    if widget["type"] == "log":
        view, content = "log table", f"<pre>{escape(properties['query'])}</pre>"
    else:
        view = properties["view"] + (", stacked" if properties.get("stacked") else "")
        items = "".join(f"<li>{_metric(entry)}</li>" for entry in properties["metrics"])
        content = f"<ul>{items}</ul>"
    return (
        f'<section class="widget {escape(widget["type"])}" {data} style="{style}">'
        f"<h2>{escape(properties['title'])}</h2>"
        f'<div class="view">{escape(view)}</div>{content}</section>'
    )


def _metric(entry: list[Any]) -> str:
    """One line of a metric widget: ``[namespace, name, dim, value, ..., options]`` or
    ``[{expression, label}]`` (a SEARCH or a math expression)."""
    if len(entry) == 1 and isinstance(entry[0], dict):
        expression = entry[0]
        label = escape(str(expression.get("label", "")))
        shown = escape(str(expression["expression"]).replace(REGION, ""))
        return f"<b>{label}</b> <code>{shown}</code>"
    options = entry[-1] if isinstance(entry[-1], dict) else {}
    names = [str(part) for part in entry if not isinstance(part, dict)]
    namespace, metric, flat = names[0], names[1], names[2:]
    dims = " ".join(f"{k}={v}" for k, v in zip(flat[::2], flat[1::2], strict=True))
    stat = options.get("stat", "")
    hidden = " (hidden, feeds the expression)" if options.get("visible") is False else ""
    return (
        f"<b>{escape(metric)}</b> <span class='dims'>{escape(namespace)} {escape(dims)}</span> "
        f"<span class='stat'>{escape(str(stat))}{hidden}</span>"
    )
