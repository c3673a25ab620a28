"""The steps that make a log line, in order, and the outputs that write it.

structlog's processors are the model: each step is a small function that reads what the
steps before it left on the ``Line`` and adds its part; ``STEPS`` lists them in the order
they run, so a new step is one entry. A pipeline carries the steps its outputs need,
chosen once when it is built (``steps_for``): a pipeline that writes no event (OTLP
only) never builds one, one that exports nothing never builds OTLP attributes.

A line is made when its record is emitted (its IDs, span and time are that moment's,
even when buffering writes it later) and written by ``OUTPUTS``: stdout, the sinks, the
OTLP LogRecord. The event's keys come in this order: ``timestamp``, ``level``,
``message``, ``logger``, ``service``, ``environment``, the static and line fields, the
unit of work's fields, the bound IDs, ``stage``, the call's fields, ``trace_id``,
``span_id``, ``xray_trace_id``, ``sampled``, ``source``, then ``error``/``error_type``/
``exception`` or ``stack``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Protocol, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context

from otelkit._core import drops as _drops
from otelkit._core import pipeline as _pipeline
from otelkit._core.safety import report_internal_error, report_once
from otelkit._correlation.ids import IDS_KEY
from otelkit._logs.event import (
    _Timestamps,
    _TraceFields,
    exception_fields,
    record_fields,
    scope_fields,
)
from otelkit._redaction.scrub import attribute_value
from otelkit._tracing.stage import STAGE_KEY
from otelkit._values import encodable as _encodable
from otelkit._values.caps import cut
from otelkit._values.keys import RESERVED_FIELD_NAMES

# Where OpenTelemetry keeps the current span in a context, found through its public API
# (the one key a context holding only a span has): ``add_where`` reads it as a dict
# lookup, which ``trace.get_current_span`` costs two calls more than.
_SPAN_KEY = next(iter(trace.set_span_in_context(trace.INVALID_SPAN, Context())))


_TAILS = _Timestamps.tails


class Line:
    """One record on its way out: what the steps read and fill in.

    Attributes:
        record: the stdlib record.
        pipeline: the pipeline active when it was emitted.
        context: the OpenTelemetry context it was emitted in (read once: IDs, span, stage).
        fields: the call's keyword and ``extra=`` fields, redacted; None: none.
        message: the formatted message, redacted (for the line and the LogRecord body).
        event: the line as a dict (stdout, sinks); None when no output wants one.
        attributes: the OTLP LogRecord's attributes; None when not exported.
    """

    __slots__ = ("attributes", "context", "event", "fields", "message", "pipeline", "record")

    def __init__(self, record: logging.LogRecord, pipeline: _pipeline.Pipeline) -> None:
        self.record = record
        self.pipeline = pipeline
        self.context = otel_context.get_current()
        self.fields: dict[str, Any] | None = None
        self.message = ""
        self.event: dict[str, Any] | None = None
        self.attributes: dict[str, Any] | None = None


Step = Callable[[Line], None]


def take_call(line: Line) -> None:
    """What the call passed: its keyword and ``extra=`` fields (a redacted copy: the record
    keeps what the caller passed, for other handlers) and its message, ``%``-formatted and
    redacted once for the line and the LogRecord."""
    record = line.record
    redaction = line.pipeline.redaction
    line.fields = record_fields(record, redaction)
    line.message = redaction.redact_message(record.getMessage(), record.name)


def start_event(line: Line) -> None:
    """The head every line starts with: time, level, message, logger, service, environment."""
    record = line.record
    pipeline = line.pipeline
    created = record.created
    whole = int(created)
    second, prefix = _Timestamps.cached  # within a second (most lines): no call
    if whole != second:
        prefix = _Timestamps.format(created)[:-5]  # caches the new second's prefix
    line.event = {
        "timestamp": prefix + _TAILS[int((created - whole) * 1000)],
        "level": record.levelname,
        "message": line.message,
        "logger": record.name,
        "service": pipeline.service,
        "environment": pipeline.environment,
    }


def add_deployment(line: Line) -> None:
    """The deployment's static fields (region, hostname…) and the fields that change as the
    process runs (``memory_mb``…)."""
    event = line.event
    assert event is not None  # steps_for puts this step after start_event
    pipeline = line.pipeline
    if pipeline.static_fields:
        event.update(pipeline.static_fields)
    if pipeline.line_fields is not None:
        event.update(pipeline.line_fields())


def add_unit(line: Line) -> None:
    """The unit of work's fields (a Lambda invocation's), the bound IDs and the stage."""
    event = line.event
    assert event is not None
    scoped = scope_fields.get()
    if scoped:
        event.update(scoped)
    context = line.context  # read as the dict it is: two lookups, no call each
    ids = context.get(IDS_KEY)
    if ids:
        event.update(ids)  # type: ignore[call-overload]
    stage = context.get(STAGE_KEY)
    if type(stage) is str:  # a field named stage on the call wins (it is added after)
        event["stage"] = stage


def add_call_fields(line: Line) -> None:
    """The call's fields; one named like a field of the line's own is kept, renamed
    ``name_`` so it cannot replace it."""
    fields = line.fields
    if not fields:
        return
    event = line.event
    assert event is not None
    if RESERVED_FIELD_NAMES.isdisjoint(fields):
        event.update(fields)
    else:
        for key, value in fields.items():
            event[f"{key}_" if key in RESERVED_FIELD_NAMES else key] = value


def add_where(line: Line) -> None:
    """Where the line was written: its span (``sampled``: whether the trace is kept, so
    ``filter sampled = 1`` finds the lines whose trace X-Ray has) and its source line."""
    event = line.event
    assert event is not None
    span = line.context.get(_SPAN_KEY)
    if span is not None:
        span_context = span.get_span_context()  # type: ignore[attr-defined]
        if span_context.is_valid:
            seen, fields = _TraceFields.last  # a span writes many lines: its IDs, once
            if seen is not span_context:
                fields = _TraceFields.of(span_context)
            event["trace_id"], event["span_id"], event["xray_trace_id"], event["sampled"] = fields
    record = line.record
    event["source"] = f"{record.filename}:{record.lineno}"


def add_failure(line: Line) -> None:
    """A failure's ``error``, ``error_type`` and ``exception`` (redacted), or the
    ``stack`` a call asked for with ``stack_info``."""
    record = line.record
    if record.exc_info and record.exc_info[1] is not None:
        assert line.event is not None
        line.event.update(exception_fields(record, line.pipeline.redaction))
    elif record.stack_info:
        assert line.event is not None
        line.event["stack"] = line.pipeline.redaction.redact_text(record.stack_info)


_NONE: Mapping[str, Any] = MappingProxyType({})
# The exporters' own loggers: their records never go back into the export path.
_EXPORT_PATH_LOGGERS = ("opentelemetry.", "urllib3.", "requests.", "grpc.")


def otlp_attributes(line: Line) -> None:
    """The OTLP LogRecord's attributes: static fields, bound IDs, fields and the
    semantic-convention extras. Trace context, severity, body, service and environment
    travel in the LogRecord's own fields and its resource, so they are not repeated.
    Records emitted while an exporter exports are never exported: that would feed the
    export path its own debug lines forever."""
    pipeline = line.pipeline
    record, context = line.record, line.context
    if pipeline.otel_loggers is None or _from_export_path(record, context):
        return
    dynamic = pipeline.line_fields() if pipeline.line_fields is not None else None
    line.attributes = _attributes(
        pipeline, record, context, _attribute_values(line.fields), scope_fields.get(), dynamic
    )


def _attribute_values(fields: dict[str, Any] | None) -> dict[str, Any] | None:
    """The call's fields as OTLP attribute values (None: no fields)."""
    return {key: attribute_value(value) for key, value in fields.items()} if fields else None


