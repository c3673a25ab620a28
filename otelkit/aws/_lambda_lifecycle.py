"""What a Lambda invocation owes the execution environment: the cold-start flag, and a
flush of every signal before the function freezes.

Lambda freezes the execution environment as soon as the handler returns, so batched
telemetry still in memory would leave only with a later invocation, or never. The flush
is bounded by a share of the invocation's remaining time (``flush_bound``): a slow
collector must not turn a successful invocation into a timeout.
"""

from __future__ import annotations

import os
from typing import Any

from otelkit._core.safety import report_internal_error
from otelkit._setup import flush

#: The longest a flush may take even when the invocation has more time left.
MAX_FLUSH_SECONDS = 1.0
#: The share of the invocation's remaining time a flush may take.
FLUSH_SHARE = 0.1
#: With little time left the flush may take up to this long anyway (what fits of it): a
#: collector on the same host needs milliseconds, and telemetry left in memory is lost
#: if the environment is shut down before the next invocation.
LAST_CHANCE_SECONDS = 0.1
#: Time kept free for the runtime to post the response: the flush never eats into it.
RESPONSE_RESERVE_MS = 50
#: The metric counting cold starts, with a ``function_name`` dimension.
COLD_START_METRIC = "ColdStart"

_cold_start = True


def take_cold_start() -> bool:
    """True for the first invocation of this execution environment, unless it was
    initialised ahead of traffic by provisioned concurrency (no user waited on it)."""
    global _cold_start
    cold, _cold_start = _cold_start, False
    return cold and os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency"


def flush_bound(left_ms: float) -> float:
    """Seconds a flush may take with ``left_ms`` of the invocation left (<= 0: none).

    A share of the remaining time, at most ``MAX_FLUSH_SECONDS``, at least what fits of
    ``LAST_CHANCE_SECONDS``; never the last ``RESPONSE_RESERVE_MS``.
    """
    fits = (left_ms - RESPONSE_RESERVE_MS) / 1000.0
    return min(MAX_FLUSH_SECONDS, max(FLUSH_SHARE * left_ms / 1000.0, LAST_CHANCE_SECONDS), fits)


def remaining_ms(context: Any) -> float:
    """The invocation's remaining time, infinite for a stand-in context without a clock."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return float("inf")
    try:
        return float(remaining())
    except Exception:  # a stand-in context without a working clock: no bound known
        return float("inf")


def flush_within(context: Any) -> None:
    """Flush in this thread, bounded by ``flush_bound`` of the remaining time.

    A collector on the same host answers in milliseconds, so the bound only matters when
    it does not; a collector that refuses connections costs one refused connect, then
    nothing until it is probed again (see ``otelkit._sdk.collector_link``).
    """
    timeout = flush_bound(remaining_ms(context))
    if timeout > 0:
        try:
            flush(timeout)
        except Exception as exc:
            report_internal_error("lambda_handler (flush)", exc)
