"""psycopg2: a client span per statement carrying the bound IDs, the server's address and
database name, through OpenTelemetry's dbapi instrumentation (as the upstream psycopg2
instrumentation is).

Connections opened with ``psycopg2.connect`` after ``configure()`` are real psycopg2
connections whose cursors trace their statements, so ``register_type`` and the other C
functions that check a connection's type accept them.

Needs the ``psycopg2`` extra: ``pip install 'otelkit[psycopg2]'`` (and psycopg2 or
psycopg2-binary, whichever you use).
"""

from __future__ import annotations

from typing import Any

import psycopg2  # type: ignore[import-untyped]
import psycopg2.extensions  # type: ignore[import-untyped]

from otelkit.integrations import _dbapi


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Trace ``psycopg2.connect`` once per process."""
    _dbapi.trace_connect(
        psycopg2,
        "postgresql",
        tracer_provider,
        meter_provider,
        _dbapi.LIBPQ_CONNECTION_ATTRIBUTES,
        cursor=psycopg2.extensions.cursor,
    )


def uninstrument() -> None:
    """Undo ``instrument``."""
    _dbapi.untrace_connect(psycopg2)
