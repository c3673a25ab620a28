"""SIGTERM with its default action ends a process without running ``atexit``: a container
stopped by its orchestrator, a supervisor's stop, ``Pool.terminate()``. Whatever was
recorded since the last background export (up to 5 s of spans and logs, up to a minute
of metrics) was lost. When nothing else handles SIGTERM, otelkit does: it shuts down,
bounded, then ends the process the default way, so the exit status is what it was.

Servers that handle SIGTERM themselves are left alone: gunicorn's workers and most
frameworks exit normally after it, and ``atexit`` flushes.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

#: Slack past the shutdown's own bound before the process ends regardless.
_GRACE = 0.5

_installed = False


def install(shutdown: Callable[[float], None], timeout: float) -> None:
    """Handle SIGTERM with ``shutdown(timeout)`` and then the default action, if SIGTERM
    has the default action now (in the main thread, not on Lambda); once per process."""
    global _installed
    if _installed or os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set a handler
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return  # the program or its server handles it: theirs stays
        signal.signal(signal.SIGTERM, _handler(shutdown, timeout))
    except (ValueError, OSError):  # no SIGTERM here, or the interpreter is finalizing
        return
    _installed = True


def _handler(
    shutdown: Callable[[float], None], timeout: float
) -> Callable[[int, FrameType | None], None]:
    def shut_down_then_terminate(signum: int, frame: FrameType | None) -> None:
        # In a thread of its own: the handler interrupts the main thread wherever it is,
        # maybe holding a lock the shutdown needs. The process ends within the bound
        # even then.
        worker = threading.Thread(
            target=shutdown, args=(timeout,), name="otelkit-sigterm", daemon=True
        )
        worker.start()
        worker.join(timeout + _GRACE)
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    return shut_down_then_terminate
