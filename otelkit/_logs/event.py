"""What the log steps (``steps.py``) read off a stdlib ``logging.LogRecord``: its fields,
its failure, its time, its span's IDs, and the unit of work's fields.

One event dict serves every output: the stdout renderers, the sinks and the testing
capture; the steps build it in the order ``steps.STEPS`` lists.
"""

from __future__ import annotations

import logging
import time
import traceback
from contextvars import ContextVar
from typing import Any

from opentelemetry.trace import SpanContext

from otelkit._redaction.scrub import Redaction
from otelkit._redaction.secret_patterns import keep_the_end
from otelkit._values.safe_values import safe_str

#: Attribute under which ``get_logger`` loggers pass keyword fields on a LogRecord.
FIELDS_ATTR = "otelkit_fields"
#: Set (True) on a record that stands for one whole unit of work, such as "Request
#: completed": error aggregation counts it but always writes it.
ONE_PER_UNIT_ATTR = "otelkit_one_per_unit"

# Attributes every LogRecord has; anything else was passed through ``extra=``.
# ``color_message`` is uvicorn's ANSI-coloured copy of the message, for its own console.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    FIELDS_ATTR,
    ONE_PER_UNIT_ATTR,
    "color_message",
    # the trace context the ``logging`` integration adds for other handlers' formats
    "otelTraceID",
    "otelSpanID",
    "otelTraceSampled",
    "otelServiceName",
}
#: How many attributes a record of each kind has before any field is added to it (more:
#: ``extra=`` fields); ``own_records`` adds its ``OwnRecord``'s count.
ATTRIBUTE_COUNTS: dict[type[logging.LogRecord], int] = {
    logging.LogRecord: len(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
}

#: Fields of the unit of work the runtime is in, on every line written inside it: the
#: Lambda invocation's ``function_request_id``, ``cold_start``… (set by ``lambda_handler``).
scope_fields: ContextVar[dict[str, Any] | None] = ContextVar("otelkit_scope_fields", default=None)


class _Timestamps:
    """RFC 3339 UTC timestamps, with the date-time prefix cached per second.

    The cache is one tuple, replaced whole, so a thread never pairs one second's
    prefix with another's. The ``.mmmZ`` tails are precomputed: formatting them per line
    cost more than the rest of the timestamp.
    """

    cached: tuple[int, str] = (-1, "")
    tails: tuple[str, ...] = tuple(f".{millis:03d}Z" for millis in range(1000))

    @classmethod
    def format(cls, created: float) -> str:
        whole = int(created)
        second, prefix = cls.cached
        if whole != second:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
            cls.cached = (whole, prefix)
        return prefix + cls.tails[int((created - whole) * 1000)]


class _TraceFields:
    """``trace_id``, ``span_id``, ``xray_trace_id`` and ``sampled`` of the last span a line
    was written in: a span writes many lines, and formatting its IDs cost about a tenth
    of a line. The cache is one tuple, replaced whole, keyed by the span context object
    itself (a span keeps one for its life)."""

    last: tuple[object, tuple[str, str, str, bool]] = (None, ("", "", "", False))

    @classmethod
    def of(cls, span_context: SpanContext) -> tuple[str, str, str, bool]:
        seen, fields = cls.last
        if seen is not span_context:
            trace_id = format(span_context.trace_id, "032x")
            fields = (
                trace_id,
                format(span_context.span_id, "016x"),
                f"1-{trace_id[:8]}-{trace_id[8:]}",
                span_context.trace_flags.sampled,
            )
            cls.last = (span_context, fields)
        return fields


def exception_fields(record: logging.LogRecord, redaction: Redaction) -> dict[str, str]:
    """``error``, ``error_type`` and the formatted ``exception`` of a failure record."""
    exc_type, exc, tb = record.exc_info or (None, None, None)
    assert exc is not None, "only called for records that carry an exception"
    fields: dict[str, Any] = getattr(record, FIELDS_ATTR, None) or {}
    error = fields.get("error", safe_str(exc) or type(exc).__name__)
    return {  # exception text quotes whatever the failing code held: redact it too
        "error": redaction.redact_value(error),
        "error_type": type(exc).__name__,
        "exception": redaction.redact_message(
            keep_the_end("".join(traceback.format_exception(exc_type, exc, tb)).rstrip()),
            record.name,
        ),
    }


def record_fields(record: logging.LogRecord, redaction: Redaction) -> dict[str, Any] | None:
    """The record's own fields: ``get_logger`` keywords and stdlib ``extra=``, scrubbed."""
    fields: dict[str, Any] | None = getattr(record, FIELDS_ATTR, None)
    standard = ATTRIBUTE_COUNTS.get(type(record)) or ATTRIBUTE_COUNTS[logging.LogRecord]
    extra_count = len(record.__dict__) - standard - (fields is not None)
    if extra_count > 0:  # stdlib ``extra={...}`` fields
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}
        fields = {**extras, **fields} if fields else extras
    # A redacted copy: the record keeps what the caller passed, for other handlers.
    return redaction.scrubbed(fields) if fields else None
