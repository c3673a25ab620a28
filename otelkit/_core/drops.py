"""Drop accounting: what telemetry never left the process, per signal and reason.

Every place that gives up on data counts it here: a full export queue, an export that
failed or was refused, a collector that was down, a metric value or message that could
not be used. ``otelkit.flush()`` reports what was dropped during it, a summary line goes
to stderr at most once a minute while drops happen, and ``otelkit.dropped`` is exported
as a metric of its own.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from otelkit._core import switch as _switch
from otelkit._core.report_lines import write_report

#: The shortest time between two summary lines on stderr, in seconds.
SUMMARY_INTERVAL = 60.0

_lock = threading.Lock()
_counts: Counter[tuple[str, str]] = Counter()
_reported: Counter[tuple[str, str]] = Counter()
_details: dict[tuple[str, str], str] = {}  # the latest detail (a collector's message)
_last_summary = 0.0


#: The self-metric: items dropped, by ``signal`` and ``reason``.
METRIC = "otelkit.dropped"
_counter: Any = None


def add(signal: str, reason: str, count: int = 1, *, detail: str = "") -> None:
    """Count ``count`` items of ``signal`` (spans, logs, metrics, input) dropped for
    ``reason``; write the summary line when one is due. ``detail`` (a collector's
    message) is written in the line after the reason, and is not part of the metric."""
    global _counter
    if count <= 0:
        return
    with _lock:
        _counts[(signal, reason)] += count
        if detail:
            _details[(signal, reason)] = detail
    if _counter is None:
        _counter = _switch.METER.create_counter(
            METRIC, unit="{item}", description="Telemetry otelkit dropped"
        )
    _counter.add(count, {"signal": signal, "reason": reason})
    summarize_if_due()


def totals() -> dict[str, int]:
    """Items dropped since start-up, per signal."""
    with _lock:
        found: Counter[str] = Counter()
        for (signal, _), count in _counts.items():
            found[signal] += count
    return dict(found)


def snapshot() -> dict[tuple[str, str], int]:
    """Items dropped since start-up, per (signal, reason)."""
    with _lock:
        return dict(_counts)


def summarize_if_due(now: float | None = None, *, final: bool = False) -> None:
    """Write one stderr line with the drops since the last line, if a minute has passed
    (or none was written yet), or whatever is new when ``final`` (at shutdown)."""
    global _last_summary
    now = time.monotonic() if now is None else now
    with _lock:
        if not final and now - _last_summary < SUMMARY_INTERVAL and _last_summary:
            return
        new = {
            key: count - _reported[key] for key, count in _counts.items() if count > _reported[key]
        }
        if not new:
            return
        _last_summary = now
        _reported.update(new)
        details = {key: _details.pop(key) for key in new if key in _details}
    parts = ", ".join(_part(key, count, details.get(key)) for key, count in sorted(new.items()))
    write_report(
        f"dropped {parts}",
        event_type="TELEMETRY_DROPPED",
        dropped={f"{signal}.{reason}": count for (signal, reason), count in sorted(new.items())},
    )


def _part(key: tuple[str, str], count: int, detail: str | None) -> str:
    signal, reason = key
    return f"{count} {signal} ({reason}: {detail})" if detail else f"{count} {signal} ({reason})"


def reset() -> None:
    """Forget every count (a forked child starts its own accounts)."""
    global _last_summary
    with _lock:
        _counts.clear()
        _reported.clear()
        _details.clear()
        _last_summary = 0.0
