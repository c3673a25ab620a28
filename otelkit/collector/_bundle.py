"""Which files each target renders to, relative to the output folder (``collector/``)."""

from __future__ import annotations

from collections.abc import Callable

from otelkit.collector._deploy import ecs_task_definition, eks_manifest, iam_policy, to_json
from otelkit.collector._local import compose, grafana_datasources, loki_config
from otelkit.collector._model import CollectorModel
from otelkit.collector._render import render_text

Renderer = Callable[[CollectorModel], str]

FILES: dict[str, dict[str, Renderer]] = {
    "ecs": {
        "ecs/config.yaml": render_text,
        "ecs/task-definition.json": lambda m: to_json(ecs_task_definition(m)),
        "iam/collector-policy.json": lambda m: to_json(iam_policy(m)),
    },
    "eks": {
        "eks/config.yaml": render_text,
        "eks/sidecar.yaml": eks_manifest,
        "iam/collector-policy.json": lambda m: to_json(iam_policy(m)),
    },
    "lambda": {"lambda/config.yaml": render_text},
    "local": {
        "local/config.yaml": render_text,
        "local/docker-compose.yaml": compose,
        "local/loki.yaml": loki_config,
        "local/grafana/provisioning/datasources/datasources.yaml": grafana_datasources,
    },
}


def render_files(model: CollectorModel) -> dict[str, str]:
    """Relative path -> content for every file ``model.target`` produces."""
    return {path: render(model) for path, render in FILES[model.target].items()}
