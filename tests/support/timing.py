"""Timing crafted inputs: linear growth and a per-call ceiling, both as ratios.

CPU time of the calling thread (``time.thread_time``), best of several rounds: other
processes on a busy machine slow the wall clock, not the thread's own CPU time. Every bound
is a ratio against a call measured in the same run, never a number of milliseconds.
"""

from __future__ import annotations

import contextlib
import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

KB64 = 64 * 1024
MB1 = 1024 * 1024
#: 1 MB is 16 times 64 KB: linear code costs about 16 times as much, quadratic 256 times.
LINEAR_RATIO = 40


@contextlib.contextmanager
def without_gc() -> Iterator[None]:
    """No cyclic collection while timing: in a process holding a whole test suite's
    objects a collection can land in any round, and it costs the code that allocates
    Python objects, not what it is compared with (a C extension's)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def per_call(call: Callable[[Any], object], value: Any, rounds: int = 5) -> float:
    """Seconds of this thread's CPU time one ``call(value)`` takes, best of ``rounds``
    (each round repeated until it lasts long enough for the clock to resolve it)."""
    best = float("inf")
    repeat = 1
    for _ in range(rounds):
        while True:
            started = time.thread_time()
            for _ in range(repeat):
                call(value)
            spent = time.thread_time() - started
            if spent >= 0.002 or repeat >= 4096:
                break
            repeat *= 4
        best = min(best, spent / repeat)
    return best


def assert_linear_and_bounded(
    call: Callable[[Any], object],
    crafted: Callable[[int], Any],
    baseline: Any,
    ceiling: float,
) -> None:
    """``call`` on ``crafted(1 MB)`` costs at most ``LINEAR_RATIO`` times ``crafted(64 KB)``
    (linear growth, never quadratic) and at most ``ceiling`` times ``call(baseline)``, an
    ordinary input (the per-call ceiling: outside text is cut to its bound first)."""
    ordinary = per_call(call, baseline)
    small_input = crafted(KB64)
    once = per_call(call, small_input, rounds=1)  # fail fast: quadratic code takes minutes
    assert once < ordinary * ceiling * 4, (
        f"64 KB took {once * 1e3:.1f} ms, ordinary {ordinary * 1e3:.3f} ms"
    )
    small = per_call(call, small_input)
    large = per_call(call, crafted(MB1))
    figures = (
        f"64 KB {small * 1e3:.3f} ms, 1 MB {large * 1e3:.3f} ms, ordinary {ordinary * 1e3:.3f} ms"
    )
    assert large < small * LINEAR_RATIO, f"grows faster than linear: {figures}"
    assert large < ordinary * ceiling, f"over {ceiling:g} times an ordinary call: {figures}"


_FRESH = """
import json, sys
sys.path.insert(0, {root!r})
from tests.support.timing import per_call, without_gc
{setup}
with without_gc():
    print(json.dumps([per_call(ours, batch, rounds=15), per_call(theirs, batch, rounds=15)]))
"""


def in_a_fresh_process(setup: str) -> tuple[float, float]:
    """``per_call`` of ``ours`` and of ``theirs`` on ``batch`` (which ``setup`` defines),
    timed in a fresh interpreter: a process that holds a whole test suite slows code that
    allocates Python objects more than a C extension, whatever the code's own cost."""
    root = str(Path(__file__).resolve().parents[2])
    script = _FRESH.format(root=root, setup=setup)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    ours, theirs = json.loads(done.stdout.strip().splitlines()[-1])
    return float(ours), float(theirs)
