"""Shutdown spends its budget and counts what it could not deliver: the batch in flight
against a collector that never answers, and a queue a restarting collector came back for."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

import otelkit
from otelkit._core import drops as _drops
from tests.support.fault_receiver import dropped_in, fault_receiver, restartable_receiver

BURST_SCRIPT = """
import sys, otelkit
otelkit.configure(endpoint=sys.argv[1], log_stdout=False, console=False, export_timeout=30)
log = otelkit.get_logger("burst")
for n in range(int(sys.argv[2])):
    with otelkit.span("work"):
        log.info("working")
"""


@pytest.mark.slow
def test_the_batch_in_flight_at_exit_is_counted() -> None:
    """A collector that accepts and never answers: the export thread holds a batch when
    the program exits. Delivered (none) + counted = produced, for spans and records."""
    produced = 4000
    with fault_receiver("hang") as (endpoint, tally):
        child = subprocess.run(
            [sys.executable, "-c", BURST_SCRIPT, endpoint, str(produced)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    assert tally.requests >= 1, "the export thread had a request in flight"
    assert tally.spans + dropped_in(child.stderr, "spans") == produced, child.stderr
    assert tally.logs + dropped_in(child.stderr, "logs") == produced, child.stderr


@pytest.mark.slow
def test_shutdown_probes_a_paused_collector_within_its_budget() -> None:
    """The collector restarts while the program stops (down 1 s, up 1 s…): shutdown(5)
    probes it again instead of giving up on the pause, and most of the queue arrives."""
    produced = 8000
    before = _drops.totals().get("spans", 0)
    with restartable_receiver() as collector:
        otelkit.configure(endpoint=collector.url, log_stdout=False, console=False)
        for _ in range(produced):
            with otelkit.span("work"):
                pass
        assert otelkit.flush(0.5) is False  # refused: the link pauses
        stop = threading.Event()

        def flap() -> None:
            up = False
            while not stop.wait(1.0):
                up = not up
                collector.start() if up else collector.stop()

        flapper = threading.Thread(target=flap, daemon=True)
        flapper.start()
        started = time.monotonic()
        otelkit.shutdown(5.0)
        took = time.monotonic() - started
        stop.set()
        flapper.join()
    counted = _drops.totals().get("spans", 0) - before
    assert took < 5.5
    assert collector.tally.spans + counted == produced
    assert collector.tally.spans >= 0.9 * produced, (collector.tally.spans, counted)
