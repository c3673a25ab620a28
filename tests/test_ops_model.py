"""The ops model: every mistake is a ModelError naming the field, never a crash."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otelkit.ops import ModelError, parse_model
from otelkit.ops._cloudformation import render_template

BASE: dict[str, Any] = {
    "service": "svc",
    "workload": "job_pipeline",
    "namespace": "Svc",
    "runbooks": "https://example.com/runbooks",
    "retention": {"prod": 30},
    "log_groups": ["/ecs/svc-{stage}"],
    "resources": {"jobs": ["work"]},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"workload": "mainframe"}, "workload: 'mainframe' is not one of"),
        ({"retention": {"prod": 31}}, "retention.prod: CloudWatch Logs does not offer 31 days"),
        ({"resources": {}}, "resources: a job_pipeline model names jobs"),
        ({"thresholds": {"CpuHgh": 1}}, "thresholds: unknown preset 'CpuHgh'"),
        (
            {
                "alarms": [
                    {
                        "name": "a",
                        "metric": "M",
                        "stat": "p99",
                        "threshold": 1,
                        "description": "d",
                        "runbook": "r",
                    }
                ]
            },
            "alarms[0].stat: p99 of a metric the service emits as EMF cannot be computed",
        ),
        (
            {
                "alarms": [
                    {
                        "name": "a",
                        "metric": "M",
                        "threshold": 1,
                        "description": "d",
                        "runbook": "r",
                        "period": 90,
                    }
                ]
            },
            "alarms[0].period: CloudWatch periods",
        ),
        ({"widgets": [{"title": "t", "query": "nope"}]}, "shows query 'nope'"),
        ({"servce": "typo"}, "model: unknown field 'servce'"),
        (
            {"queries": [{"name": "Bad Name", "description": "d", "insights": "x"}]},
            "queries[0].name: 'Bad Name' must be lowercase",
        ),
    ],
)
def test_mistakes_name_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ModelError) as info:
        _render({**BASE, **change})
    assert message in str(info.value)


def _render(data: dict[str, Any]) -> None:
    render_template(parse_model(data), "prod")


def test_a_stage_without_retention_is_named() -> None:
    with pytest.raises(ModelError, match="no entry for stage 'qa'"):
        render_template(parse_model(BASE), "qa")


def test_a_minimal_job_pipeline_gets_its_preset_alarms() -> None:
    template = render_template(parse_model(BASE), "prod").to_dict()
    alarms = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    assert {a["AlarmName"] for a in alarms} == {"svc-prod-JobFailures-work", "svc-prod-ErrorSpike"}
    [failures] = [a for a in alarms if a["AlarmName"].endswith("JobFailures-work")]
    assert {(d["Name"], d["Value"]) for d in failures["Dimensions"]} == {
        ("job_name", "work"),
        ("outcome", "error"),
        ("service", "svc"),
    }


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            [*BASE, "alarms", "slos", "widgets", "queries", "notify", "thresholds", "archive"]
        ),
        _json,
    )
)
def test_any_input_is_a_model_or_a_model_error(overrides: dict[str, Any]) -> None:
    errors: list[str] = []
    try:
        model = parse_model({**BASE, **overrides})
    except ModelError as error:
        errors.append(str(error))
    if errors:
        assert errors[0].strip(), "a model error says what is wrong"
        return
    try:
        template = render_template(model, "prod").to_dict()
    except ModelError as error:  # a model without the stage: said, for that stage
        refused = str(error)
    else:
        assert template["Resources"]
        json.dumps(template)  # a template CloudFormation can be handed
        return
    assert "'prod'" in refused
