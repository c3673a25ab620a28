"""``otelkit ops render --preview``: an HTML page of each dashboard of a model.

The pages' structure is read back with the standard library's HTML parser (every widget's
title, grid place, metrics and query, as the deployed CloudWatch dashboard body and
Grafana dashboard have them); the picture is taken in headless Chromium and looked at
pixel by pixel.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otelkit.ops import load_model, render
from otelkit.ops._dashboard_cw import dashboard_body
from otelkit.ops._grafana import grafana_dashboard
from otelkit.ops._model import Widget
from otelkit.ops._preview import (
    HEADER_PX,
    PAGE_PAD_PX,
    Tile,
    cloudwatch_tiles,
    dashboards,
    page,
    page_size,
    place,
    preview_pages,
)
from tests.support.chromium import chromium, screenshot
from tests.support.png import read_png

ROOT = Path(__file__).resolve().parents[1]
MODELS = sorted((ROOT / "examples" / "ops").glob("*.yaml"))
BACKGROUND = (0xF2, 0xF3, 0xF3)
WHITE = (0xFF, 0xFF, 0xFF)


class _Page(HTMLParser):
    """Each ``section.widget``: its attributes and the text of its parts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.widgets: list[dict[str, Any]] = []
        self.tags: list[str] = []
        self._part: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "section":
            self.widgets.append({**dict(attrs), "h2": "", "li": [], "pre": ""})
        elif tag in {"h2", "li", "pre"} and self.widgets:
            self._part = tag
            if tag == "li":
                self.widgets[-1]["li"].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._part:
            self._part = None

    def handle_data(self, data: str) -> None:
        if self._part == "li":
            self.widgets[-1]["li"][-1] += data
        elif self._part is not None:
            self.widgets[-1][self._part] += data


