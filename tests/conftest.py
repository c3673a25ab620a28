"""Shared fixtures: every test starts unconfigured, with a clean environment, in strict mode."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

import otelkit
from otelkit._core import pipeline as _pipeline

if TYPE_CHECKING:
    from tests.support.otlp_receiver import Received

# Internal errors re-raise under the test suite instead of being swallowed.
os.environ["OTELKIT_STRICT"] = "1"

_SETTINGS_ENV = (
    "OTEL_SERVICE_NAME",
    "OTEL_SERVICE_VERSION",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_SDK_DISABLED",
    "OTEL_RESOURCE_ATTRIBUTES",
    "DEPLOYMENT_ENV",
    "STAGE",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "STRUCTURED_LOGGING",
    "AWS_LAMBDA_LOG_LEVEL",
    "AWS_LAMBDA_LOG_FORMAT",
    "AWS_LAMBDA_FUNCTION_NAME",
    "ECS_CONTAINER_METADATA_URI",
    "ECS_CONTAINER_METADATA_URI_V4",
    "KUBERNETES_SERVICE_HOST",
)


@pytest.fixture(autouse=True, scope="module")
def suite_heap_out_of_the_collectors_sight() -> Iterator[None]:
    """After each module, what the suite keeps alive is frozen out of the cyclic garbage
    collector's sight. Late in a run the test process held some 850,000 objects and a
    full collection paused it for 0.4 to 1.8 seconds, inside tests that bound wall-clock
    time (a Lambda flush by its deadline, a receiver in this process answering a child's
    last export) and that the product's own processes, with their own small heaps, never
    pay. Garbage is collected first; objects made afterwards are collected as usual."""
    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def clean_otelkit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Unset otelkit's environment variables and shut otelkit down after each test."""
    for name in _SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("OTELKIT_") and name != "OTELKIT_STRICT":
            monkeypatch.delenv(name, raising=False)
    root_level = logging.getLogger().level
    yield
    otelkit.shutdown(timeout=2.0)
    # shutdown() keeps the last policy for lines written after it (as a program wants);
    # the next test starts from the unconfigured one.
    _pipeline.activate(_pipeline.Pipeline())
    logging.getLogger().setLevel(root_level)


@pytest.fixture
def warm_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm Lambda environment: not the cold start, no X-Ray trace header of Lambda's.
    A test of the cold start sets the flag itself."""
    from otelkit.aws import _lambda_lifecycle

    monkeypatch.setattr(_lambda_lifecycle, "_cold_start", False)
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)


@pytest.fixture
def lambda_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Received]:
    """otelkit configured as on Lambda, exporting every trace to a real OTLP receiver."""
    from tests.support.otlp_receiver import otlp_receiver

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(
            endpoint=endpoint,
            log_stdout=False,
            console=False,
            resource_detectors="none",
            sample_rate=1.0,
        )
        yield received


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """moto's AWS emulator as a real HTTP server on loopback, shared by the session.

    Child processes reach it too: pass the URL and the dummy credentials in their env.
    """
    from tests.support.servers import moto_server

    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def aws_env(aws_endpoint: str) -> dict[str, str]:
    """Environment for a child process that talks to ``aws_endpoint``."""
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": aws_endpoint,
    }
