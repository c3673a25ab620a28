"""OpenTelemetry log records built at the flush instead of as each line is written.

On Lambda (see ``held_calls``): building each record as its line is written (the SDK's
``LogRecord``, its attributes checked one by one, the outbox's hand-off) put that work in
what the caller waits for, for no earlier delivery. Here each logger's ``emit`` is kept
and made at the flush, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otelkit._sdk.held_calls import HeldCalls

#: Records kept before one of them drains them all.
LIMIT = 512


class DeferredLogs(HeldCalls):
    """Stands for the logger cache (``name -> logger``); its loggers' ``emit`` waits for
    ``drain``."""

    def __init__(self, loggers: Callable[[str], Any]) -> None:
        super().__init__(LIMIT, "logs", "log record")
        self._loggers = loggers
        self._deferring: dict[str, _Deferring] = {}

    def __call__(self, name: str) -> _Deferring:
        found = self._deferring.get(name)
        if found is None:
            found = self._deferring.setdefault(name, _Deferring(self._loggers(name), self))
        return found

    def later(self, name: str, make: Callable[..., None], *args: Any) -> None:
        """Keep a record of logger ``name`` that ``make(logger, *args)`` makes and
        emits at the drain (see ``steps.to_otlp_later``)."""
        self.keep(self._made, name, make, args)

    def _made(self, name: str, make: Callable[..., None], args: tuple[Any, ...]) -> None:
        make(self._loggers(name), *args)


class _Deferring:
    __slots__ = ("_emit", "_owner")

    def __init__(self, logger: Any, owner: DeferredLogs) -> None:
        self._emit = logger.emit
        self._owner = owner

    def emit(self, **arguments: Any) -> None:
        self._owner.keep(self._emit, **arguments)
