"""A running job or session: its span, its bound ID, its lifecycle records and metrics.

``_lifecycle.py`` holds the public entry points (``job``, ``session``, ``event``) that
open one of these per ``with`` block or decorated call.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from otelkit._core import switch as _switch
from otelkit._core.pipeline import current
from otelkit._correlation.ids import context_with_ids, new_id, validate_ids
from otelkit._logs import buffer as _log_buffer
from otelkit._logs.event import FIELDS_ATTR
from otelkit._metering import metrics as _metrics
from otelkit._scopes.lifecycle_spec import DURATION_UNITS, Lifecycle, count_open
from otelkit._tracing.spans import fail_span, is_clean_exit
from otelkit._values.keys import WELL_KNOWN_ID_KEYS


@dataclass(frozen=True)
class Kind:
    """What distinguishes a job from a session."""

    id_key: str
    prefix: str
    logger: str
    name_key: str


JOB = Kind("job_id", "job", "otelkit.job", "job_name")
SESSION = Kind("session_id", "sess", "otelkit.session", "session_name")


# Frames that are never "the caller": ours, and the event loop driving a top-level task.
_NOT_CALLERS = ("otelkit.", "asyncio.", "contextlib")


def _caller_stacklevel() -> int:
    """How many frames up the first caller outside otelkit is, counted from ``write_record``'s
    caller, so a lifecycle record's ``source`` is the user's line, whichever path led here
    (``with``, ``async with``, a decorated call)."""
    frame: FrameType | None = sys._getframe(2)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_NOT_CALLERS):
        frame, level = frame.f_back, level + 1
    return level


def write_record(
    logger_name: str,
    level: int,
    message: str,
    fields: dict[str, Any],
    exc: BaseException | None = None,
) -> None:
    logger = logging.getLogger(logger_name)
    if logger.isEnabledFor(level):
        exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
        logger._log(
            level,
            message,
            (),
            exc_info=exc_info,
            extra={FIELDS_ATTR: fields},
            stacklevel=_caller_stacklevel() + 1,
        )


def _split_fields(fields: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """Separate well-known ID keys (bound) from descriptive fields (attributes)."""
    ids = {k: v for k, v in fields.items() if k in WELL_KNOWN_ID_KEYS}
    return validate_ids(ids), {k: v for k, v in fields.items() if k not in ids}


class Scope:
    """A running job or session: a span, a bound ID, lifecycle records and metrics."""

    def __init__(
        self,
        kind: Kind,
        name: str,
        scope_id: str | None,
        fields: dict[str, Any],
        lifecycle: Lifecycle,
        dimensions: dict[str, str],
    ):
        if not isinstance(name, str) or not name:
            raise ValueError(f"{kind.prefix} name must be a non-empty string, got {name!r}")
        self._kind = kind
        self._lifecycle = lifecycle
        self._dimensions = dimensions
        self._closing: dict[str, Any] = {}
        self.name = name
        self.id = scope_id if scope_id is not None else new_id(kind.prefix)
        bound, self._fields = _split_fields(fields)
        self._ids = {**bound, **validate_ids({kind.id_key: self.id})}
        self.span: trace.Span = trace.INVALID_SPAN
        self._token: object = None
        self._started = 0.0

    def _name_field(self) -> dict[str, Any]:
        return {self._kind.name_key: self.name}

    def _gauge_dimensions(self) -> dict[str, Any]:
        return {**self._name_field(), **self._dimensions}

    def add_fields(self, **fields: Any) -> None:
        """Fields for the closing record (completed or failed): what is only known at the
        end, such as a termination reason or the bytes moved."""
        reserved = {"event_type", "status", "duration_ms", "error", self._kind.name_key}
        clash = reserved & set(fields)
        if clash:
            raise ValueError(f"{', '.join(sorted(clash))}: written by the lifecycle itself")
        self._closing.update(fields)

    def log_complete(self, message: str, **fields: Any) -> None:
        """One INFO line ``message`` with ``total_time``: the seconds since the scope
        started (what a zap ``Duration`` field writes), beside ``fields``; the bound IDs
        come as on every line. For a job's own summary line, such as ``"Video generation
        complete"`` with the video's ``duration``, written before the block ends."""
        if "total_time" in fields:
            raise ValueError("total_time: written by log_complete itself")
        # The precision of duration_ms (µs): a summary line never reads later than the end.
        total_time = round(time.perf_counter() - self._started, 6)
        write_record(self._kind.logger, logging.INFO, message, {**fields, "total_time": total_time})

    def __enter__(self) -> Scope:
        kind = self._kind
        ctx = _log_buffer.scoped(context_with_ids(self._ids))
        attributes = current().redaction.scrub_attributes({**self._name_field(), **self._fields})
        self.span = _switch.TRACER.delegate.start_span(
            self.name, context=ctx, attributes=attributes
        )
        self._token = otel_context.attach(trace.set_span_in_context(self.span, ctx))
        self._started = time.perf_counter()
        if self._lifecycle.active_metric:
            count_open(self._lifecycle.active_metric, self._gauge_dimensions(), 1)
        cycle = self._lifecycle
        write_record(
            kind.logger,
            logging.INFO,
            cycle.started,
            {
                "event_type": cycle.started,
                "status": cycle.started_status,
                **self._name_field(),
                **self._fields,
            },
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        kind, cycle = self._kind, self._lifecycle
        duration_ms = round((time.perf_counter() - self._started) * 1000.0, 3)
        name_field = self._name_field()
        clean = is_clean_exit(exc)
        try:
            if clean:
                write_record(
                    kind.logger,
                    logging.INFO,
                    cycle.completed,
                    {
                        "event_type": cycle.completed,
                        "status": cycle.completed_status,
                        "duration_ms": duration_ms,
                        **name_field,
                        **self._closing,
                    },
                )
            else:
                assert exc is not None
                fail_span(self.span, exc)
                write_record(
                    kind.logger,
                    logging.ERROR,
                    cycle.failed,
                    {
                        "event_type": cycle.failed,
                        "status": cycle.failed_status,
                        "duration_ms": duration_ms,
                        "error": str(exc) or type(exc).__name__,
                        **name_field,
                        **self._closing,
                    },
                    exc=exc,
                )
            outcome = "success" if clean else "error"
            dims = {**name_field, **self._dimensions, "outcome": outcome}
            if cycle.count_metric:
                _metrics.count(cycle.count_metric, 1, **dims)
            if cycle.duration_metric:
                _metrics.record(
                    cycle.duration_metric,
                    duration_ms / DURATION_UNITS[cycle.unit],
                    unit=cycle.unit,
                    **dims,
                )
        finally:
            if cycle.active_metric:
                count_open(cycle.active_metric, self._gauge_dimensions(), -1)
            otel_context.detach(self._token)  # type: ignore[arg-type]
            self.span.end()


class Job(Scope):
    """A running job; ``job_id`` is bound for its scope."""

    @property
    def job_id(self) -> str:
        """The job's ID: the one given, or ``new_id("job")``."""
        return self.id


class Session(Scope):
    """A running session; ``session_id`` is bound for its scope."""

    @property
    def session_id(self) -> str:
        """The session's ID."""
        return self.id
