"""otelkit's JSON lines read back in bounded memory, whatever the files hold.

A log file is outside text: a gzip of a few MB can hold GBs of lines, one line can be
hundreds of MB, one value can nest a hundred thousand levels. So lines are read at most
:data:`MAX_LINE_BYTES` at a time (longer ones are skipped and counted, never held
whole), values nested deeper than :data:`MAX_DEPTH` are skipped and counted, and only the
newest N matches are kept, in a heap, while the rest stream past.
"""

from __future__ import annotations

import gzip
import heapq
import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

Line = dict[str, Any]

MAX_LINE_BYTES = 1 << 20  # CloudWatch Logs takes events up to 1 MB; otelkit's lines are far less
MAX_DEPTH = 64  # otelkit's own lines nest a few levels
TOO_LONG = f"longer than {MAX_LINE_BYTES >> 20} MiB"
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


class _Lines(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


class Skipped(Counter[str]):
    """Lines left out, by reason; reported in one line each when reading is done."""

    def notes(self, prog: str) -> list[str]:
        return [
            f"{prog}: skipped {count} line{'s' * (count != 1)} {reason}\n"
            for reason, count in sorted(self.items())
        ]


def parse(text: str, skipped: Skipped) -> Line | None:
    """One of otelkit's JSON lines as a dict; None for other lines (EMF documents too)."""
    if len(text) > MAX_LINE_BYTES:
        skipped[TOO_LONG] += 1
        return None
    text = text.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except RecursionError:
        skipped[TOO_DEEP] += 1
        return None
    except ValueError:
        return None
    if not isinstance(value, dict) or "_aws" in value:
        return None
    # Fewer brackets than the cap cannot nest deeper: most lines skip the walk.
    if text.count("{") + text.count("[") > MAX_DEPTH and _deeper_than(value, MAX_DEPTH):
        skipped[TOO_DEEP] += 1
        return None
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers more than ``limit`` deep (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def file_lines(path: Path, skipped: Skipped) -> Iterator[Line]:
    """The lines of one file (gzipped when its name ends in ``.gz``), read in bounded chunks."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        for raw in _bounded_lines(stream, skipped):
            if (line := parse(raw.decode("utf-8", errors="replace"), skipped)) is not None:
                yield line


def _bounded_lines(stream: _Lines, skipped: Skipped) -> Iterator[bytes]:
    """Each line of ``stream``; one longer than the cap is read past in chunks, counted."""
    while chunk := stream.readline(MAX_LINE_BYTES + 1):
        if len(chunk) <= MAX_LINE_BYTES or chunk.endswith(b"\n"):
            yield chunk
            continue
        skipped[TOO_LONG] += 1
        while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
            pass


def timestamp_ms(line: Line) -> int | None:
    """The line's ``timestamp`` in epoch ms; None when it has none that parses."""
    stamp = line.get("timestamp")
    if not isinstance(stamp, str) or len(stamp) > 64:
        return None
    try:
        return int(datetime.fromisoformat(stamp).timestamp() * 1000)
    except (ValueError, OverflowError, OSError):
        return None


class Newest:
    """The newest ``limit`` lines offered, oldest first; memory stays at ``limit`` lines."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen = 0  # every line offered, kept or not
        self._heap: list[tuple[int, int, Line]] = []

    def offer(self, stamp_ms: int, line: Line) -> None:
        self.seen += 1
        # The sequence number keeps lines of one millisecond in the order they came.
        entry = (stamp_ms, self.seen, line)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            heapq.heapreplace(self._heap, entry)

    def lines(self) -> list[Line]:
        return [line for _, _, line in sorted(self._heap)]
