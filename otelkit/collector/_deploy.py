"""Deployment artifacts around the sidecar: ECS task definition, EKS pod, IAM policy.

They are rendered from the same model as the configs, so the config the task definition
embeds is byte for byte ``collector/ecs/config.yaml`` and the policy grants exactly the
log groups the exporters write to. Account IDs, images and role names are placeholders
to replace (they are the only values not derived from the model).
"""

from __future__ import annotations

import json
from typing import Any

from otelkit.collector._model import ADOT_IMAGE, CollectorModel
from otelkit.collector._render import GENERATED, Flow, Literal, dump_yaml, render_text

ACCOUNT = "123456789012"
EXAMPLE_REGION = "us-east-1"
EXAMPLE_LOKI_URL = "https://loki.example.internal"
COLLECTOR = "aws-otel-collector"
#: The app's OTLP exporter target: the sidecar on the shared loopback (HTTP/protobuf).
APP_OTLP_ENDPOINT = "http://127.0.0.1:4318"
#: awsemf turns cumulative sums into deltas and drops each series' first point, so a
#: count made once in a process never reaches CloudWatch; delta export avoids that.
APP_METRICS_TEMPORALITY = {
    "name": "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
    "value": "delta",
}


#: The collector container's memory, MiB (ECS task and Kubernetes limit alike).
COLLECTOR_MIB = 512
#: Go's soft memory limit for the collector, 80 % of its container: the runtime collects
#: harder as the heap nears it, so a burst the memory limiter is still refusing does not
#: carry the process past the container's limit (tests/collector/test_collector_faults.py).
GOMEMLIMIT = {"name": "GOMEMLIMIT", "value": f"{COLLECTOR_MIB * 8 // 10}MiB"}


def ecs_health_check() -> dict[str, Any]:
    """The collector container's ECS health check: the ADOT image's own ``/healthcheck``.
    A new dict per task definition, so editing one never changes another."""
    return {
        "command": ["CMD", "/healthcheck"],
        "interval": 10,
        "timeout": 5,
        "retries": 3,
        "startPeriod": 10,
    }


def ecs_task_definition(model: CollectorModel) -> dict[str, Any]:
    """RegisterTaskDefinition input: the app plus the collector sidecar.

    The app starts only once the collector reports healthy, so no start-up span is
    lost. The collector is not essential: if it dies the app keeps serving (telemetry
    never breaks the host program) and ECS restarts the collector in place.
    """
    awslogs = {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/ecs/otelkit-app",
            "awslogs-region": EXAMPLE_REGION,
            "awslogs-stream-prefix": "ecs",
        },
    }
    return {
        "family": "otelkit-app",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE", "EC2"],
        "cpu": "512",
        "memory": "1024",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/otelkit-task-execution",
        "taskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/otelkit-collector",
        "containerDefinitions": [
            {
                "name": "app",
                "image": f"{ACCOUNT}.dkr.ecr.{EXAMPLE_REGION}.amazonaws.com/otelkit-app:latest",
                "essential": True,
                "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                "environment": [
                    {"name": "OTEL_SERVICE_NAME", "value": "otelkit-app"},
                    {"name": "DEPLOYMENT_ENV", "value": "prod"},
                    {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": APP_OTLP_ENDPOINT},
                    APP_METRICS_TEMPORALITY,
                ],
                "dependsOn": [{"containerName": COLLECTOR, "condition": "HEALTHY"}],
                "logConfiguration": awslogs,
            },
            {
                "name": COLLECTOR,
                "image": ADOT_IMAGE,
                "essential": False,
                "memory": COLLECTOR_MIB,
                "restartPolicy": {"enabled": True, "restartAttemptPeriod": 60},
                "environment": [
                    {"name": "AOT_CONFIG_CONTENT", "value": render_text(model)},
                    {"name": "AWS_REGION", "value": EXAMPLE_REGION},
                    {"name": "LOKI_URL", "value": EXAMPLE_LOKI_URL},
                    GOMEMLIMIT,
                ],
                "healthCheck": ecs_health_check(),
                "logConfiguration": awslogs,
            },
        ],
    }


