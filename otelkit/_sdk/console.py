"""Human console output for development: a span tree per finished trace, a metrics summary.

Spans are buffered per trace and printed as one indented tree when the trace's local
root ends, so concurrent work (asyncio scenes, thread pools) still reads top to bottom.
Everything goes to stderr: stdout stays one log line per record for machines. Each span
line ends in a timeline bar (``timeline.py``) placed by its start offset in the trace.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from typing import Any

from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    MetricReader,
    MetricsData,
    NumberDataPoint,
)
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import StatusCode

from otelkit._sdk.timeline import Window, bar, cells_for, terminal_columns
from otelkit._values.keys import WELL_KNOWN_ID_KEYS
from otelkit._values.terminal import colour_wanted, coloured

_MAX_BUFFERED_SPANS = 10_000
_MAX_ATTRIBUTES_SHOWN = 4
_LABEL_COLUMNS = 48
_DURATION_COLUMNS = 9
_BEFORE_BAR = _LABEL_COLUMNS + 1 + _DURATION_COLUMNS + len(" ms ")


def _write(text: str) -> None:
    sys.stdout.flush()  # keep log lines already written above the tree that follows them
    sys.stderr.write(text)
    sys.stderr.flush()


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 48 else text[:45] + "..."


class ConsoleSpanTree(SpanProcessor):
    """Prints each trace as a tree of spans with durations, errors and IDs."""

    def __init__(self) -> None:
        self._traces: OrderedDict[int, list[ReadableSpan]] = OrderedDict()
        self._buffered = 0
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None:
            return
        with self._lock:
            spans = self._traces.setdefault(context.trace_id, [])
            spans.append(span)
            self._buffered += 1
            while self._buffered > _MAX_BUFFERED_SPANS:  # bounded memory: drop the oldest
                _, dropped = self._traces.popitem(last=False)
                self._buffered -= len(dropped)
            if span.parent is not None and not span.parent.is_remote:
                return
            finished = self._traces.pop(context.trace_id, [])
            self._buffered -= len(finished)
        if finished:
            _write(
                render_tree(
                    finished,
                    columns=terminal_columns(sys.stderr),
                    colour=colour_wanted(sys.stderr),
                )
            )

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _start_order(span: ReadableSpan) -> tuple[int, int]:
    """Earliest first; of spans starting together, the one that ends first."""
    return span.start_time or 0, span.end_time or 0


def render_tree(spans: list[ReadableSpan], *, columns: int = 100, colour: bool = False) -> str:
    """Render spans of one trace as an indented tree, children in start order, each with
    a timeline bar sized to fit ``columns``."""
    by_id = {s.context.span_id: s for s in spans if s.context is not None}
    children: dict[int | None, list[ReadableSpan]] = {}
    for s in spans:
        parent = s.parent.span_id if s.parent is not None and s.parent.span_id in by_id else None
        children.setdefault(parent, []).append(s)
    lines: list[str] = []
    window = Window(
        min(s.start_time or 0 for s in spans), max(s.end_time or s.start_time or 0 for s in spans)
    )
    cells = cells_for(columns, _BEFORE_BAR)
    roots = sorted(children.get(None, []), key=_start_order)
    if roots and roots[0].context is not None:
        ids = " ".join(
            f"{k}={_short(v)}"
            for k, v in (roots[0].attributes or {}).items()
            if k in WELL_KNOWN_ID_KEYS
        )
        lines.append(f"── trace {format(roots[0].context.trace_id, '032x')}  {ids}".rstrip())

    def walk(node: ReadableSpan, depth: int) -> None:
        duration = ((node.end_time or 0) - (node.start_time or 0)) / 1e6
        failed = node.status.status_code is StatusCode.ERROR
        mark = "✗" if failed else "•"
        shown = [
            f"{k}={_short(v)}"
            for k, v in (node.attributes or {}).items()
            if k not in WELL_KNOWN_ID_KEYS
        ][:_MAX_ATTRIBUTES_SHOWN]
        indent = "  " * depth
        label = f"{indent}{mark} {node.name}"
        label = f"{label:<{_LABEL_COLUMNS}} ".replace(mark, coloured("ERROR", mark, colour), 1)
        start = node.start_time or 0
        drawn = bar(window, start, node.end_time or start, cells, failed=failed, colour=colour)
        line = f"{label}{duration:>{_DURATION_COLUMNS}.1f} ms {drawn} {' '.join(shown)}".rstrip()
        if failed and node.status.description:
            line += f"  error: {node.status.description}"
        lines.append(line)
        if node.context is not None:
            for child in sorted(children.get(node.context.span_id, []), key=_start_order):
                walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return "\n".join(lines) + "\n"


class ConsoleMetricsSummary(MetricReader):
    """Collects on shutdown and prints one line per metric series."""

    def __init__(self) -> None:
        super().__init__()
        self._last: MetricsData | None = None

    def _receive_metrics(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> None:
        self._last = metrics_data

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self.collect()
        if self._last is not None:
            _write(render_metrics(self._last))


def render_metrics(data: MetricsData) -> str:
    """One line per series: name, dimensions and the value (sum, or count/avg/max)."""
    from otelkit._metering.metrics import display_name

    lines = ["── metrics"]
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    dims = " ".join(f"{k}={_short(v)}" for k, v in (point.attributes or {}).items())
                    if isinstance(point, HistogramDataPoint):
                        avg = point.sum / point.count if point.count else 0.0
                        value = (
                            f"count={point.count} avg={avg:.1f} max={point.max:.1f} {metric.unit}"
                        )
                    elif isinstance(point, NumberDataPoint):
                        value = str(point.value)
                    else:
                        continue
                    lines.append(f"{display_name(metric.name):<28} {value:<36} {dims}".rstrip())
    return "\n".join(lines) + "\n" if len(lines) > 1 else ""
