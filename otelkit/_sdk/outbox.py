"""The outbox: finished spans and log records waiting to leave, and the one way they leave.

It replaces the SDK's batch processors, whose ``force_flush`` ignores its timeout and waits
for the export lock, which left Lambda waiting on a dead collector for seconds. Here:

* a bounded queue; past ``MAX_QUEUE`` the oldest item is dropped, and counted. It is
  sized for bursts: while the program makes spans in a tight loop, the export thread
  gets the GIL back only a switch interval (5 ms) after each socket call, so a 512-item
  request that costs 12 ms of CPU takes about 100 ms; 2,048 items lost up to a third of
  a 20,000-span burst to a healthy collector (``docs/reliability.md`` has the figures),
  8,192 up to a fifth: the queue now holds a 20,000-item burst whole even if the export
  thread never runs during it. With ``on_full="block"`` a full queue makes the calling
  thread wait (bounded) for the export thread instead;
* ``export_until(deadline)`` exports in the calling thread, and never past ``deadline``
  (not even to wait for the background export to finish);
* a background thread (not on Lambda, where the process is frozen between invocations
  and the end-of-invocation flush does the work) exports every ``DELAY`` seconds or
  when a batch is full; it starts with the first item, and again in a forked child;
* a batch the collector said "later" to stays queued; a batch it refused, or that may
  have arrived (no answer in time), is dropped and counted.
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context
from opentelemetry.sdk._logs import LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from otelkit._core import drops as _drops
from otelkit._sdk.collector_link import CollectorLink, Outcome, within

#: Items held at most per signal while the collector is slow or away, or a burst leaves:
#: a 20,000-item burst and a batch in flight. A queued span without events takes about
#: 0.9 KB, so a full queue holds about 22 MB.
MAX_QUEUE = 24_576
#: Items per export request (a full batch wakes the export thread at once). Larger
#: requests would leave faster in a burst, but spans with large attributes could then
#: pass the collector's request size limit, and the whole request would be refused.
BATCH_SIZE = 512
#: Items dropped from a full queue are counted in bulk, this many at a time.
OVERFLOW_REPORT_EVERY = 256
#: Seconds between background exports.
DELAY = 5.0
#: At shutdown, a paused collector is probed again this often until the deadline.
SHUTDOWN_PROBE_EVERY = 0.25
#: How long shutdown waits, past its deadline, for an aborted request to be accounted.
ABORT_GRACE = 0.05

Export = Callable[[Sequence[Any]], Any]


class Outbox:
    """A bounded queue of one signal's items and their export (see the module docs)."""

    def __init__(
        self,
        export: Export,
        signal: str,
        link: CollectorLink | None,
        *,
        background: bool,
        export_timeout: float,
        shutdown: Callable[[], Any],
        on_full: str = "drop",
        on_full_timeout: float = 1.0,
    ) -> None:
        self._export = export
        # Blocking waits for the export thread: with none (Lambda) there is nothing to wait for.
        self._block = on_full == "block" and background
        self._block_timeout = on_full_timeout
        self._room = threading.Event()  # set when the export thread takes a batch
        self._gave_up = False  # a wait for room timed out: drop until room is made
        self._shutdown_exporter = shutdown
        self.signal = signal
        self._link = link
        self._background = background
        self._export_timeout = export_timeout
        self._queue: deque[Any] = deque()
        self._lock = threading.Lock()  # one export at a time
        self._wake = threading.Event()
        self._worker: threading.Thread | None = None
        self._pid = os.getpid()
        self._closed = False
        self._overflow = 0
        self._in_flight = 0  # items of the request being sent
        self._abandoned = False  # shutdown counted the request in flight: its sender won't
        self._final = False  # shutdown is counting what is left: nothing goes back
        self._accounts = threading.Lock()  # hands the request in flight over at shutdown

    def _report_overflow(self) -> None:
        overflow, self._overflow = self._overflow, 0
        _drops.add(self.signal, "queue full", overflow)

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, item: Any) -> None:
        """Queue ``item`` (dropping, and counting, the oldest when full)."""
        if self._closed:
            _drops.add(self.signal, "after shutdown")
            return
        if self._pid != os.getpid():
            self._after_fork()
        queue = self._queue
        if len(queue) >= MAX_QUEUE and self._block:
            self._wait_for_room()
        if len(queue) >= MAX_QUEUE:
            queue.popleft()
            self._overflow += 1  # counted in bulk: a full queue must not slow each call
            if self._overflow >= OVERFLOW_REPORT_EVERY:
                self._report_overflow()
        queue.append(item)
        if self._background:
            if self._worker is None:
                self._start_worker()
            if len(queue) >= BATCH_SIZE and not self._wake.is_set():
                self._wake.set()  # Event.set takes a lock: only once per wake-up

    def _wait_for_room(self) -> None:
        """``on_full="block"``: wait, at most ``on_full_timeout``, for the export thread
        to take a batch. Not while the collector is away, not in the export thread, and
        not again after a wait that timed out until room was made."""
        link = self._link
        if self._gave_up or (link is not None and link.paused_for() > 0):
            return
        if self._worker is None or threading.current_thread() is self._worker:
            return
        deadline = time.monotonic() + self._block_timeout
        while len(self._queue) >= MAX_QUEUE and not self._closed:
            left = deadline - time.monotonic()
            if left <= 0 or (link is not None and link.paused_for() > 0):
                self._gave_up = True
                return
            self._room.clear()
            self._wake.set()
            self._room.wait(min(left, 0.05))

    def export_until(self, deadline: float, *, max_batches: int | None = None) -> bool:
        """Export what is queued, in this thread, until done or ``deadline`` (monotonic),
        or after ``max_batches`` requests.

        True when every batch sent was delivered and the queue emptied (or ``max_batches``
        were sent).
        """
        if self._overflow:
            self._report_overflow()
        if not self._queue:
            return True
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return False  # the background export holds it; never wait past the deadline
        token = otel_context.attach(otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            delivered, sent = True, 0
            while self._queue and sent != max_batches:
                sent += 1
                if self._link is not None and self._link.paused_for() > 0:
                    return False  # nothing is attempted while the collector is away
                if time.monotonic() >= deadline:
                    return False
                if not self._send(self._take_batch(), deadline):
                    delivered = False
                    if self._link is not None and self._link.paused_for() > 0:
                        return False
            return delivered
        finally:
            otel_context.detach(token)
            self._lock.release()

    def _take_batch(self) -> list[Any]:
        queue = self._queue
        with self._accounts:  # never out of the queue without being in flight
            batch = [queue.popleft() for _ in range(min(BATCH_SIZE, len(queue)))]
            self._in_flight = len(batch)
        self._gave_up = False
        self._room.set()
        return batch

    def _send(self, batch: list[Any], deadline: float) -> bool:
        """Export ``batch``; True when all of it was delivered. A batch the collector
        said "not now" to goes back to the front of the queue; what is lost is counted."""
        try:
            with within(deadline):
                result = self._export(batch)
        except Exception:  # the exporter's own bug: the batch is lost, and counted
            result = Outcome(dropped="exporter error")
        if not isinstance(result, Outcome):  # another exporter (gRPC): its result's name
            ok = getattr(result, "name", None) == "SUCCESS"
            result = Outcome() if ok else Outcome(dropped="export failed")
        with self._accounts:
            self._in_flight = 0
            if self._abandoned:  # shutdown gave up waiting and counted it
                return False
            self._account(batch, result)
        return result.delivered

    def _account(self, batch: list[Any], result: Outcome) -> None:
        if result.kept and self._final:
            _drops.add(self.signal, "undelivered at shutdown", len(batch))
        elif result.kept:  # "not now": keep it, ahead of what came since
            room = MAX_QUEUE - len(self._queue)
            kept = batch[-room:] if room > 0 else []
            self._queue.extendleft(reversed(kept))
            _drops.add(self.signal, "queue full", len(batch) - len(kept))
        elif result.dropped is not None:
            _drops.add(self.signal, result.dropped, len(batch))
        elif result.rejected:
            _drops.add(self.signal, "rejected", result.rejected, detail=result.message)

    def close(self, deadline: float) -> None:
        """Stop taking items, export what is queued until ``deadline``, count the rest.

        A collector paused after failures is probed again every ``SHUTDOWN_PROBE_EVERY``
        until the deadline: a collector restarting while the program stops still gets the
        queue. A request the export thread still has in flight is aborted, and counted."""
        if self._closed:
            return  # the pipeline closes it, then the provider's shutdown asks again
        self._closed = True
        self._wake.set()
        while not self.export_until(deadline) and self._wait_to_retry(deadline):
            pass
        self._final = True  # from now on a batch the collector did not take is counted
        with contextlib.suppress(Exception):  # a broken exporter's shutdown: not worth an error
            self._shutdown_exporter()  # ends a request in flight in the export thread
        got_lock = self._lock.acquire(timeout=max(ABORT_GRACE, deadline - time.monotonic()))
        try:
            with self._accounts:
                if not got_lock and self._in_flight:
                    self._abandoned = True
                    _drops.add(self.signal, "undelivered at shutdown", self._in_flight)
                self._report_overflow()
                left = len(self._queue)
                self._queue.clear()
                _drops.add(self.signal, "undelivered at shutdown", left)
        finally:
            if got_lock:
                self._lock.release()

    def _wait_to_retry(self, deadline: float) -> bool:
        """At shutdown, after an export that left items queued: wait out (part of) the
        collector's pause within ``deadline``; False when trying again is pointless."""
        link, left = self._link, deadline - time.monotonic()
        if link is None or not self._queue or left <= 0:
            return False
        paused = link.paused_for()
        if paused <= 0:
            return True  # a batch was refused or the thread was busy: go on with the rest
        time.sleep(min(paused, SHUTDOWN_PROBE_EVERY, left))
        link.probe_now()
        return time.monotonic() < deadline

    def _start_worker(self) -> None:
        self._worker = threading.Thread(
            target=self._run, name=f"otelkit-{self.signal}", daemon=True
        )
        self._worker.start()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(DELAY)
            self._wake.clear()
            if self._closed:
                return
            pause = self._link.paused_for() if self._link is not None else 0.0
            if pause > 0:
                time.sleep(min(pause, DELAY))
                continue
            self._drain()

    def _drain(self) -> None:
        """Export batch after batch while items wait, each request with the whole export
        timeout. One deadline for the whole drain cut the request in flight when it passed
        to a few milliseconds: in a burst longer than the timeout a healthy collector
        looked dead ("no answer in time"), and sending paused for 5 s while the queue
        overflowed."""
        while self._queue and not self._closed:
            if self._link is not None and self._link.paused_for() > 0:
                return
            if not self.export_until(time.monotonic() + self._export_timeout, max_batches=1):
                return

    def _after_fork(self) -> None:
        """In a forked child: the parent's items are the parent's to send, and its lock
        and thread did not come along."""
        self._pid = os.getpid()
        self._queue.clear()
        self._lock = threading.Lock()
        self._accounts = threading.Lock()
        self._in_flight = 0
        self._wake = threading.Event()
        self._worker = None


_EMPTY_CONTEXT = Context()
_EMPTY_RESOURCE = Resource.get_empty()


_NOTHING: tuple[()] = ()


def _without_empty_lists(span: ReadableSpan) -> ReadableSpan:
    """``span`` (the SDK makes a fresh one for each ``on_end``) without its empty event
    and link lists: each is a deque and a lock, 400 bytes a queued span kept for nothing
    (two thirds of a plain span's size)."""
    if not span._events and not span.dropped_events:
        span._events = _NOTHING
    if not span._links and not span.dropped_links:
        span._links = _NOTHING
    return span


class OutboxSpanProcessor(SpanProcessor):
    """Puts each finished, sampled span in an outbox."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled:
            outbox = self.outbox
            # Slimming frees two deques and two locks in the thread that ended the span
            # (7 % of a traced call): worth it only while spans wait in numbers (a slow or
            # absent collector, a burst). Below a batch, the export takes them soon.
            outbox.add(_without_empty_lists(span) if len(outbox) >= BATCH_SIZE else span)

    def shutdown(self) -> None:
        self.outbox.close(time.monotonic() + 1.0)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.outbox.export_until(time.monotonic() + timeout_millis / 1000)


class OutboxLogProcessor(LogRecordProcessor):
    """Puts each emitted log record in an outbox."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        # A shallow copy without the context, as the SDK's own processor does: a queued
        # record must not keep a whole context (and what it references) alive.
        record = copy.copy(log_record.log_record)
        record.context = _EMPTY_CONTEXT
        self.outbox.add(
            ReadableLogRecord(
                log_record=record,
                resource=log_record.resource or _EMPTY_RESOURCE,
                instrumentation_scope=log_record.instrumentation_scope,
                limits=log_record.limits,
            )
        )

    def shutdown(self) -> None:
        self.outbox.close(time.monotonic() + 1.0)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.outbox.export_until(time.monotonic() + timeout_millis / 1000)
