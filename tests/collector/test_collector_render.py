"""The renderer: one model, every target, and what each target must (not) contain."""

from __future__ import annotations

import pytest
import yaml

import otelkit.collector
from otelkit._values.keys import WELL_KNOWN_ID_KEYS
from otelkit.collector import (
    TARGETS,
    CollectorModel,
    check_text,
    model_for,
    render_config,
    render_text,
)
from otelkit.collector._profiles import PROFILES


def test_public_surface_is_pinned() -> None:
    assert otelkit.collector.__all__ == [
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


# CloudWatch Logs on a target whose build lacks the exporter (Lambda) is rejected by the
# model itself (see test_model_rejects_what_the_checker_would), so it is not rendered here.
@pytest.mark.parametrize(
    ("target", "cloudwatch_logs"),
    [
        (t, logs)
        for t in TARGETS
        for logs in (False, True)
        if PROFILES[t].has_cloudwatch_logs or not logs
    ],
)
def test_every_rendering_passes_the_checker(target: str, cloudwatch_logs: bool) -> None:
    model = model_for(target, cloudwatch_logs=cloudwatch_logs)
    text = render_text(model)
    assert yaml.safe_load(text) == render_config(model)
    assert check_text(text, PROFILES[target].distribution) == []


def test_traces_index_the_id_keys_and_drop_health_checks() -> None:
    config = render_config(model_for("ecs"))
    assert config["exporters"]["awsxray"]["indexed_attributes"] == list(WELL_KNOWN_ID_KEYS)
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["processors"] == [
        "memory_limiter",
        "resourcedetection",
        "filter/health",
        "batch",
    ]
    conditions = config["processors"]["filter/health"]["traces"]["span"]
    assert 'attributes["http.route"] == "/health"' in conditions
    assert any(
        c.startswith('attributes["http.route"] == "/api/v1/jobs/{id}" and') for c in conditions
    )


def test_receivers_bind_loopback_except_local() -> None:
    for target in ("ecs", "eks", "lambda"):
        grpc = render_config(model_for(target))["receivers"]["otlp"]["protocols"]["grpc"]
        assert grpc["endpoint"] == "127.0.0.1:4317"
    local = render_config(model_for("local"))["receivers"]["otlp"]["protocols"]["http"]
    assert local["endpoint"] == "0.0.0.0:4318"
    widened = render_config(model_for("ecs", bind_host="0.0.0.0"))
    assert widened["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"


def test_emf_dimension_sets_are_one_per_extra_key_without_ids() -> None:
    emf = render_config(model_for("ecs"))["exporters"]["awsemf"]
    assert emf["dimension_rollup_option"] == "NoDimensionRollup"
    assert emf["metric_declarations"][0]["dimensions"] == [
        ["service.name", "deployment.environment"],
        ["service.name", "deployment.environment", "outcome"],
        ["service.name", "deployment.environment", "status"],
    ]
    assert emf["log_group_name"] == "/otelkit/metrics"


def test_lambda_uses_only_layer_components() -> None:
    config = render_config(model_for("lambda"))
    assert "processors" not in config
    assert "extensions" not in config
    assert config["exporters"]["awsemf"]["output_destination"] == "stdout"
    assert "log_group_name" not in config["exporters"]["awsemf"]


def test_logs_go_to_loki_otlp_and_optionally_cloudwatch() -> None:
    config = render_config(model_for("eks", cloudwatch_logs=True))
    assert config["exporters"]["otlphttp/loki"] == {"endpoint": "${env:LOKI_URL}/otlp"}
    assert config["service"]["pipelines"]["logs"]["exporters"] == [
        "otlphttp/loki",
        "awscloudwatchlogs",
    ]
    assert config["exporters"]["awsxray"]["aws_log_groups"] == ["/otelkit/logs"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"extra_dimensions": ("status", "job_id")}, "'job_id' is a correlation ID key"),
        ({"loki_endpoint": "http://loki:3100"}, "ending in /otlp"),
        ({"target": "lambda", "cloudwatch_logs": True}, "no awscloudwatchlogs exporter"),
        ({"target": "gke"}, "unknown collector target 'gke' \\(known: ecs, eks, lambda, local\\)"),
    ],
)
def test_model_rejects_what_the_checker_would(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CollectorModel(**overrides)  # type: ignore[arg-type]
