"""Correlation-ID paths: the small, safe subset of JMESPath that event lookups need.

Supported: dotted names (``requestContext.requestId``), quoted names for keys that are
not identifiers (``headers."x-correlation-id"``) and list indexes (``Records[0]``,
``Records[-1]``). That covers every path in ``correlation_paths`` and Powertools'
common ones, without a parser dependency, and evaluation cannot loop or allocate more
than the event already holds. Anything else is rejected when the decorator is applied,
not at the first invocation.

A name that is not found exactly is matched case-insensitively: HTTP header names are
case-insensitive, and API Gateway REST events keep the caller's spelling.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_STEP = re.compile(r'(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)|"(?P<quoted>[^"\\]*)"|\[(?P<index>-?\d+)\]')

Step = str | int


def compile_path(path: str) -> tuple[Step, ...]:
    """Parse ``path`` into lookup steps; ``ValueError`` names what is unsupported."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"correlation_id_path must be a non-empty string, got {path!r}")
    steps: list[Step] = []
    position, text = 0, path.strip()
    expect_name = True
    while position < len(text):
        if not expect_name and text[position] == ".":
            position += 1
            expect_name = True
            continue
        match = _STEP.match(text, position)
        if (
            match is None
            or (expect_name and match.group("index") is not None and not steps)
            or (not expect_name and match.group("index") is None)
        ):
            raise ValueError(
                f"unsupported correlation_id_path {path!r} at {text[position:]!r}: use dotted "
                'names, "quoted" names and [n] indexes, e.g. headers."x-correlation-id" or '
                "Records[0].messageId"
            )
        if match.group("index") is not None:
            steps.append(int(match.group("index")))
        else:
            steps.append(match.group("name") or match.group("quoted"))
        position = match.end()
        expect_name = False
    if expect_name:
        raise ValueError(f"correlation_id_path {path!r} ends with '.'")
    return tuple(steps)


def _lookup(mapping: Mapping[object, object], name: str) -> object:
    if name in mapping:
        return mapping[name]
    folded = name.lower()
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == folded:
            return value
    return None


def search(steps: tuple[Step, ...], data: object) -> str | None:
    """The string (or number, as a string) at ``steps`` in ``data``; None when absent."""
    current = data
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, Sequence) or isinstance(current, (str, bytes)):
                return None
            if not -len(current) <= step < len(current):
                return None
            current = current[step]
        elif isinstance(current, Mapping):
            current = _lookup(current, step)
        else:
            return None
    if isinstance(current, bool):
        return None
    if isinstance(current, (int, float)):
        return str(current)
    return current if isinstance(current, str) else None
