"""What every ``otelkit`` subcommand shares: usage errors that say what was wrong, and
one line instead of a traceback when an optional extra is not installed."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

# The module a subcommand failed to import -> the extra that installs it.
EXTRA_OF_MODULE = {
    "yaml": "collector",
    "troposphere": "ops",
    "grafana_foundation_sdk": "ops",
    "boto3": "ops",
    "botocore": "ops",
    "httpx": "httpx",
    "redis": "redis",
}

# Exit codes of every subcommand (docs/cli.md lists them).
OK, FAILED, USAGE, MISSING_EXTRA = 0, 1, 2, 3


def missing_extra_line(command: str, exc: ModuleNotFoundError) -> str | None:
    """One line naming the ``pip install`` that provides ``exc.name``, or None."""
    module = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    return f"otelkit {command}: needs the '{module}' package: pip install 'otelkit[{extra}]'\n"


def is_aws_error(exc: BaseException) -> bool:
    """Whether ``exc`` is botocore's: a request to AWS that could not be made or was refused."""
    return type(exc).__module__.split(".")[0] == "botocore"


def parse_or_exit_code(
    parser: argparse.ArgumentParser, argv: Sequence[str]
) -> argparse.Namespace | int:
    """Parse ``argv``; an exit code instead when argparse would exit (help, bad usage).

    argparse's own messages already name the bad option or value ("unrecognized
    arguments: --stag", "argument --stage is required").
    """
    try:
        return parser.parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
