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
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

from opentelemetry import trace

from otelkit._core import unconfigured as _unconfigured
from otelkit._core.pipeline import current
from otelkit._correlation.ids import reject_generator
from otelkit._scopes.lifecycle_spec import JOB_LIFECYCLE, SESSION_LIFECYCLE, Lifecycle
from otelkit._scopes.scope import JOB, SESSION, Job, Kind, Scope, Session, write_record
from otelkit._values.context_stack import ContextStack

F = TypeVar("F", bound=Callable[..., Any])

_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}


_open_scopes: ContextStack[Scope] = ContextStack("otelkit_scopes")


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
    _kind: Kind
    _scope_type: type[Scope]

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
        if _unconfigured.pending:
            _unconfigured.warn(f"otelkit.{self._kind.name_key.removesuffix('_name')}() was used")
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

        def make(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope:
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
    _kind = JOB
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
    _kind = SESSION
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
    write_record(caller, levelno, event_type, record_fields)
    span = trace.get_current_span()
    if span.is_recording():
        attributes = current().redaction.scrub_attributes(record_fields)
        if "error_type" in attributes:  # the line's field; on spans, the conventions' name
            attributes["error.type"] = attributes.pop("error_type")
        span.add_event(event_type, attributes)
