"""A flush's exports side by side: one signal's request waits for its answer while the
next is encoded and sent.

A flush sent spans, then logs, then metrics, each waiting for its answer before the
next began: three round trips of waiting where one would do, billed on Lambda. Here
the first export runs in the calling thread and each other one in a worker thread kept
for the purpose (a new thread costs more than the wait it saves); an answer's wait
releases the interpreter lock, so the waits overlap. Each job runs in a copy of the
caller's context and returns whether everything it sent was delivered.
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence

Job = Callable[[], bool]


class _Result:
    __slots__ = ("done", "ok")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False


class _Worker:
    """A daemon thread running the jobs put on its queue, one after the other."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[tuple[contextvars.Context, Job, _Result]] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="otelkit-side-by-side", daemon=True).start()

    def _run(self) -> None:
        while True:
            context, job, result = self.jobs.get()
            try:
                result.ok = bool(context.run(job))
            except Exception:  # a job's own failure: it was not delivered
                result.ok = False
            finally:
                result.done.set()


_workers: list[_Worker] = []
_lock = threading.Lock()


def _take_workers(count: int) -> list[_Worker]:
    with _lock:
        while len(_workers) < count:
            _workers.append(_Worker())
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
    each job keeps to itself; True when every one finished in time and returned True."""
    if not jobs:
        return True
    first, *others = jobs
    results: list[_Result] = []
    for worker, job in zip(_take_workers(len(others)), others, strict=True):
        result = _Result()
        worker.jobs.put((contextvars.copy_context(), job, result))
        results.append(result)
    ok = first()
    for result in results:
        finished = result.done.wait(max(0.0, deadline - time.monotonic()))
        ok = finished and result.ok and ok
    return ok
