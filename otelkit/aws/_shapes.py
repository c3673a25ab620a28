"""The shapes an SQS, SNS or EventBridge message reaches a consumer in: one descriptor each.

Each shape spells its message attributes, its system attributes and its body under other
keys; a :class:`MessageLayout` says where, and :func:`read` turns any message into a
:class:`Reading` — the propagation carrier and what the ``process`` span describes — in one
pass. The body is parsed at most once, and only when its text can be an envelope (an SNS
notification or an EventBridge event delivered to a queue). A new shape is one entry in
``SHAPES``.

Nothing here raises on a malformed message: attributes that are not mappings, bodies that
are not JSON (or JSON nested too deep to parse) simply carry nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otelkit._core.safety import report_bad_input
from otelkit.aws._inject import EVENT_DETAIL_KEY

_XRAY_HEADER = "x-amzn-trace-id"
# ``isinstance(x, Mapping)`` goes through the ABC machinery on every call; a plain dict
# (what boto3 and Lambda give) is recognised by the first entry of the tuple at C speed.
MAPPINGS = (dict, Mapping)
# Attribute value keys, in every spelling: boto3 (StringValue), Lambda SQS (stringValue)
# and SNS (Value). Binary and number attributes carry no propagation headers.
_VALUE_KEYS = ("StringValue", "stringValue", "Value")
# A body can only be an envelope when its text holds one of these; checking the text is far
# cheaper than parsing a large body that is not one.
_ENVELOPE_MARKERS = ('"TopicArn"', '"detail-type"')


@dataclass(frozen=True, slots=True)
class MessageLayout:
    """Where one delivery shape keeps what a consumer needs.

    Attributes:
        name: the shape's name, for reports.
        marker: a key only this shape has at its top level (``None``: the fallback).
        system: the ``messaging.system`` of a span processing it.
        attributes: the path to its message attributes.
        system_attributes: the key of its system attributes (``AWSTraceHeader``), if any.
        body: the key of its body text, if any.
    """

    name: str
    marker: str | None
    system: str
    attributes: tuple[str, ...]
    system_attributes: str | None
    body: str | None


SHAPES: tuple[MessageLayout, ...] = (
    # An EventBridge event handed to a Lambda function: the carrier is in ``detail``.
    MessageLayout("eventbridge_event", "detail-type", "aws_eventbridge", (), None, None),
    # A Lambda SNS record.
    MessageLayout("sns_record", "Sns", "aws.sns", ("Sns", "MessageAttributes"), None, None),
    # A Lambda SQS record.
    MessageLayout("sqs_record", "body", "aws_sqs", ("messageAttributes",), "attributes", "body"),
    # A message from ``sqs.receive_message`` (the fallback for anything else).
    MessageLayout("sqs_message", None, "aws_sqs", ("MessageAttributes",), "Attributes", "Body"),
)
SHAPE_BY_NAME = {shape.name: shape for shape in SHAPES}


@dataclass(slots=True)
class Reading:
    """What one message says, read once.

    Attributes:
        shape: the shape it came in.
        carrier: its propagation headers, keys lower-cased.
        topic_arn: the SNS topic, when an SQS body is an SNS envelope.
        body_size: the body's size in bytes, when it has a text body.
    """

    shape: MessageLayout
    carrier: dict[str, str]
    topic_arn: str | None = None
    body_size: int | None = None


def shape_of(message: Mapping[str, Any]) -> MessageLayout:
    """The first shape whose marker ``message`` has (the fallback otherwise)."""
    for shape in SHAPES:
        if shape.marker is None or shape.marker in message:
            return shape
    return SHAPES[-1]  # unreachable: the last shape has no marker


def read(message: object) -> Reading:
    """The carrier and descriptive facts of ``message``, in any shape; never raises."""
    if not isinstance(message, MAPPINGS):
        return Reading(SHAPE_BY_NAME["sqs_message"], {})
    shape = shape_of(message)
    if shape.name == "eventbridge_event":
        return Reading(shape, event_carrier(message))
    carrier = attribute_values(_at(message, shape.attributes))
    reading = Reading(shape, carrier)
    body = message.get(shape.body) if shape.body else None
    if isinstance(body, str):
        # ``isascii`` is a flag lookup: an ASCII body's size is its length, no copy made.
        reading.body_size = (
            len(body) if body.isascii() else len(body.encode("utf-8", "surrogatepass"))
        )
        inner = envelope(body)
        if inner is not None:
            if _is_sns_envelope(inner):
                reading.topic_arn = _text(inner["TopicArn"])
                carrier.update(attribute_values(inner.get("MessageAttributes")))
            else:
                carrier.update(event_carrier(inner))
    system = message.get(shape.system_attributes) if shape.system_attributes else None
    trace_header = (
        system.get("AWSTraceHeader")
        if system is not None and isinstance(system, MAPPINGS)  # None skips the ABC check
        else None
    )
    if isinstance(trace_header, str) and _XRAY_HEADER not in carrier:
        carrier[_XRAY_HEADER] = trace_header
    return reading


def _at(message: Mapping[str, Any], path: tuple[str, ...]) -> object:
    value: object = message
    for key in path:
        value = value.get(key) if isinstance(value, MAPPINGS) else None
    return value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def attribute_values(attributes: object) -> dict[str, str]:
    """``{lowercase name: value}`` of the string attributes, in any spelling.

    Anything that is not a mapping of attribute mappings (``"oops"``, a list) is a
    malformed message: it carries no context, and that is reported, not raised.
    """
    values: dict[str, str] = {}
    if not isinstance(attributes, MAPPINGS):
        if attributes is not None:
            report_bad_input(
                "message attributes of unknown shape", f"{type(attributes).__name__}, not a mapping"
            )
        return values
    for name, attribute in attributes.items():
        if not isinstance(attribute, MAPPINGS):
            continue
        for key in _VALUE_KEYS:
            value = attribute.get(key)
            if isinstance(value, str):
                values[str(name).lower()] = value
                break
    return values


def envelope(body: str) -> Mapping[str, Any] | None:
    """``body`` parsed, when its text can be an SNS or EventBridge envelope; else ``None``."""
    if not body.startswith("{") or not _has_envelope_marker(body):
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return None
    return parsed if isinstance(parsed, dict) else None


def _has_envelope_marker(body: str) -> bool:
    for marker in _ENVELOPE_MARKERS:  # noqa: SIM110 - a plain loop costs less than any(genexpr)
        if marker in body:
            return True
    return False


def _is_sns_envelope(body: Mapping[str, Any]) -> bool:
    return body.get("Type") == "Notification" and "TopicArn" in body


def event_carrier(event: Mapping[str, Any]) -> dict[str, str]:
    """What an EventBridge event's ``detail`` carries under ``_otelkit``."""
    if "detail-type" not in event:
        return {}
    detail = event.get("detail")
    carried = detail.get(EVENT_DETAIL_KEY) if isinstance(detail, MAPPINGS) else None
    if not isinstance(carried, MAPPINGS):
        return {}
    return {str(k).lower(): v for k, v in carried.items() if isinstance(v, str)}
