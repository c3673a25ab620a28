"""EMF documents as the tests read them: every one validated against the specification."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = json.loads((Path(__file__).parent / "emf_schema.json").read_text())
_VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
_STATISTIC_SET = {"Min", "Max", "Sum", "Count"}
_LARGEST = 2.0**360


def check_document(document: dict[str, Any]) -> None:
    """Raise unless ``document`` is valid EMF: the JSON schema, then the references the
    schema cannot express (targets on the root node, dimension values CloudWatch takes)."""
    _VALIDATOR.validate(document)
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for name in dimension_set:
                value = document[name]  # a DimensionSet key is a member of the root
                assert isinstance(value, str), f"dimension {name} is {value!r}, not a string"
                assert 1 <= len(value) <= 1024, f"dimension {name}: {len(value)} characters"
                assert value.strip(), f"dimension {name} is blank"
                assert all(" " <= ch <= "~" for ch in value), f"{name}={value!r}: not ASCII"
        for definition in directive["Metrics"]:
            _check_metric_target(definition["Name"], document[definition["Name"]])


def _check_metric_target(name: str, value: Any) -> None:
    if isinstance(value, dict):  # the statistic set otelkit writes for histograms
        assert set(value) == _STATISTIC_SET, f"{name}: {sorted(value)}"
        assert value["Count"] > 0, f"{name}: {value}"
        assert value["Min"] <= value["Max"], f"{name}: {value}"
        numbers = list(value.values())
    elif isinstance(value, list):
        assert len(value) <= 100, f"{name}: {len(value)} values"
        numbers = value
    else:
        numbers = [value]
    for number in numbers:
        assert type(number) in (int, float), (name, number)
        assert math.isfinite(number), (name, number)
        assert abs(number) <= _LARGEST, (name, number)


def documents(out: str) -> list[dict[str, Any]]:
    """Every EMF document among the lines of ``out``, each checked."""
    found = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    for document in found:
        check_document(document)
    return found


def by_metric(found: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The documents that hold metric ``name``."""
    return [
        doc
        for doc in found
        if any(
            m["Name"] == name
            for directive in doc["_aws"]["CloudWatchMetrics"]
            for m in directive["Metrics"]
        )
    ]
