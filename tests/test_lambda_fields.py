"""Powertools' Lambda fields on every line written inside a handler, and a quiet start
when Lambda is simulated locally."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit.aws import _lambda_lifecycle
from tests.support.lambda_context import ARN, FakeContext

POWERTOOLS_FIELDS = (
    "function_request_id",
    "cold_start",
    "function_name",
    "function_arn",
    "function_memory_size",
)


@otelkit.aws.lambda_handler
def handler(event: Any, context: Any) -> str:
    otelkit.get_logger("orders").info("Order accepted", order="o-1")
    logging.getLogger("plain.stdlib").warning("Stock low")
    return "ok"


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("strict", ["1", ""])
def test_rendered_lines_carry_the_powertools_fields(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, strict: str
) -> None:
    monkeypatch.setenv("OTELKIT_STRICT", strict)
    monkeypatch.setattr(_lambda_lifecycle, "_cold_start", True)
    otelkit.configure(service_name="orders", log_format="json", console=False)
    handler({}, FakeContext(aws_request_id="req-1"))
    handler({}, FakeContext(aws_request_id="req-2"))
    otelkit.get_logger("orders").info("Outside any invocation")

    lines = _lines(capsys.readouterr().out)
    inside = [line for line in lines if line["message"] in ("Order accepted", "Stock low")]
    assert [(line["function_request_id"], line["cold_start"]) for line in inside] == [
        ("req-1", True),
        ("req-1", True),
        ("req-2", False),
        ("req-2", False),
    ]
    for line in inside:
        assert (line["function_name"], line["function_arn"], line["function_memory_size"]) == (
            "video-worker",
            ARN,
            512,
        )
        assert line["xray_trace_id"].startswith("1-")
    (outside,) = (line for line in lines if line["message"] == "Outside any invocation")
    assert not set(POWERTOOLS_FIELDS) & set(outside)


def test_failure_line_and_captured_lines_carry_them(
    otelkit_capture: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lambda_lifecycle, "_cold_start", False)

    @otelkit.aws.lambda_handler
    def failing(event: Any, context: Any) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing({}, FakeContext(aws_request_id="req-9"))
    (failure,) = (line for line in otelkit_capture.logs if line["message"] == "Invocation failed")
    assert failure["function_request_id"] == "req-9"
    assert failure["cold_start"] is False


def test_a_context_without_attributes_gives_only_cold_start(otelkit_capture: Any) -> None:
    handler({}, object())
    line = next(line for line in otelkit_capture.logs if line["message"] == "Order accepted")
    assert not set(POWERTOOLS_FIELDS[2:]) & set(line)
    assert "cold_start" in line


def test_simulating_lambda_locally_is_quiet(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the function name set, as a developer does locally: the upstream detector
    printed ``AwsLambdaResourceDetector failed: 'AWS_LAMBDA_FUNCTION_VERSION'``."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "video-worker")
    otelkit.configure(log_format="json", console=False)
    captured = capsys.readouterr()
    assert "failed" not in captured.out + captured.err
    resource = _pipeline.current().tracer_provider.resource.attributes
    assert (resource["faas.name"], resource["cloud.platform"]) == ("video-worker", "aws_lambda")
    assert "faas.version" not in resource


def test_the_lambda_runtime_variables_become_the_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_LAMBDA_FUNCTION_NAME": "video-worker",
        "AWS_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/27/[$LATEST]abc",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    }.items():
        monkeypatch.setenv(name, value)
    otelkit.configure(console=False)
    resource = _pipeline.current().tracer_provider.resource.attributes
    assert {
        key: resource[key]
        for key in ("cloud.region", "faas.version", "faas.instance", "faas.max_memory")
    } == {
        "cloud.region": "eu-west-1",
        "faas.version": "$LATEST",
        "faas.instance": "2026/11/27/[$LATEST]abc",
        "faas.max_memory": 512 * 2**20,
    }


DECORATOR_ONLY = """
import otelkit

@otelkit.aws.lambda_handler
def handler(event, context):
    otelkit.get_logger("app").info("Handled", item="i-1")
    with otelkit.span("inner work"):
        pass
    return {"ok": True}

class Context:
    aws_request_id = "req-42"
    function_name = "orders-fn"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders-fn"
    memory_limit_in_mb = "256"
    def get_remaining_time_in_millis(self):
        return 10_000

print("result:", handler({"detail-type": "Scheduled Event", "source": "aws.events"}, Context()))
"""


@pytest.mark.parametrize("strict", ["1", ""])
def test_the_decorator_alone_configures_from_the_environment(tmp_path: Any, strict: str) -> None:
    """A function whose only otelkit line is the decorator, run as the Lambda runtime
    runs it: JSON lines with the Powertools fields on stdout, no console span tree on
    stderr (billed log lines on Lambda)."""
    import os
    import subprocess
    import sys

    script = tmp_path / "function.py"
    script.write_text(DECORATOR_ONLY)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL", "LOG_", "AWS_"))
    }
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": "orders-fn",
            "AWS_REGION": "eu-west-1",
            "OTELKIT_STRICT": strict,
            "PYTHONPATH": os.getcwd(),
        }
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (line,) = (line for line in _lines(done.stdout) if line["message"] == "Handled")
    assert (
        line["service"],
        line["function_request_id"],
        line["function_memory_size"],
        line["cold_start"],
        line["item"],
    ) == ("orders-fn", "req-42", "256", True, "i-1")
    assert "inner work" not in done.stderr, "console span trees are off on Lambda"
    assert done.stderr == ""


def test_console_is_off_on_lambda_unless_asked_for() -> None:
    from otelkit._config.settings import resolve

    lambda_env = {"AWS_LAMBDA_FUNCTION_NAME": "orders-fn"}
    assert resolve({}, environ={}).console is True
    assert resolve({}, environ=lambda_env).console is False
    assert resolve({}, environ={**lambda_env, "OTELKIT_CONSOLE": "true"}).console is True
    assert resolve({"console": True}, environ=lambda_env).console is True


def test_an_explicit_configure_is_kept(otelkit_capture: Any) -> None:
    handler({}, FakeContext())
    assert otelkit_capture.spans, "capture() stays the pipeline: no re-configuration"
