"""Deployed, not only linted: every resource of each rendered ops template is created
against the moto server (through its CloudFormation where moto supports the type, through
the resource's own API otherwise) and read back through its service's API; the metric
filters are held against real otelkit JSON lines put into their log groups."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from otelkit.ops import OpsModel, load_model
from otelkit.ops._cloudformation import render_template
from tests.support.deploy_moto import (
    ACCOUNT,
    BY_API,
    REGION,
    Stack,
    create_by_api,
    create_stack,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
MODELS = sorted((ROOT / "examples" / "ops").glob("*.yaml"))
STAGE = "prod"

LINES_SCRIPT = """
import logging, otelkit
otelkit.configure(service_name={service!r}, log_format="json")
log = logging.getLogger("deploy-check")
log.info("all good")
log.error("payment refused")
otelkit.shutdown()
"""
#: The one metric filter pattern form the templates use: ``{ $.field = "value" }``.
_PATTERN = re.compile(r'^\{ \$\.(?P<field>[\w.]+) = "(?P<value>[^"]*)" \}$')


def otelkit_lines(service: str, tmp_path: Path) -> list[str]:
    """What an otelkit service writes for one INFO and one ERROR log call (JSON lines)."""
    script = tmp_path / "lines.py"
    script.write_text(LINES_SCRIPT.format(service=service), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith("{")]


def selects(pattern: str, message: str) -> bool:
    """Whether a ``{ $.field = "value" }`` pattern selects a JSON log line."""
    found = _PATTERN.match(pattern)
    assert found, f"the templates only use the single-field JSON form, got {pattern!r}"
    value: Any = json.loads(message)
    for part in found["field"].split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return bool(value == found["value"])


def create_destinations(clients: Any, model: OpsModel) -> None:
    """What the model points at outside the template (its archive's Firehose stream)."""
    if not model.archive:
        return
    arn = model.fill(model.archive["destination_arn"], STAGE)
    clients("s3").create_bucket(Bucket=f"archive-{model.service}")
    clients("firehose").create_delivery_stream(
        DeliveryStreamName=arn.rsplit("/", 1)[1],
        ExtendedS3DestinationConfiguration={
            "RoleARN": model.fill(model.archive["role_arn"], STAGE),
            "BucketARN": f"arn:aws:s3:::archive-{model.service}",
        },
    )


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == kind}


def check_alarms(clients: Any, stack: Stack, template: dict[str, Any]) -> None:
    cloudwatch = clients("cloudwatch")
    expected = {
        p["AlarmName"]: stack.resolve(p)
        for p in of_type(template, "AWS::CloudWatch::Alarm").values()
    }
    names = list(expected)
    found: dict[str, list[dict[str, Any]]] = {"MetricAlarms": []}
    for index in range(0, len(names), 100):
        page = cloudwatch.describe_alarms(
            AlarmNames=names[index : index + 100], AlarmTypes=["MetricAlarm"]
        )
        for key in found:
            found[key] += page[key]
    metric_alarms = {a["AlarmName"]: a for a in found["MetricAlarms"]}
    assert set(metric_alarms) == set(expected)
    for name, props in expected.items():
        alarm = metric_alarms[name]
        for key in ("Threshold", "ComparisonOperator", "EvaluationPeriods"):
            assert alarm[key] == props[key], (name, key)
        assert alarm.get("AlarmActions", []) == props.get("AlarmActions", []), name
        if "MetricName" in props:
            assert (alarm["Namespace"], alarm["MetricName"]) == (
                props["Namespace"],
                props["MetricName"],
            )
            assert sorted(alarm["Dimensions"], key=str) == sorted(props["Dimensions"], key=str)
        else:
            assert [q.get("Expression") for q in alarm["Metrics"]] == [
                q.get("Expression") for q in props["Metrics"]
            ]
    # Composite alarms: moto has no PutCompositeAlarm (see deploy_moto.NOT_IN_MOTO).


