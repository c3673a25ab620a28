"""Head sampling: parent-based, a reservoir of root traces per second, then a ratio; the
decision on every log line; per-environment defaults."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

import otelkit
from otelkit._config.settings import resolve
from otelkit._sdk.sampling import HeadSampler, ReservoirThenRatio, head_sampler
from otelkit._sdk.sdk_sampling import SdkSampler


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def decide(
    sampler: HeadSampler | ReservoirThenRatio, trace_id: int | None = None, parent: Any = None
) -> bool:
    """The decision as the SDK's provider gets it (``SdkSampler``) for a head sampler,
    and as the head sampler asks it of its root sampler for a reservoir."""
    tid = random.getrandbits(128) if trace_id is None else trace_id
    if isinstance(sampler, ReservoirThenRatio):
        return sampler.sampled(tid)
    result = SdkSampler(sampler).should_sample(parent, tid, "request")
    return bool(result.decision is Decision.RECORD_AND_SAMPLE)


def test_the_reservoir_takes_per_second_traces_then_refills_with_time() -> None:
    clock = Clock()
    sampler = ReservoirThenRatio(2.0, 0.0, clock)
    assert [decide(sampler) for _ in range(5)] == [True, True, False, False, False]
    clock.now += 0.5  # half a second: one token back
    assert [decide(sampler) for _ in range(3)] == [True, False, False]
    clock.now += 10.0  # a long pause never stores more than one second's worth
    assert sum(decide(sampler) for _ in range(10)) == 2


def test_a_fractional_reservoir_samples_one_trace_per_interval() -> None:
    clock = Clock()
    sampler = ReservoirThenRatio(0.5, 0.0, clock)  # one trace every two seconds
    assert [decide(sampler) for _ in range(3)] == [True, False, False]
    clock.now += 1.0
    assert not decide(sampler)
    clock.now += 1.0
    assert decide(sampler)


def test_a_clock_going_backwards_never_adds_tokens() -> None:
    clock = Clock()
    sampler = ReservoirThenRatio(1.0, 0.0, clock)
    assert decide(sampler)
    clock.now -= 50.0
    assert not decide(sampler)


def test_past_the_reservoir_the_ratio_decides_by_trace_id() -> None:
    clock = Clock()
    sampler = ReservoirThenRatio(1.0, 0.5, clock)
    assert decide(sampler, trace_id=(1 << 64) - 1)  # the reservoir's token
    # TraceIdRatioBased keeps trace IDs whose low 64 bits fall below ratio * 2**64
    assert decide(sampler, trace_id=1)
    assert not decide(sampler, trace_id=(1 << 64) - 1)


def test_the_sampled_share_matches_reservoir_plus_ratio_statistically() -> None:
    rng = random.Random(20261127)
    clock = Clock()
    ratio, per_second, rate, seconds = 0.05, 1.0, 200, 50
    sampler = ReservoirThenRatio(per_second, ratio, clock)
    sampled = 0
    for _ in range(seconds):
        for _ in range(rate):
            clock.now += 1.0 / rate
            sampled += decide(sampler, trace_id=rng.getrandbits(128))
    total = rate * seconds
    reservoir = per_second * seconds
    expected = reservoir + ratio * (total - reservoir)
    sigma = math.sqrt((total - reservoir) * ratio * (1 - ratio))
    assert abs(sampled - expected) < 4 * sigma, (sampled, expected, sigma)


def test_children_follow_their_parent_whatever_the_reservoir_says() -> None:
    clock = Clock()
    sampler = head_sampler(0.0, 1.0, clock)
    sampled_parent = trace.set_span_in_context(
        NonRecordingSpan(
            SpanContext(1, 2, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
        )
    )
    unsampled_parent = trace.set_span_in_context(
        NonRecordingSpan(
            SpanContext(1, 2, is_remote=True, trace_flags=TraceFlags(TraceFlags.DEFAULT))
        )
    )
    assert not decide(sampler, parent=unsampled_parent)
    assert decide(sampler, parent=sampled_parent)
    assert decide(sampler)  # the remote children did not use the root's token
    assert not decide(sampler)


@pytest.mark.parametrize(
    ("environment", "rate", "per_second"),
    [
        ("dev", 1.0, 0.0),
        ("local", 1.0, 0.0),
        ("staging", 1.0, 0.0),
        ("prod", 0.05, 1.0),
        ("Production", 0.05, 1.0),
    ],
)
def test_per_environment_defaults(environment: str, rate: float, per_second: float) -> None:
    settings = resolve({"environment": environment}, environ={})
    assert (settings.sample_rate, settings.sample_min_per_second) == (rate, per_second)


def test_the_environment_variable_and_argument_win_over_the_defaults() -> None:
    settings = resolve(
        {"environment": "prod"},
        environ={"OTELKIT_SAMPLE_MIN_PER_SECOND": "5", "OTELKIT_SAMPLE_RATE": "1"},
    )
    assert (settings.sample_rate, settings.sample_min_per_second) == (1.0, 5.0)
    assert resolve({"sample_min_per_second": 0}, environ={}).sample_min_per_second == 0.0


def _as_rate(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0.0 <= number < float("inf") else None


@given(st.one_of(st.floats(allow_nan=True), st.text(max_size=8), st.integers(), st.booleans()))
@example(10**400)  # too large for a float: still a ValueError, not an OverflowError
def test_sample_min_per_second_is_a_finite_rate_or_a_clear_error(value: object) -> None:
    expected = _as_rate(value)
    if expected is None:
        with pytest.raises(ValueError, match="sample_min_per_second"):
            resolve({"sample_min_per_second": value}, environ={})
    else:
        assert (
            resolve({"sample_min_per_second": value}, environ={}).sample_min_per_second == expected
        )


def test_log_lines_say_whether_their_trace_is_sampled(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(
        environment="prod",
        log_format="json",
        console=False,
        sample_rate=0.0,
        sample_min_per_second=1,
    )
    log = otelkit.get_logger("sampling")
    for n in range(3):
        with otelkit.span("request"):
            log.info("handled", n=n)
    log.info("outside any span")
    lines = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if '"logger":"sampling"' in line
    ]
    assert [line.get("sampled") for line in lines] == [True, False, False, None]
    assert all(len(line["trace_id"]) == 32 for line in lines[:3])


def test_pretty_lines_show_a_short_trace_id(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="pretty", console=False)
    with otelkit.span("request") as span:
        otelkit.get_logger("pretty").info("inside")
    trace_id = format(span.get_span_context().trace_id, "032x")
    line = next(line for line in capsys.readouterr().out.splitlines() if "inside" in line)
    assert f"trace={trace_id[:8]} " in line
    assert trace_id not in line
    assert "sampled" not in line


def test_at_ratio_one_every_root_is_sampled_whatever_the_reservoir() -> None:
    clock = Clock()  # time stands still: a reservoir would run dry after one trace
    sampler = head_sampler(1.0, 1.0, clock)
    assert all(decide(sampler) for _ in range(50))
