"""``get_logger``: a stdlib logger that also takes keyword fields.

Its records are ``logging.LogRecord`` objects with the fields attached, so every handler
sees them; ``OtelkitHandler`` (``handler.py``) renders the fields. A record that reaches
otelkit's handler alone is an ``OwnRecord`` (``own_records.py``), made for less.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from otelkit._core import unconfigured as _unconfigured
from otelkit._logs.event import FIELDS_ATTR
from otelkit._logs.own_records import OwnRecord, sole_handler

_LOGGING_KWARGS = frozenset({"exc_info", "stack_info", "stacklevel", "extra"})


def _logs_as_the_stdlib(logger: logging.Logger) -> bool:
    """Whether ``logger``'s class finds callers, makes records and hands them on as
    ``logging.Logger`` does, so ``Logger`` may do those steps itself (a logger class may
    override any of them)."""
    kind = type(logger)
    return all(
        getattr(kind, step) is getattr(logging.Logger, step)
        for step in ("findCaller", "_log", "makeRecord", "handle", "callHandlers")
    )


# The file of the logging module's own code, as its frames name it.
_LOGGING_SOURCE = logging.addLevelName.__code__.co_filename


class Logger:
    """A stdlib logger that also takes keyword fields: ``log.info("Saved", scene=1)``.

    It is a thin front for ``logging.getLogger(name)``: levels, handlers and filters are
    the stdlib's, and ``exc_info``/``stack_info``/``stacklevel``/``extra`` keep their
    meaning. Other keyword arguments become fields of the log line.
    """

    __slots__ = ("_direct", "_logger", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger = logging.getLogger(name)
        self._direct = _logs_as_the_stdlib(self._logger)

    @property
    def stdlib(self) -> logging.Logger:
        """The wrapped ``logging.Logger``."""
        return self._logger

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - the stdlib's name
        """Whether a record of ``level`` would be processed."""
        return self._logger.isEnabledFor(level)

    def _log(
        self, level: int, msg: object, args: tuple[object, ...], fields: dict[str, Any]
    ) -> None:
        if self._direct and logging._srcfile and _LOGGING_KWARGS.isdisjoint(fields):
            # The common call, done as ``logging.Logger._log`` does it minus what cannot
            # apply: the caller is the frame that called the public method (what
            # ``findCaller`` walks to), the record comes from the default factory with no
            # ``extra`` to check, and a logger without filters hands it straight on.
            caller = sys._getframe(2)
            filename = caller.f_code.co_filename
            logger = self._logger
            if (
                filename != _LOGGING_SOURCE  # frames the stdlib skips: its own, imports
                and not ("importlib" in filename and "_bootstrap" in filename)
                and logging.getLogRecordFactory() is logging.LogRecord
            ):
                function = caller.f_code.co_name
                made = (logger.name, level, filename, caller.f_lineno, msg, args)
                only = sole_handler(logger, level)
                if only is not None:  # otelkit's handler alone: a record made for it
                    only.handle(OwnRecord(*made, function, fields))
                    return
                record = logging.LogRecord(*made, None, function)
                if fields:
                    record.__dict__[FIELDS_ATTR] = fields
                if logger.filters:
                    logger.handle(record)
                else:
                    logger.callHandlers(record)
                return
        self._log_through_stdlib(level, msg, args, fields)

    def _log_through_stdlib(
        self, level: int, msg: object, args: tuple[object, ...], fields: dict[str, Any]
    ) -> None:
        exc_info = fields.pop("exc_info", None)
        stack_info = fields.pop("stack_info", False)
        stacklevel = fields.pop("stacklevel", 1)
        extra = fields.pop("extra", None)
        if fields:
            extra = {**extra, FIELDS_ATTR: fields} if extra else {FIELDS_ATTR: fields}
        # +3 skips this frame, ``_log`` and the public method, so file:line is the caller's.
        self._logger._log(
            level,
            msg,
            args,
            exc_info=exc_info,
            extra=extra,
            stack_info=stack_info,
            stacklevel=stacklevel + 3,
        )

    def debug(self, msg: object, *args: object, **fields: Any) -> None:
        """Log at DEBUG."""
        if self._logger.isEnabledFor(logging.DEBUG):
            self._log(logging.DEBUG, msg, args, fields)

    def info(self, msg: object, *args: object, **fields: Any) -> None:
        """Log at INFO."""
        if self._logger.isEnabledFor(logging.INFO):
            self._log(logging.INFO, msg, args, fields)
        elif _unconfigured.pending:  # dropped: say why, once, if nothing is set up
            # (INFO only: a dropped DEBUG line is expected, and that path is hot)
            _unconfigured.warn("a log line was dropped")

    def warning(self, msg: object, *args: object, **fields: Any) -> None:
        """Log at WARNING."""
        if self._logger.isEnabledFor(logging.WARNING):
            self._log(logging.WARNING, msg, args, fields)

    warn = warning

    def error(self, msg: object, *args: object, **fields: Any) -> None:
        """Log at ERROR."""
        if self._logger.isEnabledFor(logging.ERROR):
            self._log(logging.ERROR, msg, args, fields)

    def exception(self, msg: object, *args: object, **fields: Any) -> None:
        """Log at ERROR with the exception being handled."""
        if self._logger.isEnabledFor(logging.ERROR):
            fields.setdefault("exc_info", True)
            self._log(logging.ERROR, msg, args, fields)

    def critical(self, msg: object, *args: object, **fields: Any) -> None:
        """Log at CRITICAL."""
        if self._logger.isEnabledFor(logging.CRITICAL):
            self._log(logging.CRITICAL, msg, args, fields)

    def log(self, level: int, msg: object, *args: object, **fields: Any) -> None:
        """Log at ``level``."""
        if self._logger.isEnabledFor(level):
            self._log(level, msg, args, fields)

    fatal = critical

    def __getattr__(self, name: str) -> Any:
        # Everything else a ``logging.Logger`` has (setLevel, handlers, getChild…) is the
        # wrapped logger's own.
        if name == "_logger":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self._logger, name)


def get_logger(name: str | None = None) -> Logger:
    """Return the logger called ``name`` (the root logger when None), taking keyword fields."""
    return Logger(name or "root")
