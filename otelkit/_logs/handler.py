"""Logging: the one root handler every record passes (``get_logger``'s keyword-field
logger is ``logger.py``).

Every stdlib record, from any library, reaches ``OtelkitHandler`` on the root logger. It
decides whether and when the record is written (the record controls, the level, sampling
and buffering) and hands it to the pipeline's log steps (``steps.py``), which make the
line once (bound IDs and trace context of the emitting thread's context) and write it to
stdout, the sinks and OTLP.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from otelkit._core import drops as _drops
from otelkit._core import pipeline as _pipeline
from otelkit._core.safety import report_internal_error
from otelkit._correlation.ids import current_ids
from otelkit._logs import buffer as _log_buffer
from otelkit._logs import coexist as _coexist
from otelkit._logs.event import _Timestamps
from otelkit._logs.steps import Line, deliver, prepare
from otelkit._values.safe_values import MAX_TEXT, plain, safe_repr, safe_str, truncate


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
            # ``deliver(prepare(record, pipeline), pipeline)`` unrolled: every line written
            # as it comes takes this path, two calls fewer.
            line = Line(record, pipeline)
            for step in pipeline.log_steps:
                step(line)
            for output in pipeline.log_outputs:
                output(line, pipeline)
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
