"""The ``otelkit`` command line: ``collector``, ``ops``, ``logs``, ``traces``, ``health``,
``run``."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence

from otelkit._cli.support import (
    FAILED,
    MISSING_EXTRA,
    OK,
    USAGE,
    is_aws_error,
    missing_extra_line,
    redacted,
)
from otelkit._values.terminal import printable
from otelkit._version import __version__

# command -> (module with a main(argv) -> int, one-line help)
COMMANDS = {
    "collector": ("otelkit.collector._cli", "render and validate ADOT collector configs"),
    "ops": ("otelkit.ops._cli", "render alarms, dashboards and saved queries from a model"),
    "logs": (
        "otelkit._cli.logs",
        "tail [--follow], errors, slow, find --id: lines from CloudWatch or files",
    ),
    "metrics": ("otelkit._cli.metrics", "metrics over a window: CloudWatch or EMF lines"),
    "insights": ("otelkit._cli.insights", "a Logs Insights query over CloudWatch or files"),
    "summary": ("otelkit._cli.summary", "requests and errors over a window, from the lines"),
    "traces": ("otelkit._cli.traces", "find --annotation KEY=VALUE: traces in X-Ray"),
    "health": ("otelkit._cli.health", "GET a service's /health and say if it is healthy"),
    "run": ("otelkit._cli.run", "run -- python app.py: a program set up with no code change"),
    "completion": ("otelkit._cli.completion", "print a shell completion script: bash, zsh or fish"),
}

_USAGE = "usage: otelkit <command> [options]   (otelkit <command> --help for more)\n"


def _usage() -> str:
    rows = "".join(f"  {name:<10}  {text}\n" for name, (_, text) in COMMANDS.items())
    return f"{_USAGE}\ncommands:\n{rows}\noptions:\n  --version   print the version\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to a subcommand; returns the exit code (docs/cli.md lists them)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        sys.stderr.write(_usage() + "\notelkit: no command given\n")
        return USAGE
    command, rest = args[0], args[1:]
    if command in {"-h", "--help"}:
        sys.stdout.write(_usage())
        return 0
    if command == "--version":
        sys.stdout.write(f"otelkit {__version__}\n")
        return 0
    if command not in COMMANDS:
        sys.stderr.write(
            _usage() + f"\notelkit: unknown command {command!r} "
            f"(choose from {', '.join(COMMANDS)})\n"
        )
        return USAGE
    try:
        run: Callable[[list[str]], int] = importlib.import_module(COMMANDS[command][0]).main
        code = run(rest)
        sys.stdout.flush()  # a closed pipe shows here, while it can still be handled
    except BrokenPipeError:
        return _reader_went_away()
    except ImportError as exc:
        line = missing_extra_line(command, exc)
        if line is None:
            raise
        sys.stderr.write(line)
        return MISSING_EXTRA
    except Exception as exc:
        if not is_aws_error(exc):
            raise
        # No region, no credentials, an endpoint that does not answer: the user's setup,
        # said in one line (botocore's messages name what is missing).
        sys.stderr.write(f"otelkit {command}: the AWS request failed: {printable(redacted(exc))}\n")
        return FAILED
    return code


def _reader_went_away() -> int:
    """``otelkit logs … | head -1``: the reader had what it wanted; stop quietly.

    What is still buffered for stdout goes to /dev/null, so the interpreter's own flush
    at exit has nowhere to fail.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (main() called in-process)
        pass
    finally:
        os.close(devnull)
    return OK


if __name__ == "__main__":
    sys.exit(main())
