"""Periodic resource events carry the IDs of the block that started them."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

import otelkit
from otelkit.runtime import resource_events


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]


def test_events_while_the_block_runs_with_its_ids(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    with otelkit.session("sess_abc123", project_id="proj_123"):
        with resource_events(0.05, fields=lambda: {"network_bytes": 42}) as sampler:
            time.sleep(0.28)
        otelkit.event("SESSION_TERMINATED", status="STOPPED")
    time.sleep(0.1)  # nothing is written after the block
    lines = _lines(capsys)
    kinds = [line.get("event_type") for line in lines]
    samples = [line for line in lines if line.get("event_type") == "RESOURCE_METRICS"]
    assert 3 <= len(samples) <= 8
    assert kinds.index("SESSION_TERMINATED") > max(
        i for i, kind in enumerate(kinds) if kind == "RESOURCE_METRICS"
    )
    for sample in samples:
        assert (sample["session_id"], sample["project_id"]) == ("sess_abc123", "proj_123")
        assert sample["memory_mb"] > 10
        assert sample["cpu_percent"] >= 0
        assert sample["num_threads"] >= 1
        assert sample["network_bytes"] == 42
    assert len(sampler.samples) == len(samples)


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval"):
        resource_events(0)
