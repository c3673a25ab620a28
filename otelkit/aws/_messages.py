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
the producer's and whose bound IDs are the producer's public IDs. The shapes themselves
are described in ``otelkit.aws._shapes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context

from otelkit._correlation.propagation import extract_lowercased
from otelkit.aws._shapes import read


def message_carrier(message: Mapping[str, Any]) -> dict[str, str]:
    """The propagation headers a message carries, as a lowercase header mapping."""
    return read(message).carrier


def context_from_message(message: Mapping[str, Any]) -> Context:
    """The producer's context (parent span and public IDs) carried by an SQS or SNS message.

    Accepts a ``receive_message`` message, a Lambda SQS or SNS event record, or an SQS
    message holding an SNS envelope. A message that carries nothing (or is malformed)
    gives an empty Context: the consumer's work then starts a new trace.
    """
    return extract_lowercased(read(message).carrier)
