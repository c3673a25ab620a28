"""Seed 001's ``message_type``: an X-Ray annotation (indexed, searchable) and an EMF
dimension of the same rendered collector config, which ``check`` accepts; an ID stays
neither a dimension nor an annotation key."""

from __future__ import annotations

import pytest
import yaml

from otelkit.collector import check_text, model_for, render_config, render_text
from otelkit.collector._cli import main
from otelkit.collector._profiles import PROFILES


def test_message_type_is_an_annotation_and_a_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["render", "--target", "ecs", "--annotation", "message_type"]
    assert main([*argv, "--dimension", "message_type", "--emf-namespace", "RezAgent"]) == 0
    text = capsys.readouterr().out
    config = yaml.safe_load(text)
    indexed = config["exporters"]["awsxray"]["indexed_attributes"]
    assert indexed[-1] == "message_type"
    assert {"correlation_id", "message_id"} <= set(indexed)
    dimensions = config["exporters"]["awsemf"]["metric_declarations"][0]["dimensions"]
    assert ["service.name", "deployment.environment", "message_type"] in dimensions
    assert check_text(text, PROFILES["ecs"].distribution) == []


def test_an_indexed_id_stays_a_forbidden_dimension() -> None:
    model = model_for("ecs", annotation_keys=("message_type",), extra_dimensions=("message_type",))
    text = render_text(model)
    assert check_text(text) == []
    # tenant_id in place of message_type: in X-Ray's index and in a dimension set
    with_id = text.replace("message_type]", "tenant_id]")
    assert "tenant_id" in yaml.safe_load(with_id)["exporters"]["awsxray"]["indexed_attributes"]
    [problem] = check_text(with_id)
    assert "dimension 'tenant_id' is a correlation ID key" in problem.message


@pytest.mark.parametrize("key", ["message_id", "tenant_id"])
def test_an_id_cannot_be_an_annotation_key(key: str) -> None:
    with pytest.raises(ValueError, match=f"annotation key '{key}' names a correlation ID"):
        render_config(model_for("ecs", annotation_keys=(key,)))


@pytest.mark.slow  # runs the collector binary
def test_the_real_collector_validates_message_type_as_both() -> None:
    from tests.collector.real_collector import validate, without_eks_detector

    model = model_for("ecs", annotation_keys=("message_type",), extra_dimensions=("message_type",))
    config = yaml.safe_load(render_text(model))
    ok, output = validate(yaml.safe_dump(without_eks_detector(config)))
    assert ok, output
