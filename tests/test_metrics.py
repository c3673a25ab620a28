"""count(), record() and timed(): names as written, dimensions as given, never the IDs."""

from __future__ import annotations

import asyncio

import pytest

import otelkit
from otelkit.testing import Capture


def test_count_and_record_keep_names_and_dimensions(otelkit_capture: Capture) -> None:
    with otelkit.bind(job_id="job-1", correlation_id="c-1"):
        otelkit.count("MessagesProcessed", 1, status="completed")
        otelkit.count("MessagesProcessed", 2, status="completed")
        otelkit.count("MessagesProcessed", status="failed")
        otelkit.record("ProcessingDuration", 12.5, unit="ms", message_type="scheduled")
        otelkit.record("ProcessingDuration", 7.5, unit="ms", message_type="scheduled")
    metrics = otelkit_capture.metrics
    assert sorted(metrics["MessagesProcessed"], key=lambda p: p[1]) == [
        ({"status": "failed"}, 1),
        ({"status": "completed"}, 3),
    ]
    assert metrics["ProcessingDuration"] == [
        ({"message_type": "scheduled"}, {"count": 2, "sum": 20.0, "min": 7.5, "max": 12.5})
    ]


def test_timed_decorator_and_block(otelkit_capture: Capture) -> None:
    @otelkit.timed("NotificationDuration", channel="ntfy")
    def send(fail: bool) -> None:
        if fail:
            raise ConnectionError("down")

    send(False)
    with pytest.raises(ConnectionError):
        send(True)
    with otelkit.timed("BlockDuration"):
        pass
    points = dict((p[0]["outcome"], p[1]) for p in otelkit_capture.metrics["NotificationDuration"])
    assert points["success"]["count"] == 1
    assert points["error"]["count"] == 1
    assert otelkit_capture.metrics["BlockDuration"][0][0] == {"outcome": "success"}


async def test_timed_async(otelkit_capture: Capture) -> None:
    @otelkit.timed("PollDuration")
    async def poll() -> int:
        await asyncio.sleep(0.01)
        return 1

    assert await poll() == 1
    ((dims, value),) = otelkit_capture.metrics["PollDuration"]
    assert dims == {"outcome": "success"}
    assert value["min"] >= 9.0, "milliseconds"


def test_bad_metric_input_raises_clear_errors() -> None:
    with pytest.raises(ValueError, match="invalid metric name '1abc'"):
        otelkit.count("1abc")
    with pytest.raises(ValueError, match="must be a finite number >= 0, got -1"):
        otelkit.count("Things", -1)
    with pytest.raises(ValueError, match="must be a finite number >= 0, got nan"):
        otelkit.record("Latency", float("nan"))
    with pytest.raises(ValueError, match="must be a number, got 'x'"):
        otelkit.count("Things", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="job_id is a correlation ID and never a metric"):
        otelkit.count("Things", 1, job_id="job-1")
    otelkit.record("Same", 1)
    with pytest.raises(ValueError, match=r"'Same' is a histogram .* cannot also be a counter"):
        otelkit.count("Same")
    with pytest.raises(ValueError, match=r"dimension payload=\{'a': 1\} must be str"):
        otelkit.record("Size", 1.0, payload={"a": 1})
    otelkit.count("CaseSensitive")
    with pytest.raises(ValueError, match="differs only in case"):
        otelkit.count("casesensitive")
    with pytest.raises(ValueError, match="invalid metric name"):
        otelkit.timed("")


def test_one_metric_has_one_unit() -> None:
    otelkit.record("UploadSize", 10, unit="By")
    with pytest.raises(ValueError, match="first recorded with unit 'By', not 'ms'"):
        otelkit.record("UploadSize", 10, unit="ms")


async def test_one_timed_object_times_concurrent_blocks(otelkit_capture: Capture) -> None:
    timer = otelkit.timed("StepDuration")

    async def step(delay: float) -> None:
        with timer:
            await asyncio.sleep(delay)

    await asyncio.gather(step(0.05), step(0.001))
    ((_, value),) = otelkit_capture.metrics["StepDuration"]
    assert value["count"] == 2
    assert value["min"] < 25 <= value["max"], "each block measured from its own start"


def test_gauge_goes_up_and_down(otelkit_capture: Capture) -> None:
    otelkit.gauge("ActiveSessions", 3, region="ca-central-1")
    otelkit.gauge("ActiveSessions", 1, region="ca-central-1")
    assert otelkit_capture.metrics["ActiveSessions"] == [({"region": "ca-central-1"}, 1)]


def test_a_dimension_shown_under_one_policy_is_judged_again_under_the_next() -> None:
    """Clean dimension values are remembered per redaction policy, never across them."""
    from otelkit.testing import capture

    def recorded() -> list[dict[str, object]]:
        with capture() as cap:
            for _ in range(3):  # the second and third find the remembered verdict
                otelkit.count("Payments", 1, account="DE89-3704")
        return [attributes for attributes, _ in cap.metrics["Payments"]]

    otelkit.configure(console=False, log_stdout=False, resource_detectors="none")
    assert recorded() == [{"account": "DE89-3704"}]
    otelkit.configure(
        console=False, log_stdout=False, resource_detectors="none", redact_keys="account"
    )
    assert recorded() == [{"account": "[REDACTED]"}]


def test_remembered_clean_dimensions_never_let_a_correlation_id_through(
    otelkit_capture: Capture,
) -> None:
    """A value remembered clean under one name is judged again under another; values of
    every type a dimension takes are remembered alike, and an unhashable one is judged."""
    for _ in range(2):
        otelkit.count("Jobs", 1, status="done", attempt=1, retried=True, share=1.0)
    with pytest.raises(ValueError, match="must be str, bool, int or float, not list"):
        otelkit.count("Jobs", 1, status="done", items=["a"])  # unhashable: judged too
    for _ in range(2):
        with pytest.raises(ValueError, match="job_id is a correlation ID"):
            otelkit.count("Jobs", 1, job_id="done")
    recorded = [dims for dims, _ in otelkit_capture.metrics["Jobs"]]
    assert {"status": "done", "attempt": 1, "retried": True, "share": 1.0} in recorded
    assert all("job_id" not in dims for dims in recorded)
