"""Which service invoked a Lambda function, read from the event's shape.

Lambda passes no "source" field, so the shape decides: ``Records[*].eventSource`` for
SQS, SNS (``EventSource``), S3, DynamoDB and Kinesis; ``requestContext.elb`` for an ALB;
``version: "2.0"`` with ``requestContext.http`` for HTTP APIs and function URLs;
``httpMethod`` for REST APIs; ``detail-type`` for EventBridge. Anything else, including
events that are not JSON objects at all, is a direct invocation. Every lookup here is
defensive: an odd event must never cost the handler its invocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.trace import SpanKind

from otelkit._http_requests import client_ip, header_map

_RECORD_SOURCES = {
    "aws:sqs": ("sqs", "pubsub"), "aws:sns": ("sns", "pubsub"),
    "aws:kinesis": ("kinesis", "pubsub"), "aws:s3": ("s3", "datasource"),
    "aws:dynamodb": ("dynamodb", "datasource"),
}
MESSAGING_SYSTEMS = {"sqs": "aws_sqs", "sns": "aws.sns"}


@dataclass
class Source:
    """What the handler span needs to know about the invocation's trigger.

    Attributes:
        name: ``api_gateway_rest``, ``api_gateway_http``, ``function_url``, ``alb``,
            ``sqs``, ``sns``, ``eventbridge``, ``s3``, ``dynamodb``, ``kinesis`` or ``direct``.
        trigger: the ``faas.trigger`` value.
        attributes: semantic-convention attributes of the invocation span.
        headers: lowercase HTTP headers (HTTP sources), the carrier of trace context.
        records: SQS/SNS records, each of which gets its own span.
    """

    name: str
    trigger: str
    attributes: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    peer: str | None = None
    records: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def is_http(self) -> bool:
        """Whether the invocation is an HTTP request (it gets a SERVER span, HTTP attributes)."""
        return self.trigger == "http"

    @property
    def kind(self) -> SpanKind:
        """SERVER for requests and direct calls; CONSUMER for messages and data events."""
        return SpanKind.SERVER if self.trigger in ("http", "other") else SpanKind.CONSUMER


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def arn_name(arn: object) -> str | None:
    """The last part of an ARN (queue or topic name)."""
    text = _str(arn)
    return text.rsplit(":", 1)[-1] if text else None


def detect(event: object) -> Source:
    """The source of ``event``; ``direct`` for anything unrecognised."""
    if not isinstance(event, Mapping):
        return Source("direct", "other")
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        return _records_source(records)
    context = _mapping(event.get("requestContext"))
    if "elb" in context:
        return _http_source("alb", event, context)
    if event.get("version") == "2.0" and isinstance(context.get("http"), Mapping):
        domain = _str(context.get("domainName")) or ""
        return _http_source("function_url" if ".lambda-url." in domain else "api_gateway_http",
                            event, context)
    if isinstance(event.get("httpMethod"), str) and context:
        return _http_source("api_gateway_rest", event, context)
    if "detail-type" in event and "source" in event:
        return _eventbridge_source(event)
    return Source("direct", "other")


def _records_source(records: list[Any]) -> Source:
    first = records[0]
    source_name = _str(first.get("eventSource")) or _str(first.get("EventSource")) or ""
    name, trigger = _RECORD_SOURCES.get(source_name, ("direct", "other"))
    if name not in MESSAGING_SYSTEMS:
        return Source(name, trigger)
    messages = [r for r in records if isinstance(r, Mapping)]
    attributes: dict[str, Any] = {
        "messaging.system": MESSAGING_SYSTEMS[name],
        "messaging.operation.type": "receive",
        "messaging.batch.message_count": len(messages),
    }
    destination = destination_of(first)
    if destination:
        attributes["messaging.destination.name"] = destination
    return Source(name, trigger, attributes, records=messages)


def destination_of(record: Mapping[str, Any]) -> str | None:
    """The queue (SQS) or topic (SNS) a record came from."""
    sns = record.get("Sns")
    if isinstance(sns, Mapping):
        return arn_name(sns.get("TopicArn"))
    return arn_name(record.get("eventSourceARN"))


def message_id_of(record: Mapping[str, Any]) -> str | None:
    """The SQS ``messageId`` or SNS ``MessageId`` of a record."""
    sns = record.get("Sns")
    if isinstance(sns, Mapping):
        return _str(sns.get("MessageId"))
    return _str(record.get("messageId")) or _str(record.get("MessageId"))


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    single = _mapping(event.get("headers"))
    pairs = [(str(k), v) for k, v in single.items() if isinstance(v, str)]
    if not pairs:  # ALB with multi-value headers enabled sends only these
        for name, values in _mapping(event.get("multiValueHeaders")).items():
            if isinstance(values, list):
                pairs.extend((str(name), v) for v in values if isinstance(v, str))
    return header_map(pairs)


def _http_source(name: str, event: Mapping[str, Any], context: Mapping[str, Any]) -> Source:
    headers = _headers(event)
    http = _mapping(context.get("http"))
    identity = _mapping(context.get("identity"))
    method = _str(http.get("method")) or _str(event.get("httpMethod")) or "GET"
    path = _str(event.get("rawPath")) or _str(event.get("path")) or _str(http.get("path"))
    attributes: dict[str, Any] = {"http.request.method": method.upper()}
    if path:
        attributes["url.path"] = path
    route = _route(name, event)
    if route:
        attributes["http.route"] = route
    scheme = headers.get("x-forwarded-proto")
    if scheme:
        attributes["url.scheme"] = scheme
    source_ip = _str(http.get("sourceIp")) or _str(identity.get("sourceIp"))
    address = client_ip(headers, source_ip.split("/", 1)[0] if source_ip else None) \
        if name == "alb" else (source_ip.split("/", 1)[0] if source_ip else None)
    if address:
        attributes["client.address"] = address
    server = _str(context.get("domainName")) or headers.get("host")
    if server:
        attributes["server.address"] = server
    agent = headers.get("user-agent")
    if agent:
        attributes["user_agent.original"] = agent
    # API Gateway and function URLs face the caller: their sourceIp is the peer. An ALB
    # sits in the VPC and says who called only in X-Forwarded-For (peer unknown).
    peer = source_ip.split("/", 1)[0] if source_ip and name != "alb" else None
    return Source(name, "http", attributes, headers=headers, peer=peer)


def _route(name: str, event: Mapping[str, Any]) -> str | None:
    """The route template: REST ``resource``, HTTP API ``routeKey`` (not ``$default``)."""
    if name == "api_gateway_rest":
        return _str(event.get("resource"))
    key = _str(event.get("routeKey"))
    if name == "api_gateway_http" and key and key != "$default":
        return key.split(" ", 1)[-1]
    return None


def _eventbridge_source(event: Mapping[str, Any]) -> Source:
    scheduled = (event.get("source") == "aws.events"
                 and event.get("detail-type") == "Scheduled Event")
    attributes: dict[str, Any] = {}
    for key, attribute in (("id", "cloudevents.event_id"), ("source", "cloudevents.event_source"),
                           ("detail-type", "cloudevents.event_type")):
        value = _str(event.get(key))
        if value:
            attributes[attribute] = value
    return Source("eventbridge", "timer" if scheduled else "pubsub", attributes,
                  headers=eventbridge_carrier(event))


def eventbridge_carrier(event: Mapping[str, Any]) -> dict[str, str]:
    """Trace headers a producer put in an EventBridge event's ``detail``: at its top level
    or in one nested object (wherever the PutEvents injection placed them)."""
    detail = _mapping(event.get("detail"))
    for candidate in (detail, *(v for v in detail.values() if isinstance(v, Mapping))):
        carrier = {str(k).lower(): v for k, v in candidate.items() if isinstance(v, str)}
        if "traceparent" in carrier or "x-amzn-trace-id" in carrier:
            return carrier
    return {}