#: X-Ray write actions by path: the awsxray exporter uploads segment documents; the
#: OTLP endpoint takes spans (PutSpans) and indexes a share of them for Transaction
#: Search (PutSpansForIndexing).
_XRAY_WRITE = {
    False: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
    True: ["xray:PutSpans", "xray:PutSpansForIndexing"],
}


def iam_policy(model: CollectorModel) -> dict[str, Any]:
    """Least-privilege policy for the collector's role (ECS task role or EKS IRSA role).

    X-Ray write and sampling calls have no resource-level permissions, so they take
    ``*``; every CloudWatch Logs action is scoped to the log groups the model names
    (the CloudWatch Logs OTLP endpoint is authorised as ``logs:PutLogEvents`` on the
    stream it writes to, like the classic exporter).
    """
    groups = [f"arn:aws:logs:*:*:log-group:{name}" for name in model.log_groups()]
    streams = [f"{arn}:log-stream:*" for arn in groups]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "XRayWrite",
                "Effect": "Allow",
                "Action": _XRAY_WRITE[model.aws_otlp_endpoints],
                "Resource": "*",
            },
            {
                "Sid": "XRaySampling",
                "Effect": "Allow",
                "Action": [
                    "xray:GetSamplingRules",
                    "xray:GetSamplingStatisticSummaries",
                    "xray:GetSamplingTargets",
                ],
                "Resource": "*",
            },
            {
                "Sid": "OwnLogGroups",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
                "Resource": [f"{arn}:*" for arn in groups],
            },
            {
                "Sid": "OwnLogStreams",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": streams,
            },
        ],
    }


def eks_manifest(model: CollectorModel) -> str:
    """ServiceAccount, ConfigMap and Deployment running the collector as a pod sidecar.

    The collector is a native sidecar (an init container with ``restartPolicy: Always``,
    Kubernetes 1.29+): it starts, and passes its startup probe, before the app container
    starts, and stops after it. Probes exec the image's ``/healthcheck`` because the
    health endpoint listens on the pod's loopback, out of the kubelet's reach.
    """
    labels = {"app.kubernetes.io/name": "otelkit-app"}
    probe = {"exec": {"command": Flow(["/healthcheck"])}, "periodSeconds": 10}
    collector = {
        "name": COLLECTOR,
        "image": ADOT_IMAGE,
        "restartPolicy": "Always",
        "args": Flow(["--config=/etc/otelkit/config.yaml"]),
        "env": [
            {"name": "AWS_REGION", "value": EXAMPLE_REGION},
            {"name": "LOKI_URL", "value": EXAMPLE_LOKI_URL},
            GOMEMLIMIT,
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": f"{COLLECTOR_MIB}Mi"},
        },
        "startupProbe": {**probe, "periodSeconds": 2, "failureThreshold": 30},
        "livenessProbe": probe,
        "volumeMounts": [{"name": "collector-config", "mountPath": "/etc/otelkit"}],
    }
    app = {
        "name": "app",
        "image": f"{ACCOUNT}.dkr.ecr.{EXAMPLE_REGION}.amazonaws.com/otelkit-app:latest",
        "ports": [{"containerPort": 8080}],
        "env": [
            {"name": "OTEL_SERVICE_NAME", "value": "otelkit-app"},
            {"name": "DEPLOYMENT_ENV", "value": "prod"},
            {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": APP_OTLP_ENDPOINT},
            APP_METRICS_TEMPORALITY,
        ],
    }
    documents = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": "otelkit-app",
                "annotations": {
                    "eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNT}:role/otelkit-collector"
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "otelkit-collector-config"},
            "data": {"config.yaml": Literal(render_text(model))},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "otelkit-app", "labels": labels},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "otelkit-app",
                        "initContainers": [collector],
                        "containers": [app],
                        "volumes": [
                            {
                                "name": "collector-config",
                                "configMap": {"name": "otelkit-collector-config"},
                            }
                        ],
                    },
                },
            },
        },
    ]
    return GENERATED + dump_yaml(*documents)


def to_json(data: dict[str, Any]) -> str:
    """JSON as written to disk: stable, indented, newline-terminated."""
    return json.dumps(data, indent=2) + "\n"
