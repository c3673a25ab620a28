"""Lambda end to end: a function in the real runtime (the emulator, ``awslambdaric``,
otelkit's post-response extension) -> the built collector on the shipped Lambda config ->
X-Ray and Loki as people query them. The function's spans are built at the flush, after
the response (``HeldSpan``): what X-Ray shows is what the SDK's spans would have made."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from tests.collector.real_collector import on_loopback, running
from tests.collector.test_collector_e2e import xray_segments
from tests.support.collector import SHIPPED
from tests.support.lambda_runtime import lambda_function
from tests.support.otlp_receiver import attributes, otlp_receiver

pytestmark = pytest.mark.slow


def test_a_lambda_jobs_spans_and_lines_reach_xray_and_loki(
    aws_endpoint: str, tmp_path: Path
) -> None:
    shipped = yaml.safe_load((SHIPPED / "lambda" / "config.yaml").read_text(encoding="utf-8"))
    config, ports = on_loopback(shipped, aws_endpoint)
    jobs = [f"job-{uuid.uuid4().hex[:12]}" for _ in range(2)]  # a cold, then a warm start
    with otlp_receiver(prefix="/otlp") as (loki_url, loki):
        with running(config, ports, tmp_path, env={"LOKI_URL": loki_url}) as collector:
            env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.otlp_http, "OTELKIT_SAMPLE_RATE": "1"}
            with lambda_function("job_step.handler", env) as function:
                for job_id in jobs:
                    assert function.invoke({"job_id": job_id}).status == 200
                function.reports(2)
                assert "Internal agent otelkit" in function.dump()
        # the collector drained its exporters when it stopped
        records = loki.logs()

    for job_id in jobs:
        segments = xray_segments(aws_endpoint, job_id)
        (scene,) = [s for s in segments if s["name"] == "render scene"]
        assert scene["annotations"]["job_id"] == job_id
        (upload,) = [s for s in segments if s["name"] == "upload"]
        assert upload["_parent"] == scene["id"]
        assert upload.get("fault") or upload.get("error"), upload
        (exception,) = upload["cause"]["exceptions"]
        assert exception["message"] == "upload refused", upload["cause"]
        assert exception["type"] == "ConnectionError", upload["cause"]

    lines = [r for r in records if r.get("body", {}).get("stringValue") == "Scene rendered"]
    assert [attributes(r["attributes"])["job_id"] for r in lines] == jobs
    assert all(attributes(r["attributes"])["function_request_id"] for r in lines)
    assert all(r["traceId"] for r in lines)
