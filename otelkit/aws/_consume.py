"""Consuming SQS messages: each one in its own span, with the producer's trace and IDs.

For ``receive_message`` loops (workers on ECS, scripts, tests), the counterpart of what
``lambda_handler`` does for SQS events. Two forms, one behaviour:

* ``process_message(message)``, a context manager for one message: the one to use when
  a message may fail, since it sees the exception, records it and re-raises.
* ``process_messages(messages)``, an iterator for the common loop, which is also a
  context manager so ``break`` and exceptions are handled exactly.

The span continues the producer's trace (so X-Ray and Grafana show the producer, the
queue and the consumer as one trace, and the consumer's logs carry the producer's
``trace_id``) and also links to the producer's span, as the OpenTelemetry messaging
conventions ask, so link-aware backends can navigate from either end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind

from otelkit._core import switch as _switch
from otelkit._core.safety import report_bad_input, report_internal_error
from otelkit._correlation.propagation import extract_lowercased
from otelkit._logs import buffer as _log_buffer
from otelkit._tracing.spans import fail_span
from otelkit.aws import _records
from otelkit.aws._shapes import MAPPINGS, read


class process_message:  # noqa: N801 - used like a function: ``with process_message(m):``
    """Process one SQS message in its own span, with the producer's trace and IDs bound.

    Example:
        >>> for message in response.get("Messages", []):
        ...     with otelkit.aws.process_message(message, queue_url=url):
        ...         handle(message)          # logs carry the producer's IDs
        ...     sqs.delete_message(...)

    The span is named ``process <queue>``, kind CONSUMER, with messaging attributes, a
    child of the producer's span and linked to it (a message that carries no trace
    context gets a child of the current span, or a new trace). Inside
    ``lambda_handler``, whose batch model makes record spans children of the invocation
    (linked to their producers), it enters the span the handler started for the record.
    The producer's public IDs (for example ``correlation_id``) are bound for the block,
    over the consumer's own. An exception is recorded on the span (status ERROR) and
    re-raised, so a failed message stays visible as failed and your retry or dead-letter
    logic still runs.

    Accepts every message shape ``context_from_message`` does: ``receive_message``
    messages (ask for ``MessageAttributeNames=["All"]`` and
    ``MessageSystemAttributeNames=["AWSTraceHeader"]``), Lambda SQS records, SNS
    envelopes from non-raw subscriptions and EventBridge events delivered to a queue.

    Args:
        message: the message as boto3 or Lambda gives it.
        queue_url: the queue it came from; names the span and its destination.
    """

    __slots__ = ("_message", "_queue_url", "_record", "_span", "_token")

    def __init__(self, message: Mapping[str, Any], *, queue_url: str | None = None) -> None:
        self._message = message
        self._queue_url = queue_url
        self._span: trace.Span | None = None
        self._record: _records.RecordSpan | None = None
        self._token: object = None

    def __enter__(self) -> trace.Span:
        message = self._message
        if not isinstance(message, MAPPINGS):  # a message of no known shape: no context
            report_bad_input("SQS message that is not a mapping", type(message).__name__)
            message = {}
        record = _records.batch_record(message)
        if record is not None:  # inside lambda_handler: the record's span already runs
            self._record = record
            self._span = record.span
            self._token = otel_context.attach(record.context)
            return record.span
        # Over the current context, not a fresh one: the consumer's own IDs (worker_id)
        # stay bound, and a message that carries nothing nests under the current span.
        current_context = otel_context.get_current()
        try:
            reading = read(message)
            parent = extract_lowercased(reading.carrier, current_context)
            name, attributes = _records.describe(message, reading, queue_url=self._queue_url)
        except Exception as exc:  # a shape no one foresaw: process it without context
            report_internal_error("process_message (reading the message)", exc)
            parent, name, attributes = current_context, "process", {}
        parent = _log_buffer.scoped(parent)
        producer = trace.get_current_span(parent).get_span_context()
        links = [Link(producer)] if producer.is_valid and producer.is_remote else None
        current = _switch.TRACER.delegate.start_span(
            name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes, links=links
        )
        self._span = current
        self._token = otel_context.attach(trace.set_span_in_context(current, parent))
        return current

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        current = self._span
        assert current is not None, "process_message exited without being entered"
        self._span = None
        otel_context.detach(self._token)  # type: ignore[arg-type]
        if exc is not None:
            fail_span(current, exc)
        record, self._record = self._record, None
        if record is None:
            current.end()
        elif exc is not None:
            record.outcome = "failed"
        elif record.outcome is None:
            record.outcome = "ok"  # lambda_handler ends the span with the invocation


class process_messages:  # noqa: N801 - used like a function in a ``for`` statement
    """Iterate over received messages, each one processed in its own span (see
    ``process_message``): the span and the producer's IDs are active in the loop body.

    Example:
        >>> response = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"],
        ...                                MessageSystemAttributeNames=["AWSTraceHeader"])
        >>> with otelkit.aws.process_messages(response.get("Messages", []),
        ...                                   queue_url=url) as messages:
        ...     for message in messages:
        ...         handle(message)

    A message's span ends when the loop moves on to the next message or finishes. The
    ``with`` form is the exact one: Python never tells an iterator that the loop body
    raised, but it tells a context manager, so with ``with`` an exception escaping the
    body is recorded on that message's span (status ERROR) and re-raised, and after a
    ``break`` the span ends when the ``with`` block does (keep code that is not about
    the message out of the block). A bare ``for message in process_messages(...)``
    works too: a ``break`` then ends the span when the iterator is released
    (immediately in CPython), but an escaping exception is not recorded. To record a
    failure and go on with the rest of the batch, use ``process_message`` per message.

    Args:
        messages: the ``Messages`` of a ``receive_message`` response (or any iterable of
            messages in a shape ``process_message`` accepts).
        queue_url: the queue they came from.
    """

    __slots__ = ("_current", "_messages", "_queue_url")

    def __init__(
        self, messages: Iterable[Mapping[str, Any]], *, queue_url: str | None = None
    ) -> None:
        self._messages: Iterator[Mapping[str, Any]] = iter(messages)
        self._queue_url = queue_url
        self._current: process_message | None = None

    def __iter__(self) -> process_messages:
        return self

    def __next__(self) -> Mapping[str, Any]:
        self._finish(None)
        message = next(self._messages)
        scope = process_message(message, queue_url=self._queue_url)
        scope.__enter__()
        self._current = scope
        return message

    def _finish(self, exc: BaseException | None) -> None:
        scope, self._current = self._current, None
        if scope is not None:
            scope.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)

    def close(self) -> None:
        """End the current message's span now (what ``break`` inside ``with`` does)."""
        self._finish(None)

    def __enter__(self) -> process_messages:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(exc)

    def __del__(self) -> None:
        # A bare ``for`` left by ``break``: end the span when the iterator is released.
        with contextlib.suppress(Exception):  # at collection time there is nobody to tell
            self._finish(None)
