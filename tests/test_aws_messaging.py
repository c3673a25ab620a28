"""IDs and trace context through SQS, SNS and EventBridge, against moto's server on loopback.

The producer runs here; for the SNS-to-SQS path the consumer is a separate process, so
nothing but the message itself can carry the trace and the IDs across.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import otelkit
from otelkit.testing import Capture, capture
from tests.support.servers import moto_client

ROOT = Path(__file__).resolve().parents[1]
CORRELATION_ID = "corr-4f1c2a"


@pytest.fixture
def producer(aws_endpoint: str) -> Iterator[Capture]:
    """otelkit configured with the botocore integration, capturing in memory."""
    otelkit.configure(
        service_name="producer", console=False, log_format="json", instrument=("botocore",)
    )
    with capture(service_name="producer") as cap:
        yield cap


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def _fan_out(sns: Any, sqs: Any, topic_name: str, queues: str) -> tuple[str, str, str]:
    """A topic delivering to two queues, ``<queues>-raw`` (raw delivery) and
    ``<queues>-envelope`` (the SNS envelope); returns the topic ARN and both queue URLs."""
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    raw_url, raw_arn = _queue(sqs, f"{queues}-raw")
    envelope_url, envelope_arn = _queue(sqs, f"{queues}-envelope")
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"}
    )
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=envelope_arn)
    return topic, raw_url, envelope_url


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    response = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["AWSTraceHeader"],
    )
    messages: list[dict[str, Any]] = response.get("Messages", [])
    return messages


def _strings(attributes: dict[str, Any]) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in attributes.items()}


def _hex_trace_id(span: Any) -> str:
    return f"{span.context.trace_id:032x}"


@pytest.mark.slow
def test_sns_to_sqs_consumer_process_gets_producer_trace_and_ids(
    producer: Capture, aws_endpoint: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    sns, sqs = moto_client("sns", aws_endpoint), moto_client("sqs", aws_endpoint)
    topic, raw_url, envelope_url = _fan_out(sns, sqs, "rez-messages", "rez")

    with otelkit.bind(correlation_id=CORRELATION_ID, message_id="msg-1", user_id="u-secret"):
        sns.publish(
            TopicArn=topic,
            Message='{"text": "hello"}',
            MessageAttributes={
                "message_type": {"DataType": "String", "StringValue": "scheduled_hello"}
            },
        )
    publish = producer.span("rez-messages send")
    trace_id = _hex_trace_id(publish)
    publish_id = f"{publish.context.span_id:016x}"

    output = tmp_path / "consumer.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.support.message_consumer",
            str(output),
            "1",
            raw_url,
            envelope_url,
        ],
        cwd=ROOT,
        env=aws_env,
        check=True,
        timeout=60,
    )
    consumed = json.loads(output.read_text())

    processed = [s for s in consumed["spans"] if s["kind"] == "CONSUMER"]
    assert {s["name"] for s in processed} == {"process rez-raw", "process rez-envelope"}
    for span in processed:
        assert span["trace_id"] == trace_id
        assert span["parent_id"] == publish_id
        assert span["links"] == [{"trace_id": trace_id, "span_id": publish_id}]
        assert span["attributes"]["messaging.system"] == "aws_sqs"
        assert span["attributes"]["messaging.operation.type"] == "process"
        assert span["attributes"]["correlation_id"] == CORRELATION_ID
        assert span["attributes"]["message_id"] == "msg-1"
        assert span["attributes"]["worker_id"] == "worker-7"  # the consumer's own ID stays
    envelope_span = next(s for s in processed if s["name"] == "process rez-envelope")
    assert envelope_span["attributes"]["aws.sns.topic.arn"] == topic
    # the DeleteMessage call inside the loop belongs to the message's trace too
    deletes = [s for s in consumed["spans"] if s["name"] == "SQS.DeleteMessage"]
    assert {s["trace_id"] for s in deletes} == {trace_id}

    received = [line for line in consumed["logs"] if line["message"] == "SQS message received"]
    assert len(received) == 2
    for line in received:
        assert line["correlation_id"] == CORRELATION_ID
        assert line["trace_id"] == trace_id
    assert "u-secret" not in json.dumps(consumed)


def test_sns_message_attributes_hold_traceparent_and_baggage_only(
    producer: Capture, aws_endpoint: str
) -> None:
    sns, sqs = moto_client("sns", aws_endpoint), moto_client("sqs", aws_endpoint)
    topic, raw_url, envelope_url = _fan_out(sns, sqs, "attrs-topic", "attrs")

    with otelkit.bind(correlation_id=CORRELATION_ID, user_id="u-secret"):
        sns.publish(TopicArn=topic, Message="hi")
    trace_id = _hex_trace_id(producer.span("attrs-topic send"))

    raw = _strings(_receive(sqs, raw_url)[0]["MessageAttributes"])
    envelope = json.loads(_receive(sqs, envelope_url)[0]["Body"])
    inner = {name: value["Value"] for name, value in envelope["MessageAttributes"].items()}
    for carried in (raw, inner):
        # upstream's X-Amzn-Trace-Id attribute is replaced: X-Ray travels as a header
        assert set(carried) == {"traceparent", "baggage"}
        assert carried["traceparent"].split("-")[1] == trace_id
        assert carried["baggage"] == f"correlation_id={CORRELATION_ID}"


def test_send_message_sets_attributes_and_aws_trace_header(
    producer: Capture, aws_endpoint: str
) -> None:
    sqs = moto_client("sqs", aws_endpoint)
    url, _ = _queue(sqs, "direct")
    with otelkit.bind(correlation_id=CORRELATION_ID, user_id="u-secret"):
        sqs.send_message(QueueUrl=url, MessageBody="direct")
    send = producer.span("SQS.SendMessage")

    [message] = _receive(sqs, url)
    carried = _strings(message["MessageAttributes"])
    assert set(carried) == {"traceparent", "baggage"}
    assert carried["baggage"] == f"correlation_id={CORRELATION_ID}"
    trace_header = message["Attributes"]["AWSTraceHeader"]
    xray_id = _hex_trace_id(send)
    assert trace_header.startswith(f"Root=1-{xray_id[:8]}-{xray_id[8:]};")
    assert f"Parent={send.context.span_id:016x}" in trace_header


def test_send_message_batch_carries_context_without_touching_caller_entries(
    producer: Capture, aws_endpoint: str
) -> None:
    sqs = moto_client("sqs", aws_endpoint)
    url, _ = _queue(sqs, "batch")
    entries = [{"Id": str(n), "MessageBody": f"m{n}"} for n in range(3)]
    with otelkit.bind(correlation_id=CORRELATION_ID):
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert entries == [{"Id": str(n), "MessageBody": f"m{n}"} for n in range(3)]
    trace_id = _hex_trace_id(producer.span("SQS.SendMessageBatch"))

    messages = _receive(sqs, url)
    assert len(messages) == 3
    with capture() as consumer:
        for message in otelkit.aws.process_messages(messages, queue_url=url):
            assert message["Body"].startswith("m")
            assert otelkit.ids() == {"correlation_id": CORRELATION_ID}
    assert {_hex_trace_id(s) for s in consumer.spans} == {trace_id}
    assert otelkit.ids() == {}


def test_publish_batch_carries_context_to_each_entry(producer: Capture, aws_endpoint: str) -> None:
    sns, sqs = moto_client("sns", aws_endpoint), moto_client("sqs", aws_endpoint)
    topic = sns.create_topic(Name="batch-topic")["TopicArn"]
    url, arn = _queue(sqs, "batch-raw")
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    with otelkit.bind(correlation_id=CORRELATION_ID):
        sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[
                {"Id": "a", "Message": "first"},
                {"Id": "b", "Message": "second"},
            ],
        )
    trace_id = _hex_trace_id(producer.span("batch-topic send"))

    messages = _receive(sqs, url)
    assert len(messages) == 2
    for message in messages:
        carried = _strings(message["MessageAttributes"])
        assert carried["traceparent"].split("-")[1] == trace_id
        assert carried["baggage"] == f"correlation_id={CORRELATION_ID}"


def test_put_events_carries_trace_header_and_ids_in_detail(
    producer: Capture, aws_endpoint: str
) -> None:
    events, sqs = moto_client("events", aws_endpoint), moto_client("sqs", aws_endpoint)
    url, arn = _queue(sqs, "events-target")
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop.orders"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "queue", "Arn": arn}])
    sent: list[dict[str, Any]] = []
    events.meta.events.register(
        "before-send.events.PutEvents", lambda request, **_: sent.append(json.loads(request.body))
    )

    with otelkit.bind(correlation_id=CORRELATION_ID, user_id="u-secret"):
        events.put_events(
            Entries=[
                {
                    "Source": "shop.orders",
                    "DetailType": "OrderPlaced",
                    "Detail": '{"order": 42,  "total": 9.50}',
                }
            ]
        )
    put = producer.span("EventBridge.PutEvents")
    trace_id = _hex_trace_id(put)

    [entry] = sent[0]["Entries"]
    assert entry["TraceHeader"].startswith(f"Root=1-{trace_id[:8]}-{trace_id[8:]};")
    # the user's JSON text is kept as written; the carrier is spliced in front of it
    assert entry["Detail"].endswith('"order": 42,  "total": 9.50}')
    detail = json.loads(entry["Detail"])
    assert detail["_otelkit"]["baggage"] == f"correlation_id={CORRELATION_ID}"

    [message] = _receive(sqs, url)
    assert "u-secret" not in message["Body"]
    with capture() as consumer, otelkit.aws.process_message(message, queue_url=url):
        assert otelkit.ids() == {"correlation_id": CORRELATION_ID}
    [span] = consumer.spans
    assert _hex_trace_id(span) == trace_id
    assert [link.context.span_id for link in span.links] == [put.context.span_id]


@pytest.mark.parametrize(
    ("user_attributes", "carried", "dropped"),
    [
        (8, {"traceparent", "baggage"}, None),
        (9, {"traceparent"}, ["baggage"]),
        (10, set(), ["baggage", "traceparent"]),
    ],
)
def test_attribute_limit_never_fails_the_send_and_says_what_was_left_out(
    producer: Capture,
    aws_endpoint: str,
    user_attributes: int,
    carried: set[str],
    dropped: list[str] | None,
) -> None:
    sqs = moto_client("sqs", aws_endpoint)
    url, _ = _queue(sqs, f"limit-{user_attributes}")
    attributes = {
        f"attr{n}": {"DataType": "String", "StringValue": str(n)} for n in range(user_attributes)
    }
    with otelkit.bind(correlation_id=CORRELATION_ID):
        sqs.send_message(QueueUrl=url, MessageBody="full", MessageAttributes=attributes)

    [message] = _receive(sqs, url)
    names = set(message["MessageAttributes"])
    assert names == set(attributes) | carried
    assert len(names) <= 10
    assert "AWSTraceHeader" in message["Attributes"]  # a system attribute: not counted
    warnings = [line for line in producer.logs if line.get("event_type") == "PROPAGATION_TRUNCATED"]
    if dropped is None:
        assert warnings == []
    else:
        [warning] = warnings
        assert warning["level"] == "WARNING"
        assert warning["dropped_attributes"] == dropped
        assert warning["operation"] == "SendMessage"
        assert warning["destination"] == url
        assert warning["correlation_id"] == CORRELATION_ID


def test_sns_publish_with_nine_attributes_still_carries_traceparent(
    producer: Capture, aws_endpoint: str
) -> None:
    # Upstream injects all-or-nothing and gives up here; otelkit carries what fits.
    sns, sqs = moto_client("sns", aws_endpoint), moto_client("sqs", aws_endpoint)
    topic = sns.create_topic(Name="full-topic")["TopicArn"]
    url, arn = _queue(sqs, "full-raw")
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    attributes = {f"attr{n}": {"DataType": "String", "StringValue": str(n)} for n in range(9)}
    with otelkit.bind(correlation_id=CORRELATION_ID):
        sns.publish(TopicArn=topic, Message="full", MessageAttributes=attributes)
    [message] = _receive(sqs, url)
    assert set(message["MessageAttributes"]) == {f"attr{n}" for n in range(9)} | {"traceparent"}
    [warning] = [
        line for line in producer.logs if line.get("event_type") == "PROPAGATION_TRUNCATED"
    ]
    assert warning["dropped_attributes"] == ["baggage"]
    assert warning["operation"] == "Publish"


def test_configured_private_ids_never_reach_message_attributes(aws_endpoint: str) -> None:
    otelkit.configure(
        service_name="producer",
        console=False,
        log_format="json",
        instrument=("botocore",),
        private_ids=["user_id", "session_id"],
    )
    sqs = moto_client("sqs", aws_endpoint)
    url, _ = _queue(sqs, "private")
    with otelkit.bind(correlation_id=CORRELATION_ID, session_id="s-secret", user_id="u-secret"):
        sqs.send_message(QueueUrl=url, MessageBody="private")
    [message] = _receive(sqs, url)
    assert _strings(message["MessageAttributes"])["baggage"] == f"correlation_id={CORRELATION_ID}"
    assert "secret" not in json.dumps(message)


def test_an_injection_error_is_reported_and_the_message_is_still_sent(
    producer: Capture,
    aws_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from otelkit.aws import _inject

    def broken(context: object = None) -> dict[str, str]:
        raise RuntimeError("propagator exploded")

    monkeypatch.setattr(_inject, "outgoing_headers", broken)
    monkeypatch.delenv("OTELKIT_STRICT")
    sqs = moto_client("sqs", aws_endpoint)
    url, _ = _queue(sqs, "resilient")
    sqs.send_message(QueueUrl=url, MessageBody="still sent")
    assert [m["Body"] for m in _receive(sqs, url)] == ["still sent"]
    assert "propagator exploded" in capsys.readouterr().err
