"""The gateway tier's deployment files: valid AWS requests and Kubernetes objects whose names
are the names the agents resolve, embedding exactly the shipped configs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.validate import validate_parameters

from otelkit.collector import GatewayModel, model_for
from otelkit.collector._cli import main
from tests.support.collector import SHIPPED

ECS = SHIPPED / "gateway" / "ecs"
EKS = SHIPPED / "gateway" / "eks"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def valid_request(service: str, operation: str, params: dict[str, Any]) -> None:
    """Validate against the input shape botocore ships for ``service``'s ``operation``."""
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    assert shape is not None
    validate_parameters(params, shape)


def resolver(agent_config: Path) -> dict[str, Any]:
    config = load_yaml(agent_config)
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["loadbalancing"]
    exporter = config["exporters"]["loadbalancing"]
    assert exporter["routing_key"] == "traceID"
    return dict(exporter["resolver"]["dns"])


def receiver_port(gateway_config: Path) -> int:
    endpoint = load_yaml(gateway_config)["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    return int(endpoint.rsplit(":", 1)[1])


def environment(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container["environment"]}


@pytest.mark.parametrize(
    ("operation", "service", "relative"),
    [
        ("RegisterTaskDefinition", "ecs", "gateway-task-definition.json"),
        ("RegisterTaskDefinition", "ecs", "agent-task-definition.json"),
        ("CreateService", "ecs", "gateway-service.json"),
        ("CreateService", "servicediscovery", "cloud-map-service.json"),
    ],
)
def test_ecs_files_are_valid_requests(operation: str, service: str, relative: str) -> None:
    valid_request(service, operation, load_json(ECS / relative))


def test_ecs_agents_resolve_the_cloud_map_name_on_the_gateways_port() -> None:
    dns = resolver(ECS / "agent-config.yaml")
    cloud_map = load_json(ECS / "cloud-map-service.json")
    assert dns["hostname"].split(".")[0] == cloud_map["Name"]
    assert dns["hostname"] in cloud_map["Description"]
    assert cloud_map["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 10}]
    (gateway,) = load_json(ECS / "gateway-task-definition.json")["containerDefinitions"]
    port = gateway["portMappings"][0]["containerPort"]
    assert int(dns["port"]) == port == receiver_port(ECS / "gateway-config.yaml")


def test_ecs_tasks_embed_the_shipped_configs() -> None:
    (gateway,) = load_json(ECS / "gateway-task-definition.json")["containerDefinitions"]
    assert environment(gateway)["AOT_CONFIG_CONTENT"] == (ECS / "gateway-config.yaml").read_text()
    # the stop timeout gives the tail sampler time to decide what it holds
    assert gateway["stopTimeout"] >= 30
    _app, agent = load_json(ECS / "agent-task-definition.json")["containerDefinitions"]
    assert environment(agent)["AOT_CONFIG_CONTENT"] == (ECS / "agent-config.yaml").read_text()


def eks_objects() -> dict[str, dict[str, Any]]:
    documents = yaml.safe_load_all((EKS / "gateway.yaml").read_text(encoding="utf-8"))
    return {doc["kind"]: doc for doc in documents}


def test_eks_agents_resolve_the_headless_service() -> None:
    objects = eks_objects()
    service = objects["Service"]
    assert service["spec"]["clusterIP"] == "None"  # one A record per ready pod
    meta = service["metadata"]
    dns = resolver(EKS / "agent-config.yaml")
    assert dns["hostname"] == f"{meta['name']}.{meta['namespace']}.svc.cluster.local"
    (port,) = service["spec"]["ports"]
    assert int(dns["port"]) == port["port"] == receiver_port(EKS / "gateway-config.yaml")
    pod = objects["Deployment"]["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert objects["Namespace"]["metadata"]["name"] == meta["namespace"]


def test_eks_gateway_pods_run_the_shipped_config_and_drain() -> None:
    objects = eks_objects()
    config_text = objects["ConfigMap"]["data"]["config.yaml"]
    assert config_text == (EKS / "gateway-config.yaml").read_text()
    spec = objects["Deployment"]["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    health = yaml.safe_load(config_text)["extensions"]["health_check"]["endpoint"]
    assert container["readinessProbe"]["httpGet"]["port"] == int(health.rsplit(":", 1)[1])
    drain = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert spec["terminationGracePeriodSeconds"] >= drain + 30
    assert objects["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1


def test_eks_agent_configmap_replaces_the_sidecars() -> None:
    agent = load_yaml(EKS / "agent-configmap.yaml")
    sidecar = {
        doc["kind"]: doc
        for doc in yaml.safe_load_all((SHIPPED / "eks" / "sidecar.yaml").read_text())
    }
    assert agent["metadata"]["name"] == sidecar["ConfigMap"]["metadata"]["name"]
    assert agent["data"]["config.yaml"] == (EKS / "agent-config.yaml").read_text()


def test_render_gateway_writes_the_tier_for_one_target(tmp_path: Path) -> None:
    assert main(["render", "--target", "eks", "--gateway", "--out", str(tmp_path)]) == 0
    written = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert {"gateway/eks/agent-config.yaml", "gateway/eks/gateway.yaml"} <= written
    assert not any(path.startswith("gateway/ecs") for path in written)


def test_render_gateway_takes_the_sampling_settings(tmp_path: Path) -> None:
    argv = ["render", "--target", "ecs", "--gateway", "--out", str(tmp_path)]
    settings = ["--sampling-percentage", "2.5", "--slow-threshold-ms", "1500"]
    assert main([*argv, *settings]) == 0
    text = (tmp_path / "gateway" / "ecs" / "gateway-config.yaml").read_text()
    policies = yaml.safe_load(text)["processors"]["tail_sampling"]["policies"]
    by_name = {p["name"]: p for p in policies}
    assert by_name["share-of-the-rest"]["probabilistic"] == {"sampling_percentage": 2.5}
    assert by_name["slow"]["latency"] == {"threshold_ms": 1500}


def test_render_gateway_refuses_an_impossible_share(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["render", "--target", "eks", "--gateway", "--out", str(tmp_path)]
    assert main([*argv, "--sampling-percentage", "0"]) == 2
    assert "sampling_percentage must be in (0, 100]" in capsys.readouterr().err
    assert not (tmp_path / "gateway").exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"sidecar": model_for("lambda")},
        {"sampling_percentage": 0.0},
        {"sampling_percentage": 150.0},
        {"slow_threshold_ms": 0},
    ],
)
def test_gateway_model_refuses_what_cannot_work(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message names each problem
        GatewayModel(**overrides)
