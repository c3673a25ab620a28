"""Message shapes: every delivery shape read in one pass, the body parsed at most once,
and malformed messages of any shape read as "no context" without raising."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import otelkit
from otelkit.aws import _shapes
from otelkit.testing import Capture

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:orders"


def _sns_envelope(**attributes: str) -> str:
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "n-1",
            "TopicArn": TOPIC,
            "Message": "hello",
            "MessageAttributes": {k: {"Type": "String", "Value": v} for k, v in attributes.items()},
        }
    )


SHAPED = {
    "sqs_message": {
        "MessageId": "m",
        "Body": "x",
        "MessageAttributes": {"traceparent": {"DataType": "String", "StringValue": TRACEPARENT}},
    },
    "sqs_record": {
        "messageId": "m",
        "body": "x",
        "eventSource": "aws:sqs",
        "messageAttributes": {"traceparent": {"dataType": "String", "stringValue": TRACEPARENT}},
    },
    "sns_record": {
        "EventSource": "aws:sns",
        "Sns": {
            "MessageId": "m",
            "TopicArn": TOPIC,
            "MessageAttributes": {"traceparent": {"Type": "String", "Value": TRACEPARENT}},
        },
    },
    "eventbridge_event": {
        "detail-type": "OrderPlaced",
        "source": "shop",
        "detail": {"_otelkit": {"traceparent": TRACEPARENT}},
    },
}


@pytest.mark.parametrize("name", sorted(SHAPED))
def test_every_shape_is_recognised_and_yields_its_carrier(name: str) -> None:
    reading = _shapes.read(SHAPED[name])
    assert reading.shape.name == name
    assert reading.carrier["traceparent"] == TRACEPARENT


def test_the_shape_table_has_one_fallback_and_it_is_last() -> None:
    markers = [shape.marker for shape in _shapes.SHAPES]
    assert markers.count(None) == 1
    assert markers[-1] is None


def test_an_sns_envelope_in_an_sqs_body_is_parsed_once(
    monkeypatch: pytest.MonkeyPatch, otelkit_capture: Capture
) -> None:
    calls = []
    real_loads = json.loads

    def counting_loads(text: Any, **kwargs: Any) -> Any:
        calls.append(len(text))
        return real_loads(text, **kwargs)

    message = {
        "MessageId": "m-1",
        "Body": _sns_envelope(traceparent=TRACEPARENT, baggage="correlation_id=c-9"),
    }
    monkeypatch.setattr(json, "loads", counting_loads)  # the module _shapes reads with
    with otelkit.aws.process_message(message):
        assert otelkit.ids()["correlation_id"] == "c-9"
    assert len(calls) == 1
    (span,) = otelkit_capture.spans
    assert span.attributes["aws.sns.topic.arn"] == TOPIC
    assert f"{span.parent.span_id:016x}" == "00f067aa0ba902b7"


def test_a_large_json_body_that_cannot_be_an_envelope_is_never_parsed(
    monkeypatch: pytest.MonkeyPatch, otelkit_capture: Capture
) -> None:
    calls = []
    monkeypatch.setattr(json, "loads", lambda *a, **k: calls.append(1))
    body = json.dumps({"order": list(range(500)), "note": "x" * 2000})
    with otelkit.aws.process_message({"MessageId": "m-2", "Body": body}):
        pass
    assert calls == []
    assert otelkit_capture.spans[0].attributes["messaging.message.body.size"] == len(body)


def test_a_body_nested_deeper_than_the_parser_goes_is_no_context(otelkit_capture: Capture) -> None:
    body = '{"TopicArn": "t", "a":' * 50_000 + "1" + "}" * 50_000
    with otelkit.aws.process_message({"MessageId": "m-3", "Body": body}):
        pass
    (span,) = otelkit_capture.spans
    assert span.parent is None  # a new trace: nothing could be read, nothing raised


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "Body",
        "body",
        "MessageAttributes",
        "messageAttributes",
        "Sns",
        "Attributes",
        "attributes",
        "detail-type",
        "detail",
        "MessageId",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, JSONISH | st.text(max_size=40), max_size=6))
def test_any_message_shape_reads_without_raising(message: dict[str, Any]) -> None:
    reading = _shapes.read(message)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in reading.carrier.items())
    otelkit.aws.context_from_message(message)
