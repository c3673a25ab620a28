"""The whole-line cap (``max_line_chars``): a JSON line cut to a budget, value by value.

``max_message_chars`` and ``max_field_chars`` bound one value each; a line of many fields
can still run long (seed 002 budgets whole lines). This step measures the line as the
``json`` format writes it and, while it is over the budget, cuts the longest value that
is not the line's own structure (the message last), with the same marker as the other
caps. The 200,000-character hard cap of every format still applies after it; a budget
above it changes nothing. Only lines over the budget pay for more than one measurement.
"""

from __future__ import annotations

from typing import Any

from otelkit._values.caps import EventShaper, cut
from otelkit._values.json_line import encode_object, encode_value
from otelkit._values.safe_values import plain

# Never cut: what every line needs to be found and read (the timestamp, level, IDs of
# the trace), and what is too short to be worth a marker.
_KEEP = frozenset(
    {
        "timestamp",
        "level",
        "logger",
        "service",
        "environment",
        "trace_id",
        "span_id",
        "xray_trace_id",
        "sampled",
        "source",
    }
)
#: A value is never cut below this many characters (the marker alone is about 25).
MIN_VALUE_CHARS = 48


def _measure(event: dict[str, Any]) -> int:
    try:
        return len(encode_object(event))
    except Exception:  # what render_json writes instead for values json cannot take
        return len(encode_value(plain(event)))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else encode_value(plain(value))


def fit_line(event: dict[str, Any], limit: int) -> None:
    """Cut values of ``event`` until its JSON line is at most ``limit`` characters, or
    only values at ``MIN_VALUE_CHARS`` and the structure are left."""
    excess = _measure(event) - limit
    while excess > 0:
        candidates = [
            (key != "message", len(text), key, text)
            for key, value in event.items()
            if key not in _KEEP and not isinstance(value, (bool, int, float)) and value is not None
            for text in (_text(value),)
            if len(text) > MIN_VALUE_CHARS
        ]
        if not candidates:
            return
        # Fields before the message, the longest first.
        _, length, key, text = max(candidates)
        event[key] = cut(text, max(MIN_VALUE_CHARS, length - excess))
        excess = _measure(event) - limit


def with_line_budget(shape: EventShaper | None, limit: int | None) -> EventShaper | None:
    """``shape`` followed by the whole-line cap (``shape`` itself when ``limit`` is None)."""
    if limit is None:
        return shape

    def shape_and_fit(event: dict[str, Any] | None, attributes: dict[str, Any] | None) -> None:
        if shape is not None:
            shape(event, attributes)
        if event is not None:
            fit_line(event, limit)

    return shape_and_fit
