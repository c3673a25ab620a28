"""What every ``otelkit`` subcommand shares: usage errors that say what was wrong, one
line instead of a traceback when an optional extra is not installed, the same ``--since``
and AWS options wherever they apply."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, Literal

from otelkit._redaction.scrub import DEFAULT as _REDACTION

# The third-party packages the subcommands import: a missing one is a missing extra.
OPTIONAL_MODULES = frozenset({"yaml", "troposphere", "grafana_foundation_sdk", "boto3", "botocore"})
# Subcommand -> the extra that installs everything it imports (pyproject.toml; a test
# holds each against the extra's requirements).
EXTRA_OF_COMMAND = {
    "collector": "collector",
    "ops": "ops",
    "logs": "botocore",
    "traces": "botocore",
}

# Exit codes of every subcommand (docs/cli.md lists them).
OK, FAILED, USAGE, MISSING_EXTRA = 0, 1, 2, 3

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LONGEST = 36500 * 86400  # a century: any real log, and no overflow in datetime arithmetic


def missing_module(exc: BaseException) -> str | None:
    """The optional package whose import failed, found through the chain of ``exc``
    (a module may re-raise the ``ModuleNotFoundError`` with its own message), or None."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ModuleNotFoundError):
            module = (seen.name or "").split(".")[0]
            return module if module in OPTIONAL_MODULES else None
        seen = seen.__cause__ or seen.__context__
    return None


def missing_extra_line(command: str, exc: BaseException) -> str | None:
    """One line naming the ``pip install`` that provides what ``exc`` lacks, or None."""
    module = missing_module(exc)
    extra = EXTRA_OF_COMMAND.get(command)
    if module is None or extra is None:
        return None
    return f"otelkit {command}: needs the '{module}' package: pip install 'otelkit[{extra}]'\n"


def duration(text: str) -> int:
    """``--since``: a number and a unit (``90s``, ``30m``, ``2h``, ``7d``), in seconds."""
    try:
        seconds = float(text[:-1]) * _UNITS[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise argparse.ArgumentTypeError(f"{text!r}: a number and s, m, h or d, e.g. 2h") from None
    if not 0 < seconds <= _LONGEST:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text!r}: more than 0s and at most 36500d")
    return max(1, int(seconds))


def positive(text: str) -> int:
    """``--limit``: a whole number, 1 or more."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number, 1 or more")
    return number


def window(seconds: int) -> str:
    """A ``--since`` as the user would write it: 3600 -> ``1h``."""
    for unit, size in sorted(_UNITS.items(), key=lambda item: -item[1]):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def add_since(parser: argparse.ArgumentParser, default: int) -> None:
    parser.add_argument(
        "--since",
        type=duration,
        default=default,
        help=f"how far back: 30m, 2h, 7d (default {window(default)})",
    )


def add_aws_options(parser: argparse.ArgumentParser) -> None:
    """``--region`` and ``--profile``, for every command that reads from AWS."""
    parser.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's)")
    parser.add_argument("--profile", help="named AWS profile (default: AWS_PROFILE)")


def aws_client(service: Literal["logs", "xray", "cloudwatch"], args: argparse.Namespace) -> Any:
    """A boto3 client for ``service``; ``--region`` and ``--profile`` win over the
    environment, which (``AWS_ENDPOINT_URL`` too) applies otherwise."""
    import boto3

    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    return session.client(service)


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


def redacted(value: Any) -> Any:
    """A record, a value or a text read from outside, with its secrets redacted (names
    and patterns, as on stdout): every CLI command calls it after reading, before
    :func:`otelkit._values.terminal.printable`."""
    return _REDACTION.redact_read(value)  # the CLI never configures: the default policy
