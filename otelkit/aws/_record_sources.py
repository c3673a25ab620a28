"""Detectors for the batch sources: services that hand a function a list of records.

SQS and SNS records go to ``_records`` (a span per record, linked to its producer). The
stream and broker sources get the same treatment through ``RecordView``: Kinesis and
DynamoDB Streams records are named by their sequence number (what
``batchItemFailures`` reports them by), Kafka records carry the producer's trace
context in their headers, ActiveMQ messages in their properties and RabbitMQ messages
in their AMQP headers. S3, SES and CodeCommit records describe one data change each;
the invocation span names what changed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from otelkit.aws._record_view import RecordView
from otelkit.aws._sources import (
    MESSAGING_SYSTEMS,
    Source,
    arn_name,
    destination_of,
    mapping,
    present,
    text,
)

#: ``faas.document.operation`` for the change a DynamoDB or S3 event reports.
_DYNAMODB_OPERATIONS = {"INSERT": "insert", "MODIFY": "edit", "REMOVE": "delete"}
_S3_OPERATIONS = {"ObjectCreated": "insert", "ObjectRemoved": "delete"}
#: Records spanned one by one at most; a larger batch gets spans for the first ones.
MAX_RECORD_SPANS = 1000


def _batch(
    name: str,
    trigger: str,
    system: str,
    destination: str | None,
    views: list[RecordView],
    **extra: object,
) -> Source:
    attributes = present(
        messaging__system=system,
        messaging__operation__type="receive",
        messaging__destination__name=destination,
        **extra,
    )
    attributes["messaging.batch.message_count"] = len(views)
    return Source(name, trigger, attributes, record_views=views[:MAX_RECORD_SPANS])


def _view(
    system: str,
    destination: str | None,
    message_id: str | None,
    carrier: dict[str, str] | None = None,
    **extra: object,
) -> RecordView:
    attributes = present(
        messaging__system=system,
        messaging__operation__type="process",
        messaging__operation__name="process",
        messaging__destination__name=destination,
        messaging__message__id=message_id,
        **extra,
    )
    name = f"process {destination}" if destination else "process"
    return RecordView(name, attributes, message_id, carrier or {})


def sqs_or_sns(records: list[Mapping[str, Any]], name: str) -> Source:
    """SQS or SNS records: handled per record by ``_records``."""
    attributes: dict[str, Any] = present(
        messaging__system=MESSAGING_SYSTEMS[name],
        messaging__operation__type="receive",
        messaging__destination__name=destination_of(records[0]),
    )
    attributes["messaging.batch.message_count"] = len(records)
    return Source(name, "pubsub", attributes, records=records)


def kinesis(records: list[Mapping[str, Any]], _: str) -> Source:
    """Kinesis Data Streams: the stream, and one span per record by sequence number."""
    stream = _after_slash(records[0].get("eventSourceARN"))
    views = [
        _view(
            "aws.kinesis",
            stream,
            text(mapping(r.get("kinesis")).get("sequenceNumber")),
            aws__kinesis__partition_key=mapping(r.get("kinesis")).get("partitionKey"),
        )
        for r in records
    ]
    return _batch(
        "kinesis", "pubsub", "aws.kinesis", stream, views, aws__kinesis__stream_name=stream
    )


def dynamodb(records: list[Mapping[str, Any]], _: str) -> Source:
    """DynamoDB Streams: the table and the kind of change (a data source, not a queue)."""
    table = _dynamodb_table(records[0].get("eventSourceARN"))
    operations = {
        _DYNAMODB_OPERATIONS.get(str(r.get("eventName")), str(r.get("eventName"))) for r in records
    }
    views = [
        _view(
            "aws.dynamodb",
            table,
            text(mapping(r.get("dynamodb")).get("SequenceNumber")),
            faas__document__operation=_DYNAMODB_OPERATIONS.get(str(r.get("eventName"))),
        )
        for r in records
    ]
    source = _batch(
        "dynamodb",
        "datasource",
        "aws.dynamodb",
        table,
        views,
        db__system__name="aws.dynamodb",
        faas__document__collection=table,
    )
    if len(operations) == 1:
        source.attributes["faas.document.operation"] = operations.pop()
    if table:
        source.attributes["aws.dynamodb.table_names"] = [table]
    return source


def s3(records: list[Mapping[str, Any]], _: str) -> Source:
    """S3 event notifications: bucket, key and the kind of change."""
    first = records[0]
    detail = mapping(first.get("s3"))
    event_name = text(first.get("eventName")) or ""
    return Source(
        "s3",
        "datasource",
        present(
            faas__document__collection=mapping(detail.get("bucket")).get("name"),
            faas__document__name=mapping(detail.get("object")).get("key"),
            faas__document__operation=_S3_OPERATIONS.get(
                event_name.split(":", 1)[0], event_name or None
            ),
            faas__document__time=first.get("eventTime"),
            aws__s3__bucket=mapping(detail.get("bucket")).get("name"),
            aws__s3__key=mapping(detail.get("object")).get("key"),
        ),
    )


def ses(records: list[Mapping[str, Any]], _: str) -> Source:
    """SES receipt rule: one received email."""
    mail = mapping(mapping(records[0].get("ses")).get("mail"))
    return Source(
        "ses",
        "pubsub",
        present(messaging__message__id=mail.get("messageId"), aws__ses__source=mail.get("source")),
    )


def codecommit(records: list[Mapping[str, Any]], _: str) -> Source:
    """CodeCommit repository trigger."""
    first = records[0]
    return Source(
        "codecommit",
        "other",
        present(
            aws__codecommit__repository=arn_name(first.get("eventSourceARN")),
            aws__codecommit__trigger=first.get("eventTriggerName"),
        ),
    )


def _after_slash(arn: object) -> str | None:
    found = text(arn)
    return found.split("/", 1)[1] if found and "/" in found else None


def _dynamodb_table(arn: object) -> str | None:
    """``Orders`` from ``arn:aws:dynamodb:…:table/Orders/stream/…``."""
    found = _after_slash(arn)
    return found.split("/", 1)[0] if found else None


#: Records sources by the ``eventSource`` (``EventSource`` for SNS) of the first record.
RECORD_SOURCES: dict[str, Callable[[list[Mapping[str, Any]], str], Source]] = {
    "aws:sqs": lambda records, _: sqs_or_sns(records, "sqs"),
    "aws:sns": lambda records, _: sqs_or_sns(records, "sns"),
    "aws:kinesis": kinesis,
    "aws:dynamodb": dynamodb,
    "aws:s3": s3,
    "aws:ses": ses,
    "aws:codecommit": codecommit,
}


def records_source(event: Mapping[str, Any]) -> Source | None:
    """A ``Records`` event whose first record names a known ``eventSource``."""
    records = event.get("Records")
    if not isinstance(records, list) or not records or not isinstance(records[0], Mapping):
        return None
    first = records[0]
    key = text(first.get("eventSource")) or text(first.get("EventSource")) or ""
    build = RECORD_SOURCES.get(key)
    if build is None:
        return None
    return build([r for r in records if isinstance(r, Mapping)], key)


# Kafka, MQ and DocumentDB name themselves at the top level of the event.


def _decoded_headers(headers: object) -> dict[str, str]:
    """Kafka record headers, a list of ``{name: [byte, …]}``, as lowercase text."""
    carrier: dict[str, str] = {}
    for entry in headers if isinstance(headers, list) else ():
        for name, value in mapping(entry).items():
            if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
                try:
                    carrier[str(name).lower()] = bytes(value).decode()
                except UnicodeDecodeError:
                    continue
            elif isinstance(value, str):  # some test tools send text; take it as is
                carrier[str(name).lower()] = _maybe_base64(value)
    return carrier


def _maybe_base64(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value


def _text_values(values: object) -> dict[str, str]:
    return {str(k).lower(): v for k, v in mapping(values).items() if isinstance(v, str)}


def _amqp_headers(values: object) -> dict[str, str]:
    """RabbitMQ message headers: text, or ``{"bytes": [byte, …]}`` as Lambda sends
    string headers, as lowercase text (numbers and undecodable bytes left out)."""
    carrier: dict[str, str] = {}
    for name, value in mapping(values).items():
        raw = mapping(value).get("bytes") if isinstance(value, Mapping) else None
        if isinstance(raw, list) and all(isinstance(b, int) and 0 <= b < 256 for b in raw):
            try:
                carrier[str(name).lower()] = bytes(raw).decode()
            except UnicodeDecodeError:
                continue
        elif isinstance(value, str):
            carrier[str(name).lower()] = value
    return carrier


def _flatten(groups: object) -> Iterable[Mapping[str, Any]]:
    for group in mapping(groups).values():
        for item in group if isinstance(group, list) else ():
            if isinstance(item, Mapping):
                yield item


def kafka(event: Mapping[str, Any], key: str) -> Source:
    """Amazon MSK or self-managed Kafka: records by ``topic-partition``, with headers."""
    views = []
    for record in _flatten(event.get("records")):
        topic = text(record.get("topic"))
        offset = record.get("offset")
        views.append(
            _view(
                "kafka",
                topic,
                None,
                _decoded_headers(record.get("headers")),
                messaging__kafka__offset=offset,
                messaging__destination__partition__id=str(record.get("partition")),
            )
        )
    name = "msk" if key == "aws:kafka" else "kafka"
    return _batch(
        name,
        "pubsub",
        "kafka",
        _first_destination(views),
        views,
        server__address=_first_broker(event.get("bootstrapServers")),
        aws__msk__cluster_arn=event.get("eventSourceArn"),
    )


def _first_destination(views: list[RecordView]) -> str | None:
    found = views[0].attributes.get("messaging.destination.name") if views else None
    return found if isinstance(found, str) else None


def _first_broker(servers: object) -> str | None:
    found = text(servers)
    return found.split(",", 1)[0].rsplit(":", 1)[0] if found else None


def activemq(event: Mapping[str, Any], _: str) -> Source:
    """Amazon MQ for ActiveMQ: messages with JMS properties (the trace carrier)."""
    views = []
    messages = event.get("messages")
    for message in messages if isinstance(messages, list) else ():
        message = mapping(message)
        queue = text(mapping(message.get("destination")).get("physicalName"))
        views.append(
            _view(
                "activemq",
                queue,
                text(message.get("messageID")),
                _text_values(message.get("properties")),
            )
        )
    return _batch(
        "activemq",
        "pubsub",
        "activemq",
        _first_destination(views),
        views,
        aws__mq__broker_arn=event.get("eventSourceArn"),
    )


def rabbitmq(event: Mapping[str, Any], _: str) -> Source:
    """Amazon MQ for RabbitMQ: messages by ``queue::vhost``, AMQP headers as carrier."""
    views = []
    for queue_key, group in mapping(event.get("rmqMessagesByQueue")).items():
        queue = str(queue_key).split("::", 1)[0]
        for message in group if isinstance(group, list) else ():
            properties = mapping(mapping(message).get("basicProperties"))
            views.append(
                _view(
                    "rabbitmq",
                    queue,
                    text(properties.get("messageId")),
                    _amqp_headers(properties.get("headers")),
                )
            )
    return _batch(
        "rabbitmq",
        "pubsub",
        "rabbitmq",
        _first_destination(views),
        views,
        aws__mq__broker_arn=event.get("eventSourceArn"),
    )


def documentdb(event: Mapping[str, Any], _: str) -> Source:
    """Amazon DocumentDB change stream: the collection and the kind of change."""
    events = event.get("events")
    first = mapping(mapping(events[0]).get("event")) if isinstance(events, list) and events else {}
    namespace = mapping(first.get("ns"))
    return Source(
        "documentdb",
        "datasource",
        present(
            db__system__name="documentdb",
            faas__document__collection=namespace.get("db"),
            faas__document__name=namespace.get("coll"),
            faas__document__operation=first.get("operationType"),
            aws__documentdb__cluster_arn=event.get("eventSourceArn"),
        ),
    )


#: Sources that put ``eventSource`` at the top level of the event.
TOP_LEVEL_SOURCES: dict[str, Callable[[Mapping[str, Any], str], Source]] = {
    "aws:kafka": kafka,
    "aws:SelfManagedKafka": kafka,
    "aws:amq": activemq,
    "aws:mq": activemq,  # what AWS's published ActiveMQ events name
    "aws:rmq": rabbitmq,
    "aws:docdb": documentdb,
}


def top_level_source(event: Mapping[str, Any]) -> Source | None:
    """An event naming its source at the top level: Kafka, MQ, DocumentDB."""
    key = text(event.get("eventSource"))
    build = TOP_LEVEL_SOURCES.get(key) if key else None
    return build(event, key) if build is not None and key else None
