"""``@otelkit.aws.lambda_handler`` against real Lambda event shapes, one per source."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import otelkit
from otelkit.aws import _lambda_lifecycle, correlation_paths
from otelkit.testing import Capture
from tests.support.lambda_context import (
    ARN,
    PARENT_ID,
    TRACE_ID,
    TRACEPARENT,
    FakeContext,
    event,
)

log = otelkit.get_logger("worker")


pytestmark = pytest.mark.usefixtures("warm_lambda")


@otelkit.aws.lambda_handler
def echo_handler(event: Any, context: Any) -> Any:
    log.info("Handling")
    return (
        {"statusCode": 201, "body": "{}"}
        if isinstance(event, dict) and ("httpMethod" in event or "requestContext" in event)
        else {"ok": True}
    )


def invocation(cap: Capture) -> Any:
    return cap.span("video-worker")


def test_api_gateway_rest_request_continues_the_callers_trace(otelkit_capture: Capture) -> None:
    request = event("apiGatewayProxyEvent")
    request["headers"].update(
        {
            "traceparent": TRACEPARENT,
            "X-Correlation-ID": "corr-77",
            "baggage": "job_id=job-9",
            "Authorization": "Bearer s3cr3t",
        }
    )
    result = echo_handler(request, FakeContext())

    assert result["headers"] == {"X-Correlation-ID": "corr-77"}
    span = invocation(otelkit_capture)
    assert span.kind is SpanKind.SERVER
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    attributes = dict(span.attributes)
    assert (
        attributes
        | {
            "faas.trigger": "http",
            "faas.invocation_id": "req-0001",
            "faas.name": "video-worker",
            "faas.version": "7",
            # the version that runs, not the alias invoked (which is kept apart)
            "cloud.resource_id": ARN.rsplit(":", 1)[0] + ":7",
            "aws.lambda.invoked_arn": ARN,
            "cloud.account.id": "123456789012",
            "cloud.region": "eu-west-1",
            "faas.coldstart": False,
            "http.request.method": "GET",
            "url.path": "/my/path",
            "http.route": "/my/path",
            "client.address": "192.168.0.1",
            "http.response.status_code": 201,
            "correlation_id": "corr-77",
            "job_id": "job-9",
        }
        == attributes
    )
    (line,) = (line for line in otelkit_capture.logs if line["logger"] == "worker")
    assert (line["correlation_id"], line["job_id"], line["trace_id"]) == (
        "corr-77",
        "job-9",
        TRACE_ID,
    )
    assert "s3cr3t" not in json.dumps([attributes, otelkit_capture.logs], default=str)


@pytest.mark.parametrize(
    ("fixture", "method", "path", "route"),
    [
        ("apiGatewayProxyV2Event", "POST", "/my/path", None),
        ("lambdaFunctionUrlEvent", "GET", "/", None),
        ("albEvent", "GET", "/lambda", None),
    ],
)
def test_every_http_source_is_a_server_span_with_http_attributes(
    otelkit_capture: Capture,
    fixture: str,
    method: str,
    path: str,
    route: str | None,
) -> None:
    request = event(fixture)
    request["headers"]["x-request-id"] = "req-from-client"
    result = echo_handler(request, FakeContext())
    assert result["headers"]["X-Correlation-ID"] == "req-from-client"
    span = invocation(otelkit_capture)
    assert span.kind is SpanKind.SERVER
    assert span.attributes["faas.trigger"] == "http"
    assert (span.attributes["http.request.method"], span.attributes["url.path"]) == (method, path)
    assert span.attributes.get("http.route") == route
    assert span.attributes["correlation_id"] == "req-from-client"


def test_http_request_without_correlation_header_gets_a_generated_one(
    otelkit_capture: Capture,
) -> None:
    result = echo_handler(event("apiGatewayProxyV2Event"), FakeContext())
    generated = result["headers"]["X-Correlation-ID"]
    assert invocation(otelkit_capture).attributes["correlation_id"] == generated


def test_sqs_batch_gets_a_span_per_record_linked_to_its_producer(otelkit_capture: Capture) -> None:
    batch = event("sqsEvent")
    first, second = batch["Records"]
    first["messageAttributes"]["traceparent"] = {"stringValue": TRACEPARENT, "dataType": "String"}
    first["messageAttributes"]["baggage"] = {
        "stringValue": "job_id=job-1,user_id=u-1",
        "dataType": "String",
    }
    seen: list[dict[str, str]] = []

    @otelkit.aws.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for record in event["Records"]:
            with otelkit.aws.process_message(record):
                seen.append(otelkit.ids())
                log.info("Processing message")
        return {"batchItemFailures": [{"itemIdentifier": second["messageId"]}]}

    handler(batch, FakeContext())

    parent = invocation(otelkit_capture)
    assert parent.kind is SpanKind.CONSUMER
    assert dict(parent.attributes) | {
        "faas.trigger": "pubsub",
        "messaging.system": "aws_sqs",
        "messaging.destination.name": "my-queue",
        "messaging.batch.message_count": 2,
    } == dict(parent.attributes)
    one, two = (s for s in otelkit_capture.spans if s.name == "process my-queue")
    for record_span, record in ((one, first), (two, second)):
        assert record_span.kind is SpanKind.CONSUMER
        assert record_span.parent.span_id == parent.context.span_id
        assert record_span.attributes["messaging.message.id"] == record["messageId"]
        assert "message_id" not in record_span.attributes, "the app's ID, not SQS's"
    (link,) = one.links
    assert (format(link.context.trace_id, "032x"), format(link.context.span_id, "016x")) == (
        TRACE_ID,
        PARENT_ID,
    )
    assert one.attributes["job_id"] == "job-1"
    assert not two.links
    assert two.status.status_code is StatusCode.ERROR  # listed in batchItemFailures
    assert one.status.status_code is StatusCode.UNSET

    assert seen == [{"job_id": "job-1"}, {}], "user_id is never taken from baggage"
    lines = [line for line in otelkit_capture.logs if line["logger"] == "worker"]
    assert [line["span_id"] for line in lines] == [
        format(one.context.span_id, "016x"),
        format(two.context.span_id, "016x"),
    ]


def test_single_record_batch_runs_the_whole_handler_in_the_record_scope(
    otelkit_capture: Capture,
) -> None:
    message = event("sqsEvent")
    message["Records"] = message["Records"][:1]
    message["Records"][0]["attributes"]["AWSTraceHeader"] = (
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    )
    message["Records"][0]["messageAttributes"]["traceparent"] = {
        "stringValue": TRACEPARENT,
        "dataType": "String",
    }
    echo_handler(message, FakeContext())
    record_span = otelkit_capture.span("process my-queue")
    (line,) = (line for line in otelkit_capture.logs if line["logger"] == "worker")
    assert record_span.attributes["messaging.message.id"] == (
        "059f36b4-87a3-44ab-83d2-661975830a7d"
    )
    assert line["span_id"] == format(record_span.context.span_id, "016x")
    assert format(record_span.links[0].context.span_id, "016x") == PARENT_ID


def test_sns_and_sns_via_sqs_records_link_to_the_publisher(otelkit_capture: Capture) -> None:
    notification = event("snsEvent")
    notification["Records"][0]["Sns"]["MessageAttributes"]["traceparent"] = {
        "Type": "String",
        "Value": TRACEPARENT,
    }
    echo_handler(notification, FakeContext())
    parent = invocation(otelkit_capture)
    assert parent.attributes["messaging.system"] == "aws.sns"
    record_span = otelkit_capture.span("process sns-lambda")
    assert record_span.attributes["messaging.message.id"] == (
        "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
    )
    assert format(record_span.links[0].context.trace_id, "032x") == TRACE_ID

    otelkit_capture.clear()
    wrapped = event("snsSqsEvent")
    envelope = json.loads(wrapped["Records"][0]["body"])
    envelope["MessageAttributes"] = {"traceparent": {"Type": "String", "Value": TRACEPARENT}}
    wrapped["Records"][0]["body"] = json.dumps(envelope)
    echo_handler(wrapped, FakeContext())
    record_span = otelkit_capture.span("process powertools265")
    assert format(record_span.links[0].context.span_id, "016x") == PARENT_ID


def test_eventbridge_event_with_correlation_path(otelkit_capture: Capture) -> None:
    @otelkit.aws.lambda_handler(correlation_id_path=correlation_paths.EVENT_BRIDGE)
    def handler(event: dict[str, Any], context: Any) -> None:
        log.info("Instance changed")

    bus_event = event("eventBridgeEvent")
    bus_event["detail"]["trace_context"] = {"traceparent": TRACEPARENT}
    handler(bus_event, FakeContext())
    span = invocation(otelkit_capture)
    assert span.kind is SpanKind.CONSUMER
    assert span.attributes["faas.trigger"] == "pubsub"
    assert span.attributes["cloudevents.event_type"] == "EC2 Instance State-change Notification"
    assert span.attributes["correlation_id"] == "6a7e8feb-b491-4cf7-a9f1-bf3703467718"
    assert format(span.parent.span_id, "016x") == PARENT_ID
    (line,) = (line for line in otelkit_capture.logs if line["logger"] == "worker")
    assert line["correlation_id"] == "6a7e8feb-b491-4cf7-a9f1-bf3703467718"


@pytest.mark.parametrize(
    ("path", "fixture", "expected"),
    [
        (correlation_paths.API_GATEWAY_REST, "apiGatewayProxyEvent", "id="),
        (correlation_paths.API_GATEWAY_HTTP, "apiGatewayProxyV2Event", "id"),
        (
            correlation_paths.APPLICATION_LOAD_BALANCER,
            "albEvent",
            "Root=1-5c536348-3d683b8b04734faae651f476",
        ),
        (correlation_paths.SQS, "sqsEvent", "059f36b4-87a3-44ab-83d2-661975830a7d"),
        (correlation_paths.S3, "s3Event", "D82B88E5F771F645"),
    ],
)
def test_correlation_paths_find_the_sources_own_id(
    otelkit_capture: Capture, path: str, fixture: str, expected: str
) -> None:
    def ignore(event: Any, context: Any) -> None:
        return None

    handler = otelkit.aws.lambda_handler(correlation_id_path=path)(ignore)
    handler(event(fixture), FakeContext())
    assert invocation(otelkit_capture).attributes["correlation_id"] == expected


def test_unsupported_correlation_path_fails_at_decoration() -> None:
    with pytest.raises(ValueError, match=r"Records\[\*\]"):
        otelkit.aws.lambda_handler(correlation_id_path="Records[*].messageId")


@pytest.mark.parametrize(
    "odd",
    [
        None,
        "text",
        [1, 2],
        {"Records": "x"},
        {"Records": [None]},
        {"requestContext": {"elb": None}, "headers": None},
        {"version": "2.0", "requestContext": {"http": {}}},
        {
            "Records": [
                {"eventSource": "aws:sqs", "messageAttributes": {"traceparent": {"stringValue": 5}}}
            ]
        },
    ],
)
def test_odd_events_are_direct_invocations_and_never_crash(
    otelkit_capture: Capture, odd: Any
) -> None:
    assert echo_handler(copy.deepcopy(odd), None) is not None
    span = otelkit_capture.span("echo_handler")
    assert span.attributes["faas.trigger"] in {"other", "http", "pubsub"}


def test_direct_invocation_and_exception(otelkit_capture: Capture) -> None:
    @otelkit.aws.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError, match="render failed"):
        handler({"job": "x"}, FakeContext())
    span = invocation(otelkit_capture)
    assert span.attributes["faas.trigger"] == "other"
    assert span.status.status_code is StatusCode.ERROR
    assert span.events[0].attributes["exception.type"] == "RuntimeError"


def test_cold_start_is_flagged_and_counted_once(
    otelkit_capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lambda_lifecycle, "_cold_start", True)
    for _ in range(3):
        echo_handler({}, FakeContext())
    flags = [s.attributes["faas.coldstart"] for s in otelkit_capture.spans]
    assert flags == [True, False, False]
    assert otelkit_capture.metrics["ColdStart"] == [({"function_name": "video-worker"}, 1)]


def test_provisioned_concurrency_is_not_a_cold_start(
    otelkit_capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lambda_lifecycle, "_cold_start", True)
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
    echo_handler({}, FakeContext())
    assert invocation(otelkit_capture).attributes["faas.coldstart"] is False
    assert "ColdStart" not in otelkit_capture.metrics


@pytest.mark.parametrize(
    ("remaining_ms", "expected"),
    # a share, at most 1 s; with little left, what fits of 100 ms before the last 50 ms
    [(30_000, 1.0), (5_000, 0.5), (1_300, 0.13), (250, 0.1), (120, 0.07), (40, None)],
)
def test_flush_is_bounded_by_the_remaining_time(
    monkeypatch: pytest.MonkeyPatch,
    remaining_ms: int,
    expected: float | None,
) -> None:
    calls: list[float] = []
    order: list[str] = []

    @otelkit.aws.lambda_handler
    def handler(event: Any, context: Any) -> str:
        order.append("handler")
        return "done"

    def flush(timeout: float) -> bool:
        calls.append(timeout)
        return True

    monkeypatch.setattr(_lambda_lifecycle, "flush", flush)
    assert handler({}, FakeContext(remaining_ms=remaining_ms)) == "done"
    assert calls == ([] if expected is None else [pytest.approx(expected)])


def test_all_signals_reach_the_exporter_before_the_handler_returns() -> None:
    otelkit.configure(service_name="video-worker", console=False, log_format="json")
    exported: list[str] = []

    from otelkit._core import pipeline as _pipeline

    pipeline = _pipeline.current()
    original = pipeline.flush

    def flush(timeout: float) -> bool:
        exported.append("flush")
        return original(timeout)

    # The pipeline is frozen: a changed one is swapped in.
    _pipeline.activate(replace(pipeline, flush=flush))
    echo_handler({}, FakeContext())
    assert exported == ["flush"]


def test_lambda_xray_env_parent_is_used_only_when_sampled(
    otelkit_capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled={}"
    monkeypatch.setenv("_X_AMZN_TRACE_ID", header.format(0))
    echo_handler({}, FakeContext())
    assert invocation(otelkit_capture).parent is None
    otelkit_capture.clear()
    monkeypatch.setenv("_X_AMZN_TRACE_ID", header.format(1))
    echo_handler({}, FakeContext())
    span = invocation(otelkit_capture)
    assert format(span.context.trace_id, "032x") == "5759e988bd862e3fe1be46a994272793"
    assert format(span.parent.span_id, "016x") == "53995c3f42cd8ad8"


def test_x_ray_header_from_an_http_event_is_the_parent(otelkit_capture: Capture) -> None:
    request = event("albEvent")
    request["headers"]["x-forwarded-for"] = "10.0.3.7"  # an internal caller: trusted
    request["headers"]["x-amzn-trace-id"] = (
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    )
    echo_handler(request, FakeContext())
    assert format(invocation(otelkit_capture).parent.span_id, "016x") == "53995c3f42cd8ad8"


def test_an_internet_callers_trace_context_is_not_the_parent(otelkit_capture: Capture) -> None:
    """Through an ALB from a public address: its Parent and Sampled=0 decide nothing."""
    request = event("albEvent")  # x-forwarded-for: a public address
    request["headers"]["x-amzn-trace-id"] = (
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"
    )
    echo_handler(request, FakeContext())
    span = invocation(otelkit_capture)
    assert span.parent is None
    assert span.context.trace_flags.sampled


def test_an_albs_root_trace_id_becomes_the_invocations_trace_id(otelkit_capture: Capture) -> None:
    """An ALB sends an X-Ray Root but no parent: the invocation's trace takes that ID, so
    the ALB's access log line and the function's log lines share it."""
    echo_handler(event("albEvent"), FakeContext())  # x-amzn-trace-id: Root=1-5c536348-…
    span = invocation(otelkit_capture)
    assert format(span.context.trace_id, "032x") == "5c5363483d683b8b04734faae651f476"
    assert span.parent is None, "a new trace, not a child of a span that never existed"
    (line,) = (line for line in otelkit_capture.logs if line["message"] == "Handling")
    assert line["xray_trace_id"] == "1-5c536348-3d683b8b04734faae651f476"
