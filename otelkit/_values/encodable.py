"""Text UTF-8 can always carry: lone surrogates replaced before an item leaves.

Python strings may hold lone surrogates (``"x\\ud800"``: a request body decoded with
``surrogateescape``, a broken JSON escape, a file name). UTF-8 cannot carry them, and
protobuf encodes a whole request at once: one such string in one span, record or
metric dimension made the encoding of the batch raise, and every other item in the
batch was lost with it. Each item is repaired where it is handed to the export
(``U+FFFD`` for every lone surrogate, valid pairs joined), so it alone carries the mark.

ASCII text, the common case, is recognised by one C call and never copied. (Spans:
``_sdk.text_repair``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_PLAIN = frozenset({str, int, float, bool, type(None)})


def text(value: str) -> str:
    """``value``, or a copy with each lone surrogate replaced by U+FFFD."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16 with surrogatepass: a valid pair written as two code points
        # becomes its character, and only lone halves are replaced.
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return value


def value(item: Any) -> Any:
    """An attribute value (str, or a sequence of them) with its text repaired."""
    if item.__class__ is str:
        return text(item)
    if isinstance(item, (list, tuple)):
        repaired = [value(part) for part in item]
        if any(new is not old for new, old in zip(repaired, item, strict=True)):
            return tuple(repaired)
    elif isinstance(item, Mapping):  # a log record's map value
        return attributes(item) or item
    return item


def attributes(found: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A repaired copy of ``found``, or None when nothing in it needed repair."""
    if not found:
        return None
    for key, item in found.items():  # the common case: ASCII text and numbers, no copy
        if not key.isascii():
            break
        kind = item.__class__
        if (kind is str and not item.isascii()) or kind not in _PLAIN:
            break
    else:
        return None
    changed: dict[str, Any] | None = None
    for key, item in found.items():
        new_key, new_item = text(key) if key.__class__ is str else key, value(item)
        if new_key is not key or new_item is not item:
            if changed is None:
                changed = dict(found)
            if new_key is not key:
                del changed[key]
            changed[new_key] = new_item
    return changed
