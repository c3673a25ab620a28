"""Logging: the one root handler that stamps, renders and exports every record
(``get_logger``'s keyword-field logger is ``_logger.py``).

Every stdlib record, from any library, reaches ``OtelkitHandler`` on the root logger. It
builds the log event once (bound IDs and trace context of the emitting thread's context),
writes it to stdout in the configured format, and sends it over OTLP as a real LogRecord.
Records emitted while an exporter is exporting are never sent over OTLP: that would feed
the export path its own debug lines forever.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context

from otelkit._core import drops as _drops
from otelkit._core import pipeline as _pipeline
from otelkit._core.safety import report_internal_error, report_once
from otelkit._correlation.ids import current_ids
from otelkit._logs import buffer as _log_buffer
from otelkit._logs import coexist as _coexist
from otelkit._logs.event import (
    _Timestamps,
    build_event,
    exception_fields,
    record_fields,
    scope_fields,
)
from otelkit._redaction.scrub import Redaction, attribute_value
from otelkit._tracing.stage import current_stage
from otelkit._values import encodable as _encodable
from otelkit._values.caps import cut
from otelkit._values.safe_values import MAX_TEXT, plain, safe_repr, safe_str, truncate

_SEVERITY = {
    logging.DEBUG: (SeverityNumber.DEBUG, "DEBUG"),
    logging.INFO: (SeverityNumber.INFO, "INFO"),
    logging.WARNING: (SeverityNumber.WARN, "WARN"),
    logging.ERROR: (SeverityNumber.ERROR, "ERROR"),
    logging.CRITICAL: (SeverityNumber.FATAL, "FATAL"),
}
# The exporters' own loggers: their records never go back into the export path.
_EXPORT_PATH_LOGGERS = ("opentelemetry.", "urllib3.", "requests.", "grpc.")


def severity(levelno: int) -> tuple[SeverityNumber, str]:
    """The OpenTelemetry severity number and text of a stdlib level (custom levels round down)."""
    found = _SEVERITY.get(levelno)
    if found is not None:
        return found
    below = [level for level in _SEVERITY if level <= levelno]
    return _SEVERITY[max(below)] if below else (SeverityNumber.TRACE, "TRACE")


def otel_attributes(
    record: logging.LogRecord,
    fields: Mapping[str, Any] | None,
    static_fields: Mapping[str, Any],
    context: Context,
    redaction: Redaction,
) -> dict[str, Any]:
    """The OTLP LogRecord's attributes: static fields, bound IDs, fields and
    semantic-convention extras.

    Trace context, severity, body, service and environment travel in the LogRecord's own
    fields and its resource, so they are not repeated here.
    """
    attributes: dict[str, Any] = {
        **static_fields,
        **(scope_fields.get() or {}),
        **current_ids(context),
    }
    stage = current_stage(context)
    if stage is not None:
        attributes["stage"] = stage
    if fields:
        for key, value in fields.items():
            attributes[key] = attribute_value(value)
    attributes["code.file.path"] = record.pathname
    attributes["code.line.number"] = record.lineno
    attributes["code.function.name"] = record.funcName
    if record.exc_info and record.exc_info[1] is not None:
        failure = exception_fields(record, redaction)
        attributes["exception.type"] = failure["error_type"]
        attributes["exception.message"] = str(failure["error"])
        attributes["exception.stacktrace"] = failure["exception"]
    return attributes


# A record made ready to write, with what depends on the moment it was emitted: the
# stdlib record; its log event (when stdout lines or sinks want one); its OTLP attributes
# (when log records are exported); the OpenTelemetry context it was emitted in; its
# message, formatted and redacted once for the line and the LogRecord. A plain tuple: one
# is built per record, and a named tuple's Python-level constructor costs several times more.
Prepared = tuple[logging.LogRecord, dict[str, Any] | None, dict[str, Any] | None, Context, str]


def prepare(record: logging.LogRecord, pipeline: _pipeline.Pipeline) -> Prepared:
    """Everything that depends on the moment of emission: IDs, span, fields."""
    context = otel_context.get_current()  # read once: every part below needs it
    redaction = pipeline.redaction
    fields = record_fields(record, redaction)
    message = redaction.redact_message(record.getMessage(), record.name)
    event = None
    if pipeline.render is not None or pipeline.sinks:
        event = build_event(record, pipeline, fields, context, message)
    attributes = None
    if pipeline.otel_loggers is not None and not _from_export_path(record, context):
        static = pipeline.static_fields
        if pipeline.line_fields is not None:
            static = {**static, **pipeline.line_fields()}
        attributes = otel_attributes(record, fields, static, context, redaction)
    if pipeline.shape_event is not None:
        pipeline.shape_event(event, attributes)
    return (record, event, attributes, context, message)


def deliver(prepared: Prepared, pipeline: _pipeline.Pipeline) -> None:
    """Write a prepared record to stdout, the sinks and OTLP."""
    record, event, attributes, context, message = prepared
    if event is not None:
        if pipeline.render is not None:
            _write_line(pipeline.render(event))
        for sink in pipeline.sinks:  # one output failing never costs the others
            try:
                sink(event)
            except Exception as exc:
                _drops.add("logs", "sink failed")
                report_internal_error(f"log sink ({type(exc).__name__})", exc)
    if attributes is not None and pipeline.otel_loggers is not None:
        number, text = _SEVERITY.get(record.levelno) or severity(record.levelno)
        body = message
        if pipeline.max_message_chars is not None:
            body = cut(body, pipeline.max_message_chars)
        pipeline.otel_loggers(record.name).emit(
            timestamp=int(record.created * 1e9),
            context=context,
            severity_number=number,
            severity_text=text,
            body=_encodable.text(body),  # one bad record must not fail its batch
            attributes=_encodable.attributes(attributes) or attributes,
        )


def _write_line(line: str) -> None:
    """Write one line to stdout; text stdout cannot encode (a lone surrogate) is
    replaced rather than losing the line."""
    try:
        try:
            sys.stdout.write(line + "\n")
        except UnicodeEncodeError:
            sys.stdout.write(_encodable.text(line) + "\n")
    except (OSError, ValueError) as exc:  # a full disk, a closed pipe or stream
        _drops.add("logs", "stdout write failed")
        report_once("stdout", f"{type(exc).__name__}: {exc}: lines are not written there")


class OtelkitHandler(logging.Handler):
    """The root handler otelkit installs; it reads the active pipeline on every record."""

    def handle(self, record: logging.LogRecord) -> bool:
        """The stdlib's ``handle``, without the call that runs no filters when none are
        added: this runs for every record of the process."""
        lock = self.lock
        if self.filters or lock is None:
            return bool(super().handle(record))
        with lock:
            self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        pipeline = _pipeline.current()
        try:
            for control in pipeline.record_controls:
                controlled = control(record)
                if controlled is None:
                    return
                record = controlled
            if record.levelno < pipeline.level:  # reaches here only when buffering
                buffer = _log_buffer.current()
                if buffer is not None:
                    buffer.add(prepare(record, pipeline))
                return
            if record.levelno <= logging.INFO and pipeline.log_sample_rate < 1.0:
                buffer = _log_buffer.current()
                if buffer is not None and buffer.sampled_out:
                    buffer.add(prepare(record, pipeline))
                    return
            if record.levelno >= logging.ERROR:
                _flush_buffer(pipeline)
            deliver(prepare(record, pipeline), pipeline)
        except Exception as exc:  # RecursionError too: a caller's data, not its stack
            _drops.add("logs", "handler failed")  # its OTLP record, at least, is lost
            _write_fallback(record, exc, pipeline)
            report_internal_error(f"log handler ({type(exc).__name__})", exc)

    def flush(self) -> None:
        sys.stdout.flush()


def _write_fallback(
    record: logging.LogRecord, exc: Exception, pipeline: _pipeline.Pipeline
) -> None:
    """A record that could not be written normally (a bad ``%`` format, a field no
    format could write) still leaves one JSON line: its time, level, logger, message,
    bound IDs and trace context, and what went wrong."""
    try:
        args: dict[str, str] = {}
        try:
            message = record.getMessage()
        except Exception:  # the ``%`` format itself is what failed
            message, args = safe_str(record.msg), {"args": safe_repr(record.args, MAX_TEXT)}
        context = otel_context.get_current()
        line: dict[str, Any] = {
            "timestamp": _Timestamps.format(record.created),
            "level": record.levelname,
            "message": truncate(message),
            "logger": record.name,
            "service": pipeline.service,
            "environment": pipeline.environment,
            **args,
            **current_ids(context),
        }
        span_context = trace.get_current_span(context).get_span_context()
        if span_context.is_valid:
            trace_id = format(span_context.trace_id, "032x")
            line["trace_id"] = trace_id
            line["span_id"] = format(span_context.span_id, "016x")
            line["xray_trace_id"] = f"1-{trace_id[:8]}-{trace_id[8:]}"
        line["source"] = f"{record.filename}:{record.lineno}"
        line["logging_error"] = f"{type(exc).__name__}: {safe_str(exc, 500)}"
        sys.stdout.write(json.dumps(plain(line), ensure_ascii=False) + "\n")
    except Exception:  # nothing more can be done without risking the caller
        return


def _flush_buffer(pipeline: _pipeline.Pipeline) -> None:
    """Write the held-back records of the failing unit of work, before its error."""
    buffer = _log_buffer.current()
    if buffer is None:
        return
    held, dropped = buffer.drain()
    buffer.sampled_out = False  # failed work: its later lines are written as they come
    if dropped:
        notice = logging.LogRecord(
            "otelkit",
            logging.WARNING,
            __file__,
            0,
            "%d earlier buffered log records were dropped (buffer full)",
            (dropped,),
            None,
        )
        deliver(prepare(notice, pipeline), pipeline)
    for prepared in held:
        deliver(prepared, pipeline)


def _from_export_path(record: logging.LogRecord, context: Context) -> bool:
    return bool(
        otel_context.get_value(_SUPPRESS_INSTRUMENTATION_KEY, context)
    ) or record.name.startswith(_EXPORT_PATH_LOGGERS)


_handler = OtelkitHandler()
# Libraries whose DEBUG output drowns an application's; raised to INFO unless configured.
# aws_xray_sdk logs whole segment documents at DEBUG: tens of MB an hour in dev.
_CHATTY = (
    "botocore",
    "boto3",
    "s3transfer",
    "urllib3",
    "httpcore",
    "hpack",
    "asyncio",
    "werkzeug",
    "moto",
    "opentelemetry",
    "redis",
    "aws_xray_sdk",
    "charset_normalizer",
    "grpc",
    "h2",
    "multipart",
)


def install(level: int, *, owns_stdout: bool = False) -> None:
    """Put the handler on the root logger (once) and set the root level.

    With ``owns_stdout`` (otelkit writes the log lines), other handlers writing to the
    console are removed or adopted, so no record is printed twice (see ``_coexist``).
    """
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    _coexist.adopt(_handler if owns_stdout else None)
    root.setLevel(level)
    for name in _CHATTY:
        chatty = logging.getLogger(name)
        # Ours to change while unset or still at the level otelkit gave it last time; a
        # level the application set (before or after configure()) is kept.
        if chatty.level in (logging.NOTSET, getattr(chatty, "_otelkit_level", None)):
            chatty.setLevel(max(level, logging.INFO))
            chatty._otelkit_level = chatty.level  # type: ignore[attr-defined]


def uninstall() -> None:
    """Remove the handler from the root logger."""
    _coexist.adopt(None)
    logging.getLogger().removeHandler(_handler)
