"""End to end: an otelkit program -> the built collector on a shipped config -> the APIs
people query (moto's X-Ray and CloudWatch Logs, and a Loki-shaped OTLP receiver).

Only listen addresses and the AWS endpoints are changed in the shipped config (see
``real_collector.on_loopback``); the pipelines, processors and exporter options are the
ones users deploy.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.collector.real_collector import grpc_trace_receiver, on_loopback, run_job, running
from tests.support.collector import SHIPPED
from tests.support.otlp_receiver import Received, attributes, otlp_receiver
from tests.support.servers import moto_client

pytestmark = pytest.mark.slow


@pytest.fixture
def loki() -> Iterator[tuple[str, Received]]:
    with otlp_receiver(prefix="/otlp") as (url, received):
        yield url, received


def xray_segments(aws_endpoint: str, job_id: str) -> list[dict[str, Any]]:
    """Every segment and subsegment of the job's trace, read back through the X-Ray API."""
    xray = moto_client("xray", aws_endpoint)
    now = time.time()
    summaries = xray.get_trace_summaries(StartTime=now - 600, EndTime=now + 60)
    trace_ids = [s["Id"] for s in summaries["TraceSummaries"]]
    assert trace_ids, "X-Ray has no finished trace"
    documents = []
    for index in range(0, len(trace_ids), 5):
        traces = xray.batch_get_traces(TraceIds=trace_ids[index : index + 5])["Traces"]
        for trace in traces:
            documents += [json.loads(s["Document"]) for s in trace["Segments"]]
    flat: list[dict[str, Any]] = []

    def walk(doc: dict[str, Any], parent: str | None) -> None:
        flat.append({**doc, "_parent": doc.get("parent_id", parent)})
        for sub in doc.get("subsegments", []):
            walk(sub, doc["id"])

    for doc in documents:
        walk(doc, None)
    ours = {d["trace_id"] for d in flat if d.get("annotations", {}).get("job_id") == job_id}
    assert len(ours) == 1, f"expected one trace with job_id={job_id}, got {ours}"
    return [
        d
        for d in flat
        if d.get("trace_id") in ours
        or (
            d.get("_parent") is not None
            and any(p["id"] == d["_parent"] and p.get("trace_id") in ours for p in flat)
        )
    ]


def emf_documents(aws_endpoint: str, group: str, service: str) -> list[dict[str, Any]]:
    logs = moto_client("logs", aws_endpoint)
    events = logs.filter_log_events(logGroupName=group)["events"]
    docs = [json.loads(e["message"]) for e in events]
    return [d for d in docs if d.get("service.name") == service]


@pytest.mark.parametrize("target", ["ecs", "eks"])
def test_job_reaches_xray_cloudwatch_and_loki(
    target: str, aws_endpoint: str, loki: tuple[str, Received], tmp_path: Path
) -> None:
    loki_url, received = loki
    shipped = yaml.safe_load((SHIPPED / target / "config.yaml").read_text(encoding="utf-8"))
    config, ports = on_loopback(shipped, aws_endpoint)
    job_id, correlation_id = f"job-{uuid.uuid4().hex[:12]}", f"corr-{uuid.uuid4().hex[:8]}"
    service = f"svc-{target}-{uuid.uuid4().hex[:6]}"
    with running(config, ports, tmp_path, env={"LOKI_URL": loki_url}) as collector:
        run_job(collector.otlp_http, job_id, correlation_id, service)
    # The collector drained its batches on SIGTERM; everything has been sent.

    segments = xray_segments(aws_endpoint, job_id)
    by_name = {s["name"]: s for s in segments}
    root = next(
        s
        for s in segments
        if s.get("annotations", {}).get("job_id") == job_id and s["_parent"] is None
    )
    assert root["annotations"]["correlation_id"] == correlation_id
    children = [s for s in segments if s["_parent"] == root["id"]]
    assert {c["name"] for c in children} >= {"render scene", "upload"}, sorted(by_name)
    upload = next(c for c in children if c["name"] == "upload")
    assert upload.get("fault") or upload.get("error"), upload
    assert not next(c for c in children if c["name"] == "render scene").get("fault")

    docs = emf_documents(aws_endpoint, "/otelkit/metrics", service)
    rendered = [d for d in docs if "ScenesRendered" in json.dumps(d["_aws"])]
    assert rendered, [d["_aws"] for d in docs]
    base = {"service.name", "deployment.environment"}
    for doc in docs:
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "otelkit"
            for dims in directive["Dimensions"]:
                assert base <= set(dims)
                assert not set(dims) & {"job_id", "correlation_id", "session_id"}
    directive = rendered[0]["_aws"]["CloudWatchMetrics"][0]
    assert [m["Name"] for m in directive["Metrics"]] == ["ScenesRendered"]
    assert {frozenset(d) for d in directive["Dimensions"]} == {
        frozenset(base),
        frozenset({*base, "outcome"}),
        frozenset({*base, "status"}),
    }
    assert rendered[0]["ScenesRendered"] == 1
    assert "job_id" not in rendered[0]  # otelkit never puts IDs on metrics

    records = received.logs()
    scene = next(r for r in records if r.get("body", {}).get("stringValue") == "Scene rendered")
    fields = attributes(scene["attributes"])
    assert fields["job_id"] == job_id
    assert fields["correlation_id"] == correlation_id
    assert scene["severityText"] == "INFO"
    assert scene["traceId"]
    assert scene["spanId"]
    resource = attributes(
        received.requests["/v1/logs"][0]["resourceLogs"][0]["resource"]["attributes"]
    )
    assert resource["service.name"] == service
    assert resource["deployment.environment"] == "e2e"


def test_local_stack_config(loki: tuple[str, Received], tmp_path: Path) -> None:
    loki_url, received = loki
    shipped = yaml.safe_load((SHIPPED / "local" / "config.yaml").read_text(encoding="utf-8"))
    config, ports = on_loopback(shipped)
    job_id, correlation_id = f"job-{uuid.uuid4().hex[:12]}", f"corr-{uuid.uuid4().hex[:8]}"
    with grpc_trace_receiver() as (jaeger, spans):
        config["exporters"]["otlp/jaeger"]["endpoint"] = jaeger
        config["exporters"]["otlphttp/loki"]["endpoint"] = f"{loki_url}/otlp"
        with running(config, ports, tmp_path) as collector:
            run_job(collector.otlp_http, job_id, correlation_id, "svc-local")
        names = {span["name"] for span in spans}
    assert {"video.generate", "render scene", "upload"} <= names
    job = next(s for s in spans if s["name"] == "video.generate")
    assert attributes(job["attributes"])["job_id"] == job_id
    emf = [
        json.loads(line[line.index("{") :])
        for line in collector.log().splitlines()
        if '"_aws"' in line and "ScenesRendered" in line
    ]
    assert emf, collector.log()[-2000:]
    assert emf[0]["ScenesRendered"] == 1
    assert any(r.get("body", {}).get("stringValue") == "Scene rendered" for r in received.logs())
