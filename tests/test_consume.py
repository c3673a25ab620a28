"""process_message / process_messages: one span per message, and what break and
exceptions in the loop body do to spans and to the caller's context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

import otelkit
from otelkit.testing import Capture

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lambda-events"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PRODUCER_SPAN_ID = "00f067aa0ba902b7"
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/orders"


def _message(number: int, **ids: str) -> dict[str, Any]:
    attributes = {
        "traceparent": {"DataType": "String", "StringValue": f"00-{TRACE_ID}-{PRODUCER_SPAN_ID}-01"}
    }
    if ids:
        baggage = ",".join(f"{k}={v}" for k, v in ids.items())
        attributes["baggage"] = {"DataType": "String", "StringValue": baggage}
    return {
        "MessageId": f"m-{number}",
        "ReceiptHandle": "r",
        "Body": f"body {number}",
        "MessageAttributes": attributes,
    }


def _nothing_current() -> bool:
    return not trace.get_current_span().get_span_context().is_valid and otelkit.ids() == {}


def test_each_message_gets_a_consumer_span_linked_to_the_producer(otelkit_capture: Capture) -> None:
    seen = []
    messages = [_message(1, correlation_id="c-1"), _message(2, correlation_id="c-2")]
    for message in otelkit.aws.process_messages(messages, queue_url=QUEUE_URL):
        seen.append((message["MessageId"], otelkit.ids()["correlation_id"]))
    assert seen == [("m-1", "c-1"), ("m-2", "c-2")]
    assert _nothing_current()
    first, second = otelkit_capture.spans
    assert first.name == "process orders"
    assert first.kind is SpanKind.CONSUMER
    assert f"{first.context.trace_id:032x}" == TRACE_ID
    assert f"{first.parent.span_id:016x}" == PRODUCER_SPAN_ID
    assert [f"{link.context.span_id:016x}" for link in first.links] == [PRODUCER_SPAN_ID]
    assert dict(first.attributes) == {
        "messaging.system": "aws_sqs",
        "messaging.operation.name": "process",
        "messaging.operation.type": "process",
        "messaging.destination.name": "orders",
        "aws.sqs.queue.url": QUEUE_URL,
        "messaging.message.id": "m-1",
        "messaging.message.body.size": 6,
        "correlation_id": "c-1",
    }
    assert second.attributes["correlation_id"] == "c-2"


def test_leaving_with_after_break_ends_the_span_and_restores_the_context(
    otelkit_capture: Capture,
) -> None:
    messages = [_message(n) for n in range(3)]
    with otelkit.aws.process_messages(messages, queue_url=QUEUE_URL) as batch:
        for message in batch:
            if message["MessageId"] == "m-1":
                break
    assert _nothing_current()
    assert [s.attributes["messaging.message.id"] for s in otelkit_capture.spans] == ["m-0", "m-1"]


def test_exception_in_with_body_is_recorded_on_that_message_and_reraised(
    otelkit_capture: Capture,
) -> None:
    batch = otelkit.aws.process_messages([_message(0), _message(1)])
    with pytest.raises(ValueError, match="bad payload"), batch:  # noqa: PT012 - loop body
        for message in batch:
            if message["MessageId"] == "m-1":
                raise ValueError("bad payload")
    assert _nothing_current()
    ok, failed = otelkit_capture.spans
    assert ok.status.status_code is StatusCode.UNSET
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.events[0].name == "exception"


def test_bare_loop_left_by_break_does_not_leak_the_message_context(
    otelkit_capture: Capture,
) -> None:
    for message in otelkit.aws.process_messages([_message(0), _message(1)]):
        assert message["MessageId"] == "m-0"
        break
    assert _nothing_current()
    assert len(otelkit_capture.spans) == 1


def test_process_message_records_failures_and_keeps_the_batch_going(
    otelkit_capture: Capture,
) -> None:
    failures = []
    for message in [_message(0, correlation_id="c-0"), _message(1, correlation_id="c-1")]:
        try:
            with otelkit.aws.process_message(message, queue_url=QUEUE_URL) as span:
                assert span.is_recording()
                if message["MessageId"] == "m-0":
                    raise RuntimeError("downstream timeout")
        except RuntimeError:
            failures.append(message["MessageId"])
    assert failures == ["m-0"]
    statuses = [s.status.status_code for s in otelkit_capture.spans]
    assert statuses == [StatusCode.ERROR, StatusCode.UNSET]


def test_consumer_ids_stay_bound_and_a_bare_message_nests_under_the_current_span(
    otelkit_capture: Capture,
) -> None:
    bare = {"MessageId": "m-x", "Body": "no context"}
    with (
        otelkit.bind(worker_id="w-1"),
        otelkit.span("poll") as poll,
        otelkit.aws.process_message(bare),
    ):
        assert otelkit.ids() == {"worker_id": "w-1"}
    processed = otelkit_capture.span("process")
    assert processed.parent.span_id == poll.get_span_context().span_id
    assert processed.links == ()


def test_lambda_sqs_record_names_its_queue_from_the_event_source_arn(
    otelkit_capture: Capture,
) -> None:
    record = json.loads((FIXTURES / "sqsEvent.json").read_text())["Records"][0]
    with otelkit.aws.process_message(record):
        pass
    span = otelkit_capture.span("process my-queue")
    assert span.attributes["messaging.message.id"] == record["messageId"]


def test_sns_envelope_without_raw_delivery_is_read(otelkit_capture: Capture) -> None:
    envelope = {
        "Type": "Notification",
        "TopicArn": "arn:aws:sns:us-east-1:1:topic",
        "Message": "hi",
        "MessageAttributes": {
            "traceparent": {"Type": "String", "Value": f"00-{TRACE_ID}-{PRODUCER_SPAN_ID}-01"},
            "baggage": {"Type": "String", "Value": "correlation_id=c-9,user_id=u-1"},
        },
    }
    message = {"MessageId": "m-e", "Body": json.dumps(envelope)}
    with otelkit.aws.process_message(message, queue_url=QUEUE_URL):
        assert otelkit.ids()["correlation_id"] == "c-9"
    span = otelkit_capture.span("process orders")
    assert f"{span.context.trace_id:032x}" == TRACE_ID
    assert span.attributes["aws.sns.topic.arn"] == "arn:aws:sns:us-east-1:1:topic"


def test_aws_trace_header_system_attribute_alone_continues_the_trace(
    otelkit_capture: Capture,
) -> None:
    message = {
        "MessageId": "m-x",
        "Body": "x",
        "Attributes": {
            "AWSTraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793;"
            "Parent=53995c3f42cd8ad8;Sampled=1"
        },
    }
    with otelkit.aws.process_message(message):
        pass
    [span] = otelkit_capture.spans
    assert f"{span.context.trace_id:032x}" == "5759e988bd862e3fe1be46a994272793"
    assert f"{span.parent.span_id:016x}" == "53995c3f42cd8ad8"
