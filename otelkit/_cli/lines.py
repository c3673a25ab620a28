"""What ``otelkit metrics``, ``insights`` and ``summary`` share: where lines come from
(local JSON-line files or CloudWatch Logs), the common options, and terminal-safe text.

Kept apart from ``otelkit logs``' own reader so each command can change alone; reading
is streamed (one line at a time) and a line longer than ``MAX_LINE_BYTES`` is skipped.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from otelkit._cli.support import add_aws_options, add_since, aws_client, redacted
from otelkit._values.terminal import printable

Line = dict[str, Any]
#: A line longer than this is not one otelkit wrote: skipped, not parsed.
MAX_LINE_BYTES = 1 << 20
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LOG_FILE = re.compile(r".+\.jsonl(\.\d+)?(\.gz)?")
#: Every value printed from a line: controls, separators and bidi marks escaped.
safe = printable


def add_common(
    parser: argparse.ArgumentParser, *, default_since: int = 3600, required: bool = True
) -> None:
    """``--file``/``--group`` (one of them, ``required`` or not), ``--since``,
    ``--region``, ``--profile``."""
    where = parser.add_mutually_exclusive_group(required=required)
    where.add_argument("--group", action="append", help="CloudWatch log group (repeatable)")
    add_file_option(where)
    add_window_and_aws(parser, default_since)


def add_file_option(group: Any) -> None:
    """``--file``, repeatable, in ``group`` (a parser or a mutually exclusive group)."""
    group.add_argument(
        "--file",
        action="append",
        type=Path,
        help="JSON-line file, .gz too, or a LOG_DIR/<service> folder (repeatable)",
    )


def add_window_and_aws(parser: argparse.ArgumentParser, default_since: int = 3600) -> None:
    """``--since``, ``--region``, ``--profile``: the same options as ``otelkit logs``."""
    add_since(parser, default_since)
    add_aws_options(parser)


def parse(text: str) -> Line | None:
    """A JSON object line, or None (EMF documents included: callers choose)."""
    text = text.strip()
    if not text.startswith("{") or len(text) > MAX_LINE_BYTES:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def log_files(paths: list[Path]) -> list[Path]:
    """Each path given; a folder stands for its log files, oldest archive first."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)  # a missing file fails when opened, with its name
            continue
        named = [p for p in path.iterdir() if _LOG_FILE.fullmatch(p.name)]
        found.extend(sorted(named, key=_archive_number, reverse=True))
    return found


def _archive_number(path: Path) -> tuple[int, str]:
    match = re.search(r"\.jsonl\.(\d+)", path.name)
    return (int(match[1]) if match else 0, path.name)


def file_lines(paths: list[Path]) -> Iterator[Line]:
    """Every JSON object line of the files (``_aws`` EMF documents included)."""
    for path in log_files(paths):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as stream:
            while text := stream.readline(MAX_LINE_BYTES + 1):
                if len(text) > MAX_LINE_BYTES and not text.endswith("\n"):
                    while text and not text.endswith("\n"):  # drop the rest, bounded
                        text = stream.readline(MAX_LINE_BYTES + 1)
                    continue
                if (line := parse(text)) is not None:
                    yield line


def cloudwatch_lines(args: argparse.Namespace, pattern: str = "") -> Iterator[Line]:
    """The JSON lines of ``--group`` since ``--since``, narrowed by a filter pattern."""
    client = aws_client("logs", args)
    pages = client.get_paginator("filter_log_events")
    start = int((time.time() - args.since) * 1000)
    for group in args.group:
        options: dict[str, Any] = {"logGroupName": group, "startTime": start}
        if pattern:
            options["filterPattern"] = pattern
        for page in pages.paginate(**options):
            for event in page["events"]:
                line = parse(event.get("message", ""))
                if line is not None:
                    line.setdefault("@timestamp_ms", event.get("timestamp"))
                    yield line


def timestamp_ms(line: Line) -> int | None:
    """The line's time in epoch milliseconds: its ``timestamp`` field, EMF's
    ``_aws.Timestamp`` or CloudWatch's event time; None when it has none."""
    aws = line.get("_aws")
    if isinstance(aws, dict) and isinstance(aws.get("Timestamp"), int):
        return int(aws["Timestamp"])
    text = line.get("timestamp")
    if isinstance(text, str):
        try:
            return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            pass
    fallback = line.get("@timestamp_ms")
    return fallback if isinstance(fallback, int) else None


def lines(args: argparse.Namespace, pattern: str = "") -> Iterator[Line]:
    """The lines of ``--file`` or ``--group`` inside the ``--since`` window."""
    source = file_lines(args.file) if args.file else cloudwatch_lines(args, pattern)
    start = int((time.time() - args.since) * 1000)
    for line in source:
        when = timestamp_ms(line)
        if when is not None and when >= start:
            yield line


def write_rows(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    """Rows as an aligned table (every value terminal-safe) or as JSON lines, redacted."""
    rows = [redacted(row) for row in rows]
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if not rows:
        return
    names = list(dict.fromkeys(name for row in rows for name in row))
    cells = [[safe(cell_text(row.get(name))) for name in names] for row in rows]
    widths = [
        min(60, max(len(safe(name)), *(len(cell[i]) for cell in cells)))
        for i, name in enumerate(names)
    ]
    header = "  ".join(safe(name).ljust(width) for name, width in zip(names, widths, strict=True))
    sys.stdout.write(header.rstrip() + "\n")
    for cell in cells:
        text = "  ".join(value.ljust(width) for value, width in zip(cell, widths, strict=True))
        sys.stdout.write(text.rstrip() + "\n")


def cell_text(value: Any) -> str:
    """A value in a table cell: ``-`` for none, two decimals for floats, JSON for the rest."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
