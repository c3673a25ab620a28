"""Log line formats for stdout: ``json`` for machines, ``pretty`` for people, ``text`` for both.

``FORMATS`` at the bottom is the registry the ``log_format`` setting is checked against.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.encoder import encode_basestring as _quote
from typing import Any, NamedTuple

from otelkit._values.caps import cut
from otelkit._values.json_line import encode_object, encode_value
from otelkit._values.keys import RESERVED_FIELD_NAMES
from otelkit._values.safe_values import plain, truncate

Renderer = Callable[[dict[str, Any]], str]

_COLOURS = {
    "DEBUG": "\x1b[2m",
    "INFO": "\x1b[32m",
    "WARNING": "\x1b[33m",
    "ERROR": "\x1b[31m",
    "CRITICAL": "\x1b[1;31m",
}
# Five characters at most, so messages line up in the pretty format.
_SHORT_LEVELS = {"WARNING": "WARN", "CRITICAL": "CRIT"}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"

#: The longest line written; CloudWatch Logs and Loki refuse longer events (256 KiB).
MAX_LINE_CHARS = 200_000


def render_json(event: dict[str, Any]) -> str:
    """One JSON object per line; values JSON cannot express are written with ``str()``.

    The fast path encodes the event as it is, value by value (``_json_line``). Only when
    that fails (a cycle, nesting deeper than the stack, NaN, a ``__str__`` that raises, an
    int too long to print) or the line is too long for a log store, the event is written
    again from ``plain()``.
    """
    try:
        line = encode_object(event)
    except Exception:  # RecursionError included: it is the caller's data, not their stack
        line = encode_value(plain(event))
    if len(line) > MAX_LINE_CHARS:
        return _json_within_cap(event)
    return line


#: The least room a field keeps in a line cut to the cap: fields past
#: ``MAX_LINE_CHARS // _FIELD_ROOM`` are left out (counted in ``fields_left_out``).
_FIELD_ROOM = 512


def _json_within_cap(event: dict[str, Any]) -> str:
    """``event`` as one JSON line of at most ``MAX_LINE_CHARS``: each field gets an equal
    share, and a value (a container too) whose JSON is longer than its share is written
    as its JSON text, cut to fit, with the marker naming the original length."""
    kept = list(event.items())[: MAX_LINE_CHARS // _FIELD_ROOM - 1]
    share = (MAX_LINE_CHARS - 64) // max(len(kept), 1)
    shaped: dict[str, Any] = {}
    for key, value in kept:
        name = _fit(key if isinstance(key, str) else str(key), share // 4)
        room = share - len(_quote(name)) - 2
        plain_value = plain(value)  # always encodable
        encoded = encode_value(plain_value)
        if len(encoded) <= room:
            shaped[name] = plain_value
        else:
            shaped[name] = _fit(plain_value if isinstance(plain_value, str) else encoded, room)
    if len(event) > len(kept):
        shaped["fields_left_out"] = len(event) - len(kept)
    return encode_value(shaped)


def _fit(text: str, room: int) -> str:
    """``text``, or its start and a cut marker, so that its JSON string takes at most
    ``room`` characters (escapes make JSON up to six times longer than the text)."""
    if len(text) + 2 <= room and len(_quote(text)) <= room:
        return text
    limit = room - 2
    for _ in range(4):
        candidate = cut(text, limit)
        quoted = len(_quote(candidate))
        if quoted <= room:
            return candidate
        limit = max(0, limit * room // quoted - 1)
    return cut(text, max(0, room // 6 - 1))


# Control characters (newlines, ANSI escapes, C1 codes, Unicode line separators): in a
# message, name or value they would forge a second line or repaint the terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_control(match: re.Match[str]) -> str:
    char = match.group(0)
    return (
        {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")
        if ord(char) < 0x100
        else f"\\u{ord(char):04x}"
    )


def escape(text: object) -> str:
    """``text`` on one line: every control character written as a visible escape."""
    text = text if isinstance(text, str) else str(text)
    return _CONTROL.sub(_escape_control, text) if _CONTROL.search(text) else text


def _exception_block(text: object) -> str:
    """The traceback under a line, each of its lines indented: a newline inside an
    exception message then cannot start what looks like another log line."""
    return "\n".join(f"    {escape(line)}" for line in str(text).split("\n"))


def _value(value: Any) -> str:
    if isinstance(value, str):
        text = truncate(value)
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False, allow_nan=False)
        except Exception:
            text = json.dumps(plain(value), ensure_ascii=False)
        text = truncate(text)
    if not text or any(c in text for c in ' "=') or _CONTROL.search(text):
        return escape(json.dumps(text, ensure_ascii=False))
    return text


def _pairs(event: dict[str, Any]) -> str:
    # Every line's own fields are shown in fixed places (or not at all), not as key=value.
    return " ".join(
        f"{escape(k)}={_value(v)}" for k, v in event.items() if k not in RESERVED_FIELD_NAMES
    )


def render_text(event: dict[str, Any]) -> str:
    """``<timestamp> <LEVEL> <logger>: <message> key=value …`` with the trace ID last."""
    line = (
        f"{event['timestamp']} {event['level']} {escape(event['logger'])}: "
        f"{escape(event['message'])}"
    )
    pairs = _pairs(event)
    if pairs:
        line = f"{line} {pairs}"
    trace = f" trace_id={event['trace_id']}" if "trace_id" in event else ""
    block = f"\n{_exception_block(event['exception'])}" if "exception" in event else ""
    return _within_cap(line, trace, block)


def _within_cap(body: str, tail: str, block: str) -> str:
    """``body + tail + block`` in at most ``MAX_LINE_CHARS`` characters: the traceback
    ``block`` keeps at most a quarter, ``body`` is cut before its ``tail`` (the trace ID
    and source) so that stays whole."""
    if len(body) + len(tail) + len(block) <= MAX_LINE_CHARS:
        return body + tail + block
    block = cut(block, MAX_LINE_CHARS // 4) if block else ""
    return cut(body, MAX_LINE_CHARS - len(tail) - len(block)) + tail + block


def pretty_renderer(colour: bool) -> Renderer:
    """Build the ``pretty`` renderer: aligned messages, coloured levels when ``colour``."""

    def render_pretty(event: dict[str, Any]) -> str:
        level = event["level"]
        short = _SHORT_LEVELS.get(level, level)
        clock = event["timestamp"][11:23]
        pairs = _pairs(event)
        # The trace ID's first 8 hex digits: enough to tell traces apart on a screen and to
        # find the trace (X-Ray and Grafana search by prefix or by the full ID in JSON).
        where = (
            f"trace={event['trace_id'][:8]} {escape(event['source'])}"
            if "trace_id" in event
            else escape(event["source"])
        )
        if colour:
            head = f"{_DIM}{clock}{_RESET} {_COLOURS.get(level, '')}{short:<5}{_RESET}"
            tail = f"  {_DIM}{where}{_RESET}"
        else:
            head, tail = f"{clock} {short:<5}", f"  {where}"
        block = f"\n{_exception_block(event['exception'])}" if "exception" in event else ""
        return _within_cap(f"{head} {escape(event['message']):<34} {pairs}", tail, block)

    return render_pretty


class LogFormat(NamedTuple):  # not a dataclass: defined at every cold start
    """One value of the ``log_format`` setting.

    Attributes:
        name: the value, as ``LOG_FORMAT`` spells it.
        build: makes the renderer; its argument says whether stdout is a terminal (colour).
        doc: what the lines look like, for the configuration reference.
    """

    name: str
    build: Callable[[bool], Renderer]
    doc: str


#: Every log format, by name. A new format is one entry here; the ``log_format`` setting
#: accepts exactly these names.
FORMATS: dict[str, LogFormat] = {
    fmt.name: fmt
    for fmt in (
        LogFormat(
            "json",
            lambda colour: render_json,
            "one JSON object per line, what CloudWatch Logs Insights and Loki parse",
        ),
        LogFormat(
            "pretty", pretty_renderer, "aligned messages and coloured levels, for a terminal"
        ),
        LogFormat("text", lambda colour: render_text, "one plain `key=value` line per record"),
    )
}
LOG_FORMATS: tuple[str, ...] = tuple(FORMATS)


def renderer(log_format: str, *, colour: bool) -> Renderer:
    """The renderer for a ``log_format`` value.

    Raises:
        ValueError: no such format (the setting's parser rejects it before this).
    """
    found = FORMATS.get(log_format)
    if found is None:
        raise ValueError(f"unknown log format {log_format!r}; known: {', '.join(FORMATS)}")
    return found.build(colour)
