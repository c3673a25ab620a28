"""OpenTelemetry log records built at the flush instead of as each line is written.

On Lambda the records leave only at the end-of-invocation flush, which the extension
runs after the response: building each record as its line is written (the SDK's
``LogRecord``, its attributes checked one by one, the outbox's hand-off) put that work
in what the caller waits for, for no earlier delivery. Here ``emit`` keeps its
arguments and ``drain`` — called by the flush and the close, first — emits them in
order. A burst past ``LIMIT`` is emitted where it happens, so the outbox's own bound
still decides what is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from otelkit._core import drops as _drops
from otelkit._core.safety import report_internal_error

#: Records kept before ``emit`` drains them itself.
LIMIT = 512


class DeferredLogs:
    """Stands for the logger cache (``name -> logger``); its loggers' ``emit`` waits for
    ``drain``."""

    def __init__(self, loggers: Callable[[str], Any]) -> None:
        self._loggers = loggers
        self._deferring: dict[str, _Deferring] = {}
        self._pending: list[tuple[Any, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def __call__(self, name: str) -> _Deferring:
        found = self._deferring.get(name)
        if found is None:
            found = self._deferring.setdefault(name, _Deferring(self._loggers(name), self))
        return found

    def keep(self, logger: Any, arguments: dict[str, Any]) -> None:
        with self._lock:
            self._pending.append((logger, arguments))
            full = len(self._pending) >= LIMIT
        if full:
            self.drain()

    def pending(self) -> int:
        """How many records wait for ``drain``."""
        return len(self._pending)

    def drain(self) -> None:
        """Emit every kept record, oldest first."""
        with self._lock:
            taken, self._pending = self._pending, []
        for logger, arguments in taken:
            try:
                logger.emit(**arguments)
            except Exception as exc:  # one bad record must not cost the others
                _drops.add("logs", "record failed")
                report_internal_error("log record (deferred emit)", exc)


class _Deferring:
    __slots__ = ("_logger", "_owner")

    def __init__(self, logger: Any, owner: DeferredLogs) -> None:
        self._logger = logger
        self._owner = owner

    def emit(self, **arguments: Any) -> None:
        self._owner.keep(self._logger, arguments)
