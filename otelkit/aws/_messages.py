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

``context_from_message`` accepts any of them and returns a Context whose parent span is
the producer's and whose bound IDs are the producer's public IDs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context

from otelkit._propagation import extract

_XRAY_HEADER = "x-amzn-trace-id"


def _attribute_values(attributes: Mapping[str, Any]) -> dict[str, str]:
    """``{name: value}`` from any of the attribute spellings (String types only)."""
    values: dict[str, str] = {}
    for name, attribute in attributes.items():
        if not isinstance(attribute, Mapping):
            continue
        for key in ("StringValue", "stringValue", "Value"):
            value = attribute.get(key)
            if isinstance(value, str):
                values[str(name)] = value
                break
    return values


def _sns_envelope(body: object) -> Mapping[str, Any] | None:
    """The SNS notification inside an SQS body (non-raw delivery), if that is what it is."""
    if not isinstance(body, str) or not body.startswith("{"):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if isinstance(parsed, dict) and parsed.get("Type") == "Notification" and "TopicArn" in parsed:
        return parsed
    return None


def message_carrier(message: Mapping[str, Any]) -> dict[str, str]:
    """The propagation headers a message carries, as a lowercase header mapping."""
    sns = message.get("Sns")
    if isinstance(sns, Mapping):  # Lambda SNS record
        return {k.lower(): v for k, v in
                _attribute_values(sns.get("MessageAttributes") or {}).items()}
    attributes = message.get("MessageAttributes") or message.get("messageAttributes") or {}
    carrier = {k.lower(): v for k, v in _attribute_values(attributes).items()}
    envelope = _sns_envelope(message.get("Body", message.get("body")))
    if envelope is not None:  # SNS -> SQS without raw delivery: the producer's attributes
        inner = _attribute_values(envelope.get("MessageAttributes") or {})
        carrier = {**carrier, **{k.lower(): v for k, v in inner.items()}}
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
