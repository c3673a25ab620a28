"""One span per SQS/SNS record, linked to the span of the producer that sent it.

A batch's records were sent by different producers in different traces, so a record
cannot be a child of its producer; it is a child of the invocation span and carries a
*link* to the producer's span (the messaging semantic conventions' batch model). Its
bound IDs are the producer's public IDs plus its own ``message_id``.

``lambda_handler`` starts the record spans before the handler runs and ends them after
it returns. Inside the handler, ``processing(record)`` makes a record's span current and
binds its IDs, so per-record logs and spans land under it::

    for record in event["Records"]:
        with otelkit.aws.processing(record):
            handle(record)

For a batch of one record, ``lambda_handler`` does that itself around the whole handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from otelkit import _switch
from otelkit._ids import context_with_ids, current_ids, validate_ids
from otelkit._spans import fail_span
from otelkit.aws._messages import context_from_message
from otelkit.aws._sources import _MESSAGING_SYSTEM, destination_of, message_id_of


class RecordSpan:
    """A record's span, the context to run its work in, and how its processing went."""

    __slots__ = ("context", "outcome", "span")

    def __init__(self, span: trace.Span, context: Context) -> None:
        self.span = span
        self.context = context
        self.outcome: str | None = None  # "ok" or "failed" once settled


def start_record_span(record: Mapping[str, Any], system: str | None = None) -> RecordSpan:
    """Start the span of ``record`` as a child of the current span, linked to its producer."""
    producer = context_from_message(record)
    producer_span = trace.get_current_span(producer).get_span_context()
    message_id = message_id_of(record)
    fields = dict(current_ids(producer))
    if message_id:
        try:
            fields.update(validate_ids({"message_id": message_id}))
        except ValueError:
            pass  # a message ID too long to bind is still on the span as an attribute
    context = context_with_ids(fields, otel_context.get_current())
    destination = destination_of(record)
    if system is None:
        system = _MESSAGING_SYSTEM["sns" if isinstance(record.get("Sns"), Mapping) else "sqs"]
    attributes: dict[str, Any] = {"messaging.system": system,
                                  "messaging.operation.type": "process",
                                  "messaging.operation.name": "process"}
    if destination:
        attributes["messaging.destination.name"] = destination
    if message_id:
        attributes["messaging.message.id"] = message_id
    span = _switch.TRACER.delegate.start_span(
        f"process {destination}" if destination else "process", context=context,
        kind=SpanKind.CONSUMER, attributes=attributes,
        links=[Link(producer_span)] if producer_span.is_valid else None)
    return RecordSpan(span, trace.set_span_in_context(span, context))


class Batch:
    """The record spans of one invocation, by message ID."""

    def __init__(self, records: list[Mapping[str, Any]], system: str | None) -> None:
        self.spans: list[RecordSpan] = []
        self.by_id: dict[str, RecordSpan] = {}
        for record in records:
            started = start_record_span(record, system)
            self.spans.append(started)
            message_id = message_id_of(record)
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
                record.span.set_status(Status(StatusCode.ERROR,
                                              f"invocation failed: {type(error).__name__}"))
            record.span.end()


_batch: ContextVar[Batch | None] = ContextVar("otelkit_lambda_batch", default=None)


def set_batch(batch: Batch | None) -> Any:
    """Make ``batch`` the current invocation's; returns a reset token."""
    return _batch.set(batch)


def reset_batch(token: Any) -> None:
    """Undo ``set_batch``."""
    _batch.reset(token)


class processing:  # noqa: N801 - used like a function: ``with otelkit.aws.processing(r):``
    """Run the work on one SQS/SNS record in that record's span, with its IDs bound.

    Inside ``lambda_handler``, this enters the span the handler already started for the
    record; elsewhere (a test, a custom runtime) it starts one, linked to the producer.
    An exception marks the record's span failed and is re-raised.

    Args:
        record: a record of a Lambda SQS or SNS event, as the handler received it.
    """

    __slots__ = ("_owned", "_record", "_record_span", "_token")

    def __init__(self, record: Mapping[str, Any]) -> None:
        self._record = record
        self._record_span: RecordSpan | None = None
        self._owned = False
        self._token: Any = None

    def __enter__(self) -> trace.Span:
        batch = _batch.get()
        message_id = message_id_of(self._record) if isinstance(self._record, Mapping) else None
        found = batch.by_id.get(message_id) if batch is not None and message_id else None
        if found is None:
            found = start_record_span(self._record)
            self._owned = True
        self._record_span = found
        self._token = otel_context.attach(found.context)
        return found.span

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        record = self._record_span
        assert record is not None, "processing() exited without being entered"
        otel_context.detach(self._token)
        if exc is not None:
            fail_span(record.span, exc)
            record.outcome = "failed"
        elif record.outcome is None:
            record.outcome = "ok"
        if self._owned:
            record.span.end()
