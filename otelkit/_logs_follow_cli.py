"""``otelkit logs``: ``tail --follow`` handled here, everything else by ``_logs_cli``.

Following is a loop, not a query, so it lives beside the query commands rather than in
them; ``otelkit logs tail --follow --file F`` is the only form that reaches it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from otelkit import _logs_cli
from otelkit._cli_support import USAGE, parse_or_exit_code
from otelkit._follow import follow

_FOLLOW_FLAGS = {"--follow", "-f"}
_FOLLOW_USAGE = "otelkit logs tail --follow --file PATH [--max-lines N] [--json]"


def main(argv: Sequence[str]) -> int:
    """Run ``otelkit logs``; ``tail --follow`` follows a local file until Ctrl-C."""
    args = list(argv)
    if not args or args[0] != "tail" or not _FOLLOW_FLAGS & set(args[1:]):
        code = _logs_cli.main(args)
        if args[:1] == ["tail"] and {"-h", "--help"} & set(args[1:]):
            sys.stdout.write(f"\nfollow a local file as it grows:\n  {_FOLLOW_USAGE}\n")
        return code
    options = parse_or_exit_code(_parser(), args[1:])
    if isinstance(options, int):
        return options
    if options.file is None:
        sys.stderr.write("otelkit logs tail --follow: give --file (a local log file)\n")
        return USAGE
    try:
        follow(
            options.file,
            _write,
            as_json=options.json,
            max_lines=options.max_lines,
            interval=options.interval,
        )
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # `| head`: the reader is gone, nothing to say
        sys.stderr.close()
    return 0


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()  # a person (or a pipe) is waiting for each line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelkit logs tail --follow",
        description="Print lines appended to a local log file, following rotation, until Ctrl-C.",
    )
    parser.add_argument("--follow", "-f", action="store_true", required=True)
    parser.add_argument("--file", type=Path, help="the log file (e.g. LOG_DIR/svc/svc.jsonl)")
    parser.add_argument("--group", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="the lines as JSON, one a line")
    parser.add_argument(
        "--max-lines", type=_positive, default=None, help="stop after this many lines"
    )
    parser.add_argument(
        "--interval", type=float, default=0.2, help="seconds between reads (default 0.2)"
    )
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of at least 1")
    return value
