"""Owning the console: one line per record, whoever configured logging first.

When otelkit writes the log lines (``log_stdout`` on, the default), a second handler that
also writes to the console prints every record twice: once as otelkit's line and once in
its own plain format. That second handler comes from ``logging.basicConfig()``, from the
AWS Lambda runtime, or from a web server that configures its loggers with console handlers
that do not propagate (uvicorn, gunicorn, hypercorn). The rule is applied by
``configure()``, again after every ``logging.config.dictConfig``/``fileConfig`` call (how
servers apply their logging config, often after the application called ``configure()``),
and once more by the ASGI/WSGI middleware on the first lifespan event or request:

* On the root logger, every handler that writes to the process's stdout or stderr is
  removed (``basicConfig``'s, the Lambda runtime's); otelkit's handler writes instead.
* On the web servers' loggers (``SERVER_LOGGERS``), console handlers are removed and the
  logger then propagates (a logger the server silenced, with no handler and no
  propagation, stays silent), so its records (access lines, startup lines, tracebacks) reach the
  root handler and become otelkit lines carrying the request's IDs.
* otelkit's handler is put back on the root logger if a later config removed it.
* Every other handler (files, syslog, sockets, anything not writing to the console) is
  kept: it keeps receiving records as before.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

#: Loggers web servers give console handlers of their own, with ``propagate=False``.
SERVER_LOGGERS: tuple[str, ...] = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "gunicorn",
    "gunicorn.error",
    "gunicorn.access",
    "hypercorn",
    "hypercorn.error",
    "hypercorn.access",
)
# The AWS Lambda Python runtime's root handler writes straight to its log socket.
_LAMBDA_RUNTIME_HANDLERS = frozenset({"LambdaLoggerHandler", "LambdaLoggerHandlerWithFrameType"})
_CONSOLE_FDS = frozenset({1, 2})

_owner: logging.Handler | None = None  # otelkit's root handler while it owns the console


def writes_to_console(handler: logging.Handler) -> bool:
    """Whether ``handler`` writes to this process's stdout or stderr."""
    if type(handler).__name__ in _LAMBDA_RUNTIME_HANDLERS:
        return True
    if not isinstance(handler, logging.StreamHandler) or isinstance(handler, logging.FileHandler):
        return False
    stream = handler.stream
    if any(stream is s for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)):
        return True
    try:
        return stream.fileno() in _CONSOLE_FDS
    except (AttributeError, OSError, ValueError):  # StringIO and friends: not the console
        return False


def adopt(owner: logging.Handler | None) -> None:
    """Apply the rule above with ``owner`` as the root's console handler; None (otelkit
    does not write lines) leaves every handler alone."""
    global _owner
    _owner = owner
    if owner is not None:
        _follow_logging_config()
        _apply(owner)


def readopt() -> None:
    """Apply the rule again, for handlers a server installed after ``configure()``."""
    owner = _owner
    if owner is not None:
        _apply(owner)


def _readopting(config: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(config)
    def apply_then_readopt(*args: Any, **kwargs: Any) -> Any:
        try:
            return config(*args, **kwargs)
        finally:
            readopt()

    apply_then_readopt._otelkit_readopts = True  # type: ignore[attr-defined]
    return apply_then_readopt


def _follow_logging_config() -> None:
    """Wrap the stdlib's config functions (once) so a later config is adopted too: now
    if ``logging.config`` is loaded, else when it is (not imported for it: 6 ms)."""
    loaded = sys.modules.get("logging.config")
    if loaded is not None:
        _wrap_config(loaded)
        return
    global _hooked
    if not _hooked:
        _hooked = True
        from otelkit._integrations import when_imported

        when_imported("logging.config", _wrap_config)


_hooked = False


def _wrap_config(module: ModuleType) -> None:
    for name in ("dictConfig", "fileConfig"):
        config = getattr(module, name)
        if not getattr(config, "_otelkit_readopts", False):
            setattr(module, name, _readopting(config))


def _apply(owner: logging.Handler) -> None:
    root = logging.getLogger()
    if owner not in root.handlers:
        root.addHandler(owner)
    for handler in list(root.handlers):
        if handler is not owner and writes_to_console(handler):
            root.removeHandler(handler)
    manager = logging.Logger.manager.loggerDict
    for name in SERVER_LOGGERS:
        logger = manager.get(name)
        if not isinstance(logger, logging.Logger):  # never configured: nothing to adopt
            continue
        console = [handler for handler in logger.handlers if writes_to_console(handler)]
        for handler in console:
            logger.removeHandler(handler)
        if console:  # a logger silenced on purpose (no handlers, no propagation) stays so
            logger.propagate = True
