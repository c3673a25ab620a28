"""Archival and retention from the ops model: S3 archive stacks (seeds 000 and 001),
ERROR lines to a subscribed SNS topic (001, 004), Loki retention (004)."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from otelkit.ops import ModelError, load_model, parse_model, render
from tests.support.deploy_archive import ArchiveDeployment, load_template
from tests.support.servers import moto_client

ROOT = Path(__file__).resolve().parents[1]
OPS = ROOT / "examples" / "ops"
MODELS = sorted(OPS.glob("*.yaml"))


@pytest.fixture
def account() -> str:
    """A fresh moto account: log groups named as in the seeds (no stage in the name) do
    not meet those other tests made on the shared server."""
    return str(uuid.uuid4().int)[:12].rjust(12, "1")


@pytest.fixture
def clients(aws_endpoint: str, account: str) -> Callable[[str], Any]:

    def in_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    def make(service: str) -> Any:
        client: Any = moto_client(service, aws_endpoint)
        client.meta.events.register("before-sign.*.*", in_account)
        return client

    return make


def _deploy(
    clients: Callable[[str], Any], model_path: Path, out: Path, stage: str
) -> ArchiveDeployment:
    render(load_model(model_path), stage, out)
    account = clients("sts").get_caller_identity()["Account"]
    deployment = ArchiveDeployment(clients, load_template(out / "cloudformation.yaml"), account)
    deployment.deploy()
    return deployment


@pytest.mark.slow  # deploys to moto (the first pays for moto's imports)
def test_wallcrawler_archive_bucket_has_seed_000s_lifecycle_and_tiering(
    clients: Callable[[str], Any], tmp_path: Path
) -> None:
    # S3 bucket names are global in moto as in AWS: test_ops_deploy deploys "prod".
    stage = "dev"
    deployment = _deploy(clients, OPS / "wallcrawler_sessions.yaml", tmp_path, stage)
    s3 = clients("s3")
    bucket = f"wallcrawler-logs-archive-{stage}"
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Filter"] == {"Prefix": "logs/"}
    assert rule["Transitions"] == [{"Days": 30, "StorageClass": "INTELLIGENT_TIERING"}]
    assert rule["Expiration"] == {"Days": 2557}
    # moto accepts the tiering call (botocore checked its shape on the way) but keeps
    # no tiering state to read back, so the tiers are read from what was deployed.
    [config] = deployment.resources["ArchiveBucket"]["Properties"][
        "IntelligentTieringConfigurations"
    ]
    assert (config["Status"], config["Prefix"]) == ("Enabled", "logs/")
    assert {t["AccessTier"]: t["Days"] for t in config["Tierings"]} == {
        "ARCHIVE_ACCESS": 90,
        "DEEP_ARCHIVE_ACCESS": 180,
    }
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def _archived_lines(s3: Any, bucket: str) -> list[str]:
    lines = []
    for item in s3.list_objects_v2(Bucket=bucket, Prefix="logs/").get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        batch = json.loads(gzip.decompress(body))
        lines += [event["message"] for event in batch["logEvents"]]
    return lines


@pytest.mark.slow  # deploys to moto (the first pays for moto's imports)
def test_lines_written_to_a_log_group_arrive_in_the_archive_bucket(
    clients: Callable[[str], Any], tmp_path: Path
) -> None:
    stage = "stage"  # S3 bucket names are global: each test its own
    deployment = _deploy(clients, OPS / "wallcrawler_sessions.yaml", tmp_path, stage)
    filters = deployment.of_type("AWS::Logs::SubscriptionFilter")
    assert len(filters) == 9  # every log group of seed 000
    # The spelt-out ARN the filters send to is the stream's own.
    assert {deployment.resolve(f["DestinationArn"]) for f in filters.values()} == {
        deployment.arns["ArchiveStream"]
    }
    logs = clients("logs")
    line = json.dumps({"level": "INFO", "event_type": "SESSION_TERMINATED", "session_id": "sess_1"})
    logs.create_log_stream(logGroupName="/aws/lambda/sessions-update", logStreamName="s")
    logs.put_log_events(
        logGroupName="/aws/lambda/sessions-update",
        logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": line}],
    )
    archived = _archived_lines(clients("s3"), f"wallcrawler-logs-archive-{stage}")
    assert archived == [line]


@pytest.mark.slow  # deploys to moto (the first pays for moto's imports)
def test_rez_agent_archives_to_glacier_and_routes_error_lines(
    clients: Callable[[str], Any], tmp_path: Path
) -> None:
    stage = "dev"
    deployment = _deploy(clients, OPS / "rez_agent.yaml", tmp_path, stage)
    s3 = clients("s3")
    bucket = f"rez-agent-logs-archive-{stage}"
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Transitions"] == [{"Days": 30, "StorageClass": "GLACIER"}]
    assert rule["Expiration"] == {"Days": 365}
    assert "IntelligentTieringConfigurations" not in deployment.resources["ArchiveBucket"]
    # Seed 001: "Stream ERROR logs to SNS -> Slack/Email alert".
    [alarm] = [
        p
        for p in deployment.of_type("AWS::CloudWatch::Alarm").values()
        if p["AlarmName"] == f"rez-agent-{stage}-ErrorLogged"
    ]
    assert (alarm["MetricName"], alarm["Statistic"], alarm["Period"]) == ("ErrorLines", "Sum", 60)
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    [topic] = [
        p
        for k, p in deployment.of_type("AWS::SNS::Topic").items()
        if {"Ref": k} in alarm["AlarmActions"]
    ]
    assert topic["Subscription"] == [
        {"Endpoint": "https://hooks.slack.com/services/REPLACE_ME", "Protocol": "https"}
    ]
    [metric_filter, *_] = deployment.of_type("AWS::Logs::MetricFilter").values()
    assert metric_filter["FilterPattern"] == '{ $.level = "ERROR" }'


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_every_alarm_notifies_a_topic_with_a_subscription(path: Path, tmp_path: Path) -> None:
    render(load_model(path), "prod", tmp_path)
    resources = load_template(tmp_path / "cloudformation.yaml")["Resources"]
    subscribed = {
        name
        for name, r in resources.items()
        if r["Type"] == "AWS::SNS::Topic" and r["Properties"].get("Subscription")
    }
    for resource in resources.values():
        if resource["Type"] in {"AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"}:
            for action in resource["Properties"].get("AlarmActions", []):
                assert action["Ref"] in subscribed, resource["Properties"]["AlarmName"]


def test_loki_retention_is_the_models_retention_per_stage(tmp_path: Path) -> None:
    model = load_model(OPS / "bot_worker_fleet.yaml")
    for stage in ("dev", "stage", "prod"):
        render(model, stage, tmp_path / stage)
        settings = yaml.safe_load((tmp_path / stage / "loki" / "retention.yaml").read_text())
        assert settings["compactor"]["retention_enabled"] is True
        [stream] = settings["limits_config"]["retention_stream"]
        days = model.retention[stage]
        assert stream == {
            "selector": f'{{service_name="bot-worker", deployment_environment="{stage}"}}',
            "priority": 1,
            "period": f"{days * 24}h",
        }
    assert model.retention == {"dev": 7, "stage": 14, "prod": 30}


def _model(**extra: Any) -> dict[str, Any]:
    return {
        "service": "svc",
        "workload": "job_pipeline",
        "namespace": "Svc",
        "runbooks": "https://example.com/rb/",
        "retention": {"prod": 30},
        "log_groups": ["/svc/{stage}"],
        "resources": {"jobs": ["j"]},
        **extra,
    }


def test_s3_archive_and_a_user_supplied_archive_exclude_each_other() -> None:
    with pytest.raises(ModelError, match="s3_archive"):
        parse_model(
            _model(
                s3_archive={"bucket": "b-{stage}"},
                archive={"destination_arn": "arn:x", "role_arn": "arn:y"},
            )
        )


@given(
    transition=st.integers(min_value=-5, max_value=400),
    expire=st.one_of(st.none(), st.integers(min_value=-5, max_value=400)),
    archive_days=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
)
def test_archive_days_are_accepted_only_when_s3_would_take_them(
    transition: int, expire: int | None, archive_days: int | None
) -> None:
    spec = {
        "bucket": "svc-archive-{stage}",
        "transition_days": transition,
        "expire_days": expire,
        "archive_access_days": archive_days,
    }
    valid = (
        transition >= 0
        and (expire is None or expire > transition)
        and (archive_days is None or archive_days >= 90)
    )
    if valid:
        archive = parse_model(_model(s3_archive=spec)).s3_archive
        assert archive is not None
        assert (archive.transition_days, archive.expire_days) == (transition, expire)
    else:
        with pytest.raises(ModelError, match=r"s3_archive\."):
            parse_model(_model(s3_archive=spec))
