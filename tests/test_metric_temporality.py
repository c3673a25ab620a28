"""OTLP metrics are delta by default, so the first point of a series is never lost
downstream (``awsemf`` drops the first point of every cumulative sum); a user's
``OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`` still decides."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.otlp_receiver import Received, otlp_receiver

PROGRAM = Path(__file__).parent / "collector" / "count_once_program.py"
REPO = Path(__file__).resolve().parents[1]
DELTA, CUMULATIVE = "AGGREGATION_TEMPORALITY_DELTA", "AGGREGATION_TEMPORALITY_CUMULATIVE"


def run_program(endpoint: str, preference: str | None) -> None:
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "PYTHONPATH": str(REPO)}
    env.pop("OTELKIT_STRICT", None)
    env.pop("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", None)
    if preference is not None:
        env["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"] = preference
    result = subprocess.run(
        [sys.executable, str(PROGRAM)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def temporalities(received: Received) -> dict[str, str]:
    """Metric name -> the temporality it was sent with (sums and histograms)."""
    out = {}
    for metric in received.metrics():
        for kind in ("sum", "histogram"):
            if kind in metric:
                out[metric["name"]] = metric[kind]["aggregationTemporality"]
    return out


@pytest.mark.parametrize(
    ("preference", "expected"),
    [
        (None, {"JobsFinished": DELTA, "JobSeconds": DELTA}),
        ("", {"JobsFinished": DELTA, "JobSeconds": DELTA}),
        ("cumulative", {"JobsFinished": CUMULATIVE, "JobSeconds": CUMULATIVE}),
        ("delta", {"JobsFinished": DELTA, "JobSeconds": DELTA}),
    ],
)
def test_temporality_default_and_override(preference: str | None, expected: dict[str, str]) -> None:
    with otlp_receiver() as (url, received):
        run_program(url, preference)
    assert temporalities(received) == expected
    gauge = next(m for m in received.metrics() if m["name"] == "QueueDepth")
    point = gauge["gauge"]["dataPoints"][0]
    assert float(point.get("asDouble", point.get("asInt", 0))) == 7
