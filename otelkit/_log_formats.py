"""Log line formats for stdout: ``json`` for machines, ``pretty`` for people, ``text`` for both.

``json`` is what CloudWatch Logs Insights and Loki parse; ``pretty`` aligns messages and
colours levels on a terminal; ``text`` is one plain ``key=value`` line per record.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from otelkit._keys import RESERVED_FIELD_NAMES

Renderer = Callable[[dict[str, Any]], str]

_COLOURS = {"DEBUG": "\x1b[2m", "INFO": "\x1b[32m", "WARNING": "\x1b[33m", "ERROR": "\x1b[31m",
            "CRITICAL": "\x1b[1;31m"}
# Five characters at most, so messages line up in the pretty format.
_SHORT_LEVELS = {"WARNING": "WARN", "CRITICAL": "CRIT"}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"

_encode = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":"),
                           allow_nan=False).encode


def render_json(event: dict[str, Any]) -> str:
    """One JSON object per line; values JSON cannot express are written with ``str()``.

    NaN and infinities are not JSON (CloudWatch and Loki reject the line), so a line that
    holds one is written again with those numbers as strings.
    """
    try:
        return _encode(event)
    except ValueError:
        return _encode(_finite(event))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if not text or any(c in text for c in ' "=\n'):
        return json.dumps(text, ensure_ascii=False)
    return text


def _pairs(event: dict[str, Any]) -> str:
    # Every line's own fields are shown in fixed places (or not at all), not as key=value.
    return " ".join(f"{k}={_value(v)}" for k, v in event.items() if k not in RESERVED_FIELD_NAMES)


def render_text(event: dict[str, Any]) -> str:
    """``<timestamp> <LEVEL> <logger>: <message> key=value …`` with the trace ID last."""
    line = f"{event['timestamp']} {event['level']} {event['logger']}: {event['message']}"
    pairs = _pairs(event)
    if pairs:
        line = f"{line} {pairs}"
    if "trace_id" in event:
        line = f"{line} trace_id={event['trace_id']}"
    if "exception" in event:
        line = f"{line}\n{event['exception']}"
    return line


def pretty_renderer(colour: bool) -> Renderer:
    """Build the ``pretty`` renderer: aligned messages, coloured levels when ``colour``."""

    def render_pretty(event: dict[str, Any]) -> str:
        level = event["level"]
        short = _SHORT_LEVELS.get(level, level)
        clock = event["timestamp"][11:23]
        pairs = _pairs(event)
        if colour:
            head = f"{_DIM}{clock}{_RESET} {_COLOURS.get(level, '')}{short:<5}{_RESET}"
            tail = f"  {_DIM}{event['source']}{_RESET}"
        else:
            head, tail = f"{clock} {short:<5}", f"  {event['source']}"
        line = f"{head} {event['message']:<34} {pairs}{tail}"
        if "exception" in event:
            line = f"{line}\n{event['exception']}"
        return line

    return render_pretty


def renderer(log_format: str, *, colour: bool) -> Renderer:
    """The renderer for a ``LOG_FORMAT`` value (already validated)."""
    if log_format == "json":
        return render_json
    if log_format == "text":
        return render_text
    return pretty_renderer(colour)
