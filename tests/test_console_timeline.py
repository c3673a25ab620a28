"""The console span tree's timeline bars, read off the text a developer sees on stderr.

Spans with known start and end times go through otelkit's real pipeline (``configure``
with the console on); the bars must sit where their start offsets say, be as long as
their durations say against the trace's window, fit the terminal's width and be coloured
only as ``NO_COLOR`` / ``FORCE_COLOR`` say.
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import struct
import termios

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import trace

import otelkit
from otelkit._sdk.timeline import (
    FALLBACK_COLUMNS,
    MAX_CELLS,
    MIN_CELLS,
    Window,
    bar,
    bar_span,
    cells_for,
    terminal_columns,
)
from tests.support.pictures import CONSOLE_PAGE, console_block, console_trace, same_trace

MS = 1_000_000
EPOCH = 1_767_225_600_000 * MS
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BAR = re.compile(r"▕([^▏]*)▏")

# root 0-100 ms; a child over its first quarter, one over its middle half, one at its end
Plan = list[tuple[str, int | None, int, int, str | None]]
SPANS: Plan = [("root", None, 0, 100, None), ("first", 0, 0, 25, None)]
SPANS += [("middle", 0, 25, 75, None), ("last", 0, 90, 100, "boom")]


def _printed(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
) -> str:
    for name in ("COLUMNS", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    otelkit.configure(service_name="timeline", console=True, log_stdout=False)
    tracer = trace.get_tracer("tests.timeline")
    opened: list[trace.Span] = []
    for name, parent, start, _, _ in SPANS:
        context = trace.set_span_in_context(opened[parent]) if parent is not None else None
        opened.append(tracer.start_span(name, context, start_time=EPOCH + start * MS))
    for span, (_, _, _, end, error) in reversed(list(zip(opened, SPANS, strict=True))):
        if error is not None:
            span.set_status(trace.StatusCode.ERROR, error)
        span.end(end_time=EPOCH + end * MS)
    return capsys.readouterr().err


def _bars(text: str) -> dict[str, str]:
    """Span name -> the inside of its bar (colour removed)."""
    found = {}
    for line in ANSI.sub("", text).splitlines():
        match = BAR.search(line)
        if match:
            name = line[: match.start()].split(" ms")[0].rsplit(None, 1)[0].split(maxsplit=1)[1]
            found[name.strip()] = match.group(1)
    return found


def _extent(inside: str) -> tuple[int, int]:
    """(first filled cell, filled cells) of a bar; the filled cells are contiguous."""
    first = inside.index("█")
    length = inside.count("█")
    assert inside[first : first + length] == "█" * length, inside
    return first, length


def test_bars_sit_at_their_start_offsets_sized_by_duration(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _printed(monkeypatch, capsys, {"COLUMNS": "100", "NO_COLOR": "1"})
    bars = _bars(text)
    cells = cells_for(100, 62)
    assert cells == 36
    assert {name: len(inside) for name, inside in bars.items()} == dict.fromkeys(bars, cells)
    assert {name: _extent(inside) for name, inside in bars.items()} == {
        "root": (0, 36),
        "first": (0, 9),
        "middle": (9, 18),
        "last": (32, 4),
    }
    assert "✗ last" in text
    assert "error: boom" in text
    assert "\x1b[" not in text


def test_a_line_reads_name_duration_then_bar(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _printed(monkeypatch, capsys, {"COLUMNS": "100", "NO_COLOR": "1"})
    middle = next(line for line in text.splitlines() if "• middle" in line)
    assert middle == f"  • middle{' ' * 39}     50.0 ms ▕{' ' * 9}{'█' * 18}{' ' * 9}▏"


@pytest.mark.parametrize(
    ("columns", "cells"), [("80", 16), ("120", 56), ("300", MAX_CELLS), ("40", MIN_CELLS)]
)
def test_bars_fit_the_terminal_width(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], columns: str, cells: int
) -> None:
    text = _printed(monkeypatch, capsys, {"COLUMNS": columns})
    bars = _bars(text)
    assert {len(inside) for inside in bars.values()} == {cells}
    assert _extent(bars["root"]) == (0, cells)
    assert _extent(bars["middle"]) == (round(cells / 4), round(cells * 3 / 4) - round(cells / 4))
    if int(columns) >= 62 + 2 + MIN_CELLS:  # room enough: each bar ends inside the width
        plain = [line for line in ANSI.sub("", text).splitlines()[1:] if "error:" not in line]
        widest = max(len(line) for line in plain)
        assert widest == int(columns) if cells < MAX_CELLS else widest < int(columns)


@pytest.mark.parametrize(
    ("env", "coloured"),
    [
        ({}, False),  # captured stderr is not a terminal
        ({"FORCE_COLOR": "1"}, True),
        ({"NO_COLOR": "1"}, False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # NO_COLOR wins
    ],
)
def test_colour_follows_no_color_and_force_color(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    coloured: bool,
) -> None:
    text = _printed(monkeypatch, capsys, {"COLUMNS": "100", **env})
    assert ("\x1b[" in text) is coloured
    if coloured:
        lines = {line.split(" ms")[0].split()[-2]: line for line in text.splitlines()[1:]}
        assert "\x1b[32m" + "█" * 18 + "\x1b[0m" in lines["middle"]  # green: finished well
        assert "\x1b[31m" + "█" * 4 + "\x1b[0m" in lines["last"]  # red: failed
        assert "\x1b[31m✗\x1b[0m last" in text
    # colour never moves a bar
    assert _bars(text)["middle"] == " " * 9 + "█" * 18 + " " * 9


@given(
    length=st.integers(1, 10**12),
    start=st.integers(-(10**12), 2 * 10**12),
    duration=st.integers(-(10**12), 2 * 10**12),
    cells=st.integers(MIN_CELLS, MAX_CELLS),
)
def test_any_span_draws_a_bar_inside_its_track(
    length: int, start: int, duration: int, cells: int
) -> None:
    """Spans outside the window, with no duration or ending before they start (clock
    skew) still draw at least one cell, never outside the track."""
    window = Window(0, length)
    first, filled = bar_span(window, start, start + duration, cells)
    assert 0 <= first < cells
    assert 1 <= filled <= cells - first
    drawn = bar(window, start, start + duration, cells, failed=False, colour=False)
    assert len(drawn) == cells + 2
    assert drawn.count("█") == filled


@given(
    starts=st.lists(st.integers(0, 10**9), min_size=2, max_size=2),
    cells=st.integers(MIN_CELLS, MAX_CELLS),
)
def test_a_later_start_never_draws_further_left(starts: list[int], cells: int) -> None:
    window = Window(0, 10**9)
    early, late = sorted(starts)
    assert bar_span(window, early, early, cells)[0] <= bar_span(window, late, late, cells)[0]


@pytest.mark.slow
def test_the_docs_console_trace_is_what_the_example_prints() -> None:
    """docs/getting-started.md shows examples/console_trace.py's output; `make pictures`
    rewrites it. Only the trace ID (random per run) may differ."""
    shown = console_block(CONSOLE_PAGE.read_text(encoding="utf-8"))
    printed = console_trace()
    assert same_trace(shown, printed), "the docs' console trace is stale: run `make pictures`"
    assert not same_trace(shown, printed.replace("render scene 2", "render scene 3"))
    assert _extent(_bars(printed)["render scene 2"]) == (4, 18)  # 40-240 ms of 400, 36 cells


def test_the_width_is_columns_then_the_terminal_then_a_default() -> None:
    leader, follower = os.openpty()
    try:
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 123, 0, 0))
        with os.fdopen(os.dup(follower), "w") as terminal:
            assert terminal_columns(terminal, {}) == 123
            assert terminal_columns(terminal, {"COLUMNS": "90"}) == 90
            assert terminal_columns(terminal, {"COLUMNS": "wide"}) == 123
    finally:
        os.close(leader)
        os.close(follower)
    assert terminal_columns(io.StringIO(), {}) == FALLBACK_COLUMNS  # a pipe or a log file
