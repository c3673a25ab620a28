"""``RecordView``: one record of a stream or broker batch, as ``_record_sources`` reads it.

Its own module, off the import path of a function no such batch invokes: the detectors
that make views (``_record_sources``) and the spans that use them (``_records``) load
with the first batch, and a dataclass made at import costs its generated methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordView:
    """One record of a stream or broker batch (Kinesis, DynamoDB, Kafka, MQ…), read once.

    Attributes:
        name: the record span's name, ``process <destination>``.
        attributes: its messaging semantic-convention attributes.
        message_id: what ``batchItemFailures`` names the record by, when it can.
        carrier: propagation headers the producer put on the record (Kafka headers, MQ
            properties), lowercase; empty where the source cannot carry any.
    """

    name: str
    attributes: dict[str, Any]
    message_id: str | None = None
    carrier: dict[str, str] = field(default_factory=dict)
