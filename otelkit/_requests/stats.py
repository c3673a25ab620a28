"""Request statistics for ``/stats``: counts, latency percentiles, error rate, slow requests.

The HTTP front ends (ASGI and WSGI middleware, Lambda HTTP) call ``observe`` once per
finished request. Totals are kept since start; percentiles come from the last
``WINDOW`` latencies, so they describe the service now, not its whole life. Routes are
kept by template, at most ``MAX_ROUTES`` of them (later ones count under ``other``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

#: Latencies kept for the percentiles.
WINDOW = 2048
#: Routes counted by name.
MAX_ROUTES = 100
#: Requests slower than this are slow unless ``slow_request_ms`` says otherwise (seed: 2 s).
DEFAULT_SLOW_MS = 2000.0


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class RequestStats:
    """Thread-safe running statistics of finished requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything (tests; a fresh process)."""
        with self._lock:
            self._started = time.monotonic()
            self._total = 0
            self._errors = 0
            self._slow = 0
            self._latencies: deque[float] = deque(maxlen=WINDOW)
            self._routes: dict[str, list[int]] = {}  # route -> [requests, errors]

    def observe(
        self,
        route: str | None,
        status: int,
        latency_ms: float,
        *,
        failed: bool = False,
        slow_ms: float | None = None,
    ) -> None:
        """Count one finished request; ``failed`` for an unhandled exception."""
        error = failed or status >= 500
        slow = latency_ms > (DEFAULT_SLOW_MS if slow_ms is None else slow_ms)
        name = route or "(no route)"
        with self._lock:
            self._total += 1
            self._errors += error
            self._slow += slow
            self._latencies.append(latency_ms)
            counts = self._routes.get(name)
            if counts is None:
                if len(self._routes) >= MAX_ROUTES:
                    name = "other"
                counts = self._routes.setdefault(name, [0, 0])
            counts[0] += 1
            counts[1] += error

    def snapshot(self) -> dict[str, Any]:
        """The ``performance`` block of ``/stats``."""
        with self._lock:
            total, errors, slow = self._total, self._errors, self._slow
            ordered = sorted(self._latencies)
            routes = {
                name: {"requests": n, "errors": e}
                for name, (n, e) in sorted(self._routes.items(), key=lambda item: -item[1][0])
            }
            seconds = time.monotonic() - self._started
        average = sum(ordered) / len(ordered) if ordered else 0.0
        return {
            "total_requests": total,
            "error_requests": errors,
            "error_rate": round(100.0 * errors / total, 2) if total else 0.0,
            "slow_requests": slow,
            "requests_per_second": round(total / seconds, 3) if seconds > 0 else 0.0,
            "avg_response_time": round(average / 1000.0, 4),
            "latency_ms": {
                "p50": _percentile(ordered, 0.5),
                "p90": _percentile(ordered, 0.9),
                "p99": _percentile(ordered, 0.99),
                "max": ordered[-1] if ordered else 0.0,
                "window": len(ordered),
            },
            "routes": routes,
        }


#: The process's request statistics, fed by the HTTP front ends.
STATS = RequestStats()


def observe(
    route: str | None,
    status: int,
    latency_ms: float,
    *,
    failed: bool = False,
    slow_ms: float | None = None,
) -> None:
    """Count one finished request in the process's statistics (``/stats``)."""
    STATS.observe(route, status, latency_ms, failed=failed, slow_ms=slow_ms)
