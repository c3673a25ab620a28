"""The checker on broken configs: each problem is found, on the line that causes it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from otelkit.collector import ADOT, LAMBDA, Problem, check_text
from tests.support.collector import line_of


def messages(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems]


def test_shipped_base_is_clean(ecs_text: str) -> None:
    assert check_text(ecs_text) == []


def test_bad_yaml_reports_the_line() -> None:
    text = "receivers:\n  otlp:\n    protocols: [grpc\nexporters: {}\n"
    [problem] = check_text(text)
    assert problem.line == 4
    assert problem.message.startswith("YAML does not parse")
    assert problem.message.endswith("(parsing a flow sequence started at line 3)")


def test_unclosed_quote_names_the_line_it_opened_on() -> None:
    [problem] = check_text('exporters:\n  otlp:\n    endpoint: "http://x\nservice: {}\n')
    assert problem.line == 5
    assert problem.message.endswith("(scanning a quoted scalar started at line 3)")


def test_tab_indentation_is_a_yaml_error() -> None:
    [problem] = check_text("receivers:\n\totlp: {}\n")
    assert problem.line == 2


def test_unknown_exporter_suggests_the_loki_route(ecs_text: str) -> None:
    text = ecs_text.replace("  otlphttp/loki:\n", "  loki:\n").replace("[otlphttp/loki]", "[loki]")
    problems = check_text(text)
    assert (
        Problem(
            line_of(text, "  loki:\n"),
            "unknown exporter type 'loki' in ADOT collector v0.49 (no 'loki' exporter ships; "
            "send logs with 'otlphttp' to Loki's '/otlp' endpoint)",
        )
        in problems
    )


def test_typo_gets_did_you_mean(ecs_text: str) -> None:
    text = ecs_text.replace("  awsxray:\n", "  awsxary:\n").replace(
        "exporters: [awsxray]", "exporters: [awsxary]"
    )
    [problem] = check_text(text)
    assert problem.line == line_of(text, "  awsxary:")
    assert problem.message.endswith("(did you mean 'awsxray'?)")


def test_component_in_the_wrong_signal(ecs_text: str) -> None:
    text = ecs_text.replace("exporters: [awsxray]", "exporters: [awsemf]")
    [problem] = check_text(text)
    assert problem == Problem(
        line_of(text, "exporters: [awsemf]"),
        "exporter 'awsemf' cannot be used in a traces pipeline (it takes metrics)",
    )


def test_loki_exporter_outside_logs(ecs_text: str) -> None:
    text = ecs_text.replace("exporters: [awsemf]", "exporters: [awsemf, otlphttp/loki]")
    [problem] = check_text(text)
    assert problem.message == "exporter 'otlphttp/loki' sends to Loki, which accepts only logs"
    assert problem.line == line_of(text, "exporters: [awsemf, otlphttp/loki]")


def test_undeclared_reference(ecs_text: str) -> None:
    text = ecs_text.replace(
        "processors: [memory_limiter, resourcedetection, batch]\n      exporters: [awsemf]",
        "processors: [memory_limiter, resourcedetection, batch/big]\n      exporters: [awsemf]",
    )
    [problem] = check_text(text)
    assert problem == Problem(
        line_of(text, "batch/big]"),
        "pipeline 'metrics' references undeclared processor 'batch/big'",
    )


def test_undeclared_extension(ecs_text: str) -> None:
    text = ecs_text.replace("extensions: [health_check]", "extensions: [health_check, pprof]")
    [problem] = check_text(text)
    assert problem.line == line_of(text, "extensions: [health_check, pprof]")
    assert "extension 'pprof' which is not declared" in problem.message


def test_id_key_as_emf_dimension(ecs_text: str) -> None:
    text = ecs_text.replace(
        "- [service.name, deployment.environment, status]",
        "- [service.name, deployment.environment, job_id]",
    )
    [problem] = check_text(text)
    assert problem.line == line_of(text, "deployment.environment, job_id]")
    assert problem.message.startswith("dimension 'job_id' is a correlation ID key")


def test_extra_id_keys_and_indexed_attributes_are_forbidden_dimensions(ecs_text: str) -> None:
    text = ecs_text.replace("status]", "tenant_id]")
    assert check_text(text) == []
    assert len(check_text(text, id_keys=["tenant_id"])) == 1
    indexed = text.replace("request_id]", "request_id, tenant_id]")
    assert "dimension 'tenant_id' is a correlation ID key" in check_text(indexed)[0].message


def test_dimension_set_over_ten_keys(ecs_text: str) -> None:
    eleven = ", ".join(f"d{i}" for i in range(11))
    text = ecs_text.replace("- [service.name, deployment.environment, status]", f"- [{eleven}]")
    [problem] = check_text(text)
    assert problem.line == line_of(text, "- [d0,")
    assert "has 11 keys" in problem.message


def test_bad_rollup_option(ecs_text: str) -> None:
    text = ecs_text.replace("NoDimensionRollup", "NoRollup")
    [problem] = check_text(text)
    assert problem.line == line_of(text, "dimension_rollup_option")


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("${env:LOKI_URL}", "must end in '/otlp'"),
        ("${env:LOKI_URL}/otlp/v1/logs", "otlphttp appends /v1/logs itself"),
        ("http://loki:3100/loki/api/v1/push", "is Loki's push API"),
        ("loki:3100/otlp", "must start with http:// or https://"),
    ],
)
def test_malformed_loki_endpoint(ecs_text: str, endpoint: str, expected: str) -> None:
    text = ecs_text.replace("endpoint: ${env:LOKI_URL}/otlp", f"endpoint: {endpoint}")
    problems = check_text(text)
    assert problems
    assert all(p.line == line_of(text, f"endpoint: {endpoint}") for p in problems)
    assert any(expected in p.message for p in problems)


def test_loki_logs_endpoint_may_carry_the_full_path(ecs_text: str) -> None:
    text = ecs_text.replace(
        "endpoint: ${env:LOKI_URL}/otlp", "logs_endpoint: ${env:LOKI_URL}/otlp/v1/logs"
    )
    assert check_text(text) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${AWS_REGION}", "has no provider; write '${env:AWS_REGION}'"),
        ("$AWS_REGION", "'$AWS_REGION' is not expanded"),
        ("${environment:AWS_REGION}", "unknown provider 'environment'"),
        ("${env:AWS-REGION}", "not a valid environment variable name"),
        ("${env:AWS_REGION", "unclosed reference"),
    ],
)
def test_malformed_env_reference(ecs_text: str, value: str, expected: str) -> None:
    text = ecs_text.replace("region: ${env:AWS_REGION}", f"region: '{value}'", 1)
    [problem] = check_text(text)
    assert problem.line == line_of(text, f"region: '{value}'")
    assert expected in problem.message


def test_env_reference_with_default_and_escape_are_fine(ecs_text: str) -> None:
    text = ecs_text.replace("namespace: otelkit", "namespace: ${env:NS:-otelkit}$$x")
    assert check_text(text) == []


def test_missing_required_keys(ecs_text: str) -> None:
    text = ecs_text.replace("    namespace: otelkit\n", "")
    [problem] = check_text(text)
    assert problem == Problem(
        line_of(text, "  awsemf:"), "exporter 'awsemf' is missing required key 'namespace'"
    )


def test_pipeline_without_exporters_and_missing_service() -> None:
    text = "receivers:\n  otlp:\n    protocols: {grpc: {}}\n"
    assert messages(check_text(text)) == ["missing 'service' section with 'pipelines'"]
    text += "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n"
    [problem] = check_text(text)
    assert problem == Problem(6, "pipeline 'traces' needs at least one exporter")


def test_unknown_pipeline_signal_and_section() -> None:
    text = (
        "receivers:\n  otlp:\n    protocols: {grpc: {}}\n"
        "exporters:\n  debug: {}\n"
        "connector:\n  x: {}\n"
        "service:\n  pipelines:\n    profiles:\n      receivers: [otlp]\n      exporters: [debug]\n"
    )
    assert check_text(text) == [
        Problem(6, "unknown top-level section 'connector'"),
        Problem(10, "pipeline 'profiles' must be named traces, metrics or logs[/name]"),
    ]


def test_duplicate_keys_are_reported(ecs_text: str) -> None:
    text = ecs_text.replace(
        "    namespace: otelkit\n", "    namespace: otelkit\n    namespace: x\n"
    )
    [problem] = check_text(text)
    assert problem == Problem(line_of(text, "namespace: x"), "duplicate key 'namespace'")


def test_lambda_layer_has_no_processors_or_health_check(ecs_text: str) -> None:
    problems = check_text(ecs_text, LAMBDA)
    assert problems[0] == Problem(
        line_of(ecs_text, "  memory_limiter:"),
        "unknown processor type 'memory_limiter' in the ADOT Lambda layer "
        "(the ADOT Lambda layer ships no processors)",
    )
    assert any("'health_check'" in p for p in messages(problems))
    assert check_text(ecs_text, ADOT) == []


def test_not_a_mapping() -> None:
    assert check_text("- a\n- b\n") == [
        Problem(1, "a collector config must be a mapping of sections")
    ]


def test_option_types_and_unknown_keys_of_known_components(ecs_text: str) -> None:
    broken = {
        "limit_percentage: 60": "limit_percentage: '60%'",
        "send_batch_size: 512": "send_batch_sise: 512",
        "override: false": "override: ${env:OVERRIDE}",
    }
    text = ecs_text
    for old, new in broken.items():
        assert old in text, old
        text = text.replace(old, new)
    messages = [p.message for p in check_text(text)]
    assert messages == [
        "processor 'memory_limiter' option 'limit_percentage' "
        "expects a whole number of at least 0, got '60%'",
        "processor 'batch' has no option 'send_batch_sise' (did you mean 'send_batch_size'?)",
    ]


_TABLE = json.loads(
    resources.files("otelkit.collector").joinpath("component_keys.json").read_text()
)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    component=st.sampled_from([(kind, name) for kind in _TABLE for name in sorted(_TABLE[kind])]),
    value=_VALUES,
)
def test_any_settings_give_problems_never_an_exception(
    component: tuple[str, str], value: Any
) -> None:
    kind, name = component
    text = yaml.safe_dump({kind: {name: value}, "service": {"pipelines": {}}})
    assert all(problem.message for problem in check_text(text))


def test_nested_unknown_keys_are_named_with_their_path() -> None:
    text = yaml.safe_dump(
        {
            "receivers": {"otlp": {"protocols": {"http": {"endpoint": "x:1", "cors_origin": 1}}}},
            "exporters": {"awsemf": {"namespace": "N", "metric_declaration": []}},
            "service": {"pipelines": {"metrics": {"receivers": ["otlp"], "exporters": ["awsemf"]}}},
        }
    )
    assert [str(p) for p in check_text(text)] == [
        "2: exporter 'awsemf' is missing required key 'metric_declarations'",
        "3: exporter 'awsemf' has no option 'metric_declaration' "
        "(did you mean 'metric_declarations'?)",
        "9: receiver 'otlp' has no option 'protocols.http.cors_origin'",
    ]
