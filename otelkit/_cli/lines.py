"""What ``otelkit metrics``, ``insights`` and ``summary`` share: the common options, the
lines of the window (through the one reader, :mod:`otelkit._cli.log_reading`), and
terminal-safe tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from otelkit._cli.log_reading import Line, Skipped, cloudwatch_lines, file_lines, timestamp_ms
from otelkit._cli.support import add_aws_options, add_since, aws_client, redacted
from otelkit._values.terminal import printable

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


def lines(args: argparse.Namespace, skipped: Skipped) -> Iterator[Line]:
    """The lines of ``--file`` or ``--group`` (EMF documents included) inside the
    ``--since`` window."""
    start = int((time.time() - args.since) * 1000)
    source = (
        file_lines(args.file, skipped, emf=True)
        if args.file
        else cloudwatch_lines(aws_client("logs", args), args.group, start, skipped, emf=True)
    )
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