def _parsed(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _cloudwatch(page_name: str) -> str:
    return f"preview/{page_name}.html"


def _assert_laid_out(html: str, tiles: tuple[Tile, ...]) -> list[dict[str, Any]]:
    """Each section of ``html`` is the tile at its index: title, grid place, pixels."""
    shown = _parsed(html)
    assert len(shown.widgets) == len(tiles) > 0
    for widget, tile in zip(shown.widgets, tiles, strict=True):
        assert widget["h2"] == tile.title
        grid = {k: int(widget[f"data-{k}"]) for k in ("x", "y", "width", "height")}
        assert grid == {"x": tile.x, "y": tile.y, "width": tile.width, "height": tile.height}
        left, top, width, height = place(tile)
        assert widget["style"] == (
            f"left: {left - PAGE_PAD_PX}px; top: {top - HEADER_PX}px; "
            f"width: {width}px; height: {height}px"
        )
    assert "script" not in shown.tags
    return shown.widgets


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_the_cloudwatch_page_shows_the_deployed_dashboard_body(path: Path) -> None:
    model = load_model(path)
    body = dashboard_body(model, "prod")["widgets"]
    board = dashboards(model, "prod")[_cloudwatch(f"{model.service}-prod-overview")]
    shown = _assert_laid_out(page(board), board.tiles)
    assert [(t.x, t.y, t.width, t.height) for t in board.tiles] == [
        (w["x"], w["y"], w["width"], w["height"]) for w in body
    ]
    for widget, deployed in zip(shown, body, strict=True):
        properties = deployed["properties"]
        assert widget["h2"] == properties["title"]
        if deployed["type"] == "log":
            assert widget["pre"] == properties["query"]
            continue
        assert len(widget["li"]) == len(properties["metrics"])
        for line, metric in zip(widget["li"], properties["metrics"], strict=True):
            named = metric[0].get("label") if isinstance(metric[0], dict) else metric[1]
            assert line.startswith(f"{named} "), (line, metric)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_the_grafana_page_shows_the_deployed_panels(path: Path) -> None:
    model = load_model(path)
    panels = grafana_dashboard(model, "prod")["panels"]
    board = dashboards(model, "prod")[f"preview/{model.service}-prod-overview-grafana.html"]
    shown = _assert_laid_out(page(board), board.tiles)
    assert [(t.x, t.y, t.width, t.height) for t in board.tiles] == [
        tuple(p["gridPos"][k] for k in "xywh") for p in panels
    ]
    for widget, panel in zip(shown, panels, strict=True):
        assert widget["h2"] == panel["title"]
        if panel["type"] == "logs":
            assert widget["pre"] == "\n".join(t["expr"] for t in panel["targets"])
        else:
            assert len(widget["li"]) == len(panel["targets"])


def test_metrics_show_namespace_dimensions_and_statistic() -> None:
    model = load_model(ROOT / "examples" / "ops" / "rez_agent.yaml")
    pages = preview_pages(model, "prod")
    for html in pages.values():
        lines = [line for widget in _parsed(html).widgets for line in widget["li"]]
        assert "Latency AWS/ApiGateway ApiName=rez-agent-prod p95" in lines
        assert any(
            line.startswith("MessagesProcessed RezAgent service=rez-agent status=failed Sum")
            and line.endswith("(hidden, feeds the expression)")
            for line in lines
        )
    cloudwatch = _parsed(pages[_cloudwatch("rez-agent-prod-overview")])
    lines = [line for widget in cloudwatch.widgets for line in widget["li"]]
    assert any(line.startswith("MessagesCreated SEARCH('{RezAgent,") for line in lines)


_HOSTILE = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40).map(
    lambda text: text + "<script>alert(1)</script>&\"'"
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(titles=st.lists(_HOSTILE, min_size=1, max_size=5))
def test_any_title_is_shown_as_text_never_as_markup(titles: list[str]) -> None:
    model = load_model(ROOT / "examples" / "ops" / "video_pipeline.yaml")
    metric = model.widgets[0].metrics
    hostile = dataclasses.replace(model, widgets=tuple(Widget(t, metric) for t in titles))
    for html in preview_pages(hostile, "prod").values():
        shown = _parsed(html)
        assert [w["h2"] for w in shown.widgets][: len(titles)] == titles
        assert "script" not in shown.tags
        assert "<script>" not in html


def test_the_cli_writes_the_preview_only_when_asked(tmp_path: Path) -> None:
    model = ROOT / "examples" / "ops" / "video_pipeline.yaml"
    command = [sys.executable, "-m", "otelkit", "ops", "render", str(model), "--stage", "dev"]
    plain = subprocess.run(
        [*command, "--out", str(tmp_path / "plain")], capture_output=True, text=True, check=False
    )
    assert plain.returncode == 0, plain.stderr
    assert not (tmp_path / "plain" / "preview").exists()
    done = subprocess.run(
        [*command, "--out", str(tmp_path / "out"), "--preview"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ("video-pipeline-dev-overview", "video-pipeline-dev-overview-grafana"):
        written = tmp_path / "out" / "preview" / f"{name}.html"
        assert f"wrote {written}" in done.stdout.splitlines()
        assert "<h1>video-pipeline-dev-overview</h1>" in written.read_text()


def _ink(pixels: list[tuple[int, int, int]]) -> int:
    """How many pixels are dark enough to be text."""
    return sum(1 for r, g, b in pixels if r + g + b < 3 * 140)


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="needs Debian's chromium (make system-deps)")
def test_the_page_screenshots_with_every_widget_drawn(tmp_path: Path) -> None:
    model = load_model(ROOT / "examples" / "ops" / "rez_agent.yaml")
    written = [p for p in render(model, "prod", tmp_path, preview=True) if p.suffix == ".html"]
    boards = dashboards(model, "prod")
    assert written == [tmp_path / path for path in boards]
    for html, board in zip(written, boards.values(), strict=True):
        size = page_size(board.tiles)
        png = tmp_path / f"{html.stem}.png"
        screenshot(html, png, size)
        image = read_png(png)
        assert (image.width, image.height) == size
        _assert_drawn(image, board.tiles)


def _assert_drawn(image: Any, tiles: tuple[Tile, ...]) -> None:
    """Every widget's box is where the grid puts it: white inside, a title in ink at its
    top, and the page's background in the gap below it."""
    for tile in tiles:
        left, top, width, height = place(tile)
        title_band = image.region(left + 8, top + 8, width - 16, 22)
        assert _ink(title_band) > 40, f"no title drawn in {tile.title!r}"
        inside = image.region(left + width // 2, top + height - 12, 4, 4)
        assert set(inside) == {WHITE}, tile.title
        gap = image.region(left + width // 2, top + height + 2, 3, 3)
        assert set(gap) == {BACKGROUND}, tile.title
    # nothing below the last row but the page's margin
    assert set(image.region(0, image.height - 4, image.width, 4)) == {BACKGROUND}


DOCS_PICTURE = ROOT / "docs" / "images" / "dashboard-preview.png"


@pytest.mark.slow  # decoding the picture in pure Python takes seconds
def test_the_docs_show_the_rendered_dashboard() -> None:
    """The committed picture is the preview of the model the docs name, at its size now:
    a change of layout without `make pictures` leaves a picture of the old size."""
    text = (ROOT / "docs" / "operations.md").read_text()
    assert "](images/dashboard-preview.png)" in text
    model = load_model(ROOT / "examples" / "ops" / "rez_agent.yaml")
    tiles = cloudwatch_tiles(dashboard_body(model, "prod"))
    image = read_png(DOCS_PICTURE)
    assert (image.width, image.height) == page_size(tiles)
    _assert_drawn(image, tiles)
    assert "make pictures" in text


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_grafana_panels_stay_on_the_grid_and_never_overlap(path: Path) -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in grafana_dashboard(load_model(path), "prod")["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, (panel["title"], grid)
        assert grid["x"] + grid["w"] <= 24, (panel["title"], grid)
        for column in range(grid["x"], grid["x"] + grid["w"]):
            for row in range(grid["y"], grid["y"] + grid["h"]):
                assert (column, row) not in cells, (panel["title"], cells[(column, row)])
                cells[(column, row)] = panel["title"]
