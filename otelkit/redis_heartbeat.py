"""Redis heartbeat: a worker's live status in Redis, its transitions in the logs.

A fleet of workers needs two views. "What is every worker doing right now?" is a question
for a status store: each worker overwrites one Redis hash, ``{prefix}:worker:{worker_id}``,
every ``interval`` seconds and appends the same fields to a capped stream,
``{prefix}:workers:status``, for history. The hash has a TTL of a few intervals, so a
worker that dies without saying goodbye disappears on its own. "What happened?" is a
question for the logs, and they only get the transitions: ``WORKER_STARTED``,
``WORKER_STATE_CHANGED``, ``WORKER_STOPPED``, and one line when Redis becomes unreachable
and one when it is back. A log line per beat would be exactly the volume the hash exists
to avoid.

Redis trouble never reaches the worker: the beats are written from a background thread,
failures are logged once per outage and retried at the next beat.

Needs the ``redis`` extra: ``pip install 'otelkit[redis]'``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError("the redis heartbeat needs redis-py: pip install 'otelkit[redis]'") from exc

from opentelemetry import context as otel_context
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY

import otelkit
from otelkit._core.safety import report_internal_error
from otelkit._process.resources import process_resources

if TYPE_CHECKING:
    from redis.typing import EncodableT, FieldT

__all__ = ["Heartbeat", "read_fleet"]

IDLE, BUSY, STOPPED = "IDLE", "BUSY", "STOPPED"
#: Default key templates; ``"worker:heartbeat:{worker_id}"`` and ``"worker:status"`` give
#: the conventional layout without a prefix.
KEY_TEMPLATE = "{prefix}:worker:{worker_id}"
STREAM_TEMPLATE = "{prefix}:workers:status"


class Heartbeat:
    """Report one worker's status to Redis every ``interval`` seconds, from a thread.

    Example:
        >>> with Heartbeat("redis://localhost:6379/0", "worker-1", interval=30) as hb:
        ...     with otelkit.job("browser.navigate"), hb.working():
        ...         navigate()          # the hash shows state BUSY and this job_id

    A thread rather than an asyncio task, so sync and async workers alike keep beating
    while their own code is busy; ``async with`` works too.

    Args:
        client: A ``redis.Redis`` client, or a URL to build one from. A client built from
            a URL fails fast (short timeouts, no retries inside a call) and is closed by
            ``stop()``: the next beat is the retry, and a beat must never outlast it.
        worker_id: This worker's ID; also bound as ``worker_id`` on the records written
            here.
        interval: Seconds between beats; ``HEARTBEAT_INTERVAL`` from the environment when
            not given, else 30.
        ttl: Seconds the hash outlives the last beat; three intervals by default, so one
            late beat does not make a live worker vanish.
        prefix: Key prefix, so several fleets can share one Redis.
        key: Template of the worker's hash key, with ``{prefix}`` and ``{worker_id}``
            (``"worker:heartbeat:{worker_id}"`` for the conventional layout).
        stream: Template of the status stream's key, with ``{prefix}``
            (``"worker:status"``).
        resources: Put the process's ``resources`` (memory, CPU, threads, open files) in
            every beat, as JSON in the hash.
        stream_maxlen: Approximate cap of the status stream (``XADD MAXLEN ~``), shared by
            the whole fleet; trimming whole stream nodes keeps it cheap.
        fields: Constant fields added to every beat (container ID, region, queue…).
    """

    def __init__(
        self,
        client: redis.Redis | str,
        worker_id: str,
        *,
        interval: float | None = None,
        ttl: float | None = None,
        prefix: str = "otelkit",
        stream_maxlen: int = 10_000,
        fields: Mapping[str, str] | None = None,
        key: str = KEY_TEMPLATE,
        stream: str = STREAM_TEMPLATE,
        resources: bool = True,
    ) -> None:
        if interval is None:
            interval = float(os.environ.get("HEARTBEAT_INTERVAL", "").strip() or 30.0)
        if not interval > 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        self._as_worker = otelkit.bind(worker_id=worker_id)  # validated here, not in a thread
        self._in_thread = self._as_worker
        self.worker_id = worker_id
        self.interval = interval
        self.ttl = ttl if ttl is not None else 3 * interval
        self.key = key.format(prefix=prefix, worker_id=worker_id)
        self.stream = stream.format(prefix=prefix)
        self._resources = resources
        self.stream_maxlen = stream_maxlen
        self._fields = dict(fields or {})
        self._owns_client = isinstance(client, str)
        if isinstance(client, str):
            timeout = min(interval, 5.0)
            client = redis.Redis.from_url(
                client,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
            )
        self._client = client
        self._lock = threading.Lock()
        self._state = IDLE
        self._active: dict[int, str] = {}  # running jobs by entry number
        self._entries = 0
        self._processed = 0
        self._failed = 0
        self._started = 0.0
        self._failing_since: float | None = None  # outage bookkeeping, under _lock too
        self._missed = 0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Heartbeat:
        """Start beating (the first beat is immediate) and log ``WORKER_STARTED``.

        The thread logs with the IDs bound here, but without the current span: the
        heartbeat belongs to the worker, not to the request that started it.
        """
        if self._thread is not None:
            return self
        self._in_thread = otelkit.bind(**{**otelkit.ids(), "worker_id": self.worker_id})
        with self._lock:
            self._state, self._started = IDLE, time.monotonic()
        with self._as_worker:
            otelkit.event(
                "WORKER_STARTED",
                status="started",
                state=IDLE,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                heartbeat_key=self.key,
                heartbeat_interval=self.interval,
            )
        self._wake.clear()
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"heartbeat-{self.worker_id}"
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Write a last beat with state ``STOPPED`` and log ``WORKER_STOPPED`` with totals.

        The hash stays until its TTL runs out, so the fleet view shows a clean exit
        rather than a worker that silently went away. Waits at most ``timeout`` seconds.
        """
        thread, self._thread = self._thread, None
        if thread is None:
            return
        with self._lock:
            self._state = STOPPED
        self._wake.set()
        thread.join(timeout)
        if self._owns_client:
            self._client.close()
        status = self.status()
        with self._as_worker:
            otelkit.event(
                "WORKER_STOPPED",
                status="stopped",
                state=STOPPED,
                uptime_seconds=status["uptime_seconds"],
                jobs_processed=status["jobs_processed"],
                jobs_failed=status["jobs_failed"],
            )

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Heartbeat:
        # The thread keeps beating while the event loop is busy; starting it never blocks.
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)  # the last beat is a network call

    # -- what the worker reports -------------------------------------------------------

    @property
    def state(self) -> str:
        """The state the next beat reports: ``BUSY`` while a job runs in an ``IDLE`` worker."""
        with self._lock:
            return self._reported_state()

    def set_state(self, state: str, **fields: Any) -> None:
        """Change the worker's own state (``DRAINING``, ``PAUSED``…) and beat at once.

        Logs ``WORKER_STATE_CHANGED`` only when the state actually changes. Jobs starting
        and ending do not count: ``working()`` reports ``BUSY`` in Redis, and the job's own
        records already tell that story. ``STOPPED`` is ``stop()``'s to set.
        """
        if not isinstance(state, str) or not state or state == STOPPED:
            raise ValueError(
                f"state must be a non-empty string other than {STOPPED!r} "
                f"(call stop()), got {state!r}"
            )
        with self._lock:
            previous, self._state = self._state, state
        if previous != state:
            with self._as_worker:
                otelkit.event(
                    "WORKER_STATE_CHANGED", state=state, previous_state=previous, **fields
                )
            self._wake.set()

    @contextmanager
    def working(self, job_id: str | None = None) -> Iterator[None]:
        """Report a job as running for the block, then count it as processed or failed.

        ``job_id`` defaults to the one bound by an enclosing ``otelkit.job()``. An
        exception counts the job as failed and propagates unchanged.
        """
        job_id = job_id if job_id is not None else otelkit.ids().get("job_id", "")
        with self._lock:
            self._entries += 1
            entry = self._entries
            self._active[entry] = job_id
        failed = True
        try:
            yield
            failed = False
        finally:
            with self._lock:
                del self._active[entry]
                self._processed += 1
                self._failed += failed

    def status(self) -> dict[str, Any]:
        """What a beat writes, as a dict: also the body of a ``/health`` endpoint."""
        with self._lock:
            running = next(reversed(self._active.values()), "")
            uptime = time.monotonic() - self._started if self._started else 0.0
            return {
                **self._fields,
                "worker_id": self.worker_id,
                "state": self._reported_state(),
                "job_id": running,
                "jobs_processed": self._processed,
                "jobs_failed": self._failed,
                "uptime_seconds": round(uptime, 3),
                "hostname": socket.gethostname(),
                "pid": os.getpid(),
                "interval_seconds": self.interval,
                "timestamp": round(time.time(), 3),
                **({"resources": process_resources()} if self._resources else {}),
            }

    def _reported_state(self) -> str:
        return BUSY if self._active and self._state == IDLE else self._state

    # -- writing -----------------------------------------------------------------------

    def beat(self) -> bool:
        """Write one beat now; return whether Redis took it. Never raises for Redis errors.

        The first failure of an outage is logged as a WARNING, the first success after
        it as ``HEARTBEAT_RECOVERED``; the beats in between fail quietly.
        """
        status: dict[FieldT, EncodableT] = {
            k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in self.status().items()
        }
        # A Redis instrumentation, if any, would make a span per beat: noise, not traces.
        token = otel_context.attach(otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            pipe = self._client.pipeline(transaction=True)  # the hash never lacks its TTL
            pipe.hset(self.key, mapping=status)
            pipe.pexpire(self.key, max(1, round(self.ttl * 1000)))
            pipe.xadd(self.stream, status, maxlen=self.stream_maxlen, approximate=True)
            pipe.execute()
        except (redis.RedisError, OSError) as exc:
            error: BaseException | None = exc
        else:
            error = None
        finally:
            otel_context.detach(token)
        self._note_outcome(error)
        return error is None

    def _note_outcome(self, error: BaseException | None) -> None:
        now = time.monotonic()
        with self._lock:  # decide under the lock, log outside it
            began, missed = self._failing_since, self._missed
            if error is not None:
                self._failing_since, self._missed = began or now, missed + 1
            else:
                self._failing_since, self._missed = None, 0
        if error is not None and began is None:
            with self._in_thread:
                otelkit.event(
                    "HEARTBEAT_FAILED",
                    status="failing",
                    level="WARNING",
                    error=str(error) or type(error).__name__,
                    error_type=type(error).__name__,
                    heartbeat_key=self.key,
                )
        elif error is None and began is not None:
            with self._in_thread:
                otelkit.event(
                    "HEARTBEAT_RECOVERED",
                    status="recovered",
                    outage_seconds=round(now - began, 3),
                    missed_beats=missed,
                    heartbeat_key=self.key,
                )

    def _run(self) -> None:
        stopping = False
        while not stopping:
            stopping = self.state == STOPPED  # read before the beat: STOPPED is the last one
            try:
                self.beat()
            except Exception as exc:  # a bug of ours; the worker must not notice
                report_internal_error("redis heartbeat", exc)
            if not stopping:
                self._wake.wait(self.interval)
                self._wake.clear()


def read_fleet(
    client: redis.Redis, prefix: str = "otelkit", key: str = KEY_TEMPLATE
) -> dict[str, dict[str, str]]:
    """Return the latest status of every live worker, by worker ID (what a dashboard shows).

    Workers whose hash expired (no beat within its TTL) are gone from the result. ``key``
    is the template the workers' ``Heartbeat`` was given.
    """
    fleet: dict[str, dict[str, str]] = {}
    pattern = key.format(prefix=prefix, worker_id="*")
    for found in client.scan_iter(match=pattern, count=500):
        raw: Mapping[Any, Any] = client.hgetall(found)
        status = {_text(k): _text(v) for k, v in raw.items()}
        if status:
            fleet[status.get("worker_id", _text(found))] = status
    return dict(sorted(fleet.items()))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
