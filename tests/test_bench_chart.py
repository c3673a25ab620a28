"""The ratio chart in docs/benchmarks.md is the table's: regenerated from the committed table
it must equal the committed SVG, and each bar and goal line must say what its row says."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "benchmarks.md"
CHART = ROOT / "docs" / "benchmark-ratios.svg"
SVG = "{http://www.w3.org/2000/svg}"


def _chart_module() -> ModuleType:
    """``benchmarks/ratio_chart.py`` (the benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("ratio_chart", ROOT / "benchmarks/ratio_chart.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("ratio_chart", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


chart = _chart_module()


def test_the_committed_chart_is_drawn_from_the_committed_table() -> None:
    regenerated = chart.svg(chart.rows(PAGE.read_text(encoding="utf-8")))
    assert CHART.read_text(encoding="utf-8") == regenerated, (
        "docs/benchmark-ratios.svg differs from the table: run "
        "`python benchmarks/ratio_chart.py docs/benchmarks.md docs/benchmark-ratios.svg`"
    )


def test_the_page_shows_the_chart_and_make_bench_draws_it() -> None:
    assert "](benchmark-ratios.svg)" in PAGE.read_text(encoding="utf-8")
    recipe = (ROOT / "Makefile").read_text().split("\nbench:", 1)[1].split("\n\n", 1)[0]
    assert "benchmarks/ratio_chart.py docs/benchmarks.md docs/benchmark-ratios.svg" in recipe


def _bars(svg_text: str) -> list[tuple[float, float | None, str]]:
    """(bar width, goal x or None, label) per row, read back from the SVG."""
    found = []
    for group in ET.fromstring(svg_text).iter(f"{SVG}g"):
        (rect,) = group.iter(f"{SVG}rect")
        goals = list(group.iter(f"{SVG}line"))
        label = next(group.iter(f"{SVG}text")).text or ""
        found.append(
            (
                float(rect.get("width", "nan")),
                float(goals[0].get("x1", "nan")) if goals else None,
                label,
            )
        )
    return found


def test_one_bar_per_row_sized_by_its_ratio_with_its_goal() -> None:
    rows = chart.rows(PAGE.read_text(encoding="utf-8"))
    bars = _bars(CHART.read_text(encoding="utf-8"))
    assert len(bars) == len(rows) > 10
    assert [label for _, _, label in bars] == [row.label for row in rows]
    assert [goal is not None for _, goal, _ in bars] == [row.goal is not None for row in rows]
    # widths are proportional to log(ratio) - log(left edge): check against two rows
    widest = max(rows, key=lambda row: row.ratio)
    narrowest = min(rows, key=lambda row: row.ratio)
    by_label = {label: width for width, _, label in bars}
    assert by_label[widest.label] > by_label[narrowest.label]
    axis = chart.Axis.covering([row.ratio for row in rows] + [row.goal for row in rows if row.goal])
    per_decade = chart.PLOT_WIDTH / (axis.high - axis.low)
    assert by_label[widest.label] - by_label[narrowest.label] == pytest.approx(
        per_decade * math.log10(widest.ratio / narrowest.ratio), abs=0.2
    )


def test_a_changed_ratio_changes_the_picture() -> None:
    """The drift test can fail: one figure edited in the table moves one bar."""
    page = PAGE.read_text(encoding="utf-8")
    first = re.search(r"\*\*([\d.]+)x\*\*", page.split("<!-- bench:begin", 1)[1])
    assert first is not None
    edited = page.replace(first.group(0), f"**{float(first.group(1)) * 2:.2f}x**", 1)
    before, after = _bars(chart.svg(chart.rows(page))), _bars(chart.svg(chart.rows(edited)))
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [0]
    rows = chart.rows(edited)
    axis = chart.Axis.covering([row.ratio for row in rows] + [row.goal for row in rows if row.goal])
    per_decade = chart.PLOT_WIDTH / (axis.high - axis.low)
    assert after[0][0] - before[0][0] == pytest.approx(per_decade * math.log10(2), abs=0.2)


_CELL = st.text(st.characters(blacklist_characters="|\n\r", blacklist_categories=["Cs"]))


@given(path=_CELL, anchor=_CELL, ratio=st.floats(0.001, 5000), goal=st.none() | st.floats(0.01, 10))
def test_any_row_text_gives_well_formed_svg(
    path: str, anchor: str, ratio: float, goal: float | None
) -> None:
    """Row text is escaped (a ``<`` or ``&`` in a path name cannot break the document)."""
    goal_cell = f"≤ {goal:.2f}x" if goal is not None else "—"
    page = (
        "<!-- bench:begin -->\n| group | path | µs | baseline | µs | ratio | spread | goal | |\n"
        f"| g | {path} | 1 | base ({anchor}) | 1 | **{ratio:.2f}x** | 1-2 | {goal_cell} | info |\n"
        "<!-- bench:end -->\n"
    )
    rows = chart.rows(page)
    assert len(rows) == 1
    (bar,) = _bars(chart.svg(rows))
    assert bar[2] == rows[0].label
    assert 0 <= bar[0] <= chart.PLOT_WIDTH
    assert (bar[1] is not None) is (goal is not None)
