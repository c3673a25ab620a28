"""Loki retention for the service's streams, from the model's retention days.

otelkit's logs reach Loki over OTLP, which indexes ``service.name`` and the deployment
environment as the ``service_name`` and ``deployment_environment`` labels; a
``retention_stream`` rule on those two keeps each service's lines for its stage's days.
The file is a fragment to merge into Loki's configuration: retention only runs when
the compactor has it enabled.
"""

from __future__ import annotations

from typing import Any

from otelkit.ops._model import OpsModel

LOKI_RETENTION = "loki/retention.yaml"


def loki_retention(model: OpsModel, stage: str) -> str:
    """The Loki settings fragment, or "" when the model gives no retention for ``stage``."""
    import yaml

    days = model.retention.get(stage)
    if days is None:
        return ""
    selector = f'{{service_name="{model.service}", deployment_environment="{stage}"}}'
    document: dict[str, Any] = {
        "compactor": {"retention_enabled": True, "delete_request_store": "filesystem"},
        "limits_config": {
            "retention_stream": [{"selector": selector, "priority": 1, "period": f"{days * 24}h"}]
        },
    }
    text: str = yaml.safe_dump(document, sort_keys=False, width=120)
    return "# Merge into Loki's configuration (otelkit ops render).\n" + text
