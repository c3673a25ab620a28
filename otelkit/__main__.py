"""The ``otelkit`` command line: ``otelkit collector render|check …``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

_USAGE = """usage: otelkit <command> [options]

commands:
  collector   render and validate ADOT collector configs (otelkit collector --help)
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to a subcommand; returns the exit code (2 for bad usage)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "collector":
        from otelkit.collector._cli import main as collector_main

        return collector_main(args[1:])
    if args and args[0] in {"-h", "--help"}:
        sys.stdout.write(_USAGE)
        return 0
    sys.stderr.write(_USAGE)
    return 2


if __name__ == "__main__":
    sys.exit(main())
