"""Line sampling of successful work and throttled call sites."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import otelkit
from otelkit._logs.throttle import ThrottledLogger

log = otelkit.get_logger("api")


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]


def _requests(n: int, *, fail_every: int = 0) -> None:
    for i in range(n):
        try:
            with otelkit.job("request", job_id=f"job-{i}"):
                log.info("Booking looked up", n=i)
                if fail_every and i % fail_every == 0:
                    raise LookupError("no slot")
                log.info("Booking confirmed", n=i)
        except LookupError:
            pass


@pytest.fixture(params=["strict", "production"])
def strictness(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "production":
        monkeypatch.delenv("OTELKIT_STRICT")
    return str(request.param)


@pytest.mark.usefixtures("strictness")
def test_a_share_of_successful_work_is_written_whole(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTELKIT_LOG_SAMPLE_RATE", "0.1")
    otelkit.configure(environment="prod", log_format="json", console=False)
    _requests(1000)
    lines = _lines(capsys)
    by_job: dict[str, list[str]] = {}
    for line in lines:
        by_job.setdefault(line["job_id"], []).append(line["message"])
    assert 50 <= len(by_job) <= 150, "about 10% of 1000 units of work"
    assert all(
        messages == ["JOB_STARTED", "Booking looked up", "Booking confirmed", "JOB_COMPLETED"]
        for messages in by_job.values()
    ), "a unit of work is kept or dropped whole"


@pytest.mark.usefixtures("strictness")
def test_failed_work_writes_every_line_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(environment="prod", log_format="json", console=False, log_sample_rate=0.0)
    _requests(6, fail_every=3)
    lines = _lines(capsys)
    assert {line["job_id"] for line in lines} == {"job-0", "job-3"}, "only the failures"
    failed = [line["message"] for line in lines if line["job_id"] == "job-3"]
    assert failed == ["JOB_STARTED", "Booking looked up", "JOB_FAILED"]


def test_lines_after_the_failure_are_written_as_they_come(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(environment="prod", log_format="json", console=False, log_sample_rate=0.0)
    with otelkit.session("sess-1"):
        log.info("before")
        log.error("upstream failed")
        log.info("retrying")
        log.warning("degraded")
    assert [line["message"] for line in _lines(capsys)] == [
        "SESSION_STARTED",
        "before",
        "upstream failed",
        "retrying",
        "degraded",
        "SESSION_ENDED",
    ]


def test_warnings_and_lines_outside_work_are_always_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(environment="prod", log_format="json", console=False, log_sample_rate=0.0)
    log.info("started up")
    with otelkit.job("request"):
        log.info("held")
        logging.getLogger("lib").warning("slow upstream")
    assert [line["message"] for line in _lines(capsys)] == ["started up", "slow upstream"]


def test_sampling_and_debug_buffering_combine(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(
        environment="prod", log_format="json", console=False, log_sample_rate=0.0, log_buffer=True
    )

    def render() -> None:
        with otelkit.job("render"):
            log.debug("poll 1")
            log.info("waiting")
            raise TimeoutError("model did not answer")

    with pytest.raises(TimeoutError):
        render()
    assert [line["message"] for line in _lines(capsys)] == [
        "JOB_STARTED",
        "poll 1",
        "waiting",
        "JOB_FAILED",
    ]


def test_a_rate_outside_0_to_1_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTELKIT_LOG_SAMPLE_RATE", "10")
    with pytest.raises(ValueError, match="OTELKIT_LOG_SAMPLE_RATE"):
        otelkit.configure(console=False)


# -- throttled call sites --------------------------------------------------------------


def test_every_nth_call_is_written_with_the_number_suppressed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json", console=False)
    polling = otelkit.throttled(log, every=12)
    for attempt in range(30):
        polling.info("Kling still processing", attempt=attempt)
    lines = _lines(capsys)
    assert [line["attempt"] for line in lines] == [0, 12, 24]
    assert [line.get("suppressed") for line in lines] == [None, 11, 11]
    assert lines[0]["source"].startswith("test_log_sampling.py:"), "the caller's line"


def test_one_line_per_interval(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    polling = otelkit.throttled("poller", interval=60)
    assert isinstance(polling, ThrottledLogger)
    now = [0.0]
    polling._clock = lambda: now[0]
    for _ in range(30):  # every 5 s for 150 s
        polling.info("still waiting")
        now[0] += 5
    lines = _lines(capsys)
    assert [line.get("suppressed") for line in lines] == [None, 11, 11]
    assert lines[0]["logger"] == "poller"


def test_warnings_through_a_throttle_are_always_written(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    polling = otelkit.throttled(logging.getLogger("poller"), every=100)
    polling.info("a")
    polling.info("b")
    polling.warning("retrying")
    polling.error("gave up")
    assert [(line["message"], line.get("suppressed")) for line in _lines(capsys)] == [
        ("a", None),
        ("retrying", 1),
        ("gave up", None),
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"every": 2, "interval": 1.0},
        {"every": 0},
        {"every": 1.5},
        {"interval": 0},
        {"interval": -1},
        {"interval": float("nan")},
        {"every": True},
    ],
)
def test_a_throttle_needs_one_sensible_limit(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"every|interval"):
        otelkit.throttled(log, **kwargs)


@given(every=st.integers(min_value=1, max_value=20), calls=st.integers(min_value=0, max_value=200))
def test_written_and_suppressed_add_up_to_the_calls(every: int, calls: int) -> None:
    written: list[int] = []
    throttle = otelkit.throttled(log, every=every)
    for _ in range(calls):
        suppressed = throttle._admit(always=False)
        if suppressed is not None:
            written.append(suppressed)
    assert len(written) == (calls + every - 1) // every
    assert len(written) + sum(written) + throttle._suppressed == calls
