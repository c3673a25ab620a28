"""Reading trace context and IDs back out of SQS and SNS messages, in every shape AWS uses.

A message reaches a consumer in one of these shapes, and each spells its attributes
differently:

* ``sqs.receive_message``: ``MessageAttributes: {name: {"StringValue": …, "DataType": …}}``
  and ``Attributes: {"AWSTraceHeader": …}`` (when requested).
* A Lambda SQS event record: ``messageAttributes: {name: {"stringValue": …}}`` and
  ``attributes: {"AWSTraceHeader": …}``.
* A Lambda SNS event record: ``Sns: {"MessageAttributes": {name: {"Type": …, "Value": …}}}``.
* SNS delivered to SQS without raw delivery: the SQS body is the SNS JSON envelope, whose
  ``MessageAttributes`` hold what the producer set.
* An EventBridge event (a Lambda event, or an SQS body when a rule targets a queue):
  events have no attributes, so otelkit's producer side puts ``traceparent`` and
  ``baggage`` in ``detail._otelkit`` (see ``otelkit.aws._inject``).

``context_from_message`` accepts any of them and returns a Context whose parent span is
the producer's and whose bound IDs are the producer's public IDs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context

from otelkit._propagation import extract
from otelkit._safety import report_bad_input
from otelkit.aws._inject import EVENT_DETAIL_KEY

_XRAY_HEADER = "x-amzn-trace-id"


def _attribute_values(attributes: object) -> dict[str, str]:
    """``{name: value}`` from any of the attribute spellings (String types only).

    Anything that is not a mapping of attribute mappings (``"oops"``, a list, None) is a
    malformed message: it carries no context, and that is not an error of the consumer.
    """
    values: dict[str, str] = {}
    if not isinstance(attributes, Mapping):
        if attributes is not None:
            report_bad_input("message attributes of unknown shape",
                             f"{type(attributes).__name__}, not a mapping")
        return values
    for name, attribute in attributes.items():
        if not isinstance(attribute, Mapping):
            continue
        for key in ("StringValue", "stringValue", "Value"):
            value = attribute.get(key)
            if isinstance(value, str):
                values[str(name)] = value
                break
    return values


def json_object(body: object) -> Mapping[str, Any] | None:
    """``body`` parsed, when it is the text of a JSON object (cheap check first)."""
    if not isinstance(body, str) or not body.startswith("{"):
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the stack
        return None
    return parsed if isinstance(parsed, dict) else None


def sns_envelope(body: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The SNS notification inside an SQS body (non-raw delivery), if that is what it is."""
    if body is not None and body.get("Type") == "Notification" and "TopicArn" in body:
        return body
    return None


def _event_carrier(event: Mapping[str, Any] | None) -> dict[str, str]:
    """What an EventBridge event's ``detail`` carries under ``_otelkit``."""
    if event is None or "detail-type" not in event:
        return {}
    detail = event.get("detail")
    carried = detail.get(EVENT_DETAIL_KEY) if isinstance(detail, Mapping) else None
    if not isinstance(carried, Mapping):
        return {}
    return {str(k).lower(): v for k, v in carried.items() if isinstance(v, str)}


def message_carrier(message: Mapping[str, Any]) -> dict[str, str]:
    """The propagation headers a message carries, as a lowercase header mapping; empty
    for a message of no known shape."""
    if not isinstance(message, Mapping):
        return {}
    if "detail-type" in message:  # an EventBridge event handed over directly
        return _event_carrier(message)
    sns = message.get("Sns")
    if isinstance(sns, Mapping):  # Lambda SNS record
        return {k.lower(): v for k, v in
                _attribute_values(sns.get("MessageAttributes")).items()}
    attributes = message.get("MessageAttributes") or message.get("messageAttributes")
    carrier = {k.lower(): v for k, v in _attribute_values(attributes).items()}
    body = json_object(message.get("Body", message.get("body")))
    envelope = sns_envelope(body)
    if envelope is not None:  # SNS -> SQS without raw delivery: the producer's attributes
        inner = _attribute_values(envelope.get("MessageAttributes"))
        carrier = {**carrier, **{k.lower(): v for k, v in inner.items()}}
    else:  # EventBridge -> SQS: the event is the body
        carrier = {**carrier, **_event_carrier(body)}
    system = message.get("Attributes") or message.get("attributes") or {}
    trace_header = system.get("AWSTraceHeader") if isinstance(system, Mapping) else None
    if isinstance(trace_header, str) and _XRAY_HEADER not in carrier:
        carrier[_XRAY_HEADER] = trace_header
    return carrier


def context_from_message(message: Mapping[str, Any]) -> Context:
    """The producer's context (parent span and public IDs) carried by an SQS or SNS message.

    Accepts a ``receive_message`` message, a Lambda SQS or SNS event record, or an SQS
    message holding an SNS envelope. A message that carries nothing gives an empty
    Context: the consumer's work then starts a new trace.
    """
    return extract(message_carrier(message))
