"""psycopg (3): a client span per statement carrying the bound IDs, the server's
address and database name, through OpenTelemetry's dbapi instrumentation (as the upstream
psycopg instrumentation is).

Connections opened with ``psycopg.connect`` after ``configure()`` are traced.

Needs the ``psycopg`` extra: ``pip install 'otelkit[psycopg]'``.
"""

from __future__ import annotations

from typing import Any

import psycopg

from otelkit.integrations import _dbapi


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Trace ``psycopg.connect`` once per process."""
    _dbapi.trace_connect(
        psycopg,
        "postgresql",
        tracer_provider,
        meter_provider,
        _dbapi.LIBPQ_CONNECTION_ATTRIBUTES,
        cursor=psycopg.Cursor,
    )


def uninstrument() -> None:
    """Undo ``instrument``."""
    _dbapi.untrace_connect(psycopg)
