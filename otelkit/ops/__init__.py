"""Operations as code: alarms, dashboards, retention and saved queries from one model.

``otelkit ops render MODEL --stage STAGE --out DIR`` reads a YAML model (see
``docs/operations.md``) and writes a CloudFormation template, Prometheus alerting rules,
a Grafana dashboard and the saved queries. Needs ``pip install 'otelkit[ops]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from otelkit._public import publish
from otelkit.ops._model import ModelError, OpsModel
from otelkit.ops._parse import load_model, parse_model
from otelkit.ops._render import render
from otelkit.ops._telemetry import telemetry_of

if TYPE_CHECKING:
    from otelkit.collector._telemetry import ServiceTelemetry

__all__ = [
    "ModelError",
    "OpsModel",
    "load_model",
    "load_telemetry",
    "parse_model",
    "render",
    "telemetry_of",
]


def load_telemetry(path: str, stage: str) -> ServiceTelemetry:
    """The telemetry the ops model at ``path`` declares (``collector render --model``)."""
    return telemetry_of(load_model(path), stage)


publish(__name__, globals(), __all__)
