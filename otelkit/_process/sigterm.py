"""SIGTERM with its default action ends a process without running ``atexit``: a container
stopped by its orchestrator, a supervisor's stop, ``Pool.terminate()``. Whatever was
recorded since the last background export (up to 5 s of spans and logs, up to a minute
of metrics) was lost. When nothing else handles SIGTERM, otelkit does: it shuts down,
bounded, then ends the process the default way, so the exit status is what it was.

Three cases need care:

* The signal arrives while this thread is already shutting down (a fork-started
  ``Pool`` worker in its exit flush when ``Pool.__exit__`` terminates it). A second
  shutdown would wait for the lock the first one holds, in the same thread: a deadlock
  cut only by killing the process mid-export. The handler returns instead, the running
  shutdown finishes, and the process then ends by the signal; a watchdog ends it anyway
  once the bound has passed.
* A host handler installed later that chains to otelkit's: otelkit shuts down and
  returns, so the host's own exit (``sys.exit(0)``) stands.
* Python runs a signal handler only in the main thread, and only once that thread runs
  bytecode again. When another thread (otelkit's export thread, say) takes the signal off
  the queue, a main thread blocked in a lock that is never released (a ``Pool`` worker
  waiting for a task after ``terminate()``) never runs it, and the process, which the
  default action would have ended, lives on: ``Pool.__exit__`` hung. A relay thread reads
  the interpreter's wakeup fd (one byte per signal, whichever thread took it); when the
  main thread has not started the handler shortly after a SIGTERM, the relay shuts down,
  bounded, and ends the process with status 143 (128 + SIGTERM). A program that set its
  own wakeup fd (an event loop's) keeps it, and there is no relay then.

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
_entered = 0.0  # when the handler last started (monotonic)
#: How long the relay leaves the main thread to start the handler before acting itself.
_MAIN_THREAD_WAIT = 0.3
_relay_pipe: tuple[int, int] | None = None


def install(shutdown: Callable[[float], None], timeout: Callable[[], float]) -> None:
    """Handle SIGTERM with ``shutdown(timeout())`` and then the default action, if SIGTERM
    has the default action now (in the main thread, not on Lambda); once per process.
    ``timeout`` is read when the signal comes: the exit timeout of the pipeline
    configured then, not of the first one."""
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
    _start_relay(shutdown, timeout)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(
            before=_hold_sigterm,
            after_in_parent=_release_sigterm,
            after_in_child=lambda: _restart_relay(shutdown, timeout),
        )


_forking = threading.local()  # ``mask``: the forking thread's signal mask before the fork


def _hold_sigterm() -> None:
    """SIGTERM waits while a child is forked: until the child has a relay pipe of its own,
    its wakeup byte would land in the parent's pipe and wake the parent's relay."""
    _forking.mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def _release_sigterm() -> None:
    mask = getattr(_forking, "mask", None)
    if mask is not None:
        _forking.mask = None
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _start_relay(shutdown: Callable[[float], None], timeout: Callable[[], float]) -> None:
    """(In the main thread.) The wakeup fd and the thread that reads it (see above)."""
    global _relay_pipe
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    try:
        previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        if previous != -1:  # the program's own (an event loop's): theirs stays, no relay
            signal.set_wakeup_fd(previous)
    except (ValueError, OSError):  # not the main thread, or no wakeup fd here
        previous = write_fd
    if previous != -1:
        os.close(read_fd)
        os.close(write_fd)
        return
    _relay_pipe = (read_fd, write_fd)
    threading.Thread(
        target=_relay, args=(read_fd, shutdown, timeout), name="otelkit-sigterm-relay", daemon=True
    ).start()


def _restart_relay(shutdown: Callable[[float], None], timeout: Callable[[], float]) -> None:
    """In a forked child: a pipe of its own behind the same fd number, so a signal here
    never wakes the parent's relay (the wakeup fd is a number the child inherited, and it
    may be a thread other than the main one here, which may not set another)."""
    try:
        if _relay_pipe is not None:
            _own_relay_pipe(shutdown, timeout)
    finally:
        _release_sigterm()  # a SIGTERM that came meanwhile is taken now


def _own_relay_pipe(shutdown: Callable[[float], None], timeout: Callable[[], float]) -> None:
    global _relay_pipe
    assert _relay_pipe is not None
    inherited_read, write_fd = _relay_pipe
    read_fd, fresh_write = os.pipe()
    os.set_blocking(fresh_write, False)
    os.dup2(fresh_write, write_fd, inheritable=False)
    os.close(fresh_write)
    os.close(inherited_read)
    _relay_pipe = (read_fd, write_fd)
    threading.Thread(
        target=_relay, args=(read_fd, shutdown, timeout), name="otelkit-sigterm-relay", daemon=True
    ).start()


def _relay(read_fd: int, shutdown: Callable[[float], None], timeout: Callable[[], float]) -> None:
    while True:
        try:
            taken = os.read(read_fd, 512)
        except OSError:
            return
        if not taken:
            return
        if signal.SIGTERM in taken and _main_thread_missed(signal.SIGTERM):
            sys.stderr.write(
                "otelkit: SIGTERM while the main thread could not take it: shutting down, "
                f"then ending the process (status {128 + signal.SIGTERM})\n"
            )
            bound = timeout()
            worker = threading.Thread(
                target=shutdown, args=(bound,), name="otelkit-sigterm", daemon=True
            )
            worker.start()
            worker.join(bound + _GRACE)
            sys.stdout.flush()
            os._exit(128 + signal.SIGTERM)


def _main_thread_missed(signum: int) -> bool:
    """Whether the main thread has not started otelkit's handler for ``signum`` shortly
    after it arrived, while otelkit's handler is still the one installed."""
    time.sleep(_MAIN_THREAD_WAIT)
    if time.monotonic() - _entered < _MAIN_THREAD_WAIT + 1.0:
        return False  # the handler runs (or ran): it decides
    return signal.getsignal(signum) is _handler_installed


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
    shutdown: Callable[[float], None], timeout: Callable[[], float]
) -> Callable[[int, FrameType | None], None]:
    def shut_down_then_terminate(signum: int, frame: FrameType | None) -> None:
        global _deferred, _entered
        _entered = time.monotonic()
        bound = timeout()
        if getattr(_here, "depth", 0):
            # This thread was interrupted inside a shutdown: let it finish (see above).
            _deferred = signum
            _watchdog(signum, bound + _GRACE)
            return
        # In a thread of its own: the handler interrupts the main thread wherever it is,
        # maybe holding a lock the shutdown needs. The process ends within the bound
        # even then.
        worker = threading.Thread(
            target=shutdown, args=(bound,), name="otelkit-sigterm", daemon=True
        )
        worker.start()
        worker.join(bound + _GRACE)
        _end_by(signum)

    return shut_down_then_terminate


def _watchdog(signum: int, bound: float) -> None:
    """End the process after ``bound`` seconds if the running shutdown has not."""

    def end_late() -> None:
        time.sleep(bound)
        os._exit(128 + signum)

    threading.Thread(target=end_late, name="otelkit-sigterm-bound", daemon=True).start()
