"""Deployment artifacts, checked with AWS's own request model and an IAM policy linter."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

from otelkit.collector import model_for
from tests.support.collector import SHIPPED


def load_json(relative: str) -> Any:
    return json.loads((SHIPPED / relative).read_text())


def register_task_definition(params: dict[str, Any]) -> None:
    """Validate against the ECS RegisterTaskDefinition input shape botocore ships."""
    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    assert shape is not None
    validate_parameters(params, shape)


def test_task_definition_is_a_valid_register_request() -> None:
    register_task_definition(load_json("ecs/task-definition.json"))


def test_botocore_validation_catches_a_wrong_shape() -> None:
    task = load_json("ecs/task-definition.json")
    task["containerDefinitions"][1]["healthCheck"]["command"] = "/healthcheck"
    task["containerDefinitions"][0]["dependsOn"][0]["condtion"] = "HEALTHY"
    with pytest.raises(ParamValidationError) as excinfo:
        register_task_definition(task)
    assert "healthCheck.command" in str(excinfo.value)
    assert "condtion" in str(excinfo.value)


def test_app_waits_for_a_healthy_collector_that_embeds_the_shipped_config() -> None:
    app, collector = load_json("ecs/task-definition.json")["containerDefinitions"]
    assert app["dependsOn"] == [{"containerName": collector["name"], "condition": "HEALTHY"}]
    assert collector["healthCheck"]["command"] == ["CMD", "/healthcheck"]
    assert collector["image"].endswith(":v0.49.0")
    env = {item["name"]: item["value"] for item in collector["environment"]}
    assert env["AOT_CONFIG_CONTENT"] == (SHIPPED / "ecs" / "config.yaml").read_text()
    app_env = {item["name"]: item["value"] for item in app["environment"]}
    assert app_env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318"


def test_policy_scopes_logs_to_the_groups_the_config_writes() -> None:
    config = yaml.safe_load((SHIPPED / "ecs" / "config.yaml").read_text())
    policy = load_json("iam/collector-policy.json")
    log_resources = [
        resource
        for statement in policy["Statement"]
        if any(action.startswith("logs:") for action in statement["Action"])
        for resource in statement["Resource"]
    ]
    group = config["exporters"]["awsemf"]["log_group_name"]
    assert log_resources
    assert all(f":log-group:{group}:" in resource for resource in log_resources)
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"xray:PutTraceSegments", "xray:GetSamplingRules", "logs:PutLogEvents"} <= actions
    assert not any(a.endswith("*") for a in actions)


def test_policy_covers_the_cloudwatch_logs_group_when_enabled() -> None:
    from otelkit.collector._deploy import iam_policy

    policy = iam_policy(model_for("ecs", cloudwatch_logs=True))
    streams = policy["Statement"][3]["Resource"]
    assert "arn:aws:logs:*:*:log-group:/otelkit/logs:log-stream:*" in streams


def test_parliament_finds_nothing_in_the_policy() -> None:
    parliament = pytest.importorskip("parliament")
    text = (SHIPPED / "iam" / "collector-policy.json").read_text()
    findings = parliament.analyze_policy_string(text).findings
    assert [(f.issue, f.detail) for f in findings] == []


def test_parliament_flags_a_broken_policy() -> None:
    parliament = pytest.importorskip("parliament")
    policy = load_json("iam/collector-policy.json")
    policy["Statement"][3]["Action"].append("logs:PutLogEvent")
    policy["Statement"][0]["Resource"] = "arn:aws:s3:::bucket"
    issues = {f.issue for f in parliament.analyze_policy_string(json.dumps(policy)).findings}
    assert {"UNKNOWN_ACTION", "RESOURCE_MISMATCH"} <= issues


def test_eks_manifest_runs_the_shipped_config_as_a_native_sidecar() -> None:
    docs = list(yaml.safe_load_all((SHIPPED / "eks" / "sidecar.yaml").read_text()))
    kinds = [doc["kind"] for doc in docs]
    assert kinds == ["ServiceAccount", "ConfigMap", "Deployment"]
    config_map, deployment = docs[1], docs[2]
    assert config_map["data"]["config.yaml"] == (SHIPPED / "eks" / "config.yaml").read_text()
    pod = deployment["spec"]["template"]["spec"]
    [collector] = pod["initContainers"]
    assert collector["restartPolicy"] == "Always"
    assert collector["startupProbe"]["exec"]["command"] == ["/healthcheck"]
    assert pod["serviceAccountName"] == docs[0]["metadata"]["name"]
    assert "eks.amazonaws.com/role-arn" in docs[0]["metadata"]["annotations"]


def test_local_stack_publishes_on_loopback_only() -> None:
    compose = yaml.safe_load((SHIPPED / "local" / "docker-compose.yaml").read_text())
    assert set(compose["services"]) == {"collector", "loki", "jaeger", "grafana"}
    for service in compose["services"].values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:")
    assert compose["services"]["collector"]["healthcheck"]["test"] == ["CMD", "/healthcheck"]


def test_local_loki_indexes_only_service_and_environment() -> None:
    loki = yaml.safe_load((SHIPPED / "local" / "loki.yaml").read_text())
    otlp = loki["limits_config"]["otlp_config"]["resource_attributes"]
    assert otlp["ignore_defaults"] is True
    [rule] = otlp["attributes_config"]
    assert rule["action"] == "index_label"
    assert set(rule["attributes"]) == {
        "service.name",
        "deployment.environment",
        "deployment.environment.name",
    }
    assert "log_attributes" not in loki["limits_config"]["otlp_config"]


def test_grafana_provisions_loki_and_jaeger() -> None:
    path = SHIPPED / "local" / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
    sources = yaml.safe_load(path.read_text())["datasources"]
    assert {s["type"] for s in sources} == {"loki", "jaeger"}
    local = yaml.safe_load((SHIPPED / "local" / "config.yaml").read_text())
    assert local["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    assert local["exporters"]["otlphttp/loki"]["endpoint"] == "http://loki:3100/otlp"
