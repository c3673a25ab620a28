"""``otelkit logs tail|errors|slow|find``: otelkit's JSON lines, read back for a person.

Lines come from CloudWatch Logs (``--group``, through boto3; ``AWS_ENDPOINT_URL`` and
the usual credentials apply) or from local JSONL files (``--file``, gzipped or not, as
``LOG_TO_FILE`` writes them). The same predicate selects lines from both; for CloudWatch
a filter pattern narrows what the service sends first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from otelkit._cli.log_reading import (
    Line,
    Newest,
    Skipped,
    cloudwatch_lines,
    file_lines,
    timestamp_ms,
)
from otelkit._cli.support import (
    USAGE,
    add_aws_options,
    add_since,
    aws_client,
    parse_or_exit_code,
    positive,
    redacted,
    window,
)
from otelkit._values.terminal import colour_wanted, coloured, printable

_ERROR_LEVELS = {"ERROR", "CRITICAL", "FATAL"}
_DURATION_FIELDS = ("latency_ms", "duration_ms")
# What ``LOG_TO_FILE`` leaves in ``LOG_DIR/<service>/``: the live file and its gzipped
# archives (``svc.jsonl.1.gz``), beside a lock file and a half-written ``.tmp`` to skip.


def _is_error(line: Line, _: argparse.Namespace) -> bool:
    return str(line.get("level", "")).upper() in _ERROR_LEVELS


def _is_slow(line: Line, args: argparse.Namespace) -> bool:
    values = [line.get(k) for k in _DURATION_FIELDS]
    return any(isinstance(v, int | float) and v > args.slow_ms for v in values)


def _has_id(line: Line, args: argparse.Namespace) -> bool:
    return any(value == args.id for value in line.values())


# verb -> (selects a line, CloudWatch filter pattern narrowing the search, help)
VERBS: dict[
    str, tuple[Callable[[Line, argparse.Namespace], bool], Callable[[argparse.Namespace], str], str]
] = {
    "tail": (lambda _line, _args: True, lambda _args: "", "the latest lines"),
    "errors": (_is_error, lambda _args: '"ERROR"', "ERROR and CRITICAL lines"),
    "slow": (_is_slow, lambda _args: "", "lines with latency_ms or duration_ms above --slow-ms"),
    "find": (_has_id, lambda args: json.dumps(args.id), "every line carrying one ID"),
}


def main(argv: Sequence[str]) -> int:
    """Run ``otelkit logs``; 0 lines printed, 1 ``find`` matched nothing, 2 bad usage."""
    args = parse_or_exit_code(_parser(), argv)
    if isinstance(args, int):
        return args
    if args.verb == "tail" and args.follow:
        return _follow(args)
    select, pattern, _ = VERBS[args.verb]
    since_ms = int((time.time() - args.since) * 1000)
    skipped = Skipped()
    newest = Newest(args.limit)
    try:
        source = (
            file_lines(args.file, skipped)
            if args.file
            else cloudwatch_lines(
                aws_client("logs", args), args.group, since_ms, skipped, pattern=pattern(args)
            )
        )
        for line in source:
            # A line without a timestamp is in no window: never counted as recent.
            stamp = timestamp_ms(line) if select(line, args) else None
            if stamp is not None and stamp >= since_ms:
                newest.offer(stamp, line)
    except OSError as exc:  # a missing or unreadable --file: bad usage, one line
        sys.stderr.write(f"otelkit logs: cannot read {printable(exc.filename)}: {exc.strerror}\n")
        return USAGE
    sys.stderr.writelines(skipped.notes("otelkit logs"))
    if not newest.seen:  # say why nothing printed: the window is the usual reason (a file's age)
        sys.stderr.write(
            f"otelkit logs: no matching lines in the last {window(args.since)} "
            "(--since looks further back, e.g. --since 7d)\n"
        )
    colour = colour_wanted(sys.stdout)
    for line in map(redacted, newest.lines()):
        sys.stdout.write((json.dumps(line) if args.json else render_line(line, colour)) + "\n")
    return 1 if args.verb == "find" and not newest.seen else 0


def _follow(args: argparse.Namespace) -> int:
    """``tail --follow --file F``: lines appended to one local file, across rotation,
    until Ctrl-C (or ``--max-lines``)."""
    from otelkit._cli.follow import follow

    if not args.file or len(args.file) != 1:
        sys.stderr.write("otelkit logs tail --follow: give one --file (a local log file)\n")
        return USAGE

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()  # a person (or a pipe) is waiting for each line

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how following ends
        follow(
            args.file[0], write, as_json=args.json, max_lines=args.max_lines, interval=args.interval
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelkit logs", description="Read otelkit's JSON log lines back."
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    for verb, (_, _, text) in VERBS.items():
        sub = verbs.add_parser(verb, help=text)
        where = sub.add_mutually_exclusive_group(required=True)
        where.add_argument("--group", action="append", help="CloudWatch log group (repeatable)")
        where.add_argument(
            "--file",
            action="append",
            type=Path,
            help="JSONL file, .gz too, or a LOG_DIR/<service> folder (repeatable)",
        )
        add_since(sub, default=3600)
        add_aws_options(sub)
        sub.add_argument(
            "--limit", type=positive, default=100, help="at most this many lines, the newest"
        )
        sub.add_argument("--json", action="store_true", help="the lines as JSON, one a line")
        if verb == "tail":
            sub.add_argument(
                "--follow", "-f", action="store_true", help="keep printing lines a --file gains"
            )
            sub.add_argument(
                "--max-lines", type=positive, default=None, help="with --follow: stop after N"
            )
            sub.add_argument(
                "--interval", type=float, default=0.2, help="with --follow: seconds between reads"
            )
        if verb == "find":
            sub.add_argument("--id", required=True, help="a job, session, correlation… ID")
        if verb == "slow":
            sub.add_argument(
                "--slow-ms", type=float, default=2000.0, help="threshold in ms (default 2000)"
            )
    return parser


def render_line(line: Line, colour: bool = False) -> str:
    """One line for a terminal: time, level, service, message, then the other fields.

    Every key and value is shown through :func:`printable`: a log line cannot move the
    cursor, retitle the window or start a line of its own.
    """
    head = ("timestamp", "level", "service", "message")
    rest = " ".join(
        f"{printable(k)}={printable(v)}"
        for k, v in line.items()
        if k not in head and k not in {"logger", "source", "exception"}
    )
    level = printable(line.get("level", "-"))
    return (
        f"{printable(line.get('timestamp', '-'))} "
        f"{coloured(level.upper(), level, colour)}{' ' * (8 - len(level))} "
        f"{printable(line.get('service', '-'))}: {printable(line.get('message', ''))}  {rest}"
    ).rstrip()
