"""A property over the whole export path: whatever a collector answers, request after
request (success, partial success, 429/503 with Retry-After, 500, no answer, a cut
connection; traces to a closed port), and whatever mix of spans, records and metrics is
sent, every span and log record is delivered or counted as dropped, exactly once."""

from __future__ import annotations

import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._core import drops as _drops
from otelkit._sdk import collector_link
from tests.support.scripted_receiver import ANSWERS, scripted_receiver

#: Rounds of (spans, log records, counts), each followed by a flush.
_rounds = st.lists(
    st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 3)),
    min_size=1,
    max_size=4,
)


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses of a few tens of milliseconds: the rules are the same, the test quick."""
    monkeypatch.setattr(collector_link, "REFUSED_PAUSE", 0.02)
    monkeypatch.setattr(collector_link, "TIMEOUT_PAUSE", 0.05)
    monkeypatch.setattr(collector_link, "DEFAULT_RETRY_AFTER", 0.02)


@pytest.mark.slow
@pytest.mark.usefixtures("short_pauses")
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    script=st.lists(st.sampled_from(ANSWERS), max_size=8),
    rounds=_rounds,
    traces_to_a_closed_port=st.booleans(),
)
def test_every_item_is_delivered_or_counted_whatever_the_collector_answers(
    script: list[str], rounds: list[tuple[int, int, int]], traces_to_a_closed_port: bool
) -> None:
    before = _drops.totals()
    with scripted_receiver(script) as (endpoint, tally):
        otelkit.configure(
            endpoint=endpoint,
            traces_endpoint=f"{_closed_port()}/v1/traces" if traces_to_a_closed_port else None,
            log_stdout=False,
            console=False,
            export_timeout=0.3,
        )
        log = otelkit.get_logger("prop")
        for spans, records, counts in rounds:
            for n in range(spans):
                with otelkit.span("work", n=n):
                    pass
            for n in range(records):
                log.info("record", n=n)
            for _ in range(counts):
                otelkit.count("Work")
            otelkit.flush(0.5)
        otelkit.shutdown(1.0)
    dropped = {k: v - before.get(k, 0) for k, v in _drops.totals().items()}
    assert tally.spans + dropped.get("spans", 0) == sum(r[0] for r in rounds)
    if traces_to_a_closed_port:
        assert tally.spans == 0
    assert tally.logs + dropped.get("logs", 0) == sum(r[1] for r in rounds)
