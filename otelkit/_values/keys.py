"""The correlation ID keys: the one definition every other part of otelkit reads.

The collector configs (X-Ray indexed annotations, EMF dimension checks, Loki structured
metadata) and the runtime (binding, propagation) both take their key list from here, so a
key added once is searchable everywhere.
"""

from __future__ import annotations

import re

#: IDs that services use to find one unit of work across services.
WELL_KNOWN_ID_KEYS: tuple[str, ...] = (
    "correlation_id",
    "job_id",
    "session_id",
    "project_id",
    "message_id",
    "user_id",
    "worker_id",
    "request_id",
)

#: IDs that name one unit of work or one person: unbounded in number, so never a metric
#: dimension (each value would be a separately billed metric). ``project_id`` and
#: ``worker_id`` name long-lived, countable things and may be dimensions when asked for.
UNBOUNDED_ID_KEYS: frozenset[str] = frozenset(
    {
        "correlation_id",
        "job_id",
        "session_id",
        "message_id",
        "user_id",
        "request_id",
    }
)

#: Keys that identify a person: bound and logged in-process, never sent to another host
#: unless the user opts in explicitly.
PRIVATE_ID_KEYS: frozenset[str] = frozenset({"user_id"})

#: A bound key must be a snake_case identifier so it is a valid attribute name, log field,
#: baggage key, X-Ray annotation and Loki structured-metadata name at once.
ID_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

#: Longest accepted ID value. Long enough for ARNs and composite keys; short enough that
#: an ID never bloats every span and log line (X-Ray annotations stop at 1,000 chars).
MAX_ID_VALUE_LENGTH = 256

#: Fields every log line has: never an ID, a static field or a keyword field's own name.
RESERVED_FIELD_NAMES: frozenset[str] = frozenset(
    {
        "timestamp",
        "level",
        "message",
        "logger",
        "service",
        "environment",
        "trace_id",
        "span_id",
        "xray_trace_id",
        "sampled",
        "source",
        "exception",
    }
)
