"""``throttled``: one log call site that writes one line in N, or one per interval.

A polling loop that logs every 5 seconds fills the logs with the same line; a line every
minute, saying how many were skipped, tells the same story. A throttled logger is made
once per call site (it counts the calls made through it) and writes:

- ``every=N``: the 1st call, the (N+1)th, the (2N+1)th…;
- ``interval=S``: the first call, then the first call at least S seconds after the last
  written line;

and every written line after the first carries ``suppressed``: the calls not written
since the previous line. WARNING and above are always written (and still reset the
count), so throttling never hides a problem.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from otelkit._logs.logger import Logger, get_logger


class ThrottledLogger:
    """A logger front that lets only some of its INFO and DEBUG calls through.

    Made by ``otelkit.throttled``; share one instance per call site, across threads too.
    """

    __slots__ = (
        "_clock",
        "_every",
        "_interval",
        "_last",
        "_lock",
        "_logger",
        "_seen",
        "_suppressed",
    )

    def __init__(
        self,
        logger: Logger,
        every: int | None,
        interval: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._every = every
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._seen = 0
        self._suppressed = 0
        self._last: float | None = None

    def _admit(self, always: bool) -> int | None:
        """Count one call; return the number suppressed before it if it is written."""
        with self._lock:
            self._seen += 1
            if self._every is not None:
                write = always or (self._seen - 1) % self._every == 0
            else:
                now = self._clock()
                write = always or self._last is None or now - self._last >= (self._interval or 0.0)
                if write:
                    self._last = now
            if not write:
                self._suppressed += 1
                return None
            suppressed, self._suppressed = self._suppressed, 0
            if always and self._every is not None:
                self._seen = 1  # the next N-1 routine calls count from this line
            return suppressed

    def log(self, level: int, msg: object, *args: object, **fields: Any) -> None:
        """Log at ``level`` if this call is one of those written."""
        if not self._logger.isEnabledFor(level):
            return
        suppressed = self._admit(always=level >= logging.WARNING)
        if suppressed is None:
            return
        if suppressed:
            fields["suppressed"] = suppressed
        fields["stacklevel"] = fields.get("stacklevel", 1) + 1  # the caller's file:line
        self._logger.log(level, msg, *args, **fields)

    def debug(self, msg: object, *args: object, **fields: Any) -> None:
        """DEBUG, throttled."""
        fields["stacklevel"] = fields.get("stacklevel", 1) + 1
        self.log(logging.DEBUG, msg, *args, **fields)

    def info(self, msg: object, *args: object, **fields: Any) -> None:
        """INFO, throttled."""
        fields["stacklevel"] = fields.get("stacklevel", 1) + 1
        self.log(logging.INFO, msg, *args, **fields)

    def warning(self, msg: object, *args: object, **fields: Any) -> None:
        """WARNING: always written, with the count of calls suppressed before it."""
        fields["stacklevel"] = fields.get("stacklevel", 1) + 1
        self.log(logging.WARNING, msg, *args, **fields)

    def error(self, msg: object, *args: object, **fields: Any) -> None:
        """ERROR: always written, with the count of calls suppressed before it."""
        fields["stacklevel"] = fields.get("stacklevel", 1) + 1
        self.log(logging.ERROR, msg, *args, **fields)


def throttled(
    logger: Logger | logging.Logger | str | None = None,
    *,
    every: int | None = None,
    interval: float | None = None,
) -> ThrottledLogger:
    """A logger for one noisy call site that writes one call in ``every``, or at most one
    line per ``interval`` seconds; written lines say how many calls were ``suppressed``.

    Example:
        >>> polling = otelkit.throttled(log, every=12)      # a 5 s loop: a line a minute
        >>> while not done:
        ...     polling.info("Kling still processing", attempt=n)

    Args:
        logger: an ``otelkit.get_logger`` logger, a stdlib logger, or a logger name.
        every: write the first call and then every ``every``-th one.
        interval: write the first call and then at most one per ``interval`` seconds.

    Raises:
        ValueError: not exactly one of ``every`` (a whole number >= 1) and ``interval``
            (seconds > 0) is given.
    """
    if (every is None) == (interval is None):
        raise ValueError("throttled() needs exactly one of every= or interval=")
    if every is not None and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
        raise ValueError(f"every must be a whole number of at least 1, got {every!r}")
    if interval is not None and (
        isinstance(interval, bool)
        or not isinstance(interval, (int, float))
        or not interval > 0
        or interval == float("inf")
    ):
        raise ValueError(f"interval must be a number of seconds above 0, got {interval!r}")
    if isinstance(logger, Logger):
        front = logger
    elif isinstance(logger, logging.Logger):
        front = get_logger(logger.name)
    else:
        front = get_logger(logger)
    return ThrottledLogger(front, every, interval)
