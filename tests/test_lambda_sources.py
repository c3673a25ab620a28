"""Every Lambda event source AWS documents is detected and named on the invocation span.

One case per source, built from the event shapes AWS documents (the shared fixtures, and
``lambda_event_shapes`` for the rest). Each checks the span's ``cloud.event_source``,
``faas.trigger``, kind and the attributes that name what invoked the function.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from opentelemetry.trace import SpanKind, StatusCode

import otelkit
from otelkit.aws._detect import detect
from otelkit.testing import Capture, capture
from tests.support.lambda_context import PARENT_ID, TRACE_ID, TRACEPARENT, FakeContext
from tests.support.lambda_event_shapes import EVENTS
from tests.support.lambda_source_cases import CASES

SHARED = Path(__file__).parent / "fixtures" / "lambda-events"
log = otelkit.get_logger("sources")


def load(name: str) -> Any:
    if name in EVENTS:
        return copy.deepcopy(EVENTS[name])
    return json.loads((SHARED / f"{name}.json").read_text())


pytestmark = pytest.mark.usefixtures("warm_lambda")


@otelkit.aws.lambda_handler
def handler(event: Any, context: Any) -> Any:
    log.info("Handled")
    return {"ok": True}


@pytest.mark.parametrize(
    ("name", "source", "trigger", "kind", "expected"), CASES, ids=[case[0] for case in CASES]
)
def test_each_source_is_named_on_the_invocation_span(
    otelkit_capture: Capture,
    name: str,
    source: str,
    trigger: str,
    kind: SpanKind,
    expected: dict[str, Any],
) -> None:
    handler(load(name), FakeContext())
    span = otelkit_capture.span("video-worker")
    attributes = dict(span.attributes)
    assert (attributes["cloud.event_source"], attributes["faas.trigger"], span.kind) == (
        source,
        trigger,
        kind,
    )
    assert attributes | expected == attributes
    if trigger != "http":
        assert "http.request.method" not in attributes
        assert "http.route" not in attributes


def test_every_documented_shape_has_a_case() -> None:
    assert set(EVENTS) <= {case[0] for case in CASES}


def test_an_appsync_batch_is_one_invocation_of_many_calls(otelkit_capture: Capture) -> None:
    handler([load("appSyncResolver"), load("appSyncResolver")], FakeContext())
    span = otelkit_capture.span("video-worker")
    assert span.attributes["cloud.event_source"] == "appsync_resolver"
    assert span.attributes["aws.appsync.batch_size"] == 2


def test_s3_and_dynamodb_are_told_apart(otelkit_capture: Capture) -> None:
    handler(load("s3Event"), FakeContext())
    handler(load("dynamoStreamEvent"), FakeContext())
    s3, dynamodb = (s for s in otelkit_capture.spans if s.name == "video-worker")
    assert s3.attributes["cloud.event_source"] == "s3"
    assert dynamodb.attributes["cloud.event_source"] == "dynamodb"
    assert "faas.document.collection" in s3.attributes
    assert "aws.s3.bucket" not in dynamodb.attributes


def test_authorizer_is_not_traced_as_a_request(otelkit_capture: Capture) -> None:
    """No request line, no generated correlation ID, the policy returned untouched; the
    caller's trace and IDs still continue through a REQUEST authorizer."""
    event = load("apiGatewayAuthorizerRequest")
    event["headers"].update({"traceparent": TRACEPARENT, "baggage": "correlation_id=c-1"})
    policy = {"principalId": "user", "policyDocument": {"Version": "2012-10-17"}}

    @otelkit.aws.lambda_handler
    def authorize(event: Any, context: Any) -> Any:
        log.info("Authorizing")
        return policy

    assert authorize(event, FakeContext()) is policy
    span = otelkit_capture.span("video-worker")
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.attributes["correlation_id"] == "c-1"
    otelkit_capture.clear()
    authorize(load("apiGatewayAuthorizerToken"), FakeContext())
    span = otelkit_capture.span("video-worker")
    assert "correlation_id" not in span.attributes
    assert span.parent is None


def test_websocket_routes_share_one_label_and_differ_by_route_key(otelkit_capture: Capture) -> None:
    for name in ("webSocketConnect", "webSocketMessage", "webSocketDisconnect"):
        handler(load(name), FakeContext())
    spans = [s for s in otelkit_capture.spans if s.name == "video-worker"]
    assert {s.attributes["cloud.event_source"] for s in spans} == {"api_gateway_websocket"}
    assert [s.attributes["aws.api_gateway.route_key"] for s in spans] == [
        "$connect",
        "chat",
        "$disconnect",
    ]
    assert {s.attributes["aws.api_gateway.websocket.connection_id"] for s in spans} == {
        "BFaT_fALIAMCKug="
    }


def test_kinesis_records_get_spans_named_by_sequence_number(otelkit_capture: Capture) -> None:
    event = load("kinesisStreamEvent")
    first, second = (r["kinesis"]["sequenceNumber"] for r in event["Records"])

    @otelkit.aws.lambda_handler
    def consume(event: Any, context: Any) -> Any:
        return {"batchItemFailures": [{"itemIdentifier": second}]}

    consume(event, FakeContext())
    invocation = otelkit_capture.span("video-worker")
    records = [s for s in otelkit_capture.spans if s.name == "process lambda-stream"]
    assert [s.attributes["messaging.message.id"] for s in records] == [first, second]
    assert all(s.parent.span_id == invocation.context.span_id for s in records)
    assert [s.status.status_code for s in records] == [StatusCode.UNSET, StatusCode.ERROR]


