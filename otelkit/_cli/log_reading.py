"""otelkit's JSON lines read back in bounded memory, whatever the files or log groups
hold: the one reader behind ``otelkit logs``, ``metrics``, ``insights`` and ``summary``.

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
import re
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
_LOG_FILE_NAME = re.compile(r".+\.jsonl(\.\d+)?(\.gz)?")


class _Lines(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


class Skipped(Counter[str]):
    """Lines left out, by reason; reported in one line each when reading is done."""

    def notes(self, prog: str) -> list[str]:
        return [
            f"{prog}: skipped {count} line{'s' * (count != 1)} {reason}\n"
            for reason, count in sorted(self.items())
        ]


def parse(text: str, skipped: Skipped | None = None, *, emf: bool = False) -> Line | None:
    """One of otelkit's JSON lines as a dict; None for other lines, and for EMF documents
    unless ``emf``. A line too long or too deep is counted in ``skipped`` when given."""
    reason, line = _parsed(text, emf)
    if reason is not None and skipped is not None:
        skipped[reason] += 1
    return line


def _parsed(text: str, emf: bool) -> tuple[str | None, Line | None]:
    """(why the line is skipped, or None; the line, or None)."""
    if len(text) > MAX_LINE_BYTES:
        return TOO_LONG, None
    text = text.strip()
    if not text.startswith("{"):
        return None, None
    try:
        value = json.loads(text)
    except RecursionError:
        return TOO_DEEP, None
    except ValueError:
        return None, None
    if not isinstance(value, dict) or ("_aws" in value and not emf):
        return None, None
    # Fewer brackets than the cap cannot nest deeper: most lines skip the walk.
    if text.count("{") + text.count("[") > MAX_DEPTH and _deeper_than(value, MAX_DEPTH):
        return TOO_DEEP, None
    return None, value


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


def log_files(paths: list[Path]) -> list[Path]:
    """The files to read: each path given, a folder standing for the log files in it."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)  # a missing file fails when opened, with its name
            continue
        logs = [(p, _LOG_FILE_NAME.fullmatch(p.name)) for p in path.iterdir()]
        # Oldest first (the highest archive number, the live file last): lines of one
        # millisecond then keep the order they were written in.
        found.extend(p for p, m in sorted(logs, key=_age, reverse=True) if m is not None)
    return found


def _age(entry: tuple[Path, re.Match[str] | None]) -> tuple[int, str]:
    path, match = entry
    archive = match[1] if match is not None else None
    return (int(archive[1:]) if archive else 0, path.name)


def file_lines(paths: list[Path], skipped: Skipped, *, emf: bool = False) -> Iterator[Line]:
    """The lines of the files (a ``.gz`` name is gzipped), read in bounded chunks."""
    for path in log_files(paths):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as stream:
            for raw in _bounded_lines(stream, skipped):
                text = raw.decode("utf-8", errors="replace")
                if (line := parse(text, skipped, emf=emf)) is not None:
                    yield line


def cloudwatch_lines(
    client: Any,
    groups: list[str],
    since_ms: int,
    skipped: Skipped,
    *,
    pattern: str = "",
    emf: bool = False,
) -> Iterator[Line]:
    """The lines of the log ``groups`` since ``since_ms``, narrowed by a filter pattern;
    a line without a time of its own takes its event's."""
    pages = client.get_paginator("filter_log_events")
    for group in groups:
        options: dict[str, Any] = {"logGroupName": group, "startTime": since_ms}
        if pattern:
            options["filterPattern"] = pattern
        for page in pages.paginate(**options):
            for event in page["events"]:
                if (line := parse(event.get("message", ""), skipped, emf=emf)) is not None:
                    line.setdefault("@timestamp_ms", event.get("timestamp"))
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
    """The line's time in epoch ms: its ``timestamp``, an EMF document's ``_aws.Timestamp``
    or its CloudWatch event's time; None when it has none that parses."""
    aws = line.get("_aws")
    if isinstance(aws, dict) and isinstance(aws.get("Timestamp"), int):
        return int(aws["Timestamp"])
    stamp = line.get("timestamp")
    if isinstance(stamp, str) and len(stamp) <= 64:
        try:
            return int(datetime.fromisoformat(stamp).timestamp() * 1000)
        except (ValueError, OverflowError, OSError):
            pass
    event_time = line.get("@timestamp_ms")
    return event_time if isinstance(event_time, int) else None


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
