"""The current AWS path (``--aws-otlp``): X-Ray's and CloudWatch Logs' OTLP endpoints
through ``otlphttp`` signed by ``sigv4auth``, next to the classic exporters.

Rendered, checked, validated by the built collector, and run end to end: an otelkit
program exports to the collector running the rendered config, whose AWS endpoints point
at a loopback receiver that verifies every SigV4 signature with botocore.
"""

from __future__ import annotations

import copy
import os
import subprocess
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from otelkit.collector import (
    ADOT,
    TARGETS,
    Distribution,
    check_text,
    model_for,
    render_config,
    render_text,
)
from otelkit.collector._cli import main
from otelkit.collector._deploy import iam_policy
from otelkit.collector._profiles import PROFILES
from tests.collector.real_collector import (
    BASE_ENV,
    binary,
    on_loopback,
    run_job,
    running,
    validate,
    without_eks_detector,
)
from tests.support.otlp_receiver import attributes
from tests.support.sigv4_receiver import ACCESS_KEY, SECRET_KEY, TOKEN, sigv4_receiver


def aws_otlp(target: str) -> str:
    return render_text(model_for(target, aws_otlp_endpoints=True, cloudwatch_logs=True))


def test_traces_and_logs_go_to_the_signed_otlp_endpoints() -> None:
    config = yaml.safe_load(aws_otlp("ecs"))
    exporters = config["exporters"]
    assert "awsxray" not in exporters
    assert "awscloudwatchlogs" not in exporters
    assert exporters["otlphttp/xray"] == {
        "traces_endpoint": "https://xray.${env:AWS_REGION}.amazonaws.com/v1/traces",
        "compression": "gzip",
        "auth": {"authenticator": "sigv4auth/xray"},
    }
    assert exporters["otlphttp/cloudwatchlogs"] == {
        "logs_endpoint": "https://logs.${env:AWS_REGION}.amazonaws.com/v1/logs",
        "compression": "gzip",
        "headers": {"x-aws-log-group": "/otelkit/logs", "x-aws-log-stream": "collector"},
        "auth": {"authenticator": "sigv4auth/logs"},
    }
    assert config["extensions"]["sigv4auth/xray"] == {
        "region": "${env:AWS_REGION}",
        "service": "xray",
    }
    assert config["extensions"]["sigv4auth/logs"]["service"] == "logs"
    service = config["service"]
    assert service["extensions"] == ["health_check", "sigv4auth/xray", "sigv4auth/logs"]
    assert service["pipelines"]["traces"]["exporters"] == ["otlphttp/xray"]
    assert service["pipelines"]["logs"]["exporters"] == [
        "otlphttp/loki",
        "otlphttp/cloudwatchlogs",
    ]


def test_without_cloudwatch_logs_only_traces_are_signed() -> None:
    config = render_config(model_for("eks", aws_otlp_endpoints=True))
    assert list(config["extensions"]) == ["health_check", "sigv4auth/xray"]
    assert config["service"]["pipelines"]["logs"]["exporters"] == ["otlphttp/loki"]


def test_the_local_stack_keeps_jaeger_and_signs_only_logs() -> None:
    config = yaml.safe_load(aws_otlp("local"))
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["otlp/jaeger"]
    assert list(config["extensions"]) == ["health_check", "sigv4auth/logs"]


def test_lambda_can_send_logs_to_cloudwatch_over_otlp() -> None:
    config = yaml.safe_load(aws_otlp("lambda"))
    assert "processors" not in config
    assert config["service"]["extensions"] == ["sigv4auth/xray", "sigv4auth/logs"]


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_checks_clean_and_passes_validate(target: str) -> None:
    text = aws_otlp(target)
    assert check_text(text, PROFILES[target].distribution) == []
    ok, output = validate(yaml.safe_dump(without_eks_detector(yaml.safe_load(text))))
    assert ok, output


