"""Deployment artifacts of the gateway tier: Kubernetes manifests, ECS and Cloud Map inputs.

The agents find the gateways by DNS: on Kubernetes a headless Service (one A record per
ready gateway pod), on ECS a Cloud Map service (one A record per healthy task). The
Service and Cloud Map names are derived from the model's ``dns_name``, so the name the
agents resolve is the name these files create. Account IDs, subnets and security groups
are placeholders, as in the sidecar artifacts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from otelkit.collector._deploy import (
    ACCOUNT,
    COLLECTOR,
    EXAMPLE_REGION,
    ecs_health_check,
    ecs_task_definition,
    to_json,
)
from otelkit.collector._gateway import (
    DNS_NAMES,
    GATEWAY_PORT,
    GatewayModel,
    GatewayTarget,
    agent_text,
    gateway_model_for,
    gateway_text,
)
from otelkit.collector._model import ADOT_IMAGE, CollectorModel
from otelkit.collector._render import GENERATED, Flow, Literal, dump_yaml

NAME = "otelkit-gateway"
HEALTH_PORT = 13133
#: Seconds a stopping gateway keeps serving while the agents' resolver (5 s interval)
#: and DNS caches (10 s TTL on Cloud Map) stop sending to it.
DRAIN_S = 15
#: Seconds it then has to decide the traces it holds and export them.
STOP_TIMEOUT_S = 60


def kubernetes_names(model: GatewayModel) -> tuple[str, str]:
    """(Service, namespace) of ``<service>.<namespace>.svc.cluster.local``."""
    service, namespace = model.dns_name.split(".")[:2]
    return service, namespace


def cloud_map_names(model: GatewayModel) -> tuple[str, str]:
    """(service, private DNS namespace) of ``<service>.<namespace>``."""
    service, _, namespace = model.dns_name.partition(".")
    return service, namespace


def eks_gateway_manifest(model: GatewayModel) -> str:
    """Namespace, ServiceAccount, ConfigMap, headless Service, Deployment and PDB."""
    service, namespace = kubernetes_names(model)
    meta = {"namespace": namespace}
    container = {
        "name": COLLECTOR,
        "image": ADOT_IMAGE,
        "args": Flow(["--config=/etc/otelkit/config.yaml"]),
        "env": [{"name": "AWS_REGION", "value": EXAMPLE_REGION}],
        "ports": [
            {"name": "otlp-grpc", "containerPort": GATEWAY_PORT},
            {"name": "health", "containerPort": HEALTH_PORT},
        ],
        "resources": {
            "requests": {"cpu": "1", "memory": "2Gi"},
            "limits": {"memory": "2Gi"},
        },
        # Only ready pods are in the headless Service's answer, so a starting gateway
        # gets traces once it can take them.
        "readinessProbe": _health_probe(),
        "livenessProbe": _health_probe(),
        # Stay in service while the agents re-resolve (Kubernetes 1.30+ sleep action).
        "lifecycle": {"preStop": {"sleep": {"seconds": DRAIN_S}}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/otelkit"}],
    }
    documents: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": NAME,
                **meta,
                "annotations": {
                    "eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNT}:role/otelkit-collector"
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{NAME}-config", **meta},
            "data": {"config.yaml": Literal(gateway_text(model))},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": service, **meta},
            "spec": {
                # Headless: DNS answers with every ready pod's IP, which is what the
                # agents' loadbalancing resolver needs (a ClusterIP would be one address).
                "clusterIP": "None",
                "selector": _labels(),
                "ports": [{"name": "otlp-grpc", "port": GATEWAY_PORT, "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": NAME, **meta, "labels": _labels()},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": _labels()},
                "template": {
                    "metadata": {"labels": _labels()},
                    "spec": {
                        "serviceAccountName": NAME,
                        "terminationGracePeriodSeconds": DRAIN_S + STOP_TIMEOUT_S,
                        "topologySpreadConstraints": [
                            {
                                "maxSkew": 1,
                                "topologyKey": "topology.kubernetes.io/zone",
                                "whenUnsatisfiable": "ScheduleAnyway",
                                "labelSelector": {"matchLabels": _labels()},
                            }
                        ],
                        "containers": [container],
                        "volumes": [{"name": "config", "configMap": {"name": f"{NAME}-config"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": NAME, **meta},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _labels()}},
        },
    ]
    return GENERATED + dump_yaml(*documents)


def _labels() -> dict[str, str]:
    # A fresh mapping each time: a shared one would be written as YAML anchors.
    return {"app.kubernetes.io/name": NAME}


def _health_probe() -> dict[str, Any]:
    return {"httpGet": {"path": "/", "port": HEALTH_PORT}, "periodSeconds": 10}


def eks_agent_configmap(model: GatewayModel) -> str:
    """The sidecar's ConfigMap (``eks/sidecar.yaml``) holding the agent config instead."""
    document = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "otelkit-collector-config"},
        "data": {"config.yaml": Literal(agent_text(model))},
    }
    return GENERATED + dump_yaml(document)


