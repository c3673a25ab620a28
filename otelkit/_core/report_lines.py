"""otelkit's own reports (drops, skipped input) as lines: plain text on stderr, or on
Lambda one JSON line carrying the invocation's fields.

A function's stdout and stderr are one CloudWatch log stream of JSON lines that Logs
Insights queries by ``function_request_id``; a plain-text report there is neither
parsed nor findable by invocation. The line is written directly, not through logging:
the logging path may be the part that is failing.

Every line otelkit writes on stderr passes :func:`redacted` here, the one place: an
exception's message or a rejected value quotes whatever the program handed over.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import Any

from otelkit._values.json_line import encode_value


def on_lambda() -> bool:
    """Whether this process is a Lambda function (the runtime sets the name)."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def _timestamp(now: float) -> str:
    millis = int(now * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{millis:03d}Z"


def json_report(message: str, **fields: Any) -> str:
    """The report as a JSON line in otelkit's log-line shape, with the fields of the
    current invocation (``function_request_id``…) when there is one."""
    from otelkit._core import (
        pipeline as _pipeline,  # late: the pipeline's modules report through this one
    )
    from otelkit._logs.event import scope_fields

    pipeline = _pipeline.current()
    line: dict[str, Any] = {
        "timestamp": _timestamp(time.time()),
        "level": "WARNING",
        "message": message,
        "logger": "otelkit",
        "service": pipeline.service,
        "environment": pipeline.environment,
        **(scope_fields.get() or {}),
        **fields,
    }
    return encode_value(line)


def write_report(message: str, **fields: Any) -> None:
    """Write one report on stderr, redacted: ``otelkit: <message>``, a JSON line on
    Lambda."""
    message = redacted(message)
    if on_lambda():
        line = json_report(message, **{name: _redacted_field(v) for name, v in fields.items()})
    else:
        line = f"otelkit: {message}"
    sys.stderr.write(line + "\n")


def redacted(text: object) -> str:
    """``text`` (an exception's message quotes URLs and payloads) through the one
    redaction policy, as every other output; never raises."""
    try:
        from otelkit._core.pipeline import current  # late: the pipeline reports through here

        return current().redaction.redact_text(str(text))
    except Exception:
        return f"<{type(text).__name__}, not shown: it could not be checked for secrets>"


def _redacted_field(value: Any) -> Any:
    if isinstance(value, (bool, int, float)) or value is None:
        return value  # counts and flags
    if isinstance(value, Mapping):  # counts by reason: the reasons are text, counts stay
        shown: dict[str, Any] = {}
        for key, item in value.items():
            name, item = redacted(key), _redacted_field(item)
            if isinstance(item, int) and isinstance(shown.get(name), int):
                item += shown[name]  # two reasons that differ only in a secret: one count
            shown[name] = item
        return shown
    return redacted(value)
