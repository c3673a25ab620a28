"""``otelkit ops render --preview``: each dashboard of a model as a static HTML page.

A page lays out the very document that is deployed: the CloudWatch dashboard body
(``_dashboard_cw.py``) and the Grafana dashboard (``_grafana.py``). Both place widgets on
a 24-column grid by ``x``/``y``/``width``/``height``; each is drawn there with its title,
its view, and its metrics (namespace, name, dimensions, statistic), expressions or
queries. One file each, inline CSS, no script: it opens from disk and screenshots the
same everywhere. Everything shown comes from the model, so every text is HTML-escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from otelkit.ops._dashboard_cw import REGION, dashboard_body
from otelkit.ops._grafana import grafana_dashboard
from otelkit.ops._model import OpsModel

PREVIEW_DIR = "preview"
GRID_COLUMNS = 24  # CloudWatch's and Grafana's grid width
COLUMN_PX, ROW_PX, GAP_PX = 48, 40, 8
PAGE_PAD_PX, HEADER_PX = 16, 72  # the grid's top-left corner is (PAD, HEADER)


@dataclass(frozen=True)
class Line:
    """One series of a widget: a name, then its source (``code``: an expression)."""

    name: str
    detail: str
    code: bool = False


@dataclass(frozen=True)
class Tile:
    """A widget as drawn: where the grid puts it and what it shows."""

    title: str
    x: int
    y: int
    width: int
    height: int
    view: str
    lines: tuple[Line, ...] = ()
    query: str | None = None  # a log widget's query, shown as is


@dataclass(frozen=True)
class Dashboard:
    name: str
    kind: str  # "CloudWatch" or "Grafana"
    tiles: tuple[Tile, ...]


def dashboards(model: OpsModel, stage: str) -> dict[str, Dashboard]:
    """Each dashboard ``otelkit ops render`` writes, by the page's path under ``--out``."""
    name = f"{model.service}-{stage}-overview"
    return {
        f"{PREVIEW_DIR}/{name}.html": Dashboard(
            name, "CloudWatch", cloudwatch_tiles(dashboard_body(model, stage))
        ),
        f"{PREVIEW_DIR}/{name}-grafana.html": Dashboard(
            name, "Grafana", grafana_tiles(grafana_dashboard(model, stage))
        ),
    }


def page_size(tiles: tuple[Tile, ...]) -> tuple[int, int]:
    """The page's width and height in CSS pixels: the whole grid and the margins."""
    rows = max((tile.y + tile.height for tile in tiles), default=0)
    return 2 * PAGE_PAD_PX + GRID_COLUMNS * COLUMN_PX, HEADER_PX + rows * ROW_PX + PAGE_PAD_PX


def place(tile: Tile) -> tuple[int, int, int, int]:
    """A tile's left, top, width and height in page pixels (its grid cells, less a gap)."""
    return (
        PAGE_PAD_PX + tile.x * COLUMN_PX,
        HEADER_PX + tile.y * ROW_PX,
        tile.width * COLUMN_PX - GAP_PX,
        tile.height * ROW_PX - GAP_PX,
    )


# --- reading the deployed documents -------------------------------------------------------


def cloudwatch_tiles(body: dict[str, Any]) -> tuple[Tile, ...]:
    """The widgets of a CloudWatch ``DashboardBody``."""
    tiles = []
    for widget in body["widgets"]:
        properties = widget["properties"]
        grid = (widget["x"], widget["y"], widget["width"], widget["height"])
        if widget["type"] == "log":
            tiles.append(Tile(properties["title"], *grid, "log table", query=properties["query"]))
            continue
        view = properties["view"] + (", stacked" if properties.get("stacked") else "")
        lines = tuple(_cloudwatch_line(entry) for entry in properties["metrics"])
        tiles.append(Tile(properties["title"], *grid, view, lines))
    return tuple(tiles)


def _cloudwatch_line(entry: list[Any]) -> Line:
    """``[namespace, name, dim, value, ..., options]`` or ``[{expression, label}]``."""
    if len(entry) == 1 and isinstance(entry[0], dict):
        expression = entry[0]
        shown = str(expression["expression"]).replace(REGION, "")
        return Line(str(expression.get("label", "")), shown, code=True)
    options = entry[-1] if isinstance(entry[-1], dict) else {}
    names = [str(part) for part in entry if not isinstance(part, dict)]
    flat = names[2:]
    dims = " ".join(f"{k}={v}" for k, v in zip(flat[::2], flat[1::2], strict=True))
    return Line(names[1], _source(names[0], dims, options.get("stat"), options.get("visible")))


