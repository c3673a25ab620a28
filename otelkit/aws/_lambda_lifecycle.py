"""What a Lambda invocation owes the execution environment: the cold-start flag, and a
flush of every signal before the function freezes.

Lambda freezes the execution environment as soon as the handler returns, so batched
telemetry still in memory would leave only with a later invocation, or never. The flush
is bounded by the invocation's remaining time less a safety margin: a slow collector
must not turn a successful invocation into a timeout.
"""

from __future__ import annotations

import os
from typing import Any

from otelkit._safety import report_internal_error
from otelkit._setup import flush

#: Time kept free at the end of an invocation: the flush never eats into it.
FLUSH_SAFETY_MARGIN_MS = 300
#: The longest a flush may take even when the invocation has more time left.
MAX_FLUSH_SECONDS = 1.0
#: The share of the invocation's remaining time a flush may take at most.
FLUSH_SHARE = 0.1
#: The metric counting cold starts, with a ``function_name`` dimension.
COLD_START_METRIC = "ColdStart"

_cold_start = True


def take_cold_start() -> bool:
    """True for the first invocation of this execution environment, unless it was
    initialised ahead of traffic by provisioned concurrency (no user waited on it)."""
    global _cold_start
    cold, _cold_start = _cold_start, False
    return cold and os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency"


def flush_within(context: Any) -> None:
    """Flush in this thread, bounded by a small share of the remaining time.

    A collector on the same host answers in milliseconds, so the bound only matters when
    it does not; a collector that refuses connections costs one refused connect, then
    nothing until it is probed again (see ``otelkit._sdk.collector_link``).
    """
    timeout = MAX_FLUSH_SECONDS
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        try:
            left_ms = float(remaining())
        except Exception:  # a stand-in context without a working clock: no bound known
            left_ms = float("inf")
        timeout = min(
            timeout, FLUSH_SHARE * left_ms / 1000.0, (left_ms - FLUSH_SAFETY_MARGIN_MS) / 1000.0
        )
    if timeout > 0:
        try:
            flush(timeout)
        except Exception as exc:
            report_internal_error("lambda_handler (flush)", exc)
