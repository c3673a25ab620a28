"""Every option resolves argument > environment > default, with errors naming the source."""

from __future__ import annotations

import pytest

from otelkit._settings import SETTINGS, resolve


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
    settings = resolve({}, environ={
        "OTEL_SERVICE_NAME": "rez-agent", "STAGE": "prod", "LOG_LEVEL": "warn",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318/", "LOG_FORMAT": "TEXT",
        "OTELKIT_INSTRUMENT": "httpx", "OTEL_TRACES_SAMPLER_ARG": "0.25",
        "OTELKIT_PROPAGATE_TO": "*.corp.example, api.partner.test",
    })
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
    assert resolve({"environment": "qa", "log_format": "pretty"}, environ=env).log_format == \
        "pretty"
    assert resolve({}, environ={"STAGE": "prod"}).log_level == "INFO"


def test_structured_logging_false_means_text() -> None:
    assert resolve({}, environ={"STRUCTURED_LOGGING": "false"}).log_format == "text"
    assert resolve({}, environ={"STRUCTURED_LOGGING": "false", "LOG_FORMAT": "json"}
                   ).log_format == "json"


def test_lambda_function_name_is_the_fallback_service_name() -> None:
    assert resolve({}, environ={"AWS_LAMBDA_FUNCTION_NAME": "scheduler"}).service_name == \
        "scheduler"


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
    ],
)
def test_invalid_values_name_their_source(options: dict[str, object], environ: dict[str, str],
                                          message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve(options, environ=environ)


def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unknown options: colour"):
        resolve({"colour": True}, environ={})


def test_every_setting_is_documented() -> None:
    from pathlib import Path

    reference = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.name}`" in reference, setting.name
        for env in setting.env:
            assert f"`{env}`" in reference, env


def test_natural_argument_types_are_accepted() -> None:
    import logging

    settings = resolve({"log_level": logging.WARNING, "instrument": "httpx,botocore",
                        "propagate_to": ["*.corp.example"]}, environ={})
    assert settings.log_level == "WARNING"
    assert settings.instrument == ("httpx", "botocore")
    assert settings.propagate_to == ("*.corp.example",)

