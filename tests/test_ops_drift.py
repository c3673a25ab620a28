"""Drift: every metric, dimension set and log field an ops model uses is one its example
emits. The examples run as programs; their EMF documents and JSON lines are the truth, so
renaming a metric or a field in code fails here, not on the pager."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from otelkit.ops import OpsModel, load_model
from otelkit.ops._cloudformation import all_alarms
from otelkit.ops._dashboard_cw import dashboard_widgets
from otelkit.ops._fields import insights_fields
from otelkit.ops._model import MetricRef
from otelkit.ops._presets import ERROR_LINES
from otelkit.ops._telemetry import declared, log_fields
from tests.support.emf import check_document
from tests.support.examples import run_example

ROOT = Path(__file__).resolve().parents[1]
MODELS = sorted((ROOT / "examples" / "ops").glob("*.yaml"))

# Fields otelkit writes on the failure lines of any service (JOB_FAILED, ERROR lines with
# an exception), which a successful example run may not show: written by a real run too.
FAILING_SCRIPT = """
import otelkit
otelkit.configure(service_name="probe", log_format="json")
try:
    with otelkit.job("probe"):
        raise ValueError("boom")
except ValueError:
    pass
otelkit.shutdown()
"""


@dataclass
class Emitted:
    """What one run of an example wrote: metric dimension sets, log fields, services."""

    metrics: dict[str, set[frozenset[str]]] = field(default_factory=dict)
    units: dict[str, set[str]] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)


def _collect(lines: list[dict[str, object]], emitted: Emitted) -> Emitted:
    for line in lines:
        aws = line.get("_aws")
        if isinstance(aws, dict):
            for declaration in aws["CloudWatchMetrics"]:
                for metric in declaration["Metrics"]:
                    emitted.metrics.setdefault(metric["Name"], set()).update(
                        frozenset(dims) for dims in declaration["Dimensions"]
                    )
                    emitted.units.setdefault(metric["Name"], set()).add(metric.get("Unit", ""))
            continue
        emitted.fields.update(line)
        if isinstance(line.get("service"), str):
            emitted.services.add(str(line["service"]))
    return emitted


@pytest.fixture(scope="module")
def failure_fields(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    script = tmp_path_factory.mktemp("probe") / "failing.py"
    script.write_text(FAILING_SCRIPT)
    _, lines = run_example(str(script))
    return _collect(lines, Emitted()).fields


def _run(model: OpsModel) -> Emitted:
    assert model.example, "every example model names the example it describes"
    script, *args = shlex.split(model.example)
    _, lines = run_example(script, *args, env={"OTELKIT_EMF_NAMESPACE": model.namespace})
    for line in lines:
        if "_aws" in line:
            check_document(line)  # every document an example writes is valid EMF
    return _collect(lines, Emitted())


def _metric_refs(model: OpsModel) -> list[tuple[str, MetricRef]]:
    refs = [(f"alarm {a.name}", a.metric) for a in all_alarms(model)]
    for slo in model.slos:
        refs += [(f"slo {slo.name}", ref) for ref in (slo.bad, *slo.total)]
    for widget in dashboard_widgets(model):
        refs += [(f"widget {widget.title!r}", ref) for ref in widget.metrics]
    return [(where, ref) for where, ref in refs if ref.custom]


@pytest.mark.slow
@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_every_name_the_model_uses_is_emitted(path: Path, failure_fields: set[str]) -> None:
    model = load_model(path)
    emitted = _run(model)
    assert emitted.services == {model.service}
    problems = []
    for where, ref in _metric_refs(model):
        if ref.metric == ERROR_LINES:  # made by the template's metric filter, from lines
            continue  # its fields are held below, with the queries'
        keys = frozenset(model.dimensions(ref, "prod"))
        if ref.metric not in emitted.metrics:
            problems.append(
                f"{where}: metric {ref.metric} is not emitted "
                f"(emitted: {', '.join(sorted(emitted.metrics))})"
            )
        elif keys not in emitted.metrics[ref.metric]:
            problems.append(
                f"{where}: {ref.metric} has no dimension set {sorted(keys)} "
                f"(emitted: {[sorted(s) for s in emitted.metrics[ref.metric]]})"
            )
        # The unit the model declares (which every alarm threshold is written in) is the
        # unit the example emits: a threshold in ms on seconds would fire 1000x late.
        unit = declared(model)[ref.metric].unit
        if ref.metric in emitted.units and emitted.units[ref.metric] != {unit}:
            problems.append(
                f"{where}: {ref.metric} is declared in {unit} but emitted in "
                f"{sorted(emitted.units[ref.metric])}"
            )
    known = emitted.fields | failure_fields
    for consumer, used in log_fields(model).items():
        problems += [f"{consumer}: field {name} is never written" for name in sorted(used - known)]
    assert not problems, "\n".join(problems)


def test_the_drift_check_catches_a_renamed_metric_and_field() -> None:
    """The comparison itself: a name the example does not write is reported."""
    emitted = _collect(
        [
            {
                "_aws": {
                    "CloudWatchMetrics": [
                        {
                            "Namespace": "N",
                            "Dimensions": [["service"]],
                            "Metrics": [{"Name": "Jobs"}],
                        }
                    ]
                },
                "service": "s",
            },
            {"service": "s", "level": "INFO", "job_id": "j"},
        ],
        Emitted(),
    )
    assert emitted.metrics == {"Jobs": {frozenset({"service"})}}
    assert insights_fields('filter jobid = "x"') - emitted.fields == {"jobid"}
    assert json.dumps(sorted(emitted.fields)) == '["job_id", "level", "service"]'
