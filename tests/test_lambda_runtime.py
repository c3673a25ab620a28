"""otelkit in the real Lambda runtime: the emulator running handlers under awslambdaric,
invoked over HTTP, its stdout read as CloudWatch Logs would collect it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.support.fault_receiver import SLOW_SECONDS, fault_receiver
from tests.support.lambda_runtime import free_port, lambda_function
from tests.support.otlp_receiver import attributes, otlp_receiver

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
        reports = function.reports(2)
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


def test_lines_written_at_init_are_kept_as_json_lines() -> None:
    with lambda_function("decorated.handler") as function:
        function.invoke(API_EVENT)
        lines = function.log_lines()
    init = {line["message"]: line for line in lines if "at init" in line["message"]}
    assert set(init) == {"stdlib line at init", "otelkit line at init"}, function.dump()
    assert not any("function_request_id" in line for line in init.values())
    assert init["otelkit line at init"]["event_type"] == "INIT"


def test_function_memory_size_is_the_runtimes_text_as_powertools_writes_it() -> None:
    with lambda_function("decorated.handler", {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}) as fn:
        fn.invoke(API_EVENT)
        lines = _by_message(fn.log_lines(), "warning line")
    assert [line["function_memory_size"] for line in lines] == ["512"]


@pytest.mark.slow
@pytest.mark.parametrize("extension", ["true", "false"])
def test_an_invocation_ending_with_little_time_left_is_still_flushed(extension: str) -> None:
    with otlp_receiver() as (endpoint, received):
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTELKIT_LAMBDA_EXTENSION": extension,
            "AWS_LAMBDA_FUNCTION_TIMEOUT": "3",  # the emulator counts init into the first
            "DEPLOYMENT_ENV": "test",
        }
        with lambda_function("decorated.handler", env) as function:
            function.invoke(API_EVENT)
            response = function.invoke({**API_EVENT, "sleep_ms": 2830})  # <170 ms left
            # what was delivered when the emulator answered, not later
            delivered = [attributes(span["attributes"]) for span in received.spans()]
            assert response.status == 200, function.dump()
            request_id = function.reports(2)[1]["RequestId"]
    assert request_id in [span.get("faas.invocation_id") for span in delivered], delivered


XRAY_ROOT = "1-5759e988-bd862e3fe1be46a994272793"


def test_the_correlation_id_stays_bound_under_an_active_tracing_parent() -> None:
    trace_header = f"Root={XRAY_ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    with otlp_receiver() as (endpoint, received):
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "DEPLOYMENT_ENV": "test"}
        with lambda_function("decorated.handler", env, trace_header=trace_header) as function:
            response = function.invoke(API_EVENT)
            lines = _by_message(function.log_lines(), "warning line")
            spans = [attributes(span["attributes"]) for span in received.spans()]
    assert response.body["headers"]["X-Correlation-ID"] == "corr-42"
    assert [line["trace_id"] for line in lines] == [XRAY_ROOT[2:].replace("-", "")]
    assert [line["correlation_id"] for line in lines] == ["corr-42"], function.dump()
    assert {span.get("correlation_id") for span in spans} == {"corr-42"}, spans


def test_a_drop_report_is_a_json_line_naming_the_invocation() -> None:
    with lambda_function("decorated.handler") as function:
        function.invoke({**API_EVENT, "bad_metric": True})
        (request_id,) = [r["RequestId"] for r in function.reports(1)]
        stderr = list(function.output.stderr)
        reports = [line for line in function.json_lines() if line.get("logger") == "otelkit"]
    assert not [line for line in stderr if line.startswith("otelkit:")], stderr
    drops = [r for r in reports if r.get("event_type") == "TELEMETRY_DROPPED"]
    assert drops, function.dump()
    assert {r["function_request_id"] for r in drops} == {request_id}
    assert drops[0]["dropped"] == {"metrics.metric value (out of range)": 1}, drops


def _ms(report: dict[str, str], field: str = "Duration") -> float:
    return float(report[field].removesuffix(" ms"))


@pytest.mark.slow
def test_the_caller_does_not_wait_for_a_slow_collector() -> None:
    """The extension flushes after the runtime posts the response: the export is in the
    billed duration (REPORT), not in what the caller waits for (the runtime's part)."""
    invocations = 4
    with fault_receiver("slow") as (endpoint, tally):
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "DEPLOYMENT_ENV": "test"}
        with lambda_function("decorated.handler", env) as function:
            for _ in range(invocations):
                assert function.invoke(API_EVENT).status == 200
            answered = function.runtime_done_ms(invocations)
            billed = [_ms(r) for r in function.reports(invocations)]
        # every invocation's spans arrived: the function span and its child
        assert tally.spans == 2 * invocations, function.dump()
    assert max(answered[1:]) < SLOW_SECONDS * 1000 / 2, (answered, function.dump())
    assert min(billed[1:]) >= SLOW_SECONDS * 1000, billed


def test_the_extension_stays_parked_while_the_handler_runs() -> None:
    """Its next event arrives as the invocation starts; reading it then would take the
    interpreter lock from the handler while the caller waits. Once the runtime's posts
    are seen (after the first invocation), it reads the event after the post."""
    with otlp_receiver() as (endpoint, _):
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "DEPLOYMENT_ENV": "test"}
        with lambda_function("decorated.handler", env) as function:
            for _ in range(3):
                assert function.invoke({**API_EVENT, "extension_stack": True}).status == 200
            function.reports(3)
            stacks = [
                line["functions"]
                for line in function.json_lines()
                if line.get("message") == "extension stack"
            ]
    assert len(stacks) == 3, function.dump()
    for warm in stacks[1:]:
        assert "_next_event" in warm, warm
        assert "receive" not in warm, warm  # parked before reading, not in the flush
        assert "_after_response" not in warm, warm


