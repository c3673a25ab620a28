"""What an invocation's trigger looks like to the handler span: the ``Source`` record and
the small, defensive helpers every event-source detector shares.

Lambda passes no "source" field, so each detector (see ``_detect``) reads the event's
shape. Every lookup here tolerates odd values: an unforeseen event must never cost the
handler its invocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind

if TYPE_CHECKING:  # made by the batch detectors, which load with the first batch
    from otelkit.aws._record_view import RecordView

MESSAGING_SYSTEMS = {"sqs": "aws_sqs", "sns": "aws.sns"}
#: Span kind by ``faas.trigger``: calls someone waits on are SERVER spans, deliveries
#: of messages and data changes CONSUMER spans.
_KINDS = {
    "http": SpanKind.SERVER,
    "other": SpanKind.SERVER,
    "pubsub": SpanKind.CONSUMER,
    "datasource": SpanKind.CONSUMER,
    "timer": SpanKind.CONSUMER,
}


@dataclass
class Source:
    """What the handler span needs to know about the invocation's trigger.

    Attributes:
        name: the source, e.g. ``api_gateway_rest``, ``kinesis``, ``cognito_user_pool``
            or ``direct``; also the span's ``cloud.event_source`` attribute.
        trigger: the ``faas.trigger`` value.
        attributes: semantic-convention attributes of the invocation span.
        headers: lowercase HTTP headers (HTTP sources, REQUEST authorizers, WebSocket
            connects), the carrier of trace context.
        records: SQS/SNS records, each of which gets its own span.
        record_views: records of other batch sources, each of which gets its own span.
        http_request: whether the invocation is an HTTP request whose response can
            carry ``X-Correlation-ID`` (not an authorizer, not a WebSocket frame).
        peer: the address that sent the request to AWS (API Gateway's ``sourceIp``); None
            where the platform does not say (an ALB in the VPC). With
            ``X-Forwarded-For`` it decides whether the caller's context is trusted.
    """

    name: str
    trigger: str
    attributes: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    records: list[Mapping[str, Any]] = field(default_factory=list)
    record_views: list[RecordView] = field(default_factory=list)
    http_request: bool = False
    peer: str | None = None

    @property
    def kind(self) -> SpanKind:
        """SERVER for requests and direct calls; CONSUMER for messages and data events."""
        return _KINDS.get(self.trigger, SpanKind.SERVER)


DIRECT = ("direct", "other")


def mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    # Events are JSON: a dict, checked first (the ABC's check costs several times more).
    return value if type(value) is dict or isinstance(value, Mapping) else {}


def text(value: object) -> str | None:
    """``value`` if it is a non-empty string."""
    return value if isinstance(value, str) and value else None


def arn_name(arn: object) -> str | None:
    """The last part of an ARN (queue or topic name)."""
    found = text(arn)
    return found.rsplit(":", 1)[-1] if found else None


def present(**attributes: object) -> dict[str, Any]:
    """The attributes whose values are usable (non-empty strings, numbers, booleans)."""
    return {
        _DOTTED.get(key) or _dotted(key): value
        for key, value in attributes.items()
        if (isinstance(value, str) and value) or isinstance(value, (int, float, bool))
    }


# ``http__route`` -> ``http.route``: the keyword names are the code's own, a few dozen.
_DOTTED: dict[str, str] = {}


def _dotted(key: str) -> str:
    dotted = _DOTTED[key] = key.replace("__", ".")
    return dotted


def destination_of(record: Mapping[str, Any]) -> str | None:
    """The queue (SQS) or topic (SNS) a record came from."""
    sns = record.get("Sns")
    if sns is not None and isinstance(sns, Mapping):
        return arn_name(sns.get("TopicArn"))
    return arn_name(record.get("eventSourceARN"))


def message_id_of(record: Mapping[str, Any]) -> str | None:
    """The SQS ``messageId`` or SNS ``MessageId`` of a record."""
    sns = record.get("Sns")
    if sns is not None and isinstance(sns, Mapping):  # None first: the ABC check is slow
        return text(sns.get("MessageId"))
    return text(record.get("messageId")) or text(record.get("MessageId"))


def eventbridge_carrier(event: Mapping[str, Any]) -> dict[str, str]:
    """Trace headers a producer put in an EventBridge event's ``detail``: at its top level
    or in one nested object (wherever the PutEvents injection placed them)."""
    detail = mapping(event.get("detail"))
    for candidate in (detail, *(v for v in detail.values() if isinstance(v, Mapping))):
        carrier = {str(k).lower(): v for k, v in candidate.items() if isinstance(v, str)}
        if "traceparent" in carrier or "x-amzn-trace-id" in carrier:
            return carrier
    return {}
