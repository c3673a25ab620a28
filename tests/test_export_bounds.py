"""Every export wait is bounded as a whole, whatever the collector does with its answer:
trickles it, never sends it, or sends a gigabyte. Real misbehaving receivers on loopback."""

from __future__ import annotations

import resource
import sys
import time

import pytest

import otelkit
from otelkit._core import drops as _drops
from otelkit._sdk.outbox import BATCH_SIZE
from tests.support.fault_receiver import fault_receiver


def _make_telemetry(n: int = 20) -> None:
    log = otelkit.get_logger("bounds")
    for i in range(n):
        with otelkit.span("work", n=i):
            log.info("working", n=i)
            otelkit.count("Work")


def _timed(action: object) -> tuple[object, float]:
    started = time.monotonic()
    result = action()  # type: ignore[operator]
    return result, time.monotonic() - started


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["trickle_body", "trickle_head", "hang"])
def test_flush_and_shutdown_end_by_their_deadline(mode: str) -> None:
    """A 30 s export timeout: only the flush's own deadline can end the wait."""
    before = _drops.totals()
    with fault_receiver(mode) as (endpoint, tally):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False, export_timeout=30)
        _make_telemetry()
        delivered, took = _timed(lambda: otelkit.flush(2.0))
        assert delivered is False
        assert took < 2.5, f"flush(2.0) took {took:.2f}s against a {mode} collector"
        _make_telemetry()
        _, took = _timed(lambda: otelkit.shutdown(1.0))
        assert took < 1.5, f"shutdown(1.0) took {took:.2f}s against a {mode} collector"
    assert tally.requests >= 1, "the collector was asked"
    dropped = {k: v - before.get(k, 0) for k, v in _drops.totals().items()}
    assert dropped.get("spans") == 40, "every span is counted: no answer, or never sent"
    assert dropped.get("logs") == 40


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["trickle_body", "hang"])
def test_a_hung_export_frees_its_signal_and_the_next_one_is_delivered(mode: str) -> None:
    """The export thread waits at most the export timeout (1 s here) for the batch a full
    queue sent; it is counted, sending pauses (5 s), and once the collector heals the same
    pipeline delivers again, over a new connection."""
    with fault_receiver(mode) as (endpoint, tally):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False, export_timeout=1)
        for _ in range(BATCH_SIZE):  # a full batch wakes the export thread at once
            with otelkit.span("lost"):
                pass
        timed_out = _drops.snapshot().get(("spans", "no answer in time"), 0) + BATCH_SIZE
        deadline = time.monotonic() + 10
        while _drops.snapshot().get(("spans", "no answer in time")) != timed_out:
            assert time.monotonic() < deadline, _drops.snapshot()
            time.sleep(0.05)
        tally.mode = "healthy"
        with otelkit.span("delivered"):
            pass
        deadline = time.monotonic() + 15
        while not otelkit.flush(1.0):
            assert time.monotonic() < deadline, "the signal never exported again"
            time.sleep(0.2)
    # The lost batch may have arrived (a trickled answer came after processing): it was
    # counted all the same, since otelkit cannot know.
    assert tally.spans == 1 + (BATCH_SIZE if mode == "trickle_body" else 0)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["huge", "huge_unsized", "trickle"])
def test_a_long_answer_is_not_read(mode: str) -> None:
    """A 200 whose body is 1 GiB, or 100 KB sent a byte at a time: the status says
    delivered; the body past 64 KiB is never read (the connection is closed instead)."""
    before = _peak_rss_mb()
    with fault_receiver(mode) as (endpoint, tally):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        for _ in range(3):
            _make_telemetry()
            delivered, took = _timed(lambda: otelkit.flush(5.0))
            assert delivered is True, "the collector answered 200: delivered"
            assert took < 5.5
    grown = _peak_rss_mb() - before
    assert grown < 64, f"peak RSS grew by {grown:.0f} MB reading a 1 GiB answer"
    assert tally.spans == 60


def test_module_never_imports_requests() -> None:
    """The export path is the stdlib's http.client: requests is not even imported."""
    import subprocess

    code = (
        "import sys, otelkit\n"
        "otelkit.configure(endpoint='http://127.0.0.1:9', log_stdout=False, console=False)\n"
        "with otelkit.span('x'): pass\n"
        "otelkit.flush(0.5)\n"
        "print('requests' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "False"