@pytest.mark.slow
def test_without_the_extension_the_flush_happens_before_the_response() -> None:
    with fault_receiver("slow") as (endpoint, tally):
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "DEPLOYMENT_ENV": "test",
            "OTELKIT_LAMBDA_EXTENSION": "false",
        }
        with lambda_function("decorated.handler", env) as function:
            for _ in range(2):
                assert function.invoke(API_EVENT).status == 200
            answered = function.runtime_done_ms(2)
        assert tally.spans == 4, function.dump()
    assert min(answered) >= SLOW_SECONDS * 1000, answered
    assert "registered" not in function.dump()


def test_a_function_that_exports_nothing_writes_its_telemetry_within_the_invocation() -> None:
    # EMF and lines go to stdout: no extension to register at init, nothing after the
    # response, every invocation's EMF document written before its REPORT line.
    with lambda_function("decorated.handler", {"OTELKIT_EMF_NAMESPACE": "Shop"}) as function:
        for _ in range(2):
            assert function.invoke(API_EVENT).status == 200
        function.reports(2)
        output = function.dump()
        documents = [json.loads(line) for line in function.lines if line.startswith('{"_aws"')]
    assert "Internal agent otelkit" not in output
    assert [d["OrdersLoaded"] for d in documents if "OrdersLoaded" in d] == [1, 1], output


@pytest.mark.slow
@pytest.mark.parametrize("own_handler", [False, True])
def test_work_left_at_shutdown_is_flushed_when_lambda_stops_the_environment(
    own_handler: bool,
) -> None:
    with otlp_receiver() as (endpoint, received):
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "DEPLOYMENT_ENV": "test"}
        with lambda_function("background.handler", env) as function:
            assert function.invoke({"own_sigterm_handler": own_handler}).status == 200
            time.sleep(0.6)  # the background span ends, no invocation flushes it
            assert "background work" not in _span_names(received)
        # leaving the block stops the emulator: it sends the runtime SIGTERM
        assert "background work" in _span_names(received), function.dump()
    ran = "the function's own SIGTERM handler ran" in function.lines
    assert ran is own_handler, function.dump()


def _span_names(received: Any) -> list[str]:
    return [span["name"] for span in received.spans()]


@pytest.mark.slow
def test_invocations_that_never_enter_the_decorated_handler_do_not_wait_for_it() -> None:
    with (
        otlp_receiver() as (endpoint, _),
        lambda_function(
            "undecorated.handler", {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        ) as function,
    ):
        function.invoke({})  # cold: init counts
        response = function.invoke({})
        billed = _ms(function.reports(2)[1])
    assert "Internal agent otelkit" in function.dump()
    assert response.body["body"] == "plain"
    # The runtime's client tells the extension the response is posted: neither the
    # timeout nor the extension's start wait (0.5 s) is billed.
    assert billed < 400, billed


def test_a_failed_invocation_is_flushed_after_the_runtime_posts_its_error() -> None:
    # The extension flushes once the runtime's client posted the invocation's response
    # or, here, its error: the failed invocation's span arrives, nothing waits long.
    with otlp_receiver() as (endpoint, received):
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "DEPLOYMENT_ENV": "test"}
        with lambda_function("decorated.handler", env) as function:
            assert function.invoke(API_EVENT).status == 200  # cold
            failed = function.invoke({**API_EVENT, "fail": True})
            billed = _ms(function.reports(2)[1])
            error_spans = [
                span
                for span in received.spans()
                if span.get("status", {}).get("code") == "STATUS_CODE_ERROR"
            ]
            failed_spans = [span["name"] for span in error_spans]
    assert "Internal agent otelkit" in function.dump()
    assert failed.body["errorMessage"] == "order failed", failed.body
    # the failed invocation's span arrived before the emulator answered its caller
    assert failed_spans == ["otelkit-test"], received.spans()
    # built at the flush, after the error was posted: the exception event and its trace
    (exception,) = [e for e in error_spans[0].get("events", []) if e["name"] == "exception"]
    assert "order failed" in attributes(exception["attributes"])["exception.stacktrace"]
    assert billed < 400, billed


def _counted(received: Any, name: str) -> float:
    return sum(
        float(point.get("asDouble", point.get("asInt", 0)))
        for metric in received.metrics()
        if metric["name"] == name
        for point in metric.get("sum", {}).get("dataPoints", [])
    )


@pytest.mark.slow
def test_metrics_recorded_during_an_outage_arrive_when_the_collector_is_back() -> None:
    port = free_port()
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}", "DEPLOYMENT_ENV": "test"}
    with lambda_function("decorated.handler", env) as function:
        invocations = 0
        for _ in range(10):  # the collector is down
            function.invoke(API_EVENT)
            invocations += 1
        with otlp_receiver(port=port) as (_, received):
            deadline = time.monotonic() + 8
            # invoke until the outage's spans have arrived (past any back-off pause)
            while len(received.spans()) < 2 * invocations and time.monotonic() < deadline:
                function.invoke(API_EVENT)
                invocations += 1
                time.sleep(0.2)
            assert len(received.spans()) == 2 * invocations, "spans of the outage were lost"
            assert _counted(received, "OrdersLoaded") == invocations
