"""Loki stream labels with the names a model asks for, from what otelkit sends over OTLP.

Loki's OTLP endpoint makes index labels only from *resource* attributes
(``limits_config.otlp_config.resource_attributes`` with ``action: index_label``, the
name's dots turned into ``_``); log attributes and the severity are structured metadata.
So a label named ``service`` or ``hostname`` needs a resource attribute of that name, and
``level`` (one value per line) needs lines of one level to travel under one resource.

Two fragments, both from the model's ``loki_labels`` (label -> source):

* ``collector/loki-labels.yaml`` for the collector in front of Loki: a ``resource``
  processor copies each source resource attribute to the label's name (``host.name`` ->
  ``hostname``); for a ``severity`` source, one logs pipeline per level keeps that
  level's severity-number range (``filter``) and sets ``level`` on the resource. Both
  processors ship in the ADOT collector; every severity number falls in exactly one
  range, so no line is lost or doubled (an unset severity counts as ``DEBUG``).
* ``loki/otlp-labels.yaml`` for Loki: the labels, and the service and environment
  attributes the retention rule selects on, as index labels.
"""

from __future__ import annotations

from typing import Any

from otelkit.ops._model import OpsModel

COLLECTOR_LABELS = "collector/loki-labels.yaml"
LOKI_LABELS = "loki/otlp-labels.yaml"
SEVERITY = "severity"  # the source that means "the line's level"
RECEIVER = "otlp"
EXPORTER = "otlphttp/loki"
#: The resource attributes the retention rule (``_loki.py``) selects on, kept indexed.
RETENTION_ATTRIBUTES = ("service.name", "deployment.environment", "deployment.environment.name")

# label value -> OTTL condition of the lines to DROP from that level's pipeline; the
# values are the stdlib level names a JSON line's ``level`` holds. Numbers: OTLP's
# severity ranges (DEBUG 5-8, INFO 9-12, WARN 13-16, ERROR 17-20, FATAL 21-24).
LEVELS: dict[str, str] = {
    "DEBUG": "severity_number >= SEVERITY_NUMBER_INFO",
    "INFO": "severity_number < SEVERITY_NUMBER_INFO or severity_number >= SEVERITY_NUMBER_WARN",
    "WARNING": "severity_number < SEVERITY_NUMBER_WARN or severity_number >= SEVERITY_NUMBER_ERROR",
    "ERROR": "severity_number < SEVERITY_NUMBER_ERROR or severity_number >= SEVERITY_NUMBER_FATAL",
    "CRITICAL": "severity_number < SEVERITY_NUMBER_FATAL",
}


def _dump(document: dict[str, Any], header: str) -> str:
    import yaml

    text: str = yaml.safe_dump(document, sort_keys=False, width=120)
    return f"# {header} (otelkit ops render).\n" + text


def collector_labels(model: OpsModel) -> str:
    """The collector fragment, or "" when the model names no Loki labels."""
    if not model.loki_labels:
        return ""
    copies = [
        {"key": label, "from_attribute": source, "action": "insert"}
        for label, source in model.loki_labels.items()
        if source not in {label, SEVERITY}
    ]
    processors: dict[str, Any] = {}
    rename = ["resource/loki_labels"] if copies else []
    if copies:
        processors["resource/loki_labels"] = {"attributes": copies}
    level = next((k for k, v in model.loki_labels.items() if v == SEVERITY), None)
    pipelines: dict[str, Any] = {}
    if level is None:
        pipelines["logs/loki"] = _pipeline(rename)
    else:
        for value, drop in LEVELS.items():
            name = value.lower()
            processors[f"filter/level_{name}"] = {
                "error_mode": "ignore",
                "logs": {"log_record": [drop]},
            }
            processors[f"resource/level_{name}"] = {
                "attributes": [{"key": level, "value": value, "action": "upsert"}]
            }
            steps = [f"filter/level_{name}", *rename, f"resource/level_{name}"]
            pipelines[f"logs/loki_{name}"] = _pipeline(steps)
    document = {"processors": processors, "service": {"pipelines": pipelines}}
    return _dump(document, "Merge into the collector's configuration in front of Loki")


def _pipeline(processors: list[str]) -> dict[str, Any]:
    return {"receivers": [RECEIVER], "processors": processors, "exporters": [EXPORTER]}


def indexed_attributes(model: OpsModel) -> list[str]:
    """The resource attributes Loki indexes: the labels, then the retention's."""
    names = list(model.loki_labels)
    return names + [a for a in RETENTION_ATTRIBUTES if a not in names]


def loki_labels(model: OpsModel) -> str:
    """The Loki fragment, or "" when the model names no Loki labels."""
    if not model.loki_labels:
        return ""
    document = {
        "limits_config": {
            "allow_structured_metadata": True,
            "otlp_config": {
                "resource_attributes": {
                    "ignore_defaults": True,
                    "attributes_config": [
                        {"action": "index_label", "attributes": indexed_attributes(model)}
                    ],
                }
            },
        }
    }
    return _dump(document, "Merge into Loki's configuration")
