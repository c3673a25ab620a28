"""otelkit in the real Lambda runtime: the emulator running handlers under awslambdaric,
invoked over HTTP, its stdout read as CloudWatch Logs would collect it."""

from __future__ import annotations

from typing import Any

from tests.support.lambda_runtime import lambda_function

API_EVENT: dict[str, Any] = {
    "version": "2.0",
    "rawPath": "/orders",
    "headers": {"x-correlation-id": "corr-42"},
    "requestContext": {"http": {"method": "GET", "path": "/orders"}, "requestId": "api-1"},
}


def _by_message(lines: list[dict[str, Any]], message: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["message"] == message]


def test_cold_then_warm_invocations_carry_the_runtimes_request_ids() -> None:
    with lambda_function("decorated.handler") as function:
        first = function.invoke(API_EVENT)
        second = function.invoke(API_EVENT)
        assert first.status == second.status == 200
        assert first.body["headers"]["X-Correlation-ID"] == "corr-42"
        reports = function.reports()
        lines = _by_message(function.log_lines(), "warning line")
    assert [r["RequestId"] for r in reports] == [line["function_request_id"] for line in lines]
    assert [line["cold_start"] for line in lines] == [True, False]
    assert {line["correlation_id"] for line in lines} == {"corr-42"}


def test_lambda_log_level_warn_writes_no_debug_or_info_lines() -> None:
    with lambda_function("decorated.handler", {"AWS_LAMBDA_LOG_LEVEL": "WARN"}) as function:
        function.invoke(API_EVENT)
        function.invoke(API_EVENT)
        lines = function.log_lines()
    assert len(_by_message(lines, "warning line")) == 2, function.dump()
    assert {line["level"] for line in lines} <= {"WARNING", "ERROR", "CRITICAL"}


def test_lambda_log_format_text_writes_text_lines() -> None:
    with lambda_function("decorated.handler", {"AWS_LAMBDA_LOG_FORMAT": "Text"}) as function:
        function.invoke(API_EVENT)
        text = [line for line in function.lines if "warning line" in line]
    assert len(text) == 1, function.dump()
    assert not text[0].startswith("{"), text


def test_without_an_environment_a_function_runs_as_production() -> None:
    with lambda_function("decorated.handler") as function:
        for _ in range(12):
            function.invoke(API_EVENT)
        lines = function.log_lines()
    warnings = _by_message(lines, "warning line")
    assert len(warnings) == 12
    assert {line["environment"] for line in lines} == {"prod"}
    assert not [line for line in lines if line["level"] == "DEBUG"]
    # production sampling: a reservoir of 1/s and 5 % of the rest, not every trace
    assert sum(line["sampled"] for line in warnings) <= 6, [w["sampled"] for w in warnings]


def test_an_explicit_environment_still_wins_on_lambda() -> None:
    with lambda_function("decorated.handler", {"DEPLOYMENT_ENV": "dev"}) as function:
        function.invoke(API_EVENT)
        lines = function.log_lines()
    assert {line["environment"] for line in lines} == {"dev"}
    assert _by_message(lines, "debug line")
