"""Shutdown spends its budget and counts what it could not deliver: the batch in flight
against a collector that never answers, a metric request whose sender never returns, and a
queue a restarting collector came back for."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData

import otelkit
from otelkit._core import drops as _drops
from otelkit._sdk import otlp_export
from otelkit._sdk.collector_link import CollectorLink, Outcome
from otelkit._sdk.metric_export import OtlpMetricExporter
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


class _SenderThatNeverReturnsInTime:
    """An OTLP metric client whose request ignores the abort until released: what a
    starved process looks like from its shutdown (a worker on a busy host, where the
    reader's thread does not run again before the process leaves by ``os._exit``)."""

    def __init__(self) -> None:
        self.client = SimpleNamespace(link=CollectorLink())
        self.entered, self.release = threading.Event(), threading.Event()

    def export(self, payload: object, points: int) -> Outcome:
        self.entered.set()
        self.release.wait(10)
        return Outcome()  # it arrived after all: still counted once, as not delivered

    def shutdown(self) -> None:
        pass


def _two_points() -> MetricsData:
    reader = InMemoryMetricReader(preferred_temporality=otlp_export.DELTA)
    meter = MeterProvider(metric_readers=[reader]).get_meter("t")
    orders = meter.create_counter("Orders")
    orders.add(3, {"region": "eu"})
    orders.add(1, {"region": "us"})
    data = reader.get_metrics_data()
    assert data is not None
    return data


def test_a_metric_request_whose_sender_never_returns_is_counted_at_shutdown() -> None:
    """Seen in CI: a forked worker's last metric export was still waiting when its
    shutdown's grace ran out, and the worker exited before the reader's thread counted
    it: 4 workers, 3 metric requests, no drop reported. Shutdown counts it itself now."""
    sender = _SenderThatNeverReturnsInTime()
    exporter = OtlpMetricExporter(sender, otlp_export.DELTA)
    before = _drops.totals().get("metrics", 0)
    reader_thread = threading.Thread(target=exporter.export, args=(_two_points(),))
    reader_thread.start()
    assert sender.entered.wait(5)
    started = time.monotonic()
    exporter.shutdown(timeout_millis=0)
    assert time.monotonic() - started < 1.0
    assert _drops.totals().get("metrics", 0) - before == 2  # before: 0
    sender.release.set()
    reader_thread.join(5)
    assert _drops.totals().get("metrics", 0) - before == 2  # not counted twice
