"""``otelkit ops render --preview``: an HTML page of each model's CloudWatch dashboard.

The page's structure is read back with the standard library's HTML parser (every widget's
title, grid place, metrics and query, as the deployed dashboard body has them); the
picture is taken in headless Chromium and looked at pixel by pixel.
"""

from __future__ import annotations

import dataclasses
import re
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
from otelkit.ops._model import Widget
from otelkit.ops._preview import (
    HEADER_PX,
    PAGE_PAD_PX,
    page_size,
    place,
    preview_name,
    preview_page,
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


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_widget_is_placed_as_the_dashboard_body_says(path: Path) -> None:
    model = load_model(path)
    body = dashboard_body(model, "prod")["widgets"]
    page = _parsed(preview_page(model, "prod"))
    assert len(page.widgets) == len(body) > 0
    for shown, widget in zip(page.widgets, body, strict=True):
        properties = widget["properties"]
        assert shown["h2"] == properties["title"]
        grid = {k: int(shown[f"data-{k}"]) for k in ("x", "y", "width", "height")}
        assert grid == {k: widget[k] for k in ("x", "y", "width", "height")}
        left, top, width, height = place(widget)
        assert shown["style"] == (
            f"left: {left - PAGE_PAD_PX}px; top: {top - HEADER_PX}px; "
            f"width: {width}px; height: {height}px"
        )
        if widget["type"] == "log":
            assert shown["pre"] == properties["query"]
        else:
            assert len(shown["li"]) == len(properties["metrics"])
            for line, metric in zip(shown["li"], properties["metrics"], strict=True):
                named = metric[0].get("label") if isinstance(metric[0], dict) else metric[1]
                assert line.startswith(named), (line, metric)
    assert "script" not in page.tags


def test_metrics_show_namespace_dimensions_and_statistic() -> None:
    model = load_model(ROOT / "examples" / "ops" / "rez_agent.yaml")
    page = _parsed(preview_page(model, "prod"))
    lines = [line for widget in page.widgets for line in widget["li"]]
    assert "Latency AWS/ApiGateway ApiName=rez-agent-prod p95" in lines
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
    html = preview_page(hostile, "prod")
    page = _parsed(html)
    assert [w["h2"] for w in page.widgets][: len(titles)] == titles
    assert "script" not in page.tags
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
    page = tmp_path / "out" / "preview" / "video-pipeline-dev-overview.html"
    assert f"wrote {page}" in done.stdout.splitlines()
    assert "<h1>video-pipeline-dev-overview</h1>" in page.read_text()


def _ink(pixels: list[tuple[int, int, int]]) -> int:
    """How many pixels are dark enough to be text."""
    return sum(1 for r, g, b in pixels if r + g + b < 3 * 140)


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="needs Debian's chromium (make system-deps)")
def test_the_page_screenshots_with_every_widget_drawn(tmp_path: Path) -> None:
    model = load_model(ROOT / "examples" / "ops" / "rez_agent.yaml")
    (written,) = [p for p in render(model, "prod", tmp_path, preview=True) if p.suffix == ".html"]
    assert written == tmp_path / preview_name(model, "prod")
    body = dashboard_body(model, "prod")["widgets"]
    size = page_size(body)
    png = tmp_path / "dashboard.png"
    screenshot(written, png, size)
    image = read_png(png)
    assert (image.width, image.height) == size
    _assert_drawn(image, body)


def _assert_drawn(image: Any, body: list[dict[str, Any]]) -> None:
    """Every widget's box is where the grid puts it: white inside, a title in ink at its
    top, and the page's background in the gap beside it."""
    for widget in body:
        left, top, width, height = place(widget)
        title_band = image.region(left + 8, top + 8, width - 16, 22)
        assert _ink(title_band) > 40, f"no title drawn in {widget['properties']['title']!r}"
        inside = image.region(left + width // 2, top + height - 12, 4, 4)
        assert set(inside) == {WHITE}, widget["properties"]["title"]
        gap = image.region(left + width + 2, top + height // 2, 3, 3)
        assert set(gap) == {BACKGROUND}, widget["properties"]["title"]
    # nothing below the last row but the page's margin
    assert set(image.region(0, image.height - 4, image.width, 4)) == {BACKGROUND}


DOCS_PICTURE = ROOT / "docs" / "images" / "dashboard-preview.png"


@pytest.mark.slow  # decoding the picture in pure Python takes seconds
def test_the_docs_show_the_rendered_dashboard() -> None:
    """The committed picture is the preview of the model the docs name, at its size now:
    a change of layout without `make pictures` leaves a picture of the old size."""
    page = (ROOT / "docs" / "operations.md").read_text()
    assert "](images/dashboard-preview.png)" in page
    model = load_model(ROOT / "examples" / "ops" / "rez_agent.yaml")
    body = dashboard_body(model, "prod")["widgets"]
    image = read_png(DOCS_PICTURE)
    assert (image.width, image.height) == page_size(body)
    _assert_drawn(image, body)
    assert re.search(r"make pictures", page)
