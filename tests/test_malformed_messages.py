"""A malformed SQS/SNS message is processed without context, never raised, and never
costs the other records of its batch their spans."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import SpanKind

import otelkit
from otelkit.testing import Capture

EVENTS = Path(__file__).parent / "fixtures" / "lambda-events"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
DEEP_BODY = '{"a":' * 50_000 + "1" + "}" * 50_000  # ~300 KB, deeper than any stack


def _sns_envelope(attributes: object) -> str:
    return json.dumps(
        {
            "Type": "Notification",
            "TopicArn": "arn:aws:sns:us-east-1:1:t",
            "Message": "hi",
            "MessageAttributes": attributes,
        }
    )


MALFORMED: dict[str, Any] = {
    "attributes_string": {"MessageId": "m", "Body": "x", "MessageAttributes": "oops"},
    "attributes_list": {"MessageId": "m", "Body": "x", "MessageAttributes": ["oops"]},
    "lambda_attributes_string": {"messageId": "m", "body": "x", "messageAttributes": "oops"},
    "envelope_attributes_string": {"MessageId": "m", "Body": _sns_envelope("oops")},
    "envelope_topic_not_string": {
        "MessageId": "m",
        "Body": json.dumps({"Type": "Notification", "TopicArn": {"x": 1}, "MessageAttributes": {}}),
    },
    "deep_body": {"MessageId": "m", "Body": DEEP_BODY},
    "system_attributes_string": {"MessageId": "m", "Body": "x", "Attributes": "oops"},
    "lone_surrogate_body": {"MessageId": "m", "Body": "\ud800"},
    "sns_attributes_string": {"Sns": {"MessageId": "m", "MessageAttributes": "oops"}},
    "not_a_mapping": "just a string",
}


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_process_message_treats_malformed_messages_as_no_context(
    name: str,
    strict: bool,
    otelkit_capture: Capture,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not strict:
        monkeypatch.delenv("OTELKIT_STRICT")
    with otelkit.aws.process_message(MALFORMED[name]) as span:
        assert span.is_recording()
    (consumer,) = otelkit_capture.spans
    assert consumer.kind is SpanKind.CONSUMER
    assert consumer.parent is None  # no producer context was found
    assert "Traceback" not in capsys.readouterr().err


def test_malformed_attributes_are_reported_once(
    otelkit_capture: Capture, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(3):
        with otelkit.aws.process_message(MALFORMED["attributes_string"]):
            pass
    err = capsys.readouterr().err
    assert err.count("message attributes of unknown shape") <= 1  # once per process


def test_process_messages_keeps_going_past_a_malformed_message(otelkit_capture: Capture) -> None:
    good = {
        "MessageId": "good",
        "Body": "x",
        "MessageAttributes": {"traceparent": {"DataType": "String", "StringValue": TRACEPARENT}},
    }
    messages = [MALFORMED["attributes_string"], MALFORMED["deep_body"], good]
    handled = [m.get("MessageId") for m in otelkit.aws.process_messages(messages)]
    assert handled == ["m", "m", "good"]
    assert len(otelkit_capture.spans) == 3
    assert otelkit_capture.spans[-1].parent is not None  # the good one kept its producer


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_one_bad_record_costs_no_other_record_its_span(
    strict: bool, otelkit_capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not strict:
        monkeypatch.delenv("OTELKIT_STRICT")
    batch = json.loads((EVENTS / "sqsEvent.json").read_text())
    first, second = batch["Records"]
    first["messageAttributes"] = {"traceparent": {"stringValue": TRACEPARENT, "dataType": "String"}}
    bad = copy.deepcopy(second)
    bad["messageId"] = "bad"
    bad["messageAttributes"] = "oops"
    deep = copy.deepcopy(second)
    deep["messageId"] = "deep"
    deep["body"] = DEEP_BODY
    batch["Records"] = [first, bad, deep, second]
    processed: list[str] = []

    @otelkit.aws.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for record in event["Records"]:
            with otelkit.aws.process_message(record):
                processed.append(record["messageId"])
        return {"batchItemFailures": []}

    handler(batch, None)
    assert processed == [first["messageId"], "bad", "deep", second["messageId"]]
    record_spans = [s for s in otelkit_capture.spans if s.name.startswith("process")]
    assert len(record_spans) == 4
    assert [link.context.span_id for link in record_spans[0].links] == [0x00F067AA0BA902B7]
