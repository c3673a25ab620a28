"""Zero-code launch: a real program in a subprocess, started by ``opentelemetry-instrument``
or ``otelkit run``, sends otelkit's telemetry to a real OTLP receiver with the bound IDs on
the auto-instrumented spans."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.installed import ROOT, entry_points_dir
from tests.support.otlp_receiver import Received, attributes, otlp_receiver
from tests.support.processes import BIN, production_env
from tests.support.servers import fake_api

#: A program that never mentions configure(): one job calling an HTTP API with httpx.
APP = """
import sys

import httpx
import requests

import otelkit

with otelkit.job("zero.code", job_id="job-zc-1"):
    httpx.get(sys.argv[1])
    requests.get(sys.argv[1], timeout=5)
    otelkit.get_logger("app").info("called the API")
"""


def _run(command: list[str], tmp_path: Path, endpoint: str, *first: Path, **extra: str) -> str:
    app = tmp_path / "app.py"
    app.write_text(APP)
    metadata = entry_points_dir(tmp_path / "metadata")
    env = production_env(
        OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
        OTEL_SERVICE_NAME="zero-code-app",
        PYTHONPATH=os.pathsep.join(str(path) for path in (*first, metadata, ROOT)),
        LOG_FORMAT="json",
        **extra,
    )
    env.pop("OTEL_SEMCONV_STABILITY_OPT_IN", None)
    with fake_api() as api:
        done = subprocess.run(
            [*command, sys.executable, str(app), f"{api}/ping"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    return done.stderr


def _check(received: Received) -> None:
    spans = {span["name"]: span for span in received.spans()}
    clients = [span for span in received.spans() if span["kind"] == "SPAN_KIND_CLIENT"]
    scopes = {
        scope["scope"]["name"]
        for request in received.requests["/v1/traces"]
        for resource in request["resourceSpans"]
        for scope in resource["scopeSpans"]
        if scope["spans"][0]["kind"] == "SPAN_KIND_CLIENT"
    }
    assert scopes == {
        "opentelemetry.instrumentation.httpx",
        "opentelemetry.instrumentation.requests",
    }, "both libraries are instrumented"
    for client in clients:
        fields = attributes(client["attributes"])
        assert fields["job_id"] == "job-zc-1", "auto-instrumented spans carry the bound IDs"
        assert fields["http.request.method"] == "GET", "stable HTTP conventions by default"
        assert "http.method" not in fields
        assert client["parentSpanId"] == spans["zero.code"]["spanId"]
    assert received.resources()[0]["service.name"] == "zero-code-app"
    bodies = {record["body"]["stringValue"] for record in received.logs()}
    assert "called the API" in bodies


LAUNCHERS = {
    "opentelemetry-instrument": [str(BIN / "opentelemetry-instrument")],
    "otelkit run": [str(BIN / "python"), "-m", "otelkit", "run", "--"],
}


@pytest.mark.slow
@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_a_program_with_no_setup_code_sends_spans_with_its_ids(
    tmp_path: Path, launcher: str
) -> None:
    with otlp_receiver() as (endpoint, received):
        _run(LAUNCHERS[launcher], tmp_path, endpoint)
    _check(received)


@pytest.mark.slow
def test_the_distros_grpc_default_without_grpc_falls_back_to_http(tmp_path: Path) -> None:
    """What the OpenTelemetry distro sets, on an install without the ``grpc`` extra (a
    ``grpc`` package that cannot be imported stands for its absence)."""
    blocked = tmp_path / "no_grpc"
    (blocked / "grpc").mkdir(parents=True)
    (blocked / "grpc" / "__init__.py").write_text("raise ImportError('grpc is not installed')\n")
    with otlp_receiver() as (endpoint, received):
        stderr = _run(
            [str(BIN / "python"), "-m", "otelkit", "run", "--"],
            tmp_path,
            endpoint,
            blocked,
            OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
        )
    assert "using OTLP/HTTP" in stderr
    _check(received)


def test_otelkit_run_without_a_command_says_how(capsys: pytest.CaptureFixture[str]) -> None:
    from otelkit.__main__ import main

    assert main(["run"]) == 2
    assert "otelkit run -- python app.py" in capsys.readouterr().err
    assert main(["run", "--", "no-such-program-here"]) == 1
    assert "cannot run 'no-such-program-here'" in capsys.readouterr().err


@pytest.mark.slow
def test_otelkit_run_without_opentelemetry_instrumentation_sets_otelkit_up_alone(
    tmp_path: Path,
) -> None:
    """A distro module that cannot be imported stands for the package's absence."""
    blocked = tmp_path / "no_instrumentation"
    (blocked / "opentelemetry" / "instrumentation").mkdir(parents=True)
    (blocked / "opentelemetry" / "instrumentation" / "distro.py").write_text(
        "raise ImportError('opentelemetry-instrumentation is not installed')\n"
    )
    with otlp_receiver() as (endpoint, received):
        stderr = _run(LAUNCHERS["otelkit run"], tmp_path, endpoint, blocked)
    assert "telemetry not set up" not in stderr
    spans = {span["name"]: span for span in received.spans()}
    assert attributes(spans["zero.code"]["attributes"])["job_id"] == "job-zc-1"
    assert "called the API" in {record["body"]["stringValue"] for record in received.logs()}
    scopes = {
        scope["scope"]["name"]
        for request in received.requests["/v1/traces"]
        for resource in request["resourceSpans"]
        for scope in resource["scopeSpans"]
    }
    # otelkit's default integrations only: requests is turned on by the distro alone
    assert "opentelemetry.instrumentation.httpx" in scopes
    assert "opentelemetry.instrumentation.requests" not in scopes
