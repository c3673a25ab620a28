"""SIGTERM with its default action ends a process without running ``atexit``: a container
stopped by its orchestrator, a supervisor's stop, ``Pool.terminate()``. Whatever was
recorded since the last background export (up to 5 s of spans and logs, up to a minute
of metrics) was lost. When nothing else handles SIGTERM, otelkit does: it shuts down,
bounded, then ends the process the default way, so the exit status is what it was.

Two cases need care:

* The signal arrives while this thread is already shutting down (a fork-started
  ``Pool`` worker in its exit flush when ``Pool.__exit__`` terminates it). A second
  shutdown would wait for the lock the first one holds, in the same thread: a deadlock
  cut only by killing the process mid-export. The handler returns instead, the running
  shutdown finishes, and the process then ends by the signal; a watchdog ends it anyway
  once the bound has passed.
* A host handler installed later that chains to otelkit's: otelkit shuts down and
  returns, so the host's own exit (``sys.exit(0)``) stands.

Servers that handle SIGTERM themselves are left alone: gunicorn's workers and most
frameworks exit normally after it, and ``atexit`` flushes.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

#: Slack past the shutdown's own bound before the process ends regardless.
_GRACE = 0.5

_installed = False
_handler_installed: Callable[[int, FrameType | None], None] | None = None
_here = threading.local()  # ``depth``: shutdowns running in this thread
_deferred: int | None = None  # a signal that arrived during one, acted on after it


def install(shutdown: Callable[[float], None], timeout: float) -> None:
    """Handle SIGTERM with ``shutdown(timeout)`` and then the default action, if SIGTERM
    has the default action now (in the main thread, not on Lambda); once per process."""
    global _installed, _handler_installed
    if _installed or os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set a handler
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return  # the program or its server handles it: theirs stays
        handler = _handler(shutdown, timeout)
        signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # no SIGTERM here, or the interpreter is finalizing
        return
    _installed, _handler_installed = True, handler


@contextmanager
def shutting_down() -> Iterator[None]:
    """Marks a shutdown running in this thread; a SIGTERM that arrived meanwhile takes
    its default action when the outermost one ends."""
    global _deferred
    depth = getattr(_here, "depth", 0)
    _here.depth = depth + 1
    try:
        yield
    finally:
        _here.depth = depth
        if depth == 0 and _deferred is not None:
            signum, _deferred = _deferred, None
            _end_by(signum)


def _end_by(signum: int) -> None:
    """Take ``signum``'s default action, unless a host handler now owns the signal (it
    chained to otelkit's: its own exit stands)."""
    if signal.getsignal(signum) is not _handler_installed:
        return
    sys.stdout.flush()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def _handler(
    shutdown: Callable[[float], None], timeout: float
) -> Callable[[int, FrameType | None], None]:
    def shut_down_then_terminate(signum: int, frame: FrameType | None) -> None:
        global _deferred
        if getattr(_here, "depth", 0):
            # This thread was interrupted inside a shutdown: let it finish (see above).
            _deferred = signum
            _watchdog(signum, timeout + _GRACE)
            return
        # In a thread of its own: the handler interrupts the main thread wherever it is,
        # maybe holding a lock the shutdown needs. The process ends within the bound
        # even then.
        worker = threading.Thread(
            target=shutdown, args=(timeout,), name="otelkit-sigterm", daemon=True
        )
        worker.start()
        worker.join(timeout + _GRACE)
        _end_by(signum)

    return shut_down_then_terminate


def _watchdog(signum: int, bound: float) -> None:
    """End the process after ``bound`` seconds if the running shutdown has not."""

    def end_late() -> None:
        time.sleep(bound)
        os._exit(128 + signum)

    threading.Thread(target=end_late, name="otelkit-sigterm-bound", daemon=True).start()
