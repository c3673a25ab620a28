"""Timeline bars for the console span tree: where each span sits inside its trace.

A bar is a track of ``cells`` character cells standing for the trace's whole window
(first start to last end); the span fills the cells its start offset and duration cover,
at least one so a span too short to see still shows where it began. Block characters
only, so the picture survives a log file; colour is added only where the reader wants it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from otelkit._values.terminal import coloured

FILLED = "█"
EMPTY = " "
LEFT_EDGE = "▕"
RIGHT_EDGE = "▏"
MIN_CELLS, MAX_CELLS = 10, 60
FALLBACK_COLUMNS = 100  # not a terminal and no COLUMNS: a log file or a pipe


@dataclass(frozen=True)
class Window:
    """The trace's extent in nanoseconds: every bar is drawn against it."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return max(self.end - self.start, 1)


def cells_for(columns: int, used: int) -> int:
    """How many cells a bar gets when ``used`` columns of a line come before it."""
    return max(MIN_CELLS, min(MAX_CELLS, columns - used - len(LEFT_EDGE + RIGHT_EDGE)))


def bar_span(window: Window, start: int, end: int, cells: int) -> tuple[int, int]:
    """The first cell and the number of cells of a span from ``start`` to ``end``."""
    first = min(max(round((start - window.start) * cells / window.length), 0), cells - 1)
    last = min(max(round((end - window.start) * cells / window.length), first + 1), cells)
    return first, last - first


def bar(window: Window, start: int, end: int, cells: int, *, failed: bool, colour: bool) -> str:
    """A framed track with the span's cells filled (red when it failed, if colouring)."""
    first, length = bar_span(window, start, end, cells)
    filled = coloured("ERROR" if failed else "INFO", FILLED * length, colour)
    return f"{LEFT_EDGE}{EMPTY * first}{filled}{EMPTY * (cells - first - length)}{RIGHT_EDGE}"


def terminal_columns(stream: TextIO, environ: Mapping[str, str] | None = None) -> int:
    """The width to draw for: ``COLUMNS`` when set, else the terminal's, else a default."""
    env = os.environ if environ is None else environ
    try:
        wanted = int(env.get("COLUMNS", ""))
    except ValueError:
        wanted = 0
    if wanted > 0:
        return wanted
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # no descriptor, not a terminal, closed
        return FALLBACK_COLUMNS
