"""EMF metrics against Powertools' ``Metrics``, on a Lambda, stdout sent to a null stream.

- 100 metrics recorded and flushed: ``otelkit.count`` x100 + ``otelkit.flush()`` against
  ``Metrics.add_metric`` x100 + ``Metrics.flush_metrics()``; both write one EMF document
  with the ``service`` dimension.
- a flush with nothing recorded since the last one (most Lambda invocations of a
  function that counts rarely): ``otelkit.flush()`` against ``flush_metrics()``.
- beside OTLP: a counter add through otelkit's provider when EMF and an OTLP reader are
  both on (the SDK aggregates for OTLP, the EMF dicts for EMF) against the SDK with the
  one OTLP reader alone: what EMF adds to every measurement.
"""

from __future__ import annotations

import warnings
from typing import Any

from bench_lambda import LambdaEnvironment
from harness import Pair
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

import otelkit
from otelkit._metering.emf_documents import DocumentWriter
from otelkit._metering.emf_meter import EMFMeterProvider
from otelkit._metering.meter_tee import TeeMeterProvider

NAMES = [f"Metric{n:03d}" for n in range(100)]


class _Lambda(LambdaEnvironment):
    """The Lambda variables, a null stdout and otelkit configured for EMF only."""

    def enter(self) -> None:
        super().enter()
        otelkit.configure(
            service_name="orders", emf_namespace="Orders", console=False, log_stdout=False
        )

    def leave(self) -> None:
        otelkit.shutdown(2.0)
        super().leave()


def _powertools() -> Any:
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics()
    # An empty flush warns "No application metrics to publish" each time: not measured.
    warnings.filterwarnings("ignore", message="No application metrics")
    return metrics, MetricUnit.Count


def _lambda_pair(
    name: str, ours: Any, baseline_name: str, baseline: Any, goal: float | None
) -> Pair:
    environment = _Lambda()
    state: dict[str, Any] = {}

    def setup() -> None:
        environment.enter()
        state["metrics"], state["unit"] = _powertools()

    return Pair(
        name,
        lambda: ours(),
        baseline_name,
        lambda: baseline(state["metrics"], state["unit"]),
        goal=goal,
        anchor="Powertools",
        setup=setup,
        teardown=environment.leave,
    )


def _ours_100() -> None:
    count = otelkit.count
    for name in NAMES:
        count(name, 1)
    otelkit.flush()


def _powertools_100(metrics: Any, unit: Any) -> None:
    add = metrics.add_metric
    for name in NAMES:
        add(name=name, unit=unit, value=1)
    metrics.flush_metrics()


def _powertools_empty(metrics: Any, unit: Any) -> None:
    metrics.flush_metrics()


def _beside_otlp() -> Pair:
    sdk_alone = MeterProvider(metric_readers=[InMemoryMetricReader()])
    emf = EMFMeterProvider(DocumentWriter("Orders", "orders", write=lambda line: None))
    both = TeeMeterProvider(MeterProvider(metric_readers=[InMemoryMetricReader()]), emf)
    attributes = {"status": "completed"}
    ours = both.get_meter("bench").create_counter("Orders")
    baseline = sdk_alone.get_meter("bench").create_counter("Orders")
    return Pair(
        "counter add, OTLP reader + EMF",
        lambda: ours.add(1, attributes),
        "SDK counter add, the OTLP reader alone",
        lambda: baseline.add(1, attributes),
        anchor="OTel SDK",
    )


def pairs() -> list[Pair]:
    return [
        _lambda_pair(
            "EMF: record 100 metrics + flush",
            _ours_100,
            "Powertools Metrics, same",
            _powertools_100,
            goal=1.0,
        ),
        _lambda_pair(
            "EMF: flush with nothing recorded",
            otelkit.flush,
            "Powertools flush_metrics, same",
            _powertools_empty,
            goal=None,
        ),
        _beside_otlp(),
    ]
