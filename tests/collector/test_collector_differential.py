"""Broken configs through the real collector and through ``otelkit collector check``.

Each case breaks the shipped ECS config in one way people do. The two must agree: the
collector refuses it at start-up, and ``check`` reports it before deploy, at the
component the collector names. The valid variants must pass both.
"""

from __future__ import annotations

import pytest

from otelkit.collector import check_text
from tests.collector.real_collector import validate
from tests.support.collector import SHIPPED

ECS = (SHIPPED / "ecs" / "config.yaml").read_text(encoding="utf-8")

#: case -> (text to replace, replacement, what both must name)
BROKEN: dict[str, tuple[str, str, str]] = {
    "typo in a required key": ("check_interval:", "check_intervall:", "memory_limiter"),
    "typo in an optional key": ("send_batch_size:", "send_batch_sise:", "batch"),
    "typo in a top-level section": ("receivers:\n", "recievers:\n", "recievers"),
    "typo in a service key": ("  pipelines:\n", "  pipeline:\n", "pipeline"),
    "word for a number": ("limit_percentage: 60", "limit_percentage: sixty", "memory_limiter"),
    "word for a duration": ("check_interval: 100ms", "check_interval: often", "memory_limiter"),
    "word for a boolean": ("override: false", "override: never", "resourcedetection"),
    "list for a mapping": (
        "  batch:\n    send_batch_size: 512\n    send_batch_max_size: 512\n    timeout: 5s\n",
        "  batch: [512, 5s]\n",
        "batch",
    ),
    "unknown exporter type": ("  awsxray:\n", "  awsxrayy:\n", "awsxrayy"),
    "no loki exporter": ("  otlphttp/loki:\n", "  loki:\n", "loki"),
    "unknown processor type": ("  batch:\n", "  batching:\n", "batching"),
    "exporter in the wrong pipeline": ("exporters: [awsxray]", "exporters: [awsemf]", "awsemf"),
    "undeclared exporter": (
        "exporters: [awsxray]",
        "exporters: [awsxray, otlp/tempo]",
        "otlp/tempo",
    ),
    "undeclared processor": (
        "processors: [memory_limiter, resourcedetection, batch]",
        "processors: [memory_limiter, resourcedetection, attributes]",
        "attributes",
    ),
    "undeclared extension": (
        "extensions: [health_check]",
        "extensions: [health_check, pprof]",
        "pprof",
    ),
    "unknown signal": ("    metrics:\n      receivers", "    metric:\n      receivers", "metric"),
    "pipeline without exporters": ("exporters: [awsemf]", "exporters: []", "metrics"),
    "duplicate key": ("    timeout: 5s\n", "    timeout: 5s\n    timeout: 1s\n", "timeout"),
    "unclosed flow sequence": ("exporters: [awsemf]", "exporters: [awsemf", ""),
}

VALID: dict[str, tuple[str, str]] = {
    "named second instance": ("  batch:\n", "  batch/other:\n    timeout: 1s\n  batch:\n"),
    "environment default": ("region: ${env:AWS_REGION}", "region: ${env:AWS_REGION:-us-east-1}"),
    "debug exporter added": ("exporters: [awsemf]", "exporters: [awsemf, debug]"),
    # Go decodes a bare number as nanoseconds: legal, if rarely meant.
    "number without a unit": ("timeout: 5s", "timeout: 5"),
}


def _with(old: str, new: str) -> str:
    assert old in ECS, old
    return ECS.replace(old, new, 1)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_both_refuse(case: str) -> None:
    old, new, named = BROKEN[case]
    text = _with(old, new)
    collector_ok, collector_says = validate(text)
    problems = check_text(text)
    assert not collector_ok, f"the collector accepts it: {case}"
    assert problems, f"check accepts what the collector refuses:\n{collector_says}"
    assert named in collector_says, collector_says
    assert any(named in p.message for p in problems), problems


@pytest.mark.parametrize("case", sorted(VALID))
def test_both_accept(case: str) -> None:
    text = ECS.replace(*VALID[case], 1)
    if case == "debug exporter added":
        text = text.replace("exporters:\n", "exporters:\n  debug: {}\n", 1)
    collector_ok, collector_says = validate(text)
    assert collector_ok, collector_says
    assert check_text(text) == []
