"""Every example ops model renders, and the renders pass the tools that deploy them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from otelkit.ops import load_model, render

ROOT = Path(__file__).resolve().parents[1]
MODELS = sorted((ROOT / "examples" / "ops").glob("*.yaml"))
STAGES = ("dev", "stage", "prod")
BIN = Path(sys.executable).parent


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML, short-form intrinsics (!Ref, !Sub…) as plain data."""


_CfnLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node)
    ),
)


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Each model rendered at each stage: (model stem, stage) -> output folder."""
    out = tmp_path_factory.mktemp("ops")
    folders = {}
    for path in MODELS:
        for stage in STAGES:
            folder = out / f"{path.stem}-{stage}"
            render(load_model(path), stage, folder)
            folders[path.stem, stage] = folder
    return folders


def template(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(
        (folder / "cloudformation.yaml").read_text(), Loader=_CfnLoader
    )
    return loaded


def test_there_is_a_model_per_example_system() -> None:
    assert {p.stem for p in MODELS} >= {"rez_agent"}


@pytest.mark.slow
def test_cfn_lint_finds_nothing_in_any_template(renders: dict[tuple[str, str], Path]) -> None:
    templates = [str(folder / "cloudformation.yaml") for folder in renders.values()]
    result = subprocess.run(
        [str(BIN / "cfn-lint"), *templates], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_checkov_passes_every_template(
    renders: dict[tuple[str, str], Path], tmp_path: Path
) -> None:
    checkov = ROOT / ".venv" / "checkov" / "bin" / "checkov"
    assert checkov.exists(), "make test installs checkov in .venv/checkov"
    for (name, stage), folder in renders.items():
        shutil.copy(folder / "cloudformation.yaml", tmp_path / f"{name}-{stage}.yaml")
    result = subprocess.run(
        [
            str(checkov),
            "-d",
            str(tmp_path),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "BC_SKIP_MAPPING": "TRUE", "HOME": str(tmp_path)},
    )
    report = json.loads(result.stdout)
    summary = report["summary"] if isinstance(report, dict) else report[0]["summary"]
    assert summary["failed"] == 0, result.stdout
    assert summary["passed"] >= 10 * len(renders)  # checks really ran on every template
    assert summary["parsing_errors"] == 0


@pytest.mark.slow
def test_promtool_accepts_every_rules_file(renders: dict[tuple[str, str], Path]) -> None:
    rules = [
        str(f / "prometheus-rules.yaml")
        for f in renders.values()
        if (f / "prometheus-rules.yaml").exists()
    ]
    assert rules, "the worker fleet model has Prometheus rules"
    promtool = shutil.which("promtool")
    assert promtool, "make test installs Debian's prometheus package (promtool)"
    result = subprocess.run(
        [promtool, "check", "rules", *rules], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_dashboards_match_the_sdk_types(renders: dict[tuple[str, str], Path]) -> None:
    for folder in renders.values():
        [path] = (folder / "grafana").glob("*.json")
        document = json.loads(path.read_text())
        # The SDK's model reads every field it knows and writes back only those: a panel,
        # query or option of the wrong shape would not survive the round trip.
        typed = Dashboard.from_json(document)
        assert json.loads(json.dumps(typed, cls=JSONEncoder)) == document
        assert document["panels"], path
        for panel in document["panels"]:
            assert panel["targets"]
            assert panel["datasource"]["type"] in {"cloudwatch", "loki", "prometheus"}


def _resources(folder: Path, kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: r["Properties"]
        for name, r in template(folder)["Resources"].items()
        if r["Type"] == kind
    }


def _alarm(folder: Path, suffix: str) -> dict[str, Any]:
    [props] = [
        p
        for p in _resources(folder, "AWS::CloudWatch::Alarm").values()
        if p["AlarmName"].endswith("-" + suffix)
    ]
    return props


def _threshold(props: dict[str, Any]) -> tuple[Any, ...]:
    period = props.get("Period") or props["Metrics"][0]["Period"]
    stat = (
        props.get("Statistic")
        or props.get("ExtendedStatistic")
        or props["Metrics"][0]["Expression"].split("(")[0].split()[-1]
    )
    return (props.get("MetricName"), stat, period, props["ComparisonOperator"], props["Threshold"])


# The seeds' alarms, as (alarm, metric, statistic, period, comparison, threshold).
SEED_ALARMS: dict[str, list[tuple[str, str | None, str, int, str, float]]] = {
    "rez_agent": [
        (
            "DLQHasMessages",
            "ApproximateNumberOfMessagesVisible",
            "Maximum",
            60,
            "GreaterThanThreshold",
            0,
        ),
        (
            "LambdaErrors-rez-agent-message-processor-prod",
            "Errors",
            "Sum",
            300,
            "GreaterThanThreshold",
            5,
        ),
        ("ProcessorDurationP99", "Duration", "p99", 300, "GreaterThanThreshold", 240000),
        (
            "CircuitBreakerOpen",
            "CircuitBreakerState",
            "Maximum",
            60,
            "GreaterThanOrEqualToThreshold",
            1,
        ),
        ("Api5xx", "5XXError", "Sum", 300, "GreaterThanThreshold", 10),
        (
            "QueueBacklog",
            "ApproximateAgeOfOldestMessage",
            "Maximum",
            300,
            "GreaterThanThreshold",
            300,
        ),
    ],
    "wallcrawler_sessions": [
        ("HighSessionErrorRate", None, "SUM", 300, "GreaterThanThreshold", 10),
        ("LongRunningSessions", None, "MAX", 300, "GreaterThanThreshold", 600),
    ],
    "bella_api": [
        ("CpuHigh", "CPUUtilization", "Average", 300, "GreaterThanThreshold", 80),
        ("MemoryHigh", "MemoryUtilization", "Average", 300, "GreaterThanThreshold", 85),
        ("UnhealthyTargets", "UnHealthyHostCount", "Maximum", 120, "GreaterThanThreshold", 0),
        ("SlowResponses", "TargetResponseTime", "Average", 300, "GreaterThanThreshold", 5),
        ("Target5xx", "HTTPCode_Target_5XX_Count", "Sum", 300, "GreaterThanThreshold", 5),
        ("ErrorSpike", "ErrorLines", "Sum", 300, "GreaterThanThreshold", 10),
    ],
}


@pytest.mark.parametrize("name", sorted(SEED_ALARMS))
def test_the_seed_alarms_are_in_the_template(
    name: str, renders: dict[tuple[str, str], Path]
) -> None:
    folder = renders[name, "prod"]
    for alarm, *expected in SEED_ALARMS[name]:
        props = _alarm(folder, str(alarm))
        assert _threshold(props) == tuple(expected), alarm
        assert "Runbook: https://" in props["AlarmDescription"]
        assert props["AlarmActions"]
        assert props["TreatMissingData"] == "notBreaching"


def test_rez_agent_topics_retention_dashboard_and_queries(
    renders: dict[tuple[str, str], Path],
) -> None:
    for stage, days in (("dev", 7), ("stage", 14), ("prod", 30)):
        folder = renders["rez_agent", stage]
        groups = _resources(folder, "AWS::Logs::LogGroup").values()
        assert {g["LogGroupName"]: g["RetentionInDays"] for g in groups} == {
            f"/aws/lambda/rez-agent-{fn}-{stage}": days
            for fn in (
                "scheduler",
                "web-api",
                "message-processor",
                "notification-service",
                "jwt-authorizer",
            )
        }
        topics = {t["TopicName"] for t in _resources(folder, "AWS::SNS::Topic").values()}
        assert topics == {f"rez-agent-alerts-{s}-{stage}" for s in ("critical", "warning", "info")}
        [board] = _resources(folder, "AWS::CloudWatch::Dashboard").values()
        assert board["DashboardName"] == f"rez-agent-{stage}-overview"
        assert len(json.loads(board["DashboardBody"])["widgets"]) == 12
        queries = _resources(folder, "AWS::Logs::QueryDefinition").values()
        assert len(queries) == 5  # the seed's four and the processing time
        assert all(len(q["LogGroupNames"]) == 5 for q in queries)
        [api] = [q for q in queries if q["Name"].endswith("api-response-time")]
        assert 'filter path = "/api/messages" and method = "POST"' in api["QueryString"]
    burn = [
        a
        for a in _resources(
            renders["rez_agent", "prod"], "AWS::CloudWatch::CompositeAlarm"
        ).values()
    ]
    assert len(burn) == 12  # six SLO rows (the seed's five), a fast and a slow burn each


def test_wallcrawler_retention_per_group_and_archive(renders: dict[tuple[str, str], Path]) -> None:
    folder = renders["wallcrawler_sessions", "prod"]
    retention = {
        g["LogGroupName"]: g["RetentionInDays"]
        for g in _resources(folder, "AWS::Logs::LogGroup").values()
    }
    assert retention["/aws/lambda/sessions-create"] == 30
    assert retention["/aws/ecs/wallcrawler-controller"] == 30
    assert retention["/aws/lambda/authorizer"] == 14
    assert len(_resources(folder, "AWS::Logs::SubscriptionFilter")) == len(retention)


def test_queries_are_written_as_files(renders: dict[tuple[str, str], Path]) -> None:
    queries = renders["rez_agent", "prod"] / "queries"
    assert "correlation_id" in (queries / "by-correlation-id.insights").read_text()
    assert (queries / "by-correlation-id.logql").read_text().startswith("{service_name=")
