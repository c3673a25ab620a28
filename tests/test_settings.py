"""Every option resolves argument > environment > default, with errors naming the source."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from pathlib import Path
from types import UnionType
from typing import get_args, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._config.doc import rewrite
from otelkit._config.settings import KEYWORDS, SETTINGS, Settings, from_environ, resolve


def test_defaults_without_anything_set() -> None:
    settings = resolve({}, environ={})
    assert settings.service_name == "unknown_service"
    assert settings.environment == "dev"
    assert settings.endpoint is None
    assert settings.console is True, "console on when there is no endpoint"
    assert settings.log_level == "DEBUG", "DEBUG for dev"
    assert settings.sample_rate == 1.0
    assert settings.instrument is None
    assert settings.scrub is True


def test_environment_variables_services_set() -> None:
    settings = resolve(
        {},
        environ={
            "OTEL_SERVICE_NAME": "rez-agent",
            "STAGE": "prod",
            "LOG_LEVEL": "warn",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318/",
            "LOG_FORMAT": "TEXT",
            "OTELKIT_INSTRUMENT": "httpx",
            "OTEL_TRACES_SAMPLER_ARG": "0.25",
            "OTELKIT_PROPAGATE_TO": "*.corp.example, api.partner.test",
        },
    )
    assert settings.service_name == "rez-agent"
    assert settings.environment == "prod"
    assert settings.log_level == "WARNING"
    assert settings.endpoint == "http://localhost:4318"
    assert settings.console is False, "console off once an endpoint is set"
    assert settings.log_format == "text"
    assert settings.instrument == ("httpx",)
    assert settings.sample_rate == 0.25
    assert settings.propagate_to == ("*.corp.example", "api.partner.test")


def test_deployment_env_wins_over_stage_and_arguments_win_over_env() -> None:
    env = {"DEPLOYMENT_ENV": "staging", "STAGE": "prod", "LOG_FORMAT": "json"}
    assert resolve({}, environ=env).environment == "staging"
    assert (
        resolve({"environment": "qa", "log_format": "pretty"}, environ=env).log_format == "pretty"
    )
    assert resolve({}, environ={"STAGE": "prod"}).log_level == "INFO"


def test_structured_logging_false_means_text() -> None:
    assert resolve({}, environ={"STRUCTURED_LOGGING": "false"}).log_format == "text"
    assert (
        resolve({}, environ={"STRUCTURED_LOGGING": "false", "LOG_FORMAT": "json"}).log_format
        == "json"
    )


def test_lambda_function_name_is_the_fallback_service_name() -> None:
    assert (
        resolve({}, environ={"AWS_LAMBDA_FUNCTION_NAME": "scheduler"}).service_name == "scheduler"
    )


@pytest.mark.parametrize(
    ("options", "environ", "message"),
    [
        ({}, {"LOG_LEVEL": "verbose"}, "LOG_LEVEL='verbose' is not one of"),
        ({"log_format": "xml"}, {}, "configure(log_format=...)='xml' is not one of"),
        ({}, {"OTELKIT_SAMPLE_RATE": "2"}, "must be between 0.0 and 1.0"),
        ({}, {"OTELKIT_SAMPLE_RATE": "half"}, "is not a number"),
        ({}, {"OTELKIT_CONSOLE": "maybe"}, "OTELKIT_CONSOLE='maybe' is not a boolean"),
        ({}, {"STRUCTURED_LOGGING": "nah"}, "STRUCTURED_LOGGING='nah' is not a boolean"),
        ({}, {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "is not one of http/protobuf, grpc"),
        ({"endpoint": "collector:4318"}, {}, "must be a URL starting with http://"),
        ({"sample_rate": True}, {}, "=True is not a number"),
        ({"propagate_to": 5}, {}, "must be a comma-separated string or a list of strings"),
        ({"service_name": ""}, {}, "configure(service_name=...)='' must not be empty"),
        ({"environment": "  "}, {}, "configure(environment=...)='  ' must not be empty"),
    ],
)
def test_invalid_values_name_their_source(
    options: dict[str, object], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve(options, environ=environ)


def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unknown options: colour"):
        resolve({"colour": True}, environ={})


def test_the_reference_page_is_the_generated_table() -> None:
    page = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()
    assert rewrite(page) == page, "docs/configuration.md is stale: run `make docs`"
    for setting in SETTINGS:
        assert f"`{setting.name}`" in page, setting.name
        for env in setting.env_names:
            assert f"`{env}`" in page, env


def test_configure_takes_exactly_the_keyword_settings_typed_as_the_table() -> None:
    signature = inspect.signature(otelkit.configure)
    assert set(signature.parameters) == KEYWORDS
    hints = get_type_hints(otelkit.configure)
    table = get_type_hints(Settings)
    for name, parameter in signature.parameters.items():
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameter.default is None, name
        # The keyword accepts None, the resolved type, and natural spellings of it (any
        # iterable for a tuple, a level number for a level name).
        accepted = _members(hints[name])
        if Iterable[str] in accepted:
            accepted |= {tuple[str, ...]}
        assert _members(table[name]) - {type(None)} <= accepted, name
        assert type(None) in _members(hints[name]), name


def _members(hint: object) -> set[object]:
    return set(get_args(hint)) if isinstance(hint, UnionType) else {hint}


def test_every_setting_has_a_doc_and_an_environment_variable() -> None:
    for setting in SETTINGS:
        assert setting.doc, setting.name
        assert setting.env_names, setting.name


def test_otel_sdk_disabled_and_strict_are_settings_too() -> None:
    assert resolve({}, environ={"OTEL_SDK_DISABLED": "true"}).sdk_disabled is True
    with pytest.raises(ValueError, match="OTEL_SDK_DISABLED='perhaps' is not a boolean"):
        resolve({}, environ={"OTEL_SDK_DISABLED": "perhaps"})
    assert from_environ("strict", {"OTELKIT_STRICT": "1"}) is True
    assert from_environ("strict", {}) is False
    with pytest.raises(TypeError, match="unknown options: strict"):
        resolve({"strict": True}, environ={})


def test_structured_logging_true_leaves_the_default() -> None:
    assert resolve({}, environ={"STRUCTURED_LOGGING": "true", "STAGE": "prod"}).log_format == "json"


_ENV_VARS = sorted({name for setting in SETTINGS for name in setting.env_names})


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(_ENV_VARS), st.text(max_size=40), max_size=6))
def test_any_environment_resolves_or_names_the_bad_variable(environ: dict[str, str]) -> None:
    """Hostile environment text: a Settings, or a ValueError that names its variable."""
    try:
        resolved: Settings | str = resolve({}, environ=environ)
    except ValueError as exc:
        resolved = str(exc)
    if isinstance(resolved, str):
        assert any(resolved.startswith(name) for name in environ), resolved
    else:
        assert 0.0 <= resolved.sample_rate <= 1.0
        assert resolved.export_timeout > 0


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(KEYWORDS)),
    st.one_of(
        st.text(max_size=20),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.lists(st.text(max_size=5), max_size=3),
    ),
)
def test_any_argument_resolves_or_names_the_keyword(name: str, value: object) -> None:
    error = ""
    try:
        resolve({name: value}, environ={})
    except ValueError as exc:
        error = str(exc)
    assert not error or f"configure({name}=...)" in error, error


def test_natural_argument_types_are_accepted() -> None:
    import logging

    settings = resolve(
        {
            "log_level": logging.WARNING,
            "instrument": "httpx,botocore",
            "propagate_to": ["*.corp.example"],
        },
        environ={},
    )
    assert settings.log_level == "WARNING"
    assert settings.instrument == ("httpx", "botocore")
    assert settings.propagate_to == ("*.corp.example",)
