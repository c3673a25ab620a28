"""The fastest of a few runs: what a speed assertion in a test compares (the minimum is
what the code costs; slower runs are the machine's other work)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def fastest(call: Callable[[Any], object], argument: Any, runs: int = 15) -> float:
    """Seconds of the fastest of ``runs`` calls of ``call(argument)``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call(argument)
        times.append(time.perf_counter() - start)
    return min(times)