def test_kafka_record_links_to_its_producer_and_binds_its_ids(otelkit_capture: Capture) -> None:
    from tests.support.lambda_event_shapes import _kafka_headers

    event = load("kafkaMsk")
    event["records"]["orders-0"][0]["headers"] = _kafka_headers(
        traceparent=TRACEPARENT, baggage="job_id=job-42"
    )
    handler(event, FakeContext())
    linked, plain = (s for s in otelkit_capture.spans if s.name == "process orders")
    assert format(linked.links[0].context.trace_id, "032x") == TRACE_ID
    assert linked.attributes["job_id"] == "job-42"
    assert linked.attributes["messaging.kafka.offset"] == 15
    assert not plain.links


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("activeMq", lambda e, c: e["messages"][0]["properties"].update(c)),
        (
            "rabbitMq",
            lambda e, c: e["rmqMessagesByQueue"]["pizzaQueue::/"][0]["basicProperties"][
                "headers"
            ].update(c),
        ),
        (
            "kafkaSelfManaged",
            lambda e, c: e["records"]["payments-3"][0]["headers"].extend(
                [{k: list(v.encode())} for k, v in c.items()]
            ),
        ),
    ],
)
def test_a_single_broker_record_runs_the_handler_in_its_span(
    otelkit_capture: Capture, name: str, place: Any
) -> None:
    event = load(name)
    place(event, {"traceparent": TRACEPARENT, "baggage": "correlation_id=corr-5"})
    seen: list[dict[str, str]] = []

    @otelkit.aws.lambda_handler
    def consume(event: Any, context: Any) -> None:
        seen.append(otelkit.ids())
        log.info("Consumed")

    consume(event, FakeContext())
    record = next(s for s in otelkit_capture.spans if s.name.startswith("process "))
    assert format(record.links[0].context.span_id, "016x") == PARENT_ID
    line = next(line for line in otelkit_capture.logs if line["message"] == "Consumed")
    assert line["span_id"] == format(record.context.span_id, "016x")
    assert seen == [{"correlation_id": "corr-5"}]


def test_a_failed_single_record_is_failed(otelkit_capture: Capture) -> None:
    @otelkit.aws.lambda_handler
    def consume(event: Any, context: Any) -> None:
        raise ValueError("bad order")

    with pytest.raises(ValueError, match="bad order"):
        consume(load("activeMq"), FakeContext())
    record = otelkit_capture.span("process orders.queue")
    assert record.status.status_code is StatusCode.ERROR


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
hostile_keys = st.sampled_from(
    [
        "Records",
        "records",
        "eventSource",
        "requestContext",
        "type",
        "methodArn",
        "headers",
        "info",
        "messages",
        "events",
        "rmqMessagesByQueue",
        "cf",
        "detail-type",
        "source",
        "version",
        "http",
        "tasks",
        "awslogs",
        "arguments",
    ]
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.dictionaries(hostile_keys, json_values, max_size=6) | json_values)
def test_detection_never_raises_on_any_json(event: Any) -> None:
    source = detect(event)
    assert source.name
    assert source.trigger in {"http", "pubsub", "datasource", "timer", "other"}


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(EVENTS)), st.text(max_size=5), json_values)
def test_a_documented_shape_with_one_odd_field_still_detects(
    name: str, key: str, value: Any
) -> None:
    expected = detect(load(name))
    event = load(name)
    if isinstance(event, dict):
        assume(key not in event)  # a field the shape already has may change what it is
        event[key] = value
    found = detect(event)
    assert (found.name, found.trigger) == (expected.name, expected.trigger)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(EVENTS)), st.data())
def test_the_handler_survives_any_field_of_a_documented_shape_going_bad(
    name: str, data: st.DataObject
) -> None:
    """Through the public decorator: one field (top level or one level down) replaced by
    any JSON value, and the invocation still runs once, returns and is traced once."""
    event = load(name)
    target = event[0] if isinstance(event, list) else event
    path = [data.draw(st.sampled_from(sorted(target)))]
    if isinstance(target[path[0]], dict) and target[path[0]]:
        path.append(data.draw(st.sampled_from(sorted(target[path[0]]))))
    holder = target if len(path) == 1 else target[path[0]]
    holder[path[-1]] = data.draw(json_values)
    with capture() as cap:
        assert handler(event, FakeContext()) == {"ok": True}
    assert len([s for s in cap.spans if s.name == "video-worker"]) == 1


def test_dynamodb_records_are_failed_by_sequence_number(otelkit_capture: Capture) -> None:
    event = load("dynamoStreamEvent")
    first, second = (r["dynamodb"]["SequenceNumber"] for r in event["Records"])
    for record in event["Records"]:
        record["eventSourceARN"] = (
            "arn:aws:dynamodb:us-west-2:123456789012:table/Orders/stream/2024-01-01T00:00:00.000"
        )

    @otelkit.aws.lambda_handler
    def consume(event: Any, context: Any) -> Any:
        return {"batchItemFailures": [{"itemIdentifier": first}]}

    consume(event, FakeContext())
    records = [s for s in otelkit_capture.spans if s.name == "process Orders"]
    assert otelkit_capture.span("video-worker").attributes["aws.dynamodb.table_names"] == (
        "Orders",
    )
    assert [s.attributes["messaging.message.id"] for s in records] == [first, second]
    assert [s.attributes["faas.document.operation"] for s in records] == ["insert", "edit"]
    assert [s.status.status_code for s in records] == [StatusCode.ERROR, StatusCode.UNSET]


@pytest.mark.parametrize("name", ["firehose", "kinesisAnalyticsOutput"])
def test_a_records_field_that_is_not_a_list_is_not_counted(
    otelkit_capture: Capture, name: str
) -> None:
    event = load(name)
    event["records"] = 1  # found by the property test above: len() of an int
    assert handler(event, FakeContext()) == {"ok": True}
    span = otelkit_capture.span("video-worker")
    assert "messaging.batch.message_count" not in span.attributes
