"""threading: the bound IDs and the current span carried into threads and thread pools.

Before Python 3.14 a new thread starts with an empty context, so a line logged or a span
started in a worker thread lost the job, session and trace it worked for. With this
integration each ``threading.Thread`` runs in a copy of the context that called
``start()``, and each ``ThreadPoolExecutor.submit`` task in a copy of the context that
submitted it: what OpenTelemetry's threading instrumentation does for its own context,
and Python 3.14's ``thread_inherit_context`` for every context variable. A ``Thread``
subclass that overrides ``run()`` without calling ``Thread.run`` is not covered (as
upstream). Standard library only: no extra to install.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent import futures
from typing import Any

_ORIGINAL: dict[str, Any] = {}  # the patched methods, to put back


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Patch ``Thread.start``/``Thread.run`` and ``ThreadPoolExecutor.submit`` once."""
    if _ORIGINAL:
        return
    _ORIGINAL.update(
        start=threading.Thread.start,
        run=threading.Thread.run,
        submit=futures.ThreadPoolExecutor.submit,
    )
    threading.Thread.start = _start  # type: ignore[method-assign]
    threading.Thread.run = _run  # type: ignore[method-assign]
    futures.ThreadPoolExecutor.submit = _submit  # type: ignore[method-assign,assignment]


def uninstrument() -> None:
    """Undo ``instrument``."""
    if not _ORIGINAL:
        return
    threading.Thread.start = _ORIGINAL["start"]  # type: ignore[method-assign]
    threading.Thread.run = _ORIGINAL["run"]  # type: ignore[method-assign]
    futures.ThreadPoolExecutor.submit = _ORIGINAL["submit"]  # type: ignore[method-assign]
    _ORIGINAL.clear()


def _start(self: threading.Thread) -> None:
    self._otelkit_context = contextvars.copy_context()  # type: ignore[attr-defined]
    _ORIGINAL["start"](self)


def _run(self: threading.Thread) -> None:
    context: contextvars.Context | None = self.__dict__.pop("_otelkit_context", None)
    if context is None:  # started before instrument(), or by a subclass's own start()
        _ORIGINAL["run"](self)
    else:
        context.run(_ORIGINAL["run"], self)


def _submit(
    self: futures.ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
) -> futures.Future[Any]:
    # A copy per task: one Context cannot be entered by two threads at once.
    task: futures.Future[Any] = _ORIGINAL["submit"](
        self, contextvars.copy_context().run, fn, *args, **kwargs
    )
    return task
