"""End to end per example system: every metric an alarm, SLO alarm or dashboard widget of
the rendered template watches arrives through the sidecar in the namespace, dimension set
and unit it is watched under.

For each model under ``examples/ops/``: the targets come from the rendered CloudFormation
template (``tests/support/watched.py``); the built collector runs the config
``otelkit collector render --model`` writes for the model; into it, a service process
emits exactly those metrics with the declared dimensions and values, and then the
model's example program runs as users run it, exporting over OTLP; the EMF documents are
read back from moto's CloudWatch Logs, told apart by ``deployment.environment``. One
collector run per model.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from otelkit.collector import model_for, render_text
from otelkit.ops import load_model, telemetry_of
from otelkit.ops._cloudformation import render_template
from otelkit.ops._telemetry import FROM_LOG_LINES, declared
from tests.collector.real_collector import on_loopback, running
from tests.support.collector import REPO
from tests.support.examples import run_example
from tests.support.servers import moto_client
from tests.support.watched import Watched, watched

pytestmark = pytest.mark.slow

MODELS = sorted((REPO / "examples" / "ops").glob("*.yaml"))
PROGRAM = Path(__file__).with_name("declared_program.py")
#: The OpenTelemetry unit an app records a metric of each CloudWatch unit in.
OTEL_UNITS = {"Seconds": "s", "Milliseconds": "ms", "Bytes": "By", "Percent": "%"}
ANY_VALUE = "x"  # a concrete value for a dimension watched at every value (``*``)
SYNTHETIC = "synthetic"  # the emitter's deployment.environment (examples set their own)


def points(targets: list[Watched], units: dict[str, str]) -> list[dict[str, Any]]:
    """One point per distinct metric and attribute set the targets need."""
    out: dict[str, dict[str, Any]] = {}
    for target in targets:
        fixed = dict(target.values)
        attributes = {
            key: fixed.get(key, ANY_VALUE) for key in sorted(target.dimensions - {"service"})
        }
        unit = units[target.metric]
        point = {
            "metric": target.metric,
            "unit": OTEL_UNITS.get(unit, "1"),
            "kind": "count" if unit == "Count" else "record",
            "attributes": attributes,
        }
        out[json.dumps(point, sort_keys=True)] = point
    return list(out.values())


def emit(endpoint: str, service: str, spec: list[dict[str, Any]], workdir: Path) -> None:
    spec_file = workdir / "points.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_SERVICE_NAME": service,
        "DEPLOYMENT_ENV": SYNTHETIC,
        "PYTHONPATH": str(REPO),
    }
    env.pop("OTELKIT_STRICT", None)
    env.pop("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", None)
    result = subprocess.run(
        [sys.executable, str(PROGRAM), str(spec_file)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def published(aws_endpoint: str, group: str) -> list[dict[str, Any]]:
    """Every (namespace, metric, dimension set, unit, fields) the EMF documents publish."""
    logs = moto_client("logs", aws_endpoint)
    events = logs.filter_log_events(logGroupName=group)["events"]
    found = []
    for event in events:
        doc = json.loads(event["message"])
        # A document for metrics no declaration selects carries no ``_aws`` (no metric).
        for directive in doc.get("_aws", {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                for dims in directive["Dimensions"]:
                    found.append(
                        {
                            "namespace": directive["Namespace"],
                            "metric": metric["Name"],
                            "dimensions": frozenset(dims),
                            "unit": metric.get("Unit"),
                            "fields": doc,
                        }
                    )
    return found


def arrived(target: Watched, unit: str, found: list[dict[str, Any]], synthetic: bool) -> bool:
    """Whether ``target`` arrived from the synthetic emitter (fixed dimension values
    included) or from the example (which sets its own environment, and need not hit
    every value in one run)."""
    return any(
        (item["fields"].get("deployment.environment") == SYNTHETIC) == synthetic
        and item["namespace"] == target.namespace
        and item["metric"] == target.metric
        and item["dimensions"] == target.dimensions
        and item["unit"] == unit
        and (not synthetic or all(item["fields"].get(k) == v for k, v in target.values))
        for item in found
    )


def xray_segments(aws_endpoint: str, service: str, since: float) -> list[dict[str, Any]]:
    """The X-Ray segments (top level) of ``service`` that started after ``since``."""
    xray = moto_client("xray", aws_endpoint)
    now = time.time()
    ids = [
        s["Id"]
        for s in xray.get_trace_summaries(StartTime=since, EndTime=now + 60)["TraceSummaries"]
    ]
    segments = []
    for index in range(0, len(ids), 5):
        for trace in xray.batch_get_traces(TraceIds=ids[index : index + 5])["Traces"]:
            segments += [json.loads(s["Document"]) for s in trace["Segments"]]
    return [
        s
        for s in segments
        if s.get("metadata", {}).get("default", {}).get("otel.resource.service.name") == service
        and s["start_time"] >= since
    ]


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_every_watched_metric_arrives_through_the_sidecar(
    path: Path, aws_endpoint: str, tmp_path: Path
) -> None:
    model = load_model(path)
    template = render_template(model, "prod").to_dict()
    targets = [
        t
        for t in watched(template)
        if t.namespace == model.namespace and t.metric not in FROM_LOG_LINES
    ]
    assert targets, "every example model watches some of its own metrics"
    units = {name: spec.unit for name, spec in declared(model).items()}
    group = f"/otelkit/{model.service}/metrics"
    collector_model = model_for("ecs", telemetry=telemetry_of(model, "prod"), emf_log_group=group)
    rendered = yaml.safe_load(render_text(collector_model))  # the file a user deploys
    config, ports = on_loopback(rendered, aws_endpoint)
    started = time.time()
    with running(config, ports, tmp_path) as collector:
        emit(collector.otlp_http, model.service, points(targets, units), tmp_path)
        assert model.example
        script, *args = shlex.split(model.example)
        run_example(
            script,
            *args,
            env={"OTEL_EXPORTER_OTLP_ENDPOINT": collector.otlp_http},
        )

    found = published(aws_endpoint, group)
    missing = [
        f"{'synthetic' if synthetic else 'example'} {t.where}: {t.namespace} / {t.metric} "
        f"by {sorted(t.dimensions)} {dict(t.values) if synthetic else ''} in {units[t.metric]}"
        for synthetic in (True, False)
        for t in targets
        if not arrived(t, units[t.metric], found, synthetic)
    ]
    seen = sorted({(f["namespace"], f["metric"], tuple(sorted(f["dimensions"]))) for f in found})
    assert not missing, "\n".join([*missing, "published:", *map(str, seen)])

    # The example's traces reached X-Ray through the same sidecar, under trace IDs whose
    # first part is their start time (otelkit's X-Ray-compatible IDs).
    segments = xray_segments(aws_endpoint, model.service, started - 1)
    assert segments, f"no X-Ray segment of {model.service}"
    for segment in segments:
        _, epoch, _ = segment["trace_id"].split("-")
        assert started - 1 <= int(epoch, 16) <= time.time(), segment["trace_id"]


def test_sidecar_cloudwatch_logs_nest_the_fields_the_queries_name(
    aws_endpoint: str, tmp_path: Path
) -> None:
    """The ops model's Insights queries and ``ErrorLines`` filter read the app's JSON lines
    (stdout, in the model's log groups): top-level ``level``, ``service``, IDs. Records
    the sidecar sends with ``--cloudwatch-logs`` carry them under ``attributes`` and
    ``resource`` instead (docs/what-arrives-where.md says so; this holds it true)."""
    from tests.collector.real_collector import run_job

    group = "/otelkit/chain-logs"
    rendered = yaml.safe_load(
        render_text(model_for("ecs", cloudwatch_logs=True, cloudwatch_log_group=group))
    )
    config, ports = on_loopback(rendered, aws_endpoint)
    with running(config, ports, tmp_path) as collector:
        run_job(collector.otlp_http, "job-nested", "corr-nested", "svc-nested")
    logs = moto_client("logs", aws_endpoint)
    records = [
        json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=group)["events"]
    ]
    scene = next(r for r in records if r["body"] == "Scene rendered")
    assert scene["attributes"]["job_id"] == "job-nested"
    assert scene["resource"]["service.name"] == "svc-nested"
    assert scene["severity_text"] == "INFO"
    assert not {"job_id", "service", "level"} & set(scene)
