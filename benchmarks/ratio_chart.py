"""The ratio chart of docs/benchmarks.md: one bar per row of the `bench` table, drawn as SVG.

``make bench`` runs it after the table is rewritten, so the picture is always the table's:
each bar is a row's median ratio (otelkit / baseline) on a logarithmic axis, coloured by
the row's verdict, with the row's goal drawn across it where the row has one. The SVG is
written by hand (no plotting library): fixed geometry, every number formatted the same
way, so the same table always gives the same bytes, and a test regenerates it from the
committed table to catch a picture that drifted from it.

Usage: ``python benchmarks/ratio_chart.py docs/benchmarks.md docs/benchmark-ratios.svg``
"""

from __future__ import annotations

import math
import pathlib
import re
import sys
from dataclasses import dataclass
from html import escape

BEGIN = "<!-- bench:begin"
END = "<!-- bench:end -->"

LABEL_WIDTH = 520  # px of row labels, right-aligned against the plot
PLOT_WIDTH = 420
ROW_HEIGHT = 18
TOP, BOTTOM = 44, 40  # px above the first row (title, legend) and below the last (axis)
MARGIN = 12
MAX_LABEL_CHARS = 86
COLOURS = {"ok": "#2e7d32", "MISSED": "#c62828", "info": "#5c7cfa"}


@dataclass(frozen=True)
class Row:
    group: str
    path: str
    anchor: str
    ratio: float
    goal: float | None
    verdict: str

    @property
    def label(self) -> str:
        text = _NOT_XML.sub("\ufffd", f"{self.group}: {self.path} vs {self.anchor}")
        return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_RATIO = re.compile(r"\*\*([\d.]+)x\*\*")
_GOAL = re.compile(r"≤ ([\d.]+)x")
_ANCHOR = re.compile(r"\(([^()]*)\)\s*$")


def rows(markdown: str) -> list[Row]:
    """The rows of the generated ``bench`` table in ``markdown``."""
    _, found, rest = markdown.partition(BEGIN)
    table, found_end, _ = rest.partition(END)
    if not found or not found_end:
        raise ValueError(f"no table between {BEGIN!r} and {END!r}")
    parsed = []
    for line in table.split("\n"):  # not splitlines: a cell may hold U+0085 or U+2028
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        ratio = _RATIO.fullmatch(cells[5]) if len(cells) == 9 else None
        if ratio is None:  # the caption, the header, the rule
            continue
        goal = _GOAL.fullmatch(cells[7])
        anchor = _ANCHOR.search(cells[3])
        parsed.append(
            Row(
                group=cells[0],
                path=cells[1],
                anchor=anchor.group(1) if anchor else cells[3],
                ratio=float(ratio.group(1)),
                goal=float(goal.group(1)) if goal else None,
                verdict=cells[8],
            )
        )
    if not parsed:
        raise ValueError("the bench table has no rows")
    return parsed


@dataclass(frozen=True)
class Axis:
    """A base-10 logarithmic axis over whole decades, from ``low`` to ``high``."""

    low: int  # exponents
    high: int

    @classmethod
    def covering(cls, values: list[float]) -> Axis:
        positive = [v for v in values if v > 0] or [1.0]
        low = math.floor(math.log10(min(*positive, 1.0)))
        high = math.ceil(math.log10(max(*positive, 1.0)))
        return cls(low, high if high > low else low + 1)

    def x(self, value: float) -> float:
        """The pixel offset of ``value`` from the plot's left edge (clamped to the plot)."""
        exponent = math.log10(value) if value > 0 else self.low
        share = (exponent - self.low) / (self.high - self.low)
        return min(max(share, 0.0), 1.0) * PLOT_WIDTH


def _num(value: float) -> str:
    return f"{value:.1f}"


def svg(table: list[Row]) -> str:
    """The chart of ``table`` as a standalone SVG document."""
    axis = Axis.covering([r.ratio for r in table] + [r.goal for r in table if r.goal])
    left = MARGIN + LABEL_WIDTH
    width = left + PLOT_WIDTH + 60
    plot_bottom = TOP + ROW_HEIGHT * len(table)
    height = plot_bottom + BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        "<title>otelkit / baseline, median of paired rounds, per benchmark row</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="18" font-size="13" font-weight="bold">'
        "otelkit cost / baseline cost (log scale; left of 1x is cheaper)</text>",
    ]
    legend = [("ok", "goal met"), ("MISSED", "goal missed"), ("info", "no goal")]
    for index, (verdict, words) in enumerate(legend):
        x = MARGIN + index * 120
        out.append(
            f'<rect x="{x}" y="26" width="10" height="10" fill="{COLOURS[verdict]}"/>'
            f'<text x="{x + 14}" y="35">{words}</text>'
        )
    out.append(
        f'<line x1="{MARGIN + 370}" y1="31" x2="{MARGIN + 384}" y2="31" stroke="#000000" '
        f'stroke-width="2"/><text x="{MARGIN + 388}" y="35">goal</text>'
    )
    for exponent in range(axis.low, axis.high + 1):
        value = 10.0**exponent
        tick = _num(left + axis.x(value))
        out.append(
            f'<line x1="{tick}" y1="{TOP}" x2="{tick}" y2="{plot_bottom}" stroke="#dddddd"/>'
            f'<text x="{tick}" y="{plot_bottom + 14}" text-anchor="middle">{value:g}x</text>'
        )
    one = _num(left + axis.x(1.0))
    out.append(
        f'<line x1="{one}" y1="{TOP - 4}" x2="{one}" y2="{plot_bottom}" stroke="#444444" '
        'stroke-dasharray="3 2"/>'
    )
    for index, row in enumerate(table):
        top = TOP + index * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        end = left + axis.x(row.ratio)
        after = max(end, left + axis.x(row.goal)) if row.goal is not None else end
        out.append(
            f'<g class="row"><text x="{left - 6}" y="{_num(middle + 4)}" text-anchor="end">'
            f"{escape(row.label)}</text>"
            f'<rect class="ratio" x="{left}" y="{top + 3}" width="{_num(end - left)}" '
            f'height="{ROW_HEIGHT - 6}" fill="{COLOURS.get(row.verdict, COLOURS["info"])}">'
            f"<title>{escape(row.label)}: {row.ratio:.2f}x</title></rect>"
            f'<text x="{_num(after + 4)}" y="{_num(middle + 4)}">{row.ratio:.2f}x</text>'
        )
        if row.goal is not None:
            goal = _num(left + axis.x(row.goal))
            out.append(
                f'<line class="goal" x1="{goal}" y1="{top + 1}" x2="{goal}" '
                f'y2="{top + ROW_HEIGHT - 1}" stroke="#000000" stroke-width="2">'
                f"<title>goal ≤ {row.goal:.2f}x</title></line>"
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    source, target = (pathlib.Path(arg) for arg in argv)
    target.write_text(svg(rows(source.read_text(encoding="utf-8"))), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
