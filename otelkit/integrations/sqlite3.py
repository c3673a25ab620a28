"""sqlite3: a client span per statement carrying the bound IDs, through OpenTelemetry's
dbapi instrumentation (as the upstream sqlite3 instrumentation is).

Connections opened after ``configure()`` are traced.

Needs the ``sqlite3`` extra: ``pip install 'otelkit[sqlite3]'``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from otelkit.integrations import _dbapi


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Trace ``sqlite3.connect`` once per process."""
    _dbapi.trace_connect(sqlite3, "sqlite", tracer_provider, meter_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    _dbapi.untrace_connect(sqlite3)
