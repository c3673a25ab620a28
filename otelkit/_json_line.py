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


def encode_object(event: dict[str, Any]) -> str:
    """``event`` as ``encode_value`` writes it, one value at a time.

    Raises:
        ValueError, TypeError, RecursionError: where ``encode_value`` raises (a NaN, a
            cycle, nesting deeper than the stack, an int too long to print).
    """
    if not event:
        return "{}"
    parts: list[str] = []
    append = parts.append
    for key, value in event.items():
        prefix = _KEY_PREFIXES.get(key) or _key_prefix(key)
        if prefix is None:  # a key json turns into a string its own way (1 -> "1")
            return encode_value(event)
        kind = type(value)
        if kind is str:
            append(prefix + _quote(value))
        elif kind is int:
            append(prefix + _int_text(value))
        elif kind is bool:
            append(prefix + ("true" if value else "false"))
        elif value is None:
            append(prefix + "null")
        elif kind is float and math.isfinite(value):
            append(prefix + _float_text(value))
        else:
            append(prefix + encode_value(value))
    parts[0] = "{" + parts[0][1:]
    append("}")
    return "".join(parts)
