"""Dropped telemetry is counted and reported: a summary line, a self-metric, flush()."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

import otelkit
from otelkit._core import drops as _drops
from otelkit._sdk.outbox import MAX_QUEUE
from otelkit._setup import EXIT_TIMEOUT
from tests.support.fault_receiver import fault_receiver
from tests.support.otlp_receiver import attributes, otlp_receiver

SPANS = MAX_QUEUE + 4_000  # more than the queue holds: some are dropped as it fills


def test_spans_to_a_blackhole_are_counted_and_summarized(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_drops, "_last_summary", 0.0)
    before = _drops.totals().get("spans", 0)
    with fault_receiver("blackhole") as (endpoint, _):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False, export_timeout=0.5)
        for n in range(SPANS):
            with otelkit.span("work", n=n):
                pass
        assert otelkit.flush(timeout=0.5) is False
        otelkit.shutdown(timeout=0.2)
    dropped = _drops.totals()["spans"] - before
    assert dropped == SPANS, _drops.snapshot()  # every one accounted for, none twice
    err = capsys.readouterr().err
    assert "otelkit: dropped" in err
    assert "spans (queue full)" in err


def test_drops_reach_the_collector_as_a_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        otelkit.count("Orders", -1)  # rejected: dropped and counted
        otelkit.count("Orders", -2)
        assert otelkit.flush(timeout=2.0)
        metrics = {m["name"]: m for m in received.metrics()}
    (point,) = metrics[_drops.METRIC]["sum"]["dataPoints"]
    assert point["asInt"] == "2"
    assert attributes(point["attributes"]) == {
        "signal": "metrics",
        "reason": "metric value (out of range)",
    }


def test_flush_is_true_only_when_everything_was_delivered() -> None:
    with fault_receiver("healthy") as (endpoint, tally):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        with otelkit.span("kept"):
            pass
        assert otelkit.flush(timeout=2.0) is True
    assert tally.spans == 1


EXIT_SCRIPT = """
import sys, time, otelkit
otelkit.configure(endpoint=sys.argv[1], log_stdout=False, console=False)
for n in range(1000):
    with otelkit.span("work"):
        otelkit.count("Work")
print(time.monotonic(), flush=True)
"""


def _exit_seconds(mode: str) -> float:
    """How long the child takes from its last line of work to its end, against ``mode``."""
    with fault_receiver(mode) as (endpoint, _):
        child = subprocess.run(
            [sys.executable, "-c", EXIT_SCRIPT, endpoint],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        ended = time.monotonic()
    return ended - float(child.stdout.split()[0])


@pytest.mark.parametrize("mode", ["closed", "blackhole", "slow"])
def test_process_exit_with_a_dead_collector_is_bounded(mode: str) -> None:
    # What a dead collector adds to exit, against the same exit with a healthy one: the
    # interpreter's own teardown is not otelkit's to bound, and on a loaded machine it
    # alone can take a good part of a second.
    # otelkit gives the exit flush EXIT_TIMEOUT (0.5 s); the rest is scheduling slack.
    healthy = _exit_seconds("healthy")
    dead = _exit_seconds(mode)
    assert dead - healthy < EXIT_TIMEOUT + 0.4, (
        f"exit took {dead:.2f}s against a {mode} collector, {healthy:.2f}s against a healthy one"
    )
    assert dead < 2.0, f"exit took {dead:.2f}s against a {mode} collector"
