"""``otelkit run -- COMMAND [ARGS]``: run a program with otelkit set up, no code change.

The program's interpreter imports ``otelkit/_autostart/sitecustomize.py`` at start-up
(its directory is put first on ``PYTHONPATH``), which sets otelkit up from the
environment before the program's first line: with ``opentelemetry-instrumentation``
installed, as ``opentelemetry-instrument`` would with otelkit as the distro (every
installed instrumentor on); else otelkit's pipeline and its own integrations. Python
programs the command starts inherit it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from otelkit._cli.support import FAILED, USAGE

AUTOSTART = Path(__file__).parents[1] / "_autostart"  # otelkit/_autostart
_USAGE = "usage: otelkit run [--] COMMAND [ARGS...]   e.g. otelkit run -- python app.py\n"


def environment(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` with the start-up hook first on ``PYTHONPATH``."""
    paths = [str(AUTOSTART)] + [
        p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(AUTOSTART)
    ]
    return {**environ, "PYTHONPATH": os.pathsep.join(paths)}


def main(argv: list[str]) -> int:
    args = argv[1:] if argv[:1] == ["--"] else argv
    if not args or args[0] in {"-h", "--help"}:
        (sys.stdout if args else sys.stderr).write(_USAGE)
        return 0 if args else USAGE
    try:
        os.execvpe(args[0], args, environment(dict(os.environ)))  # noqa: S606 - the program
    except OSError as exc:  # only returns when the program could not be started
        sys.stderr.write(f"otelkit run: cannot run {args[0]!r}: {exc.strerror}\n")
        return FAILED
    return FAILED  # pragma: no cover - execvpe does not return
