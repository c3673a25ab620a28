"""One span per SQS/SNS record, linked to the span of the producer that sent it.

A batch's records were sent by different producers in different traces, so a record
cannot be a child of its producer; it is a child of the invocation span and carries a
*link* to the producer's span (the messaging semantic conventions' batch model). Its
bound IDs are the producer's public IDs.

``lambda_handler`` starts the record spans before the handler runs and ends them after
it returns. Inside the handler, ``process_message(record)`` makes a record's span current
and binds its IDs, so per-record logs and spans land under it::

    for record in event["Records"]:
        with otelkit.aws.process_message(record):
            handle(record)

For a batch of one record, ``lambda_handler`` does that itself around the whole handler.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from otelkit._core import switch as _switch
from otelkit._core.safety import report_bad_input, report_internal_error
from otelkit._correlation.ids import context_with_ids, current_ids
from otelkit._correlation.propagation import extract, extract_lowercased
from otelkit.aws._shapes import Reading, read
from otelkit.aws._sources import destination_of, message_id_of

if TYPE_CHECKING:
    from otelkit.aws._record_view import RecordView


def describe(
    message: Mapping[str, Any],
    reading: Reading,
    *,
    queue_url: str | None = None,
    system: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The ``process`` span's name and messaging semantic-convention attributes.

    The SQS/SNS message ID is an attribute (``messaging.message.id``), never a bound ID:
    ``message_id`` belongs to the application (the producer's own record ID travels in
    baggage) and must not be overwritten by the transport's.
    """
    attributes: dict[str, Any] = {
        "messaging.system": system or reading.shape.system,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
    }
    if queue_url:
        destination: str | None = queue_url.rstrip("/").rsplit("/", 1)[-1]
        attributes["aws.sqs.queue.url"] = queue_url
    else:
        destination = destination_of(message)
    if destination:
        attributes["messaging.destination.name"] = destination
    message_id = message_id_of(message)
    if message_id:
        attributes["messaging.message.id"] = message_id
    if reading.body_size is not None:
        attributes["messaging.message.body.size"] = reading.body_size
    if reading.topic_arn:
        attributes["aws.sns.topic.arn"] = reading.topic_arn
    return (f"process {destination}" if destination else "process"), attributes


class RecordSpan:
    """A record's span, the context to run its work in, and how its processing went."""

    __slots__ = ("context", "outcome", "span")

    def __init__(self, span: trace.Span, context: Context) -> None:
        self.span = span
        self.context = context
        self.outcome: str | None = None  # "ok" or "failed" once settled


def start_record_span(record: Mapping[str, Any], system: str | None = None) -> RecordSpan:
    """Start the span of ``record`` as a child of the current span, linked to its producer,
    with the producer's public IDs bound over the current ones."""
    reading = read(record)
    name, attributes = describe(record, reading, system=system)
    return _start(name, attributes, extract_lowercased(reading.carrier))


def start_view_span(view: RecordView) -> RecordSpan:
    """``start_record_span`` for a stream or broker record (Kinesis, Kafka, MQ…)."""
    producer = extract(view.carrier) if view.carrier else Context()
    return _start(view.name, dict(view.attributes), producer)


def _start(name: str, attributes: dict[str, Any], producer: Context) -> RecordSpan:
    producer_span = trace.get_current_span(producer).get_span_context()
    context = context_with_ids(dict(current_ids(producer)), otel_context.get_current())
    span = _switch.TRACER.delegate.start_span(
        name,
        context=context,
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        links=[Link(producer_span)] if producer_span.is_valid else None,
    )
    return RecordSpan(span, trace.set_span_in_context(span, context))


class Batch:
    """The record spans of one invocation, by message ID (sequence number for streams)."""

    def __init__(
        self, records: list[Mapping[str, Any]], system: str | None, views: Sequence[RecordView] = ()
    ) -> None:
        self.spans: list[RecordSpan] = []
        self.by_id: dict[str, RecordSpan] = {}
        for record in records:  # one malformed record never costs the others their spans
            if not isinstance(record, Mapping):
                report_bad_input("SQS/SNS record that is not a mapping", type(record).__name__)
                record = {}
            try:
                started = start_record_span(record, system)
            except Exception as exc:
                report_internal_error("lambda_handler (record span)", exc)
                started = start_record_span({}, system)
            self._add(started, message_id_of(record))
        for view in views:
            self._add(start_view_span(view), view.message_id)

    def _add(self, started: RecordSpan, message_id: str | None) -> None:
        self.spans.append(started)
        if message_id:
            self.by_id.setdefault(message_id, started)

    def finish(self, error: BaseException | None, failed_ids: set[str]) -> None:
        """End every record span: failed if its processing failed, if it is listed in the
        handler's ``batchItemFailures``, or (unless it was processed fine) if the
        invocation raised, since SQS then redelivers it."""
        for message_id, record in self.by_id.items():
            if message_id in failed_ids and record.outcome != "failed":
                record.span.set_status(Status(StatusCode.ERROR, "reported in batchItemFailures"))
        for record in self.spans:
            if error is not None and record.outcome is None:
                record.span.set_status(
                    Status(StatusCode.ERROR, f"invocation failed: {type(error).__name__}")
                )
            record.span.end()


_batch: ContextVar[Batch | None] = ContextVar("otelkit_lambda_batch", default=None)


def set_batch(batch: Batch | None) -> Any:
    """Make ``batch`` the current invocation's; returns a reset token."""
    return _batch.set(batch)


def reset_batch(token: Any) -> None:
    """Undo ``set_batch``."""
    _batch.reset(token)


def batch_record(message: Mapping[str, Any]) -> RecordSpan | None:
    """The span ``lambda_handler`` already started for ``message``, if any."""
    batch = _batch.get()
    message_id = message_id_of(message) if batch is not None else None
    return batch.by_id.get(message_id) if batch is not None and message_id else None
