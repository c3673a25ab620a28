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

# Where the dbapi instrumentation finds the server's name, port and database and the
# user on a psycopg connection (the upstream psycopg instrumentation reads the same).
_CONNECTION_ATTRIBUTES = {
    "database": "info.dbname",
    "port": "info.port",
    "host": "info.host",
    "user": "info.user",
}


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Trace ``psycopg.connect`` once per process."""
    _dbapi.trace_connect(
        psycopg, "postgresql", tracer_provider, meter_provider, _CONNECTION_ATTRIBUTES
    )


def uninstrument() -> None:
    """Undo ``instrument``."""
    _dbapi.untrace_connect(psycopg)
