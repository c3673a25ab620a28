"""A flush's exports side by side: spans, log records and metrics leave together, so a
flush waits one collector round trip, not one per signal."""

from __future__ import annotations

import os
import threading
import time

import pytest

import otelkit
from otelkit._core import drops
from otelkit._sdk import side_by_side
from otelkit._sdk.collector_link import REFUSED_PAUSE, CollectorLink
from tests.support.otlp_receiver import otlp_receiver

#: How long the receiver takes to answer each request: far above this machine's noise.
ROUND_TRIP = 0.4


def _one_of_each() -> None:
    with otelkit.span("render", job_id="j-1"):
        otelkit.get_logger("render").info("rendered", frames=3)
    otelkit.count("FramesRendered", 3)


def test_a_flush_of_three_signals_waits_one_round_trip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "renderer")  # flushes by hand, as on Lambda
    with otlp_receiver(answer_after=ROUND_TRIP) as (endpoint, received):
        otelkit.configure(
            endpoint=endpoint, log_stdout=False, console=False, resource_detectors="none"
        )
        _one_of_each()
        started = time.monotonic()
        assert otelkit.flush(timeout=5.0)
        took = time.monotonic() - started
    assert sorted(received.requests) == ["/v1/logs", "/v1/metrics", "/v1/traces"]
    assert [span["name"] for span in received.spans()] == ["render"]
    assert [r["body"]["stringValue"] for r in received.logs()] == ["rendered"]
    assert [m["name"] for m in received.metrics()] == ["FramesRendered"]
    # one after the other, they took three round trips
    assert ROUND_TRIP <= took < 2 * ROUND_TRIP, took


def test_a_shutdown_whose_budget_fits_one_round_trip_delivers_every_signal() -> None:
    """One after the other, the first signal's wait used the budget and the others were
    counted as undelivered at shutdown."""
    with otlp_receiver(answer_after=ROUND_TRIP) as (endpoint, received):
        otelkit.configure(
            endpoint=endpoint, log_stdout=False, console=False, resource_detectors="none"
        )
        _one_of_each()
        before = drops.snapshot()
        otelkit.shutdown(timeout=2 * ROUND_TRIP)
    assert sorted(received.requests) == ["/v1/logs", "/v1/metrics", "/v1/traces"]
    assert drops.snapshot() == before


def test_a_flush_in_a_forked_child_has_workers_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "renderer")
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(
            endpoint=endpoint, log_stdout=False, console=False, resource_detectors="none"
        )
        _one_of_each()
        assert otelkit.flush(timeout=5.0)  # the parent's workers exist now
        pid = os.fork()
        if pid == 0:  # the child: its flush must not hand jobs to the parent's threads
            code = 1
            try:
                otelkit.configure(
                    endpoint=endpoint, log_stdout=False, console=False, resource_detectors="none"
                )
                with otelkit.span("child"):
                    otelkit.get_logger("child").info("from the child")
                otelkit.count("ChildRuns", 1)
                code = 0 if otelkit.flush(timeout=3.0) else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert "child" in [span["name"] for span in received.spans()]
    assert "ChildRuns" in [m["name"] for m in received.metrics()]


def test_signals_failing_together_count_as_one_failure_of_the_collector() -> None:
    """Side by side, the three requests of a flush to a collector that is down fail at the
    same moment: one strike, one pause, not a pause doubled three times over."""
    link = CollectorLink()
    link.pause(REFUSED_PAUSE)  # the first signal's request refused
    link.pause(REFUSED_PAUSE)  # the others', in flight at the same moment
    link.pause(REFUSED_PAUSE)
    assert REFUSED_PAUSE - 0.5 < link.paused_for() <= REFUSED_PAUSE
    link.probe_now()  # the pause is over and the next try fails too: now it doubles
    link.pause(REFUSED_PAUSE)
    assert 2 * REFUSED_PAUSE - 0.5 < link.paused_for() <= 2 * REFUSED_PAUSE


def test_a_failing_job_costs_only_itself() -> None:
    ran: list[str] = []

    def fails() -> bool:
        raise RuntimeError("an exporter's own bug")

    def runs(name: str) -> bool:
        ran.append(name)
        return True

    assert not side_by_side.run([lambda: runs("first"), fails], time.monotonic() + 2)
    assert side_by_side.run([lambda: True, lambda: runs("other")], time.monotonic() + 2)
    assert ran == ["first", "other"]


def test_a_job_still_running_at_the_deadline_is_not_waited_for() -> None:
    release = threading.Event()
    started = time.monotonic()
    assert not side_by_side.run([lambda: True, lambda: release.wait(5.0)], started + 0.2)
    assert time.monotonic() - started < 1.0
    release.set()


def test_jobs_see_the_callers_context() -> None:
    from otelkit._logs.event import scope_fields

    token = scope_fields.set({"job_id": "j-7"})
    try:
        seen: list[object] = []

        def look() -> bool:
            seen.append(scope_fields.get())
            return True

        assert side_by_side.run([lambda: True, look], time.monotonic() + 2)
    finally:
        scope_fields.reset(token)
    assert seen == [{"job_id": "j-7"}]