def _attributes(
    pipeline: _pipeline.Pipeline,
    record: logging.LogRecord,
    context: Context,
    values: dict[str, Any] | None,
    scoped: Mapping[str, Any] | None,
    dynamic: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The LogRecord's attributes; ``values``: the call's fields as attribute values."""
    attributes: dict[str, Any] = {
        **pipeline.static_fields,
        **(dynamic or _NONE),
        **(scoped or _NONE),
        **(context.get(IDS_KEY) or _NONE),  # type: ignore[dict-item]
    }
    stage = context.get(STAGE_KEY)
    if type(stage) is str:
        attributes["stage"] = stage
    if values:
        attributes.update(values)
    attributes["code.file.path"] = record.pathname
    attributes["code.line.number"] = record.lineno
    attributes["code.function.name"] = record.funcName
    if record.exc_info and record.exc_info[1] is not None:
        failure = exception_fields(record, pipeline.redaction)
        attributes["exception.type"] = failure["error_type"]
        attributes["exception.message"] = str(failure["error"])
        attributes["exception.stacktrace"] = failure["exception"]
    return attributes


def shape(line: Line) -> None:
    """The caps: ``max_message_chars``, ``max_field_chars``, ``max_line_chars``."""
    shape_event = line.pipeline.shape_event
    assert shape_event is not None  # steps_for leaves this step out without caps
    shape_event(line.event, line.attributes)


#: Every step, in the order they run.
STEPS: tuple[Step, ...] = (
    take_call,
    start_event,
    add_deployment,
    add_unit,
    add_call_fields,
    add_where,
    add_failure,
    otlp_attributes,
    shape,
)
# The steps that build the event: only for a pipeline with stdout lines or sinks.
_EVENT = frozenset({start_event, add_deployment, add_unit, add_call_fields, add_where, add_failure})


def steps_for(
    *, event: bool, otlp: bool, deployment: bool, shaped: bool, otlp_later: bool = False
) -> tuple[Step, ...]:
    """The steps of ``STEPS`` a pipeline needs, in order: the event's when it writes lines
    or has sinks (``event``), the OTLP attributes when it exports log records (``otlp``)
    and does not make them later (``otlp_later``, see ``to_otlp_later``), the
    deployment's fields when it has any (``deployment``), the caps when set (``shaped``)."""
    if not (event or otlp):
        return ()  # nothing to write: nothing to make
    skipped: set[Step] = set()
    if not event:
        skipped |= _EVENT
    if not deployment:
        skipped.add(add_deployment)
    if not otlp or otlp_later:
        skipped.add(otlp_attributes)
    if not shaped:
        skipped.add(shape)
    return tuple(step for step in STEPS if step not in skipped)


def prepare(record: logging.LogRecord, pipeline: _pipeline.Pipeline) -> Line:
    """``record`` through the pipeline's steps: everything that depends on the moment it
    was emitted."""
    line = Line(record, pipeline)
    for step in pipeline.log_steps:
        step(line)
    return line


_SEVERITY = {
    logging.DEBUG: (SeverityNumber.DEBUG, "DEBUG"),
    logging.INFO: (SeverityNumber.INFO, "INFO"),
    logging.WARNING: (SeverityNumber.WARN, "WARN"),
    logging.ERROR: (SeverityNumber.ERROR, "ERROR"),
    logging.CRITICAL: (SeverityNumber.FATAL, "FATAL"),
}


def severity(levelno: int) -> tuple[SeverityNumber, str]:
    """The OpenTelemetry severity number and text of a stdlib level (custom levels round down)."""
    found = _SEVERITY.get(levelno)
    if found is not None:
        return found
    below = [level for level in _SEVERITY if level <= levelno]
    return _SEVERITY[max(below)] if below else (SeverityNumber.TRACE, "TRACE")


def write_stdout(line: Line, pipeline: _pipeline.Pipeline) -> None:
    """The line on stdout, in the configured format."""
    if line.event is not None and pipeline.render is not None:
        _write_line(pipeline.render(line.event))


def to_sinks(line: Line, pipeline: _pipeline.Pipeline) -> None:
    """The event to every sink (a log file, ``capture()``); one failing never costs the
    others."""
    if line.event is None:
        return
    for sink in pipeline.sinks:
        try:
            sink(line.event)
        except Exception as exc:
            _drops.add("logs", "sink failed")
            report_internal_error(f"log sink ({type(exc).__name__})", exc)


def to_otlp(line: Line, pipeline: _pipeline.Pipeline) -> None:
    """The OTLP LogRecord: the message (capped as on the line) as its body."""
    attributes = line.attributes
    if attributes is None or pipeline.otel_loggers is None:
        return
    record = line.record
    _emit(
        pipeline.otel_loggers(record.name), pipeline, record, line.context, line.message, attributes
    )


def to_otlp_later(line: Line, pipeline: _pipeline.Pipeline) -> None:
    """The OTLP LogRecord made at the flush (on Lambda, after the response): what it
    needs from this moment is kept — the context, the call's fields as attribute values,
    the unit of work's and the deployment's changing fields — and the rest, most of a
    record's cost, is left to ``_made_later``. (Not with caps: those shape the line and
    the attributes together, as the line is made.)"""
    record, context, fields = line.record, line.context, line.fields
    if _from_export_path(record, context):
        return
    values = _attribute_values(fields)
    dynamic = pipeline.line_fields() if pipeline.line_fields is not None else None
    loggers = cast("_LaterLoggers", pipeline.otel_loggers)
    made_from = (record, context, line.message, values, scope_fields.get(), dynamic)
    loggers.later(record.name, _made_later, pipeline, *made_from)


class _LaterLoggers(Protocol):
    """What ``to_otlp_later`` asks of the pipeline's loggers (``DeferredLogs``)."""

    def later(self, name: str, make: Callable[..., None], *args: Any) -> None: ...


def _made_later(
    logger: Any,
    pipeline: _pipeline.Pipeline,
    record: logging.LogRecord,
    context: Context,
    message: str,
    values: dict[str, Any] | None,
    scoped: Mapping[str, Any] | None,
    dynamic: Mapping[str, Any] | None,
) -> None:
    attributes = _attributes(pipeline, record, context, values, scoped, dynamic)
    _emit(logger, pipeline, record, context, message, attributes)


def _emit(
    logger: Any,
    pipeline: _pipeline.Pipeline,
    record: logging.LogRecord,
    context: Context,
    message: str,
    attributes: dict[str, Any],
) -> None:
    number, text = _SEVERITY.get(record.levelno) or severity(record.levelno)
    body = message
    if pipeline.max_message_chars is not None:
        body = cut(body, pipeline.max_message_chars)
    logger.emit(
        timestamp=int(record.created * 1e9),
        context=context,
        severity_number=number,
        severity_text=text,
        body=_encodable.text(body),  # one bad record must not fail its batch
        attributes=_encodable.attributes(attributes) or attributes,
    )


Output = Callable[[Line, _pipeline.Pipeline], None]
#: Where a made line goes, in order.
OUTPUTS: tuple[Output, ...] = (write_stdout, to_sinks, to_otlp, to_otlp_later)


def outputs_for(
    *, stdout: bool, sinks: bool, otlp: bool, otlp_later: bool = False
) -> tuple[Output, ...]:
    """The outputs of ``OUTPUTS`` a pipeline writes to, in order (``otlp_later``: its
    log records are deferred, ``DeferredLogs``, and it has no caps)."""
    wanted: dict[Output, bool] = {
        write_stdout: stdout,
        to_sinks: sinks,
        to_otlp: otlp and not otlp_later,
        to_otlp_later: otlp and otlp_later,
    }
    return tuple(output for output in OUTPUTS if wanted[output])


def deliver(line: Line, pipeline: _pipeline.Pipeline) -> None:
    """Write a made line to every output of ``pipeline``."""
    for output in pipeline.log_outputs:
        output(line, pipeline)


def with_sink(pipeline: _pipeline.Pipeline, sink: _pipeline.LogSink) -> _pipeline.Pipeline:
    """``pipeline`` with one more sink: a new pipeline (the same providers) for the
    caller to swap in, its steps and outputs chosen again."""
    sinks = (*pipeline.sinks, sink)
    later = to_otlp_later in pipeline.log_outputs
    return replace(
        pipeline,
        sinks=sinks,
        log_steps=steps_for(
            event=True,
            otlp=pipeline.otel_loggers is not None,
            deployment=bool(pipeline.static_fields) or pipeline.line_fields is not None,
            shaped=pipeline.shape_event is not None,
            otlp_later=later,
        ),
        log_outputs=outputs_for(
            stdout=pipeline.render is not None,
            sinks=True,
            otlp=pipeline.otel_loggers is not None,
            otlp_later=later,
        ),
    )


def _write_line(text: str) -> None:
    """Write one line to stdout; text stdout cannot encode (a lone surrogate) is
    replaced rather than losing the line."""
    try:
        try:
            sys.stdout.write(text + "\n")
        except UnicodeEncodeError:
            sys.stdout.write(_encodable.text(text) + "\n")
    except (OSError, ValueError) as exc:  # a full disk, a closed pipe or stream
        _drops.add("logs", "stdout write failed")
        report_once("stdout", f"{type(exc).__name__}: {exc}: lines are not written there")


def _from_export_path(record: logging.LogRecord, context: Context) -> bool:
    return bool(context.get(_SUPPRESS_INSTRUMENTATION_KEY)) or record.name.startswith(
        _EXPORT_PATH_LOGGERS
    )
