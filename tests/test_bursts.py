"""A burst of spans against a healthy collector in another process is delivered, not lost
to otelkit's own queueing: the queue absorbs it, and every request of a long drain gets
the whole export timeout. Real processes on loopback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from otelkit._sdk.outbox import BATCH_SIZE, MAX_QUEUE
from tests.support.processes import production_env

ROOT = Path(__file__).resolve().parents[1]
SPANS = 20_000

BURST = """
import sys, otelkit
otelkit.configure(endpoint=sys.argv[1], log_stdout=False, console=False,
                  resource_detectors="none", export_timeout=float(sys.argv[2]))
for n in range(int(sys.argv[3])):
    with otelkit.span("work", n=n):
        pass
assert otelkit.flush(10.0)
"""


@contextmanager
def _receiver_process(mode: str) -> Iterator[tuple[str, list[int]]]:
    """The fault receiver in a process of its own (as a collector is): yields its endpoint
    and a list that receives the number of spans it accepted, once it stopped."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fault_receiver", mode],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    accepted: list[int] = []
    try:
        yield process.stdout.readline().strip(), accepted
    finally:
        out, _ = process.communicate("", timeout=30)
        accepted.append(int(out.split()[0]))


def _burst(mode: str, export_timeout: float, spans: int) -> tuple[int, Counter[str]]:
    """Spans the receiver accepted from a burst, and the drops the summary lines reported."""
    with _receiver_process(mode) as (endpoint, accepted):
        child = subprocess.run(
            [sys.executable, "-c", BURST, endpoint, str(export_timeout), str(spans)],
            capture_output=True,
            text=True,
            timeout=120,
            env=production_env(),
        )
    assert child.returncode == 0, child.stderr
    dropped: Counter[str] = Counter()
    for count, reason in re.findall(r"(\d+) spans \(([^)]*)\)", child.stderr):
        dropped[reason] += int(count)
    return accepted[0], dropped


@pytest.mark.slow
def test_a_burst_the_queue_holds_is_delivered_whole_however_slow_the_export_thread() -> None:
    # Before: a queue of 2,048 lost 5-43% of a 20k burst (the export thread, starved of the
    # GIL by the loop, sends far slower than the loop makes spans). A burst that fits in the
    # queue must arrive whole even if the export thread never ran during it, so this holds
    # on a loaded machine too; how much of a longer burst arrives depends on the machine
    # and is measured by `benchmarks/faults.py --bursts`.
    spans = MAX_QUEUE - BATCH_SIZE
    delivered, dropped = _burst("healthy", export_timeout=10.0, spans=spans)
    assert (delivered, dropped) == (spans, Counter())


@pytest.mark.slow
def test_every_span_of_a_longer_burst_is_delivered_or_counted() -> None:
    delivered, dropped = _burst("healthy", export_timeout=10.0, spans=SPANS)
    assert delivered + sum(dropped.values()) == SPANS
    assert set(dropped) <= {"queue full"}, dropped


SLOW_DRAIN = """
import json, sys, time, otelkit
from otelkit._core import drops as _drops
otelkit.configure(endpoint=sys.argv[1], log_stdout=False, console=False,
                  resource_detectors="none", export_timeout=0.35)
for n in range(int(sys.argv[2])):
    with otelkit.span("work", n=n):
        pass
time.sleep(2.0)  # no flush: the export thread alone sends the batches
print(json.dumps({reason: n for (signal, reason), n in _drops.snapshot().items()
                  if signal == "spans"}))
"""


@pytest.mark.slow
def test_each_background_request_gets_the_whole_export_timeout() -> None:
    # The collector answers each request in SLOW_SECONDS (0.2 s), within the 0.35 s export
    # timeout, and the export thread sends three batches in one go. Before: one deadline
    # for the whole drain, so the second request got 0.15 s at most, was counted "no
    # answer in time", and sending paused 5 s.
    spans = 3 * BATCH_SIZE
    with _receiver_process("slow") as (endpoint, accepted):
        child = subprocess.run(
            [sys.executable, "-c", SLOW_DRAIN, endpoint, str(spans)],
            capture_output=True,
            text=True,
            timeout=60,
            env=production_env(),
        )
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout) == {}
    assert accepted == [spans]
