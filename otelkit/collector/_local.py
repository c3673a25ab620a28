"""The local development stack: collector, Loki, Jaeger and Grafana in one compose file.

Loki's config is rendered from the model too, because it decides which resource
attributes become index labels: only service and environment, so IDs stay structured
metadata (searchable, but not one stream per job).
"""

from __future__ import annotations

from typing import Any

from otelkit.collector._model import ADOT_IMAGE, CollectorModel
from otelkit.collector._render import GENERATED, Flow, dump_yaml

LOKI_IMAGE = "grafana/loki:3.4.2"
JAEGER_IMAGE = "jaegertracing/all-in-one:1.62.0"
GRAFANA_IMAGE = "grafana/grafana:11.5.2"


def _loopback(*ports: int) -> Flow:
    # Published on the host's loopback only: nothing here is meant for the network.
    return Flow([f"127.0.0.1:{port}:{port}" for port in ports])


def compose(model: CollectorModel) -> str:
    """docker-compose.yaml for the stack."""
    del model  # the stack's shape does not depend on the model, only its configs do
    services: dict[str, Any] = {
        "collector": {
            "image": ADOT_IMAGE,
            "command": Flow(["--config=/etc/otelkit/config.yaml"]),
            "volumes": ["./config.yaml:/etc/otelkit/config.yaml:ro"],
            "ports": _loopback(4317, 4318),
            "healthcheck": {
                "test": Flow(["CMD", "/healthcheck"]),
                "interval": "5s",
                "timeout": "3s",
                "retries": 5,
                "start_period": "5s",
            },
            "depends_on": Flow(["loki", "jaeger"]),
        },
        "loki": {
            "image": LOKI_IMAGE,
            "command": Flow(["-config.file=/etc/loki/loki.yaml"]),
            "volumes": ["./loki.yaml:/etc/loki/loki.yaml:ro"],
            "ports": _loopback(3100),
        },
        "jaeger": {
            "image": JAEGER_IMAGE,
            "environment": {"COLLECTOR_OTLP_ENABLED": "true"},
            "ports": _loopback(16686),
        },
        "grafana": {
            "image": GRAFANA_IMAGE,
            "environment": {
                "GF_AUTH_ANONYMOUS_ENABLED": "true",
                "GF_AUTH_ANONYMOUS_ORG_ROLE": "Admin",
                "GF_AUTH_DISABLE_LOGIN_FORM": "true",
            },
            "volumes": ["./grafana/provisioning:/etc/grafana/provisioning:ro"],
            "ports": _loopback(3000),
            "depends_on": Flow(["loki", "jaeger"]),
        },
    }
    return GENERATED + dump_yaml({"name": "otelkit-local", "services": services})


def loki_config(model: CollectorModel) -> str:
    """Single-process Loki with OTLP labels limited to service and environment."""
    # Both spellings of the environment attribute: semantic conventions renamed it
    # to deployment.environment.name, and a resource carries only one of them.
    labels = [model.service_attribute, model.environment_attribute]
    if model.environment_attribute == "deployment.environment":
        labels.append("deployment.environment.name")
    config = {
        "auth_enabled": False,
        "server": {"http_listen_port": 3100},
        "common": {
            "path_prefix": "/loki",
            "replication_factor": 1,
            "ring": {"instance_addr": "127.0.0.1", "kvstore": {"store": "inmemory"}},
            "storage": {
                "filesystem": {
                    "chunks_directory": "/loki/chunks",
                    "rules_directory": "/loki/rules",
                }
            },
        },
        "schema_config": {
            "configs": [
                {
                    "from": "2024-01-01",
                    "store": "tsdb",
                    "object_store": "filesystem",
                    "schema": "v13",
                    "index": {"prefix": "index_", "period": "24h"},
                }
            ]
        },
        "limits_config": {
            "allow_structured_metadata": True,
            "otlp_config": {
                "resource_attributes": {
                    "ignore_defaults": True,
                    "attributes_config": [{"action": "index_label", "attributes": Flow(labels)}],
                }
            },
        },
    }
    return GENERATED + dump_yaml(config)


def grafana_datasources(model: CollectorModel) -> str:
    """Grafana provisioning: Loki (default) and Jaeger, with log -> trace links."""
    del model
    datasources = [
        {
            "name": "Loki",
            "type": "loki",
            "uid": "loki",
            "access": "proxy",
            "url": "http://loki:3100",
            "isDefault": True,
            "jsonData": {
                "derivedFields": [
                    {
                        "name": "trace_id",
                        "matcherType": "label",
                        "matcherRegex": "trace_id",
                        "datasourceUid": "jaeger",
                        # "$$" keeps Grafana's provisioning from expanding it as an env var.
                        "url": "$${__value.raw}",
                    }
                ]
            },
        },
        {
            "name": "Jaeger",
            "type": "jaeger",
            "uid": "jaeger",
            "access": "proxy",
            "url": "http://jaeger:16686",
        },
    ]
    return GENERATED + dump_yaml({"apiVersion": 1, "datasources": datasources})
