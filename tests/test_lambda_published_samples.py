"""The event shapes AWS's published samples use that the documented shapes did not cover:
VPC Lattice 2.0 header lists, RabbitMQ ``{"bytes": [...]}`` headers, ``aws:mq``,
Firehose without ``deliveryStreamArn``, ``X-Correlation-ID`` from CloudFront and
WebSocket requests; Alexa, SageMaker Ground Truth, WorkMail and IoT button events; and
``cloud.resource_id`` as the semantic conventions define it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import otelkit
from otelkit.aws._detect import detect
from otelkit.testing import Capture
from tests.support.lambda_context import ARN, TRACE_ID, TRACEPARENT, FakeContext
from tests.support.lambda_event_shapes import EVENTS

log = otelkit.get_logger("samples")


pytestmark = pytest.mark.usefixtures("warm_lambda")


@otelkit.aws.lambda_handler
def handler(event: Any, context: Any) -> Any:
    log.info("Handled")
    return {"ok": True}


def _event(name: str) -> Any:
    return copy.deepcopy(EVENTS[name])


def _line(cap: Capture) -> dict[str, Any]:
    (line,) = (line for line in cap.logs if line["message"] == "Handled")
    return line


def test_vpc_lattice_v2_header_lists_carry_the_trace_and_correlation_id(
    otelkit_capture: Capture,
) -> None:
    event = _event("vpcLatticeV2")
    event["headers"] = {
        "traceparent": [TRACEPARENT],
        "x-correlation-id": ["lattice-7"],
        "x-forwarded-for": ["10.0.0.9"],
    }
    handler(event, FakeContext())
    (span,) = otelkit_capture.spans
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.attributes["client.address"] == "10.0.0.9"
    assert _line(otelkit_capture)["correlation_id"] == "lattice-7"


def test_rabbitmq_headers_sent_as_bytes_carry_the_producers_trace() -> None:
    event = _event("rabbitMq")
    message = event["rmqMessagesByQueue"]["pizzaQueue::/"][0]
    message["basicProperties"]["headers"] = {
        "traceparent": {"bytes": list(TRACEPARENT.encode())},
        "retries": 3,  # numbers stay numbers: not a carrier value
    }
    (view,) = detect(event).record_views
    assert view.carrier == {"traceparent": TRACEPARENT}


@given(st.lists(st.integers(min_value=-5, max_value=300), max_size=20))
def test_any_bytes_header_is_decoded_or_left_out(raw: list[int]) -> None:
    event = _event("rabbitMq")
    message = event["rmqMessagesByQueue"]["pizzaQueue::/"][0]
    message["basicProperties"]["headers"] = {"traceparent": {"bytes": raw}}
    (view,) = detect(event).record_views
    assert set(view.carrier) <= {"traceparent"}


def test_activemq_events_naming_themselves_aws_mq_are_activemq() -> None:
    event = _event("activeMq")
    event["eventSource"] = "aws:mq"
    assert detect(event).name == "activemq"


def test_firehose_without_a_delivery_stream_arn_is_firehose() -> None:
    event = _event("firehose")
    del event["deliveryStreamArn"]
    assert detect(event).name == "firehose"
    assert detect(_event("kinesisAnalyticsOutput")).name == "kinesis_analytics"


def test_cloudfront_and_websocket_requests_bind_the_callers_correlation_id(
    otelkit_capture: Capture,
) -> None:
    cloudfront = _event("cloudFrontViewerRequest")
    request = cloudfront["Records"][0]["cf"]["request"]
    request["headers"]["x-correlation-id"] = [{"key": "X-Correlation-ID", "value": "edge-1"}]
    websocket = _event("webSocketConnect")
    websocket["headers"]["X-Correlation-ID"] = "ws-1"
    handler(cloudfront, FakeContext())
    handler(websocket, FakeContext())
    lines = [line for line in otelkit_capture.logs if line["message"] == "Handled"]
    assert [line.get("correlation_id") for line in lines] == ["edge-1", "ws-1"]


def test_cloud_resource_id_is_the_function_arn_with_the_version_that_runs(
    otelkit_capture: Capture,
) -> None:
    handler({}, FakeContext(invoked_function_arn=ARN, function_version="7"))
    handler({}, FakeContext(invoked_function_arn=ARN.rsplit(":", 1)[0], function_version="7"))
    resource_ids = [span.attributes["cloud.resource_id"] for span in otelkit_capture.spans]
    invoked = [span.attributes["aws.lambda.invoked_arn"] for span in otelkit_capture.spans]
    function = "arn:aws:lambda:eu-west-1:123456789012:function:video-worker"
    assert resource_ids == [f"{function}:7", f"{function}:7"]
    assert invoked == [ARN, function]


ALEXA_SKILL = {
    "version": "1.0",
    "session": {"new": True, "sessionId": "amzn1.echo-api.session.1"},
    "context": {"System": {"device": {"deviceId": "d-1"}}},
    "request": {"type": "LaunchRequest", "requestId": "amzn1.echo-api.request.1"},
}
ALEXA_SMART_HOME = {
    "directive": {
        "header": {"namespace": "Alexa.PowerController", "name": "TurnOn", "messageId": "m-1"},
        "endpoint": {"endpointId": "lamp-1"},
        "payload": {},
    }
}
GROUND_TRUTH_PRE = {
    "version": "2018-10-16",
    "labelingJobArn": "arn:aws:sagemaker:eu-west-1:123456789012:labeling-job/cats",
    "dataObject": {"source-ref": "s3://bucket/cat.jpg"},
}
GROUND_TRUTH_POST = {
    "version": "2018-10-16",
    "labelingJobArn": "arn:aws:sagemaker:eu-west-1:123456789012:labeling-job/cats",
    "labelCategories": ["cat"],
    "labelAttributeName": "cats",
    "roleArn": "arn:aws:iam::123456789012:role/gt",
    "payload": {"s3Uri": "s3://bucket/annotations.json"},
}
WORKMAIL = {
    "summaryVersion": "2019-07-28",
    "envelope": {"mailFrom": {"address": "a@example.com"}, "recipients": []},
    "sender": {"address": "a@example.com"},
    "subject": "Hello",
    "messageId": "00000000-0000-0000-0000-000000000000",
    "invocationId": "i-1",
    "flowDirection": "INBOUND",
    "truncated": False,
}
IOT_BUTTON = {"serialNumber": "G030JF055364XVRB", "clickType": "SINGLE", "batteryVoltage": "2000mV"}


def test_a_directive_key_alone_is_not_alexa() -> None:
    assert detect({"directive": {"header": {"namespace": "Mine"}}}).name == "direct"


@pytest.mark.parametrize(
    ("event", "source", "attribute"),
    [
        (ALEXA_SKILL, "alexa_skill", ("aws.alexa.request_type", "LaunchRequest")),
        (ALEXA_SMART_HOME, "alexa_smart_home", ("aws.alexa.directive_name", "TurnOn")),
        (GROUND_TRUTH_PRE, "sagemaker_ground_truth", ("aws.sagemaker.labeling_job_arn", None)),
        (GROUND_TRUTH_POST, "sagemaker_ground_truth", ("aws.sagemaker.labeling_job_arn", None)),
        (WORKMAIL, "workmail", ("aws.workmail.flow_direction", "INBOUND")),
        (IOT_BUTTON, "iot_button", ("aws.iot.click_type", "SINGLE")),
    ],
)
def test_the_remaining_published_sources_are_named(
    event: dict[str, Any], source: str, attribute: tuple[str, str | None]
) -> None:
    found = detect(copy.deepcopy(event))
    name, value = attribute
    assert found.name == source
    assert found.attributes[name] == (value or event.get("labelingJobArn"))
