"""Paired, interleaved measurement of one otelkit hot path against a baseline.

Each benchmark module (``benchmarks/bench_*.py``) exposes ``pairs()``: an iterable of
:class:`Pair`. The runner measures every pair the same way, so the ratios in one run are
comparable:

- both sides run in this process on equivalent pipelines, in alternating rounds
  (A B A B ...), so a machine that speeds up or slows down affects both alike;
- each round times a calibrated number of calls (about ``ROUND_SECONDS`` of work) and the
  ratio is taken round by round; the row reports the **median** ratio and its spread
  (the 10th to 90th percentile of the round ratios);
- ``clock="cpu"`` measures process CPU time (every thread, so export threads count)
  instead of wall time, for paths whose cost lands in background threads;
- ``clock="thread"`` measures the CPU time of the calling thread only: what a call costs
  the code that made it when both sides export in a background thread (their total, with
  the export threads, is a ``"cpu"`` pair of its own).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

ROUND_SECONDS = 0.02
ROUNDS = 15
Clock = Literal["wall", "cpu", "thread"]
_CLOCKS: dict[Clock, Callable[[], float]] = {
    "wall": time.perf_counter,
    "cpu": time.process_time,
    "thread": time.thread_time,
}


@dataclass(frozen=True)
class Pair:
    """One hot path and the baseline it is judged against.

    Attributes:
        name: what otelkit does, e.g. ``"@traced call, 3 bound IDs"``.
        ours: one call of the otelkit path.
        baseline_name: what the baseline does.
        baseline: one call of the baseline, doing the same work.
        goal: the ratio the path must stay at or under (``None``: for information).
        anchor: who the baseline is (``"OTel SDK"``, ``"Powertools"``, ``"structlog"``...).
        clock: ``"wall"``, ``"cpu"`` (process CPU, all threads) or ``"thread"`` (CPU of
            the calling thread).
        number: calls per round; calibrated when ``None``.
        rounds: paired rounds.
        setup: run once before measuring (e.g. activate a pipeline); ``teardown`` after.
        settle: run before every round, untimed (e.g. flush both sides, so each round
            starts with empty export queues and no export thread is still busy).
    """

    name: str
    ours: Callable[[], object]
    baseline_name: str
    baseline: Callable[[], object]
    goal: float | None = None
    anchor: str = "OTel SDK"
    clock: Clock = "wall"
    number: int | None = None
    rounds: int = ROUNDS
    setup: Callable[[], object] | None = None
    teardown: Callable[[], object] | None = None
    settle: Callable[[], object] | None = None


@dataclass(frozen=True)
class Result:
    """A measured pair: per-call times (µs, medians) and the round-by-round ratio."""

    pair: Pair
    ours_us: float
    baseline_us: float
    ratio: float
    ratio_low: float
    ratio_high: float
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """``ok``/``MISSED`` against the goal, or ``info`` when there is none."""
        if self.pair.goal is None:
            return "info"
        return "ok" if self.ratio <= self.pair.goal else "MISSED"


def _per_call(func: Callable[[], object], number: int, clock: Callable[[], float]) -> float:
    started = clock()
    for _ in range(number):
        func()
    return (clock() - started) / number


def calibrate(func: Callable[[], object], clock: Callable[[], float]) -> int:
    """How many calls make one round of about ``ROUND_SECONDS``."""
    number = 1
    while True:
        elapsed = _per_call(func, number, clock) * number
        if elapsed >= ROUND_SECONDS / 4 or number >= 1_000_000:
            break
        number *= 4
    return max(1, int(number * ROUND_SECONDS / max(elapsed, 1e-9)))


def measure(pair: Pair) -> Result:
    """Run ``pair`` in alternating rounds and summarise the ratios."""
    if pair.setup is not None:
        pair.setup()
    try:
        clock = _CLOCKS[pair.clock]
        pair.ours()  # warm caches and lazy imports on both sides
        pair.baseline()
        number = pair.number or min(calibrate(pair.ours, clock), calibrate(pair.baseline, clock))
        ours, base, ratios = [], [], []
        for round_index in range(pair.rounds):
            if pair.settle is not None:
                pair.settle()
            # Alternate which side goes first, so neither always follows the other.
            if round_index % 2:
                b = _per_call(pair.baseline, number, clock)
                a = _per_call(pair.ours, number, clock)
            else:
                a = _per_call(pair.ours, number, clock)
                b = _per_call(pair.baseline, number, clock)
            ours.append(a)
            base.append(b)
            ratios.append(a / b if b > 0 else float("inf"))
    finally:
        if pair.teardown is not None:
            pair.teardown()
    deciles = statistics.quantiles(ratios, n=10) if len(ratios) > 1 else ratios * 9
    return Result(
        pair,
        statistics.median(ours) * 1e6,
        statistics.median(base) * 1e6,
        statistics.median(ratios),
        deciles[0],
        deciles[-1],
    )


def run_all(pairs: Iterable[Pair]) -> list[Result]:
    """Measure every pair in order."""
    return [measure(pair) for pair in pairs]
