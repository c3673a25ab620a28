"""A flush's (and a shutdown's) exports side by side: one signal's request waits for
its answer while the next is encoded and sent.

A flush sent spans, then logs, then metrics, each waiting for its answer before the
next began: three round trips of waiting where one would do, billed on Lambda, and at
shutdown a slow collector's first signal could use the whole budget, leaving the others
undelivered. Here the first export runs in the calling thread and each other one in a
worker thread kept for the purpose (a new thread costs more than the wait it saves); an
answer's wait releases the interpreter lock, so the waits overlap. Each job runs in a
copy of the caller's context and returns whether everything it sent was delivered.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections.abc import Callable, Sequence

Job = Callable[[], bool]


class _Result:
    __slots__ = ("done", "ok")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False


def _run_one(context: contextvars.Context, job: Job, result: _Result) -> None:
    try:
        result.ok = bool(context.run(job))
    except Exception:  # a job's own failure: it was not delivered
        result.ok = False
    finally:
        result.done.set()


class _Worker:
    """A daemon thread running the jobs put on its queue, one after the other."""

    def __init__(self) -> None:
        import queue  # on the first flush with two exports, not at a cold start

        self.jobs: queue.SimpleQueue[tuple[contextvars.Context, Job, _Result]] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="otelkit-side-by-side", daemon=True).start()

    def _run(self) -> None:
        while True:
            _run_one(*self.jobs.get())


_workers: list[_Worker] = []
_lock = threading.Lock()


def _take_workers(count: int) -> list[_Worker]:
    """Up to ``count`` workers: fewer when no thread can start (interpreter shutdown)."""
    with _lock:
        while len(_workers) < count:
            try:
                _workers.append(_Worker())
            except RuntimeError:  # "can't create new thread at interpreter shutdown"
                break
        return _workers[:count]


def _forget_workers() -> None:
    """In a forked child: the parent's threads did not come along (nor may its lock)."""
    global _lock
    _workers.clear()
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def run(jobs: Sequence[Job], deadline: float) -> bool:
    """Run ``jobs`` at once and wait for them until ``deadline`` (monotonic), which
    each job keeps to itself; True when every one finished in time and returned True.
    The first job runs in the calling thread, and so do those no worker can take."""
    if not jobs:
        return True
    first, *others = [(job, _Result()) for job in jobs]
    workers = _take_workers(len(others))
    for worker, (job, result) in zip(workers, others, strict=False):
        worker.jobs.put((contextvars.copy_context(), job, result))
    for job, result in [first, *others[len(workers) :]]:
        _run_one(contextvars.copy_context(), job, result)
    waited = [
        result.done.wait(max(0.0, deadline - time.monotonic())) and result.ok
        for _, result in [first, *others]
    ]
    return all(waited)