def check_logs(clients: Any, stack: Stack, template: dict[str, Any], model: OpsModel) -> None:
    logs = clients("logs")
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
    for props in of_type(template, "AWS::Logs::LogGroup").values():
        assert groups[props["LogGroupName"]]["retentionInDays"] == props["RetentionInDays"]
    for props in of_type(template, "AWS::Logs::MetricFilter").values():
        resolved = stack.resolve(props)
        filters = logs.describe_metric_filters(logGroupName=resolved["LogGroupName"])
        (found,) = filters["metricFilters"]
        assert found["filterPattern"] == resolved["FilterPattern"]
        transform = found["metricTransformations"][0]
        wanted = resolved["MetricTransformations"][0]
        assert (transform["metricNamespace"], transform["metricName"]) == (
            wanted["MetricNamespace"],
            wanted["MetricName"],
        )
    for props in of_type(template, "AWS::Logs::SubscriptionFilter").values():
        resolved = stack.resolve(props)
        (found,) = logs.describe_subscription_filters(logGroupName=resolved["LogGroupName"])[
            "subscriptionFilters"
        ]
        assert found["destinationArn"] == resolved["DestinationArn"]


def check_cloudformation_made(clients: Any, stack: Stack, template: dict[str, Any]) -> None:
    topics = {t["TopicArn"] for t in clients("sns").list_topics()["Topics"]}
    for logical in of_type(template, "AWS::SNS::Topic"):
        assert stack.physical[logical] in topics
    keys = {k["KeyId"] for k in clients("kms").list_keys()["Keys"]}
    for logical in of_type(template, "AWS::KMS::Key"):
        assert stack.physical[logical] in keys
    for props in of_type(template, "AWS::CloudWatch::Dashboard").values():
        body = clients("cloudwatch").get_dashboard(DashboardName=props["DashboardName"])
        assert json.loads(body["DashboardBody"]) == json.loads(
            stack.resolve(props["DashboardBody"])
        )


def check_metric_filters_match(
    clients: Any, stack: Stack, template: dict[str, Any], model: OpsModel, tmp_path: Path
) -> None:
    """Real otelkit lines in each filtered log group: the pattern selects the ERROR line
    only, and the ``service`` dimension it extracts is the service's name."""
    logs = clients("logs")
    info, error = otelkit_lines(model.service, tmp_path)
    for logical, props in of_type(template, "AWS::Logs::MetricFilter").items():
        group = stack.resolve(props["LogGroupName"])
        logs.create_log_stream(logGroupName=group, logStreamName=logical)
        now = int(time.time() * 1000)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=logical,
            logEvents=[{"timestamp": now, "message": info}, {"timestamp": now, "message": error}],
        )
        stored = [
            e["message"]
            for e in logs.filter_log_events(logGroupName=group, logStreamNames=[logical])["events"]
        ]
        assert stored == [info, error]
        selected = [m for m in stored if selects(props["FilterPattern"], m)]
        assert selected == [error]
        for dimension in props["MetricTransformations"][0].get("Dimensions", []):
            field = dimension["Value"].removeprefix("$.")
            assert json.loads(error)[field] == model.service


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_every_resource_is_created_against_moto_and_reads_back(
    path: Path, aws_endpoint: str, tmp_path: Path
) -> None:
    model = load_model(path)
    template = render_template(model, STAGE).to_dict()

    def clients(service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=aws_endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    assert clients("sts").get_caller_identity()["Account"] == ACCOUNT
    create_destinations(clients, model)
    stack = create_stack(clients, f"{model.service}-{STAGE}-ops", template)
    created = create_by_api(clients, stack, template)
    kinds = Counter(r["Type"] for r in template["Resources"].values())
    assert len(stack.physical) + sum(created.values()) == len(template["Resources"])
    assert created == {k: n for k, n in kinds.items() if k in BY_API}

    check_cloudformation_made(clients, stack, template)
    check_alarms(clients, stack, template)
    check_logs(clients, stack, template, model)
    check_metric_filters_match(clients, stack, template, model, tmp_path)
