"""``lambda_single_record``: a one-record SQS/SNS invocation links to its producer (the
default) or continues the producer's trace, through a real SQS queue (moto server)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit.aws import _lambda_lifecycle
from otelkit.testing import Capture, capture
from tests.support.lambda_context import PARENT_ID, TRACE_ID, TRACEPARENT, FakeContext
from tests.support.servers import moto_client


@otelkit.aws.lambda_handler
def processor(event: Any, context: Any) -> None:
    otelkit.get_logger("processor").info("Processing message")


@pytest.fixture
def cap(monkeypatch: pytest.MonkeyPatch) -> Iterator[Capture]:
    monkeypatch.setattr(_lambda_lifecycle, "_cold_start", False)
    otelkit.configure(service_name="scheduler", console=False, instrument=("botocore",))
    with capture(service_name="scheduler") as captured:
        yield captured


def _lambda_record(message: Mapping[str, Any], arn: str) -> dict[str, Any]:
    """The record Lambda's SQS event source mapping builds from a queue message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "md5OfBody": message["MD5OfBody"],
        "attributes": {
            "ApproximateReceiveCount": "1",
            **{k: v for k, v in message.get("Attributes", {}).items()},
        },
        "messageAttributes": {
            name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def _send_and_receive(endpoint: str) -> dict[str, Any]:
    sqs = moto_client("sqs", endpoint)
    url = sqs.create_queue(QueueName="rez-agent-message-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    with otelkit.bind(correlation_id="corr-sched-1"), otelkit.span("schedule message"):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"text": "hello"}))
    messages = sqs.receive_message(
        QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["AWSTraceHeader"]
    )["Messages"]
    sqs.delete_queue(QueueUrl=url)
    return {"Records": [_lambda_record(messages[0], arn["Attributes"]["QueueArn"])]}


@pytest.mark.parametrize("mode", ["link", "continue"])
def test_one_record_through_a_real_queue(cap: Capture, aws_endpoint: str, mode: str) -> None:
    event = _send_and_receive(aws_endpoint)
    # The pipeline is frozen: a changed one is swapped in.
    _pipeline.activate(replace(_pipeline.current(), lambda_single_record=mode))
    processor(event, FakeContext())

    send = next(s for s in cap.spans if s.kind.name == "PRODUCER" or s.name.endswith("SendMessage"))
    invocation, record = cap.span("video-worker"), cap.span("process rez-agent-message-queue")
    assert record.parent.span_id == invocation.context.span_id
    assert record.links[0].context.span_id == send.context.span_id, "linked either way"
    line = next(line for line in cap.logs if line["message"] == "Processing message")
    assert line["correlation_id"] == "corr-sched-1"
    if mode == "continue":  # one trace from the scheduler to the processor's log lines
        assert invocation.context.trace_id == send.context.trace_id
        assert invocation.parent.span_id == send.context.span_id
        assert line["trace_id"] == format(send.context.trace_id, "032x")
    else:
        assert invocation.context.trace_id != send.context.trace_id
        assert invocation.parent is None


def test_continue_applies_to_one_record_only(cap: Capture) -> None:
    batch = json.loads(
        (Path(__file__).parent / "fixtures" / "lambda-events" / "sqsEvent.json").read_text()
    )
    batch["Records"][0]["messageAttributes"]["traceparent"] = {
        "stringValue": TRACEPARENT,
        "dataType": "String",
    }
    # The pipeline is frozen: a changed one is swapped in.
    _pipeline.activate(replace(_pipeline.current(), lambda_single_record="continue"))
    processor(batch, FakeContext())
    assert cap.span("video-worker").parent is None, "two producers: no single parent"
    cap.clear()
    batch["Records"] = batch["Records"][:1]
    processor(batch, FakeContext())
    invocation = cap.span("video-worker")
    assert (
        format(invocation.context.trace_id, "032x"),
        format(invocation.parent.span_id, "016x"),
    ) == (TRACE_ID, PARENT_ID)


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTELKIT_LAMBDA_SINGLE_RECORD", "continue")
    otelkit.configure(console=False)
    assert _pipeline.current().lambda_single_record == "continue"
    monkeypatch.setenv("OTELKIT_LAMBDA_SINGLE_RECORD", "follow")
    with pytest.raises(ValueError, match="OTELKIT_LAMBDA_SINGLE_RECORD"):
        otelkit.configure(console=False)
