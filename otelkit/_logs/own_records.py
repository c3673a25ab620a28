"""Records only otelkit's handler will see, made for a fraction of a ``LogRecord``'s cost.

A ``get_logger`` line usually reaches one handler: otelkit's, on the root logger. The
stdlib's ``LogRecord`` fills twenty attributes for whatever handler might come, several
through calls (the file's base name and module, the thread's and the process's names),
and otelkit reads about half of them. When a record would reach otelkit's handler alone,
with no filter on the way, it is an ``OwnRecord``: the attributes otelkit reads and the
thread's, taken as the stdlib takes them, and the rest computed the first time anything
reads them. A record that any other handler or filter may see is the stdlib's own.
"""

from __future__ import annotations

import collections.abc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from otelkit._logs.event import ATTRIBUTE_COUNTS, FIELDS_ATTR
from otelkit._logs.handler import OtelkitHandler

# When the logging module started, as ``relativeCreated`` counts (read off a record, so
# whichever clock this Python's records use).
_probe = logging.LogRecord("", 0, "", 0, "", (), None)
_LOGGING_START = _probe.created - _probe.relativeCreated / 1000
_FILENAMES: dict[str, str] = {}  # pathname -> base name: the files that log are few
_MAX_FILENAMES = 4096


def _process_name(_: OwnRecord) -> str:
    multiprocessing = sys.modules.get("multiprocessing")
    return "MainProcess" if multiprocessing is None else multiprocessing.current_process().name


#: The attributes a ``LogRecord`` has that otelkit never reads: computed when first read.
_LATER: dict[str, Callable[[OwnRecord], Any]] = {
    "module": lambda record: os.path.splitext(record.filename)[0],
    "msecs": lambda record: int((record.created - int(record.created)) * 1000) + 0.0,
    "relativeCreated": lambda record: (record.created - _LOGGING_START) * 1000,
    "processName": _process_name,
    "process": lambda _: os.getpid(),
    "taskName": lambda _: None,
}


class OwnRecord(logging.LogRecord):
    """A ``LogRecord`` for otelkit's handler alone (see the module's docstring)."""

    def __init__(
        self,
        name: str,
        level: int,
        pathname: str,
        lineno: int,
        msg: object,
        args: tuple[object, ...],
        func: str,
        fields: dict[str, Any] | None,
    ) -> None:
        # As LogRecord.__init__ takes them, in its order.
        self.created = time.time()
        self.name = name
        self.msg = msg
        if args and len(args) == 1 and isinstance(args[0], collections.abc.Mapping) and args[0]:
            args = args[0]  # type: ignore[assignment]  # "%(key)s" formats, as the stdlib does
        self.args = args
        self.levelname = logging.getLevelName(level)
        self.levelno = level
        self.pathname = pathname
        filename = _FILENAMES.get(pathname)
        if filename is None:
            filename = _filename(pathname)
        self.filename = filename
        self.exc_info = None
        self.exc_text = None
        self.stack_info = None
        self.lineno = lineno
        self.funcName = func
        self.thread = threading.get_ident()
        self.threadName = threading.current_thread().name  # gone with the thread: now
        if fields:
            self.__dict__[FIELDS_ATTR] = fields

    def __getattr__(self, name: str) -> Any:
        compute = _LATER.get(name)
        if compute is None:
            raise AttributeError(name)
        value = self.__dict__[name] = compute(self)
        return value


def _filename(pathname: str) -> str:
    if len(_FILENAMES) >= _MAX_FILENAMES:
        _FILENAMES.clear()
    filename = _FILENAMES[pathname] = os.path.basename(pathname)
    return filename


ATTRIBUTE_COUNTS[OwnRecord] = len(vars(OwnRecord("", 0, "", 0, "", (), "", None)))


def sole_handler(logger: logging.Logger, level: int) -> OtelkitHandler | None:
    """otelkit's handler when it is the only handler a record of ``level`` from ``logger``
    reaches (the walk ``Logger.callHandlers`` makes) and no filter is on the way; else
    None (another handler, a filter, otelkit's handler twice, or none at all)."""
    if logger.filters:
        return None
    found: OtelkitHandler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        for each in current.handlers:
            if level < each.level:
                continue
            if type(each) is not OtelkitHandler or each.filters or found is not None:
                return None
            found = each
        if not current.propagate:
            break
        current = current.parent
    return found
