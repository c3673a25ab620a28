"""Collector sidecar configs: render them from one model, check any config before deploy.

Needs the ``collector`` extra (PyYAML): ``pip install 'otelkit[collector]'``.
"""

from __future__ import annotations

from otelkit._public import publish
from otelkit.collector._check import Problem, check_text
from otelkit.collector._components import ADOT, DISTRIBUTIONS, LAMBDA, Distribution
from otelkit.collector._gateway import GatewayModel, agent_text, gateway_model_for, gateway_text
from otelkit.collector._model import TARGETS, CollectorModel, model_for
from otelkit.collector._render import render_config, render_text

__all__ = [
    "ADOT",
    "DISTRIBUTIONS",
    "LAMBDA",
    "TARGETS",
    "CollectorModel",
    "Distribution",
    "GatewayModel",
    "Problem",
    "agent_text",
    "check_text",
    "gateway_model_for",
    "gateway_text",
    "model_for",
    "render_config",
    "render_text",
]

publish(__name__, globals(), __all__)
