"""A log event encoded as one compact JSON object, value by value.

A log event is a flat dict of short strings and a few numbers, with the same keys line
after line. ``json``'s C encoder sets up an encoder object and an accumulator on every
call and pays for each item generically; encoding each value directly (strings with the C
string escaper, ints with their ``repr``) and reusing each key's encoded form costs about
half as much. Anything else (a container, a non-finite float, an object) is encoded by
``json`` itself, so the result is byte for byte what ``json.dumps`` writes with the same
options, and it raises where that raises.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring
from typing import Any

#: ``json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"),
#: allow_nan=False)``: the encoding of every value this module does not encode itself.
encode_value = json.JSONEncoder(
    default=str, ensure_ascii=False, separators=(",", ":"), allow_nan=False
).encode

_quote = encode_basestring  # the C escaper when ``_json`` is built (CPython always)
_int_text = int.__repr__
_float_text = float.__repr__
# ``,"key":`` per key seen: the keys of log lines repeat. Bounded, since ``extra=`` keys
# are chosen by callers.
_KEY_PREFIXES: dict[str, str] = {}
_MAX_KEYS = 4096


def _key_prefix(key: object) -> str | None:
    """``,"key":`` for a string key (remembered), None for any other key."""
    if type(key) is not str:
        return None
    prefix = f",{_quote(key)}:"
    if len(_KEY_PREFIXES) >= _MAX_KEYS:
        _KEY_PREFIXES.clear()
    _KEY_PREFIXES[key] = prefix
    return prefix


def _encode_other(value: Any) -> str:
    """A value that is not exactly a ``str``."""
    kind = type(value)
    if kind is int:
        return _int_text(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is float and math.isfinite(value):
        return _float_text(value)
    return encode_value(value)


def encode_object(event: dict[str, Any]) -> str:
    """``event`` as ``encode_value`` writes it, one value at a time.

    Raises:
        ValueError, TypeError, RecursionError: where ``encode_value`` raises (a NaN, a
            cycle, nesting deeper than the stack, an int too long to print).
    """
    if not event:
        return "{}"
    known = _KEY_PREFIXES.get
    parts: list[str] = []
    append = parts.append
    for key, value in event.items():
        prefix = known(key) or _key_prefix(key)
        if prefix is None:  # a key json turns into a string its own way (1 -> "1")
            return encode_value(event)
        append(prefix)
        # Most values are strings: one type check, then the C escaper.
        append(_quote(value) if type(value) is str else _encode_other(value))
    parts[0] = "{" + parts[0][1:]
    append("}")
    return "".join(parts)
