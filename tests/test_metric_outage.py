"""Metrics are kept across a collector outage like spans: counts made while the
collector is down (or sending is paused) arrive once it is back, on the same port."""

from __future__ import annotations

import time

import pytest

import otelkit
from tests.support.fault_receiver import Restartable, restartable_receiver


def _work_sums(collector: Restartable) -> list[tuple[float, bool]]:
    return [(value, delta) for name, value, delta in collector.tally.sums if name == "Work"]


@pytest.mark.slow
@pytest.mark.parametrize("preference", ["", "cumulative"])
def test_counts_made_during_an_outage_arrive_when_the_collector_is_back(
    preference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain process, with its default delta sums or cumulative ones: the outage covers
    the program's end, so only shutdown's export can carry the counts; it waits out the
    pause within its budget."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", preference)
    with restartable_receiver() as collector:
        collector.start()
        otelkit.configure(endpoint=collector.url, log_stdout=False, console=False)
        otelkit.count("Work")
        assert otelkit.flush(2.0) is True
        collector.stop()
        for _ in range(10):
            otelkit.count("Work")
            assert otelkit.flush(0.5) is False
        collector.start()
        otelkit.shutdown(5.0)
    values = _work_sums(collector)
    if preference == "cumulative":
        assert values[-1] == (11, False), values
    else:
        assert all(delta for _, delta in values), values
        assert sum(value for value, _ in values) == 11, values


@pytest.mark.slow
def test_deltas_made_during_an_outage_arrive_when_the_collector_is_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On Lambda (delta sums, exported only by flushes): each flush of the outage holds
    its delta; the first flush after the collector is back sends them all."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "outage")
    with restartable_receiver() as collector:
        collector.start()
        otelkit.configure(endpoint=collector.url, log_stdout=False, console=False)
        otelkit.count("Work")
        assert otelkit.flush(2.0) is True
        collector.stop()
        for _ in range(10):
            otelkit.count("Work")
            assert otelkit.flush(0.5) is False
        collector.start()
        deadline = time.monotonic() + 20
        while not otelkit.flush(1.0):  # the first flushes fall in the pause
            assert time.monotonic() < deadline, collector.tally.sums
            time.sleep(0.2)
    values = _work_sums(collector)
    assert all(delta for _, delta in values)
    assert sum(value for value, _ in values) == 11, values
