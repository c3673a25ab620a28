"""Operations as code: alarms, dashboards, retention and saved queries from one model.

``otelkit ops render MODEL --stage STAGE --out DIR`` reads a YAML model (see
``docs/operations.md``) and writes a CloudFormation template, Prometheus alerting rules,
a Grafana dashboard and the saved queries. Needs ``pip install 'otelkit[ops]'``.
"""

from otelkit._public import publish
from otelkit.ops._model import ModelError, OpsModel
from otelkit.ops._parse import load_model, parse_model
from otelkit.ops._render import render
from otelkit.ops._telemetry import telemetry_of

__all__ = ["ModelError", "OpsModel", "load_model", "parse_model", "render", "telemetry_of"]

publish(__name__, globals(), __all__)
