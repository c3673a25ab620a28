"""A process that counts once and exits right away: its point reaches CloudWatch through
the shipped ECS sidecar config with otelkit's default settings (no temporality variable).

``awsemf`` turns every cumulative sum into deltas and keeps the first point of a series
only as the baseline, so with the SDK's cumulative default nothing of this process would
arrive. And a count made before a pre-fork server forks its workers arrives once, not
once per worker more. The chain: app subprocess -> built collector -> moto's CloudWatch
Logs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.collector.real_collector import on_loopback, running
from tests.support.collector import REPO, SHIPPED
from tests.support.servers import moto_client

pytestmark = pytest.mark.slow

PROGRAM = Path(__file__).with_name("count_once_program.py")


def run_once(endpoint: str, service: str) -> None:
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_SERVICE_NAME": service,
        "DEPLOYMENT_ENV": "e2e",
        "PYTHONPATH": str(REPO),
    }
    env.pop("OTELKIT_STRICT", None)
    env.pop("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", None)  # the default
    result = subprocess.run(
        [sys.executable, str(PROGRAM)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def emf_lines(aws_endpoint: str, group: str, service: str) -> list[dict[str, Any]]:
    logs = moto_client("logs", aws_endpoint)
    events = logs.filter_log_events(logGroupName=group)["events"]
    docs = [json.loads(e["message"]) for e in events]
    return [d for d in docs if d.get("service.name") == service]


def test_single_count_reaches_cloudwatch_through_the_sidecar(
    aws_endpoint: str, tmp_path: Path
) -> None:
    shipped = yaml.safe_load((SHIPPED / "ecs" / "config.yaml").read_text(encoding="utf-8"))
    config, ports = on_loopback(shipped, aws_endpoint)
    service = f"once-{uuid.uuid4().hex[:8]}"
    with running(config, ports, tmp_path) as collector:
        run_once(collector.otlp_http, service)

    docs = emf_lines(aws_endpoint, "/otelkit/metrics", service)
    by_metric = {
        m["Name"]: doc
        for doc in docs
        for directive in doc["_aws"]["CloudWatchMetrics"]
        for m in directive["Metrics"]
    }
    assert set(by_metric) >= {"JobsFinished", "JobSeconds", "QueueDepth"}, docs
    assert by_metric["JobsFinished"]["JobsFinished"] == 1
    seconds = by_metric["JobSeconds"]["JobSeconds"]
    assert seconds["Count"] == 1
    assert seconds["Sum"] == 2.5
    assert by_metric["QueueDepth"]["QueueDepth"] == 7
    for doc in by_metric.values():
        assert doc["outcome"] == "ok"


def test_a_count_made_before_a_fork_reaches_cloudwatch_once(
    aws_endpoint: str, tmp_path: Path
) -> None:
    """A pre-fork server (a start-up count, then two workers that outlive an export
    interval) through the shipped sidecar: CloudWatch gets the start-up count once. Before,
    every worker re-sent the parent's count: an alarm on its sum saw 15 where 5 was
    counted."""
    from tests.support.processes import production_env
    from tests.test_fork import PRE_FORK

    shipped = yaml.safe_load((SHIPPED / "ecs" / "config.yaml").read_text(encoding="utf-8"))
    config, ports = on_loopback(shipped, aws_endpoint)
    service = f"prefork-{uuid.uuid4().hex[:8]}"
    with running(config, ports, tmp_path) as collector:
        subprocess.run(
            [sys.executable, "-c", PRE_FORK, collector.otlp_http],
            check=True,
            timeout=60,
            env=production_env(
                OTEL_SERVICE_NAME=service,
                DEPLOYMENT_ENV="e2e",
                OTEL_METRIC_EXPORT_INTERVAL="200",
                PYTHONPATH=str(REPO),
            ),
        )

    docs = emf_lines(aws_endpoint, "/otelkit/metrics", service)
    assert sum(doc.get("StartedUp", 0) for doc in docs) == 5, docs
    assert sum(doc.get("Served", 0) for doc in docs) == 2, docs
