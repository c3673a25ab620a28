"""Which renderer writes each kind of file a target's profile lists."""

from __future__ import annotations

from collections.abc import Callable

from otelkit.collector._deploy import ecs_task_definition, eks_manifest, iam_policy, to_json
from otelkit.collector._local import compose, grafana_datasources, loki_config
from otelkit.collector._model import CollectorModel
from otelkit.collector._profiles import Artifact
from otelkit.collector._render import render_text

Renderer = Callable[[CollectorModel], str]

RENDERERS: dict[Artifact, Renderer] = {
    "config": render_text,
    "ecs_task_definition": lambda m: to_json(ecs_task_definition(m)),
    "eks_manifest": eks_manifest,
    "iam_policy": lambda m: to_json(iam_policy(m)),
    "compose": compose,
    "loki_config": loki_config,
    "grafana_datasources": grafana_datasources,
}


def render_files(model: CollectorModel) -> dict[str, str]:
    """Relative path (under ``collector/``) -> content for every file the target renders."""
    return {path: RENDERERS[kind](model) for path, kind in model.profile.artifacts}