def test_the_cli_flag_reaches_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["render", "--target", "ecs", "--aws-otlp", "--cloudwatch-logs", "--region", "eu-west-1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "traces_endpoint: https://xray.eu-west-1.amazonaws.com/v1/traces" in out
    assert "logs_endpoint: https://logs.eu-west-1.amazonaws.com/v1/logs" in out
    assert "awsxray" not in out


def test_the_policy_grants_what_each_path_calls() -> None:
    def actions(policy: dict[str, Any], sid: str) -> list[str]:
        return next(s["Action"] for s in policy["Statement"] if s["Sid"] == sid)

    current = iam_policy(model_for("ecs", aws_otlp_endpoints=True, cloudwatch_logs=True))
    classic = iam_policy(model_for("ecs", cloudwatch_logs=True))
    assert actions(current, "XRayWrite") == ["xray:PutSpans", "xray:PutSpansForIndexing"]
    assert actions(classic, "XRayWrite") == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    streams = next(s for s in current["Statement"] if s["Sid"] == "OwnLogStreams")
    assert "logs:PutLogEvents" in streams["Action"]
    assert "arn:aws:logs:*:*:log-group:/otelkit/logs:log-stream:*" in streams["Resource"]


#: case -> (text to replace, replacement, what check must say)
BROKEN = {
    "typo in a sigv4auth key": ("    service: xray\n", "    servce: xray\n", "no option 'servce'"),
    "authenticator not enabled": (
        "extensions: [health_check, sigv4auth/xray, sigv4auth/logs]",
        "extensions: [health_check, sigv4auth/logs]",
        "'sigv4auth/xray', which is not listed in service.extensions",
    ),
    "signed for the wrong service": (
        "    service: logs\n",
        "    service: xray\n",
        "signs for service 'xray', but exporter 'otlphttp/cloudwatchlogs'",
    ),
    "no log stream header": (
        "      x-aws-log-stream: collector\n",
        "",
        "without the 'x-aws-log-stream' header",
    ),
    "not signed": (
        "      authenticator: sigv4auth/xray\n",
        "      authenticator: health_check\n",
        "accepts only requests signed with SigV4",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_knows_the_signed_path(case: str) -> None:
    old, new, message = BROKEN[case]
    text = aws_otlp("ecs")
    assert old in text
    problems = check_text(text.replace(old, new, 1))
    assert any(message in p.message for p in problems), problems


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=20), inner),
    max_leaves=8,
)
_URLS = st.sampled_from(
    [
        "https://xray.eu-west-1.amazonaws.com/v1/traces",
        "https://logs.eu-west-1.amazonaws.com/v1/logs",
        "https://logs.amazonaws.com",
        "http://127.0.0.1:4318",
    ]
)


_ECS_AWS_OTLP = yaml.safe_load(aws_otlp("ecs"))


@settings(max_examples=50, deadline=None)
@given(
    auth=_VALUES,
    headers=_VALUES,
    endpoint=st.one_of(_URLS, _VALUES),
    signer=_VALUES,
    enabled=st.lists(st.sampled_from(["sigv4auth/xray", "health_check", "nope"]), max_size=3),
)
def test_check_survives_any_auth_shape(
    auth: object, headers: object, endpoint: object, signer: object, enabled: list[str]
) -> None:
    config = copy.deepcopy(_ECS_AWS_OTLP)
    xray = config["exporters"]["otlphttp/xray"]
    xray.update(auth=auth, headers=headers, traces_endpoint=endpoint)
    config["extensions"]["sigv4auth/xray"] = signer
    config["service"]["extensions"] = enabled
    problems = check_text(yaml.safe_dump(config))
    assert all(p.line >= 0 and p.message for p in problems)


def test_validate_agrees_on_a_sigv4auth_key_typo() -> None:
    old, new, _ = BROKEN["typo in a sigv4auth key"]
    ok, output = validate(aws_otlp("ecs").replace(old, new, 1))
    assert not ok
    assert "servce" in output


