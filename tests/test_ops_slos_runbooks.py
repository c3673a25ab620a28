"""Seed 001's five SLOs as burn-rate alarms, and a runbook page behind every alert link."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from otelkit.ops import ModelError, load_model, parse_model, render
from tests.test_ops_render import _CfnLoader

ROOT = Path(__file__).resolve().parents[1]
MODELS = sorted((ROOT / "examples" / "ops").glob("*.yaml"))


def _render(path: Path, out: Path, stage: str = "prod") -> dict[str, Any]:
    render(load_model(path), stage, out)
    loaded: dict[str, Any] = yaml.load((out / "cloudformation.yaml").read_text(), Loader=_CfnLoader)
    resources: dict[str, Any] = loaded["Resources"]
    return resources


def _slo_children(resources: dict[str, Any], slo: str) -> list[dict[str, Any]]:
    prefix = f"rez-agent-prod-slo-{slo}-"
    return [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"]["AlarmName"].startswith(prefix)
        and r["Properties"]["AlarmName"][len(prefix) :].split("-")[0].endswith("x")
    ]


def _stats(alarm: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {
        q["Id"]: (
            q["MetricStat"]["Metric"]["Namespace"],
            q["MetricStat"]["Metric"]["MetricName"],
            q["MetricStat"]["Stat"],
        )
        for q in alarm["Metrics"]
        if "MetricStat" in q
    }


# Seed 001's SLO table: (SLO, bad, total, thresholds of the fast and slow burn alarms).
# 99.9 % leaves a 0.1 % budget: 14.4x is 1.44 % of requests, 6x is 0.6 %.
SEED_SLOS = [
    (
        "api-availability",
        ("AWS/ApiGateway", "5XXError", "Sum"),
        ("AWS/ApiGateway", "Count", "Sum"),
        {0.0144, 0.006},
    ),
    (  # p95 < 500 ms: requests above 500 ms against all requests, a 5 % budget
        "api-latency-p95",
        ("AWS/ApiGateway", "Latency", "TC(500:)"),
        ("AWS/ApiGateway", "Latency", "SampleCount"),
        {0.72, 0.3},
    ),
    (  # p99 < 1000 ms
        "api-latency-p99",
        ("AWS/ApiGateway", "Latency", "TC(1000:)"),
        ("AWS/ApiGateway", "Latency", "SampleCount"),
        {0.144, 0.06},
    ),
    (
        "message-processing",
        ("RezAgent", "MessagesProcessed", "Sum"),
        ("RezAgent", "MessagesProcessed", "Sum"),
        {0.072, 0.03},
    ),
    (  # p95 < 10 s
        "message-processing-latency",
        ("AWS/Lambda", "Duration", "TC(10000:)"),
        ("AWS/Lambda", "Duration", "SampleCount"),
        {0.72, 0.3},
    ),
    (
        "notification-delivery",
        ("RezAgent", "NotificationsSent", "Sum"),
        ("RezAgent", "NotificationsSent", "Sum"),
        {0.144, 0.06},
    ),
]


@pytest.mark.parametrize(("slo", "bad", "total", "thresholds"), SEED_SLOS)
def test_every_seed_slo_is_a_pair_of_burn_rate_alarms(
    tmp_path: Path,
    slo: str,
    bad: tuple[str, str, str],
    total: tuple[str, str, str],
    thresholds: set[float],
) -> None:
    resources = _render(ROOT / "examples" / "ops" / "rez_agent.yaml", tmp_path)
    children = _slo_children(resources, slo)
    assert len(children) == 4  # a long and a short window for each burn rate
    assert {a["Threshold"] for a in children} == thresholds
    for alarm in children:
        stats = _stats(alarm)
        assert stats["bad"] == bad
        assert stats["total0"] == total
        [ratio] = [q for q in alarm["Metrics"] if q.get("ReturnData")]
        assert ratio["Expression"].startswith("FILL(bad, 0) / (")
    composites = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::CompositeAlarm"
        and r["Properties"]["AlarmName"].startswith(f"rez-agent-prod-slo-{slo}-burn-")
    ]
    assert len(composites) == 2
    assert all(c["AlarmActions"] for c in composites)


def _links(out: Path) -> dict[str, str]:
    """Every alert name -> the runbook URL it shows, from the rendered files."""
    resources = yaml.load((out / "cloudformation.yaml").read_text(), Loader=_CfnLoader)
    links = {}
    for resource in resources["Resources"].values():
        description = resource.get("Properties", {}).get("AlarmDescription", "")
        if "Runbook: " in description:
            links[resource["Properties"]["AlarmName"]] = description.split("Runbook: ")[1]
    rules = out / "prometheus-rules.yaml"
    if rules.exists():
        for group in yaml.safe_load(rules.read_text())["groups"]:
            for rule in group["rules"]:
                links[rule["alert"]] = rule["annotations"]["runbook_url"]
    return links


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_no_alert_links_to_a_missing_runbook_page(path: Path, tmp_path: Path) -> None:
    model = load_model(path)
    render(model, "prod", tmp_path)
    links = _links(tmp_path)
    assert links
    base = model.runbooks.rstrip("/") + "/"
    for alert, url in links.items():
        assert url.startswith(base), url
        page = tmp_path / "runbooks" / url[len(base) :]
        assert page.is_file(), f"{alert} links to {url}, which was not generated"
        text = page.read_text()
        assert f"### {alert} (" in text  # the page names every alert that links to it
        assert "## Investigation: first steps" in text


def test_runbook_page_says_what_the_alarm_watches_with_the_seed_threshold(
    tmp_path: Path,
) -> None:
    render(load_model(ROOT / "examples" / "ops" / "rez_agent.yaml"), "prod", tmp_path)
    dlq = (tmp_path / "runbooks" / "dlq-investigation.md").read_text()
    # Seed 001's alarm 1: DLQ visible messages > 0, Maximum over 1 minute.
    assert "### rez-agent-prod-DLQHasMessages (critical)" in dlq
    assert (
        "Maximum(AWS/SQS ApproximateNumberOfMessagesVisible"
        "{QueueName=rez-agent-message-dlq-prod}) over 60 s, GreaterThan 0" in dlq
    )
    assert "queries/by-correlation-id.insights" in dlq  # the seed's query 1
    assert "https://events.pagerduty.com/" in dlq  # critical alerts' escalation
    latency = (tmp_path / "runbooks" / "slo-api-latency.md").read_text()
    assert "TC(500:)(AWS/ApiGateway Latency{ApiName=rez-agent-prod})" in latency
    assert re.search(r"api-latency-p99-burn-14\.4x \(critical\)", latency)


def _latency_model(slo: dict[str, Any]) -> dict[str, Any]:
    return {
        "service": "svc",
        "workload": "job_pipeline",
        "namespace": "Svc",
        "runbooks": "https://example.com/rb/",
        "retention": {},
        "resources": {"jobs": ["j"]},
        "slos": [{"name": "lat", "objective": 95, "runbook": "lat.md", **slo}],
    }


def test_a_latency_slo_on_the_services_own_emf_metric_is_refused() -> None:
    with pytest.raises(ModelError, match=r"slos\[0\]\.latency: needs an AWS metric"):
        parse_model(_latency_model({"latency": {"metric": "JobDuration"}, "threshold": 5}))


def test_a_latency_slo_takes_no_bad_or_total() -> None:
    aws = {"namespace": "AWS/Lambda", "metric": "Duration"}
    with pytest.raises(ModelError, match="derives bad and total"):
        parse_model(_latency_model({"latency": aws, "threshold": 5, "bad": aws}))


@given(st.floats(min_value=0.001, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_the_trimmed_count_bound_is_the_threshold(threshold: float) -> None:
    aws = {"namespace": "AWS/Lambda", "metric": "Duration"}
    model = parse_model(_latency_model({"latency": aws, "threshold": threshold}))
    stat = model.slos[0].bad.stat
    match = re.fullmatch(r"TC\(([0-9.e+-]+):\)", stat)
    assert match, stat
    assert float(match.group(1)) == threshold
    assert "e" not in match.group(1) or not threshold.is_integer()


@given(st.one_of(st.floats(max_value=0), st.text(max_size=5), st.none()))
def test_a_latency_slo_without_a_positive_threshold_is_refused(threshold: object) -> None:
    aws = {"namespace": "AWS/Lambda", "metric": "Duration"}
    with pytest.raises(ModelError, match=r"slos\[0\].*threshold"):
        parse_model(_latency_model({"latency": aws, "threshold": threshold}))


@pytest.mark.parametrize("page", ["../escape.md", "/etc/passwd", "a/../../b.md"])
def test_a_runbook_page_outside_the_runbooks_folder_is_refused(page: str, tmp_path: Path) -> None:
    data = _latency_model(
        {"latency": {"namespace": "AWS/Lambda", "metric": "Duration"}, "threshold": 5}
    )
    data["slos"][0]["runbook"] = page
    with pytest.raises(ModelError, match="a page under runbooks"):
        render(parse_model(data), "prod", tmp_path)
    assert not list(tmp_path.iterdir())  # nothing written


def test_an_absolute_runbook_url_gets_no_stub(tmp_path: Path) -> None:
    data = _latency_model(
        {"latency": {"namespace": "AWS/Lambda", "metric": "Duration"}, "threshold": 5}
    )
    data["slos"][0]["runbook"] = "https://wiki.example.com/lat"
    render(parse_model(data), "prod", tmp_path)
    pages = {p.name for p in (tmp_path / "runbooks").glob("*.md")}
    assert pages == {"job-failures.md"}  # the preset's, not the SLO's external page
    assert (tmp_path / "runbooks" / "job-failures.md").read_text().startswith("# Job failures\n")