def ecs_agent_task_definition(model: GatewayModel) -> dict[str, Any]:
    """The sidecar task definition (``ecs/task-definition.json``) running the agent config."""
    task = copy.deepcopy(ecs_task_definition(model.sidecar))
    for container in task["containerDefinitions"]:
        for variable in container.get("environment", []):
            if variable["name"] == "AOT_CONFIG_CONTENT":
                variable["value"] = agent_text(model)
    return task


def ecs_gateway_task_definition(model: GatewayModel) -> dict[str, Any]:
    """RegisterTaskDefinition input for one gateway task."""
    return {
        "family": NAME,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE", "EC2"],
        "cpu": "1024",
        "memory": "2048",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/otelkit-task-execution",
        "taskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/otelkit-collector",
        "containerDefinitions": [
            {
                "name": COLLECTOR,
                "image": ADOT_IMAGE,
                "essential": True,
                "portMappings": [{"containerPort": GATEWAY_PORT, "protocol": "tcp"}],
                "environment": [
                    {"name": "AOT_CONFIG_CONTENT", "value": gateway_text(model)},
                    {"name": "AWS_REGION", "value": EXAMPLE_REGION},
                ],
                # Cloud Map follows this health: an unhealthy task leaves the DNS answer.
                "healthCheck": ecs_health_check(),
                # Time to decide and export the traces it holds after SIGTERM.
                "stopTimeout": STOP_TIMEOUT_S,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": f"/ecs/{NAME}",
                        "awslogs-region": EXAMPLE_REGION,
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
    }


def cloud_map_service(model: GatewayModel) -> dict[str, Any]:
    """``aws servicediscovery create-service`` input: the name the agents resolve."""
    service, namespace = cloud_map_names(model)
    return {
        "Name": service,
        "NamespaceId": "ns-EXAMPLE",
        "Description": f"{NAME} tasks; the agents resolve {service}.{namespace}",
        "DnsConfig": {
            # One A record per healthy task (at most 8 per answer: see the docs).
            "RoutingPolicy": "MULTIVALUE",
            "DnsRecords": [{"Type": "A", "TTL": 10}],
        },
        "HealthCheckCustomConfig": {"FailureThreshold": 1},
    }


def ecs_gateway_service(model: GatewayModel) -> dict[str, Any]:
    """``aws ecs create-service`` input: two gateway tasks registered in Cloud Map."""
    del model  # the service's shape does not depend on the model
    return {
        "cluster": "otelkit",
        "serviceName": NAME,
        "taskDefinition": NAME,
        "desiredCount": 2,
        "launchType": "FARGATE",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-EXAMPLE1", "subnet-EXAMPLE2"],
                "securityGroups": ["sg-EXAMPLE-gateway"],
                "assignPublicIp": "DISABLED",
            }
        },
        "serviceRegistries": [
            {
                "registryArn": (
                    f"arn:aws:servicediscovery:{EXAMPLE_REGION}:{ACCOUNT}:service/srv-EXAMPLE"
                )
            }
        ],
        # A rollout starts new gateways before stopping old ones.
        "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 200},
    }


GatewayRenderer = Callable[[GatewayModel], str]

#: Which files each target's gateway tier renders to, relative to ``collector/``.
FILES: dict[GatewayTarget, dict[str, GatewayRenderer]] = {
    "ecs": {
        "gateway/ecs/agent-config.yaml": agent_text,
        "gateway/ecs/gateway-config.yaml": gateway_text,
        "gateway/ecs/agent-task-definition.json": lambda m: to_json(ecs_agent_task_definition(m)),
        "gateway/ecs/gateway-task-definition.json": lambda m: to_json(
            ecs_gateway_task_definition(m)
        ),
        "gateway/ecs/gateway-service.json": lambda m: to_json(ecs_gateway_service(m)),
        "gateway/ecs/cloud-map-service.json": lambda m: to_json(cloud_map_service(m)),
    },
    "eks": {
        "gateway/eks/agent-config.yaml": agent_text,
        "gateway/eks/gateway-config.yaml": gateway_text,
        "gateway/eks/agent-configmap.yaml": eks_agent_configmap,
        "gateway/eks/gateway.yaml": eks_gateway_manifest,
    },
}


def gateway_files(sidecar: CollectorModel, **overrides: object) -> dict[str, str]:
    """Relative path -> content of the gateway tier built on ``sidecar`` (ECS or EKS),
    with ``overrides`` of the :class:`GatewayModel` defaults; empty for other targets."""
    target = sidecar.target
    if target not in DNS_NAMES:
        return {}
    model = gateway_model_for(target, sidecar=sidecar, **overrides)
    return {path: render(model) for path, render in FILES[target].items()}