@pytest.mark.slow
def test_an_authenticator_left_out_of_service_extensions_stops_the_collector(
    tmp_path: Path,
) -> None:
    """``validate`` accepts it; the collector refuses to start, as ``check`` says."""
    old, new, _ = BROKEN["authenticator not enabled"]
    text = aws_otlp("ecs").replace(old, new, 1)
    assert validate(text)[0]
    config, _ = on_loopback(yaml.safe_load(text))
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = subprocess.run(
        [str(binary()), f"--config={path}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **BASE_ENV},
        check=False,
    )
    assert result.returncode != 0
    assert 'failed to resolve authenticator "sigv4auth/xray"' in result.stderr


def _spans(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        span
        for body in bodies
        for rs in body["resourceSpans"]
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
    ]


def _records(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        record
        for body in bodies
        for rl in body["resourceLogs"]
        for sl in rl["scopeLogs"]
        for record in sl["logRecords"]
    ]


@pytest.mark.slow
def test_a_job_reaches_the_signed_endpoints_through_the_collector(
    aws_endpoint: str, tmp_path: Path
) -> None:
    rendered = yaml.safe_load(aws_otlp("ecs"))
    config, ports = on_loopback(rendered, aws_endpoint)  # awsemf -> moto, as in test_e2e
    job_id, correlation_id = f"job-{uuid.uuid4().hex[:12]}", f"corr-{uuid.uuid4().hex[:8]}"
    credentials = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_REGION": "eu-west-1",
    }
    with sigv4_receiver() as (url, received):
        # Only where the two exporters send changes: signing, headers and bodies do not.
        config["exporters"]["otlphttp/xray"]["traces_endpoint"] = f"{url}/v1/traces"
        config["exporters"]["otlphttp/cloudwatchlogs"]["logs_endpoint"] = f"{url}/v1/logs"
        with running(config, ports, tmp_path, env=credentials) as collector:
            run_job(collector.otlp_http, job_id, correlation_id, "svc-aws-otlp")
        # SIGTERM drained the batches; a last request may still be in flight briefly.
        deadline = time.monotonic() + 5
        while not received.by_path("/v1/logs") and time.monotonic() < deadline:
            time.sleep(0.05)
        traces, logs = received.by_path("/v1/traces"), received.by_path("/v1/logs")

    assert traces
    assert logs
    assert all(v.valid for v in received.verdicts), [(v.path, v.service) for v in received.verdicts]
    assert {(v.service, v.region) for v in traces} == {("xray", "eu-west-1")}
    assert {(v.service, v.region) for v in logs} == {("logs", "eu-west-1")}
    assert {v.headers.get("content-encoding") for v in received.verdicts} == {"gzip"}

    spans = _spans([v.body for v in traces if v.body is not None])
    ours = [s for s in spans if attributes(s.get("attributes", [])).get("job_id") == job_id]
    job = next(s for s in ours if not s.get("parentSpanId"))
    assert attributes(job["attributes"])["correlation_id"] == correlation_id
    children = {s["name"]: s for s in ours if s.get("parentSpanId") == job["spanId"]}
    assert set(children) == {"render scene", "upload"}
    assert children["upload"]["status"]["code"] == "STATUS_CODE_ERROR"

    for verdict in logs:  # the group and stream travel as headers, under the signature
        assert verdict.headers["x-aws-log-group"] == "/otelkit/logs"
        assert verdict.headers["x-aws-log-stream"] == "collector"
        assert {"x-aws-log-group", "x-aws-log-stream"} <= set(verdict.signed_headers)
    records = _records([v.body for v in logs if v.body is not None])
    scene = next(r for r in records if r.get("body", {}).get("stringValue") == "Scene rendered")
    assert attributes(scene["attributes"])["job_id"] == job_id
    assert scene["traceId"] == job["traceId"]


def test_the_model_allows_the_signed_path_only_where_the_build_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Lambda: no awscloudwatchlogs exporter, but otlphttp and sigv4auth.
    with pytest.raises(ValueError, match="no awscloudwatchlogs exporter"):
        model_for("lambda", cloudwatch_logs=True)
    assert model_for("lambda", cloudwatch_logs=True, aws_otlp_endpoints=True).problems() == []
    bare = Distribution("adot", "a build without sigv4auth", {**ADOT.table, "extensions": {}})
    monkeypatch.setitem(PROFILES, "bare", replace(PROFILES["ecs"], name="bare", distribution=bare))
    assert model_for("bare").problems() == []
    with pytest.raises(ValueError, match="no otlphttp exporter with sigv4auth"):
        model_for("bare", aws_otlp_endpoints=True)