def grafana_tiles(board: dict[str, Any]) -> tuple[Tile, ...]:
    """The panels of a Grafana dashboard (``gridPos`` is on the same 24-column grid)."""
    tiles = []
    for panel in board.get("panels", []):
        grid = panel["gridPos"]
        place_ = (grid["x"], grid["y"], grid["w"], grid["h"])
        targets: list[dict[str, Any]] = panel.get("targets", [])
        title = str(panel.get("title", ""))
        if panel["type"] == "logs":
            query = "\n".join(str(t.get("expr", "")) for t in targets)
            tiles.append(Tile(title, *place_, "logs (Loki)", query=query))
            continue
        tiles.append(Tile(title, *place_, str(panel["type"]), tuple(map(_grafana_line, targets))))
    return tuple(tiles)


def _grafana_line(target: dict[str, Any]) -> Line:
    if "expr" in target:  # Prometheus
        return Line(
            str(target.get("legendFormat") or target.get("refId", "")), target["expr"], True
        )
    if target.get("expression"):  # a CloudWatch SEARCH or math expression
        name = str(target.get("metricName") or target.get("refId", ""))
        return Line(name, str(target["expression"]), code=True)
    dims = " ".join(f"{k}={v}" for k, v in sorted(target.get("dimensions", {}).items()))
    visible = False if target.get("hide") else None
    detail = _source(str(target.get("namespace", "")), dims, target.get("statistic"), visible)
    return Line(str(target.get("metricName", "")), detail)


def _source(namespace: str, dims: str, stat: object, visible: object) -> str:
    hidden = " (hidden, feeds the expression)" if visible is False else ""
    return f"{namespace} {dims} {stat or ''}".strip() + hidden


# --- the page ------------------------------------------------------------------------------

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
.source {{ color: #545b64; }}
code, pre {{ font: 12px/1.35 "DejaVu Sans Mono", monospace; }}
pre {{ margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; background: #f7f8f8;
  padding: 6px; }}
"""


def preview_pages(model: OpsModel, stage: str) -> dict[str, str]:
    """Every dashboard of ``model`` at ``stage`` as an HTML document, by relative path."""
    return {path: page(board) for path, board in dashboards(model, stage).items()}


def page(board: Dashboard) -> str:
    width, height = page_size(board.tiles)
    tiles = "\n".join(_tile(tile) for tile in board.tiles)
    name = escape(board.name)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width={width}">
<title>{name} ({board.kind} preview)</title>
<style>{_CSS}</style>
</head>
<body style="width: {width}px; min-height: {height}px">
<header>
<h1>{name}</h1>
<p>{board.kind} dashboard preview: {len(board.tiles)} widgets, laid out on the dashboard's
{GRID_COLUMNS}-column grid as <code>otelkit ops render</code> deploys it.</p>
</header>
<main class="grid">
{tiles}
</main>
</body>
</html>
"""


def _tile(tile: Tile) -> str:
    left, top, width, height = place(tile)
    grid = {"x": tile.x, "y": tile.y, "width": tile.width, "height": tile.height}
    data = " ".join(f'data-{k}="{v}"' for k, v in grid.items())
    style = f"left: {left - PAGE_PAD_PX}px; top: {top - HEADER_PX}px; "
    style += f"width: {width}px; height: {height}px"
    if tile.query is not None:
        kind, content = "log", f"<pre>{escape(tile.query)}</pre>"
    else:
        kind, content = "metric", "<ul>" + "".join(map(_line, tile.lines)) + "</ul>"
    return (
        f'<section class="widget {kind}" {data} style="{style}">'
        f"<h2>{escape(tile.title)}</h2>"
        f'<div class="view">{escape(tile.view)}</div>{content}</section>'
    )


def _line(line: Line) -> str:
    detail = f"<code>{escape(line.detail)}</code>" if line.code else escape(line.detail)
    return f"<li><b>{escape(line.name)}</b> <span class='source'>{detail}</span></li>"
