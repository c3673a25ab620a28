"""One warning when otelkit is used before ``configure()``: the lines would vanish silently.

Before ``configure()`` the standard library's defaults apply: lines below WARNING go
nowhere and a ``job()`` records nothing anywhere. The first such use says so, once, on
stderr. Once anything is set up (``configure()``, a test's ``capture()``) the check is
one attribute lookup on paths that did nothing anyway.
"""

from __future__ import annotations

import sys
import threading

from otelkit._core import pipeline as _pipeline

MESSAGE = (
    "otelkit: {what} before otelkit.configure() was called: lines below WARNING and job "
    "records go nowhere. Call otelkit.configure() at start-up, or run the program with "
    "`otelkit run -- python app.py`. (Said once.)\n"
)

#: True until otelkit is seen set up or the warning was written.
pending = True
_lock = threading.Lock()


def warn(what: str) -> None:
    """Write the warning if otelkit has never been set up (``what``: what was used)."""
    global pending
    if _pipeline.current() is not _pipeline.UNCONFIGURED:
        pending = False
        return
    with _lock:
        if not pending:
            return
        pending = False
    sys.stderr.write(MESSAGE.format(what=what))
