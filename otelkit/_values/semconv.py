"""Which semantic conventions the upstream instrumentations write: the stable ones.

By default the upstream HTTP and database instrumentations (ASGI, WSGI, httpx, requests,
redis…) still write the old attribute names (``http.method``, ``http.url``,
``net.peer.ip``, ``db.statement``), while otelkit's
own spans use the stable ones, so one trace would mix both. They read
``OTEL_SEMCONV_STABILITY_OPT_IN`` once, when the first of them starts, so otelkit sets
it, unless the user has, before it builds or enables any of them.
"""

from __future__ import annotations

import os

OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
#: The stable HTTP and database conventions, only (``http/dup`` would write both).
DEFAULT_OPT_IN = "http,database"


def prefer_stable() -> None:
    """Ask for the stable HTTP conventions unless the user chose otherwise."""
    os.environ.setdefault(OPT_IN, DEFAULT_OPT_IN)
