"""Every shipped config, and every render option, passes the real collector's validate."""

from __future__ import annotations

import pytest
import yaml

from otelkit.collector import (
    TARGETS,
    agent_text,
    check_text,
    gateway_model_for,
    gateway_text,
    model_for,
    render_text,
)
from otelkit.collector._profiles import PROFILES
from tests.collector.real_collector import validate, without_eks_detector
from tests.support.collector import SHIPPED

CONFIGS = sorted(SHIPPED.glob("*/config.yaml"))
GATEWAY_CONFIGS = sorted(SHIPPED.glob("gateway/*/*-config.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.parent.name)
def test_shipped_config_passes_validate(path: object) -> None:
    config = yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    ok, output = validate(yaml.safe_dump(without_eks_detector(config)))
    assert ok, output


@pytest.mark.parametrize(
    "path", GATEWAY_CONFIGS, ids=lambda p: f"{p.parent.name}-{p.name.removesuffix('.yaml')}"
)
def test_gateway_tier_config_passes_validate(path: object) -> None:
    config = yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    ok, output = validate(yaml.safe_dump(without_eks_detector(config)))
    assert ok, output


@pytest.mark.parametrize("target", [t for t in TARGETS if PROFILES[t].has_cloudwatch_logs])
def test_render_options_pass_validate(target: str) -> None:
    model = model_for(
        target,
        cloudwatch_logs=True,
        extra_dimensions=("outcome", "message_type"),
        bind_host="0.0.0.0",
    )
    config = yaml.safe_load(render_text(model))
    ok, output = validate(yaml.safe_dump(without_eks_detector(config)))
    assert ok, output


@pytest.mark.parametrize(
    "options",
    [{"aws_otlp_endpoints": True, "cloudwatch_logs": True}, {"cloudwatch_logs": True}],
    ids=["aws-otlp", "cloudwatch-logs"],
)
@pytest.mark.parametrize("target", ["ecs", "eks"])
def test_gateway_tier_render_options_pass_validate(target: str, options: dict[str, bool]) -> None:
    """The agents and gateways follow the sidecar's trace path, signer included."""
    gateway = gateway_model_for(target, sidecar=model_for(target, **options))  # type: ignore[arg-type]
    for text in (agent_text(gateway), gateway_text(gateway)):
        config = yaml.safe_load(text)
        assert check_text(text) == []
        ok, output = validate(yaml.safe_dump(without_eks_detector(config)))
        assert ok, output
