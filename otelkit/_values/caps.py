"""Line caps: a log message or a field value past its limit is cut, visibly.

Seed systems budget their log lines (200 characters per message), and one stray field
(a whole HTML page, a base64 image) can make a line CloudWatch or Loki refuses. The cap
works on the log event and the OTLP attributes after they are built, so the rendered
line is still one valid JSON object: a cut value is a string that ends with a marker
naming its original length, and the result is never longer than the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, MutableMapping
from typing import Any

from otelkit._values.safe_values import plain, safe_str

# Keys that are the line's own structure, never user data.
_STRUCTURE = frozenset(
    {
        "timestamp",
        "level",
        "logger",
        "service",
        "environment",
        "trace_id",
        "span_id",
        "xray_trace_id",
        "source",
    }
)


def cut(text: str, limit: int) -> str:
    """``text`` itself when it fits in ``limit`` characters, else its start and a marker
    such as ``… [truncated, 412 chars]``, ``limit`` characters in all."""
    if len(text) <= limit:
        return text
    marker = f"… [truncated, {len(text)} chars]"
    return text[: max(0, limit - len(marker))] + marker


def _as_text(value: Any) -> str:
    """The value as the line would show it; cycles and raising ``__str__`` included."""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(plain(value), ensure_ascii=False)
    return safe_str(value)


def cap_values(values: MutableMapping[str, Any], limit: int, skip: frozenset[str]) -> None:
    """Cut every value of ``values`` (but the keys in ``skip``) longer than ``limit``."""
    for key, value in values.items():
        if key in skip or isinstance(value, (bool, int, float)) or value is None:
            continue
        if isinstance(value, str) and len(value) <= limit:
            continue
        text = _as_text(value)
        if len(text) > limit:
            values[key] = cut(text, limit)


EventShaper = Callable[[dict[str, Any] | None, dict[str, Any] | None], None]


def shaper(max_message_chars: int | None, max_field_chars: int | None) -> EventShaper | None:
    """The step that caps a prepared record's event and OTLP attributes, or None when
    neither limit is set (no cost at all then)."""
    if max_message_chars is None and max_field_chars is None:
        return None
    field_skip = _STRUCTURE | {"message"}

    def cap(event: dict[str, Any] | None, attributes: dict[str, Any] | None) -> None:
        if event is not None:
            if max_message_chars is not None:
                message = event["message"]
                if len(message) > max_message_chars:
                    event["message"] = cut(message, max_message_chars)
            if max_field_chars is not None:
                cap_values(event, max_field_chars, field_skip)
        if attributes is not None and max_field_chars is not None:
            cap_values(attributes, max_field_chars, frozenset())

    return cap
