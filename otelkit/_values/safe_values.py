"""Values any caller may hand to a log call, turned into something every output can write.

A log field can be anything: a dict that contains itself, a structure nested fifty
thousand levels deep, a megabyte string, an object whose ``__repr__`` raises, bytes, NaN,
an int too long for ``str()``. The renderers try the fast path first and fall back to
``plain`` only when it fails, so the common line pays nothing for this.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

#: Nesting kept in a rendered value; deeper parts are replaced by a marker.
MAX_DEPTH = 12
#: Characters kept of one string value (or of one unprintable object's text).
MAX_TEXT = 16_384
#: Items kept of one dict, list or tuple.
MAX_ITEMS = 1_000
# Ints past this many bits are not written digit by digit (``str()`` refuses past 4,300
# digits, and no log reader parses them anyway).
_MAX_INT_BITS = 1_024


def safe_str(value: object, limit: int = MAX_TEXT) -> str:
    """``str(value)``, or a marker naming its type when ``str()`` raises; at most ``limit``
    characters."""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # a raising __str__/__repr__, a cycle too deep for the stdlib
        return f"<unprintable {type(value).__name__}>"
    return truncate(text, limit)


def safe_repr(value: object, limit: int = 100) -> str:
    """``repr(value)`` for error messages, or a marker when ``repr()`` raises."""
    try:
        return truncate(repr(value), limit)
    except Exception:
        return f"<unprintable {type(value).__name__}>"


def truncate(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, with a marker saying how much went."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more chars]"


def plain(value: Any, limit: int = MAX_TEXT) -> Any:
    """A copy of ``value`` that ``json.dumps`` always encodes, whatever ``value`` holds.

    Cycles become ``"<cycle>"``, nesting past ``MAX_DEPTH`` becomes ``"<nested too
    deep>"``, non-finite floats become strings (``"nan"``), bytes are decoded (invalid
    bytes escaped), huge ints are described, other objects become their ``str()``.
    """
    return _plain(value, 0, set(), limit)


def _plain(value: Any, depth: int, seen: set[int], limit: int) -> Any:
    kind = type(value)
    if value is None or kind is bool:
        return value
    if isinstance(value, str):
        return truncate(value, limit)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, int):
        if value.bit_length() > _MAX_INT_BITS:
            return f"<int of {value.bit_length()} bits>"
        return int(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return truncate(bytes(value[: limit * 4]).decode("utf-8", "backslashreplace"), limit)
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        if depth >= MAX_DEPTH:
            return "<nested too deep>"
        if id(value) in seen:
            return "<cycle>"
        seen.add(id(value))
        try:
            return _container(value, depth + 1, seen, limit)
        except Exception:  # a Mapping whose items() raises
            return safe_str(value, limit)
        finally:
            seen.discard(id(value))
    return safe_str(value, limit)


def _container(value: Any, depth: int, seen: set[int], limit: int) -> Any:
    if isinstance(value, Mapping):
        items = {}
        for index, (key, item) in enumerate(value.items()):
            if index == MAX_ITEMS:
                items["…"] = f"{len(value) - MAX_ITEMS} more items"
                break
            name = key if isinstance(key, str) else safe_str(key, 256)
            items[name] = _plain(item, depth, seen, limit)
        return items
    out = []
    for index, item in enumerate(value):
        if index == MAX_ITEMS:
            out.append(f"…{len(value) - MAX_ITEMS} more items")
            break
        out.append(_plain(item, depth, seen, limit))
    return out
