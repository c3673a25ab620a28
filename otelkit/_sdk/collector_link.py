"""The link to the collector: what it answered last, and requests that never outwait a flush.

The SDK's OTLP/HTTP client retries a refused connection and a 429/5xx with exponential
backoff (1 s, 2 s, 4 s…) up to the export timeout. On Lambda that turned a dead collector
into +5 s per invocation, and every process exit waited as long. otelkit posts OTLP
itself (``CollectorClient``, over ``http_post``: its own HTTP/1.1 on a kept-alive
connection the stdlib's ``http.client`` opens) and:

* sends at most once per export, and the request, the answer and its body together end
  by the export timeout and by the deadline of the flush that asked for it
  (``within(deadline)``), whatever the collector does; it never retries: the outbox
  keeps the batch and tries again at the next flush;
* remembers how the collector answered (``CollectorLink``): a refused or timed-out
  connection, or a 429/502/503/504, pauses sending for a while (``Retry-After`` when the
  collector gives one), and every export in the pause fails at once without touching the
  network.

What each answer does:

============================  ==================================================
collector answers             otelkit does
============================  ==================================================
2xx                           delivered, less the items a partial success
                              rejected (dropped and counted, reason ``rejected``)
429, 502, 503, 504            batch kept for the next flush; pause for
                              ``Retry-After`` (1 s if absent, 30 s at most)
connection refused / reset    batch kept; pause 2 s, then one probe export
no connection in time         batch kept; pause 5 s
no answer within the deadline batch dropped (counted: it may have arrived); pause
                              5 s
any other status (400, 500…)  batch dropped and counted: sending it again
or an answer that is not HTTP would fail again
============================  ==================================================

Each failure in a row doubles the pause, up to a minute; one delivered batch resets it.
"""

from __future__ import annotations

import contextlib
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from otelkit._sdk.http_outcome import Answer, NoAnswer, NotSent
from otelkit._sdk.http_post import Connection

#: Statuses that mean "not now": the batch is kept and sending pauses.
RETRY_LATER_STATUSES = frozenset({429, 502, 503, 504})
#: Pause after a refused connection before one export probes the collector again.
REFUSED_PAUSE = 2.0
#: Pause after a request that got no answer in time (a blackholed or hung collector).
TIMEOUT_PAUSE = 5.0
#: Pause after a 429/5xx without a usable ``Retry-After``, and the longest one honoured.
DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER = 1.0, 30.0
#: The longest pause after failures in a row.
MAX_PAUSE = 60.0
#: Time left under which a request is not started: it could not get an answer.
MIN_REQUEST_TIME = 0.001

_deadline = threading.local()


@contextlib.contextmanager
def within(deadline: float) -> Iterator[None]:
    """Bound every collector request made in this thread by ``deadline`` (monotonic)."""
    previous = getattr(_deadline, "value", None)
    _deadline.value = deadline
    try:
        yield
    finally:
        _deadline.value = previous


def current_deadline() -> float | None:
    """The deadline ``within`` set for this thread, if any."""
    value: float | None = getattr(_deadline, "value", None)
    return value


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one export request.

    ``kept``: not sent, or the collector said "not now": the batch stays queued.
    ``dropped``: why the whole batch is gone (the caller counts it).
    ``rejected``/``message``: items a partial success refused, and the collector's words.
    """

    kept: bool = False
    dropped: str | None = None
    rejected: int = 0
    message: str = ""

    @property
    def delivered(self) -> bool:
        """Every item arrived (none kept, dropped or rejected)."""
        return not self.kept and self.dropped is None and not self.rejected


DELIVERED = Outcome()
KEPT = Outcome(kept=True)


class CollectorLink:
    """What the collector answered last, shared by the signals that export to one host."""

    def __init__(self) -> None:
        self._paused_until = 0.0
        self._strikes = 0  # failures in a row: each one doubles the pause

    def paused_for(self) -> float:
        """Seconds until the collector may be tried again (0 when it may be now)."""
        return max(0.0, self._paused_until - time.monotonic())

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds``, doubled for each failure in a row (at most
        ``MAX_PAUSE``): a collector that stays away costs one probe now and then.

        A request that was already in flight when another one's failure paused the link
        (a flush sends its signals side by side) fails with it: the same outage, no
        strike of its own, or three signals would triple the doubling."""
        now = time.monotonic()
        if self._paused_until <= now:
            seconds = seconds * 2 ** min(self._strikes, 6)
            self._strikes += 1
        self._paused_until = max(self._paused_until, now + min(seconds, MAX_PAUSE))

    def resume(self) -> None:
        self._paused_until = 0.0
        self._strikes = 0

    def probe_now(self) -> None:
        """End the pause (not the strikes): shutdown's last tries are its caller's to spend."""
        self._paused_until = 0.0


