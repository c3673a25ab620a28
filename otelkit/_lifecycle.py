"""Jobs, sessions and events: the lifecycle records every service writes.

``job()`` and ``session()`` open a span, bind their ID, and write ``*_STARTED`` then
``*_COMPLETED``/``*_ENDED`` or ``*_FAILED`` log records with ``duration_ms`` and ``status``, plus a
counter and a duration histogram by outcome; a ``Lifecycle`` gives them a system's own
event names, status spelling, metric names and unit. ``event()`` writes one structured record and
a span event of the same name. Together they answer the questions teams ask of
CloudWatch Logs Insights: a job's whole history (``filter job_id = …``), failed jobs
(``filter status = "failed"``), duration statistics (``stats avg(duration_ms) by job_name``).
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace

from otelkit import _log_buffer, _metrics, _switch
from otelkit._context_stack import ContextStack
from otelkit._ids import context_with_ids, new_id, reject_generator, validate_ids
from otelkit._keys import WELL_KNOWN_ID_KEYS
from otelkit._lifecycle_spec import (
    DURATION_UNITS,
    JOB_LIFECYCLE,
    SESSION_LIFECYCLE,
    Lifecycle,
    count_open,
)
from otelkit._log_event import FIELDS_ATTR
from otelkit._scrub import scrub_attributes
from otelkit._spans import fail_span

F = TypeVar("F", bound=Callable[..., Any])

_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}


@dataclass(frozen=True)
class _Kind:
    """What distinguishes a job from a session."""

    id_key: str
    prefix: str
    logger: str
    name_key: str


_JOB = _Kind("job_id", "job", "otelkit.job", "job_name")
_SESSION = _Kind("session_id", "sess", "otelkit.session", "session_name")


_open_scopes: ContextStack[_Scope] = ContextStack("otelkit_scopes")

# Frames that are never "the caller": ours, and the event loop driving a top-level task.
_NOT_CALLERS = ("otelkit.", "asyncio.", "contextlib")


def _caller_stacklevel() -> int:
    """How many frames up the first caller outside otelkit is, counted from ``_write``'s
    caller, so a lifecycle record's ``source`` is the user's line, whichever path led here
    (``with``, ``async with``, a decorated call)."""
    frame: FrameType | None = sys._getframe(2)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_NOT_CALLERS):
        frame, level = frame.f_back, level + 1
    return level


def _write(
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


class _Scope:
    """A running job or session: a span, a bound ID, lifecycle records and metrics."""

    def __init__(
        self,
        kind: _Kind,
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

    def __enter__(self) -> _Scope:
        kind = self._kind
        ctx = _log_buffer.scoped(context_with_ids(self._ids))
        attributes = scrub_attributes({**self._name_field(), **self._fields})
        self.span = _switch.TRACER.delegate.start_span(
            self.name, context=ctx, attributes=attributes
        )
        self._token = otel_context.attach(trace.set_span_in_context(self.span, ctx))
        self._started = time.perf_counter()
        if self._lifecycle.active_metric:
            count_open(self._lifecycle.active_metric, self._gauge_dimensions(), 1)
        cycle = self._lifecycle
        _write(
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
        try:
            if exc is None:
                _write(
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
                fail_span(self.span, exc)
                _write(
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
            outcome = "success" if exc is None else "error"
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


class Job(_Scope):
    """A running job; ``job_id`` is bound for its scope."""

    @property
    def job_id(self) -> str:
        """The job's ID: the one given, or ``new_id("job")``."""
        return self.id


class Session(_Scope):
    """A running session; ``session_id`` is bound for its scope."""

    @property
    def session_id(self) -> str:
        """The session's ID."""
        return self.id


def _checked_dimensions(dimensions: Mapping[str, Any] | None) -> dict[str, Any]:
    """Extra metric dimensions: names to str, bool, int or float values."""
    if dimensions is None:
        return {}
    if not isinstance(dimensions, Mapping):
        raise TypeError(f"dimensions must be a mapping, got {dimensions!r}")
    for key, value in dimensions.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"dimension names must be non-empty strings, got {key!r}")
        if not isinstance(value, (str, bool, int, float)):
            raise ValueError(
                f"dimension {key!r} must be a str, bool, int or float, got {type(value).__name__}"
            )
    return dict(dimensions)


