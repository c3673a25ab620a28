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


GAUGE_PROGRAM = """
import time, otelkit
otelkit.configure()
otelkit.gauge("BreakerOpen", 1, circuit="ntfy")
time.sleep(0.9)
otelkit.shutdown(timeout=10.0)
"""


def test_a_gauge_set_once_is_reported_every_interval(tmp_path: Path) -> None:
    """An alarm on a gauge (a breaker left open) keeps seeing its value: gauges stay
    cumulative, so each export repeats the last value, not only the one after a set."""
    script = tmp_path / "gauge.py"
    script.write_text(GAUGE_PROGRAM, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "OTEL_METRIC_EXPORT_INTERVAL": "200"}
    env.pop("OTELKIT_STRICT", None)
    env.pop("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", None)
    with otlp_receiver() as (url, received):
        result = subprocess.run(
            [sys.executable, str(script)],
            env={**env, "OTEL_EXPORTER_OTLP_ENDPOINT": url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    exports = [m for m in received.metrics() if m["name"] == "BreakerOpen"]
    assert len(exports) >= 2, len(exports)  # a delta gauge: exactly one


_PREFERENCES = [(None, "DELTA"), (None, "SERVICE_DEFAULT")] + [
    (value, value) for value in ("delta", "cumulative", "lowmemory", "DELTA", " LowMemory ")
]


@pytest.mark.parametrize(("variable", "preferred"), _PREFERENCES)
@pytest.mark.parametrize(
    "histograms", [None, "explicit_bucket_histogram", "base2_exponential_bucket_histogram", "x"]
)
def test_the_exporter_prefers_what_the_sdks_otlp_exporters_would(
    monkeypatch: pytest.MonkeyPatch, variable: str | None, preferred: str, histograms: str | None
) -> None:
    """otelkit reads the two preference variables itself (the SDK's OTLP encoder module
    loads protobuf's generated classes): the same preferences, kind by kind (a kind left
    out is cumulative: the SDK's reader starts from that)."""
    from opentelemetry.exporter.otlp.proto.common._internal.metrics_encoder import (
        OTLPMetricExporterMixin,
    )
    from opentelemetry.sdk import metrics as sdk_metrics
    from opentelemetry.sdk.metrics.export import AggregationTemporality

    from otelkit._config.settings import resolve
    from otelkit._sdk import export_plan, otlp_export
    from otelkit._sdk.metric_export import OtlpMetricExporter

    for name, value in (
        ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", variable),
        (export_plan.HISTOGRAM_AGGREGATION, histograms),
    ):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    parsed = resolve({}, environ=dict(os.environ)).metrics_temporality
    table = export_plan.temporality(parsed) or getattr(otlp_export, preferred)
    ours = OtlpMetricExporter(None, table)
    assert ours._preferred_temporality is not None
    assert ours._preferred_aggregation is not None
    theirs: object = OTLPMetricExporterMixin()
    names = "Counter UpDownCounter Histogram _Gauge ObservableCounter ObservableUpDownCounter"
    kinds = [getattr(sdk_metrics, name) for name in [*names.split(), "ObservableGauge"]]
    cumulative = AggregationTemporality.CUMULATIVE
    their_temporality = theirs._get_temporality(table)  # type: ignore[attr-defined]
    assert {kind: ours._preferred_temporality.get(kind, cumulative) for kind in kinds} == {
        kind: their_temporality.get(kind, cumulative) for kind in kinds
    }
    their_aggregation = theirs._get_aggregation(None)  # type: ignore[attr-defined]
    assert {kind: type(a) for kind, a in ours._preferred_aggregation.items()} == {
        kind: type(a) for kind, a in their_aggregation.items()
    }