#: Adds headers to a request about to leave (SigV4): (url, headers, body) -> headers.
Signer = Callable[[str, Mapping[str, str], bytes], Mapping[str, str]]


def _gzip(data: bytes) -> bytes:
    import gzip  # only where a collector asked for it

    return gzip.compress(data, compresslevel=6)


_COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": _gzip,
    "deflate": zlib.compress,
}


class CollectorClient:
    """Posts one signal's OTLP requests to the collector (see the module docs).

    Args:
        url: the signal's OTLP/HTTP URL.
        link: the collector's state, shared with the other signals sent to its host.
        headers: headers sent with every request (``OTEL_EXPORTER_OTLP_*_HEADERS``).
        timeout: the longest a request may take, answer included.
        compression: ``gzip``, ``deflate`` or ``none``.
        signer: signs each request (SigV4), or None.
        connection: the HTTP connection (made from ``url`` when not given).
    """

    def __init__(
        self,
        url: str,
        link: CollectorLink,
        *,
        headers: Mapping[str, str],
        timeout: float,
        compression: str = "none",
        signer: Signer | None = None,
        connection: Connection | None = None,
    ) -> None:
        self.url = url
        self.link = link
        self.timeout = timeout
        self._compress = _COMPRESSORS.get(compression)
        self._headers = {"Content-Type": "application/x-protobuf", **headers}
        if self._compress is not None:
            self._headers["Content-Encoding"] = compression
        self._signer = signer
        self._connection = connection or Connection(url)

    def post(self, payload: bytes) -> tuple[Outcome, Answer | None]:
        """Send ``payload`` unless the collector is paused or no time is left; what became
        of it (``DELIVERED`` for any 2xx: the caller reads a partial success), and the
        answer when there was one."""
        link = self.link
        if link.paused_for() > 0:
            return KEPT, None
        deadline = time.monotonic() + self.timeout
        flush_deadline = current_deadline()
        if flush_deadline is not None:
            deadline = min(deadline, flush_deadline)
        if deadline - time.monotonic() <= MIN_REQUEST_TIME:
            return KEPT, None
        body = self._compress(payload) if self._compress is not None else payload
        headers = self._headers
        if self._signer is not None:
            headers = {**headers, **self._signer(self.url, headers, body)}
        try:
            answer = self._connection.post(body, headers, deadline)
        except NotSent as exc:
            if exc.timed_out:
                link.pause(TIMEOUT_PAUSE)
            elif time.monotonic() < deadline:  # refused, reset: not just out of time
                link.pause(REFUSED_PAUSE)
            return KEPT, None
        except NoAnswer as exc:
            if exc.timed_out:
                link.pause(TIMEOUT_PAUSE)
                return Outcome(dropped="no answer in time"), None
            if exc.garbled:
                link.pause(REFUSED_PAUSE)
                return Outcome(dropped="unreadable answer from collector"), None
            link.pause(REFUSED_PAUSE)  # the collector went away mid-request: try again
            return KEPT, None
        status = answer.status
        if status < 300:
            link.resume()
            return DELIVERED, answer
        if status in RETRY_LATER_STATUSES:
            link.pause(retry_after(answer.headers.get("retry-after")))
            return KEPT, answer
        return Outcome(dropped=f"refused by collector (HTTP {status})"), answer

    def close(self) -> None:
        self._connection.close()


def retry_after(value: str | None) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), bounded."""
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime  # an HTTP date: rare, and 3 ms to load

        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
    if seconds != seconds:  # NaN
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