class _Runner:
    """Shared by ``job`` and ``session``: a ``with`` block (sync or async) or a decorator.

    Each entry and each decorated call runs a fresh scope, so one object may be reused.
    """

    _id_key: str
    _kind: _Kind
    _scope_type: type[_Scope]

    def __init__(
        self,
        name: str,
        scope_id: str | None,
        fields: dict[str, Any],
        lifecycle: Lifecycle,
        dimensions: Mapping[str, Any] | None,
    ) -> None:
        if not isinstance(lifecycle, Lifecycle):
            raise TypeError(f"lifecycle must be an otelkit.Lifecycle, got {lifecycle!r}")
        self._name, self._id, self._fields = name, scope_id, fields
        self._lifecycle = lifecycle
        self._dimensions = _checked_dimensions(dimensions)
        self._make(scope_id)  # validate the arguments at the call site, not on first entry

    def _make(self, scope_id: str | None) -> Any:
        return self._scope_type(
            self._kind, self._name, scope_id, self._fields, self._lifecycle, self._dimensions
        )

    def __enter__(self) -> Any:
        running = self._make(self._id)
        _open_scopes.push(self, running)
        return running.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _open_scopes.pop(self).__exit__(exc_type, exc, tb)

    async def __aenter__(self) -> Any:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, func: F) -> F:
        reject_generator(func, type(self).__name__)
        key = self._id_key
        try:
            signature: inspect.Signature | None = inspect.signature(func)
        except (TypeError, ValueError):  # some builtins have none
            signature = None
        takes_id = signature is not None and key in signature.parameters

        def make(args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Scope:
            given = kwargs.get(key)
            if given is None and takes_id and args:  # passed by position
                assert signature is not None
                given = signature.bind_partial(*args, **kwargs).arguments.get(key)
            return self._make(given if given is not None else self._id)  # type: ignore[no-any-return]

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with make(args, kwargs):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with make(args, kwargs):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class job(_Runner):  # noqa: N801 - reads as a function: ``with otelkit.job(...)``
    """Run a job: a span named ``name``, ``job_id`` bound, lifecycle records and metrics.

    Example:
        >>> with otelkit.job("video.generate", user_id="u-1") as j:
        ...     print(j.job_id)            # job-3f2a… (generated)

    As a decorator each call is its own job, and a ``job_id=`` keyword argument of the
    call, when given, is the job's ID. Well-known ID keys among the keywords (``user_id``,
    ``project_id``…) are bound too; other keywords become span attributes and log fields.
    """

    _id_key = "job_id"
    _kind = _JOB
    _scope_type = Job

    def __init__(
        self,
        name: str,
        job_id: str | None = None,
        *,
        lifecycle: Lifecycle = JOB_LIFECYCLE,
        dimensions: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(name, job_id, fields, lifecycle, dimensions)

    def __enter__(self) -> Job:
        return super().__enter__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> Job:
        return self.__enter__()


class session(_Runner):  # noqa: N801 - reads as a function: ``with otelkit.session(...)``
    """Run a session: like ``job()`` for ``session_id``; the span is named ``name``.

    Example:
        >>> with otelkit.session("sess-abc", project_id="proj_123"):
        ...     otelkit.event("SESSION_READY", status="READY")
    """

    _id_key = "session_id"
    _kind = _SESSION
    _scope_type = Session

    def __init__(
        self,
        session_id: str | None = None,
        *,
        name: str = "session",
        lifecycle: Lifecycle = SESSION_LIFECYCLE,
        dimensions: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(name, session_id, fields, lifecycle, dimensions)

    def __enter__(self) -> Session:
        return super().__enter__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> Session:
        return self.__enter__()


def event(
    event_type: str, *, status: str | None = None, level: str = "INFO", **fields: Any
) -> None:
    """Write one lifecycle record and add a span event named ``event_type`` to the current span.

    Example:
        >>> otelkit.event("SESSION_READY", status="READY", duration_ms=412)
    """
    if not isinstance(event_type, str) or not event_type:
        raise ValueError(f"event_type must be a non-empty string, got {event_type!r}")
    levelno = _LEVELS.get(level.upper()) if isinstance(level, str) else None
    if levelno is None:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(_LEVELS)}")
    record_fields: dict[str, Any] = {"event_type": event_type}
    if status is not None:
        record_fields["status"] = status
    record_fields.update(fields)
    caller = sys._getframe(1).f_globals.get("__name__", "otelkit.event")
    _write(caller, levelno, event_type, record_fields)
    current = trace.get_current_span()
    if current.is_recording():
        current.add_event(event_type, scrub_attributes(record_fields))
