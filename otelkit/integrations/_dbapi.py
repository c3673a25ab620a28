"""Tracing a DB-API 2 driver's ``connect`` with OpenTelemetry's dbapi instrumentation
(what the upstream sqlite3 and psycopg instrumentations are built on): a client span per
``execute``, ``db.query.text`` with its placeholders and never the parameters."""

from __future__ import annotations

from types import ModuleType
from typing import Any

try:
    from opentelemetry.instrumentation import dbapi
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the sqlite3 and psycopg integrations need opentelemetry-instrumentation-dbapi: "
        "pip install 'otelkit[dbapi]'"
    ) from exc

_traced: set[str] = set()


class _Connection(dbapi.TracedConnectionProxy[Any]):
    """A traced connection whose ``execute``/``executemany`` shortcuts (sqlite3's and
    psycopg's, which open a cursor inside the driver) go through a traced cursor too."""

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self.cursor().execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        return self.cursor().executemany(*args, **kwargs)


class _Integration(dbapi.DatabaseApiIntegration):
    def wrapped_connection(
        self, connect_method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> _Connection:
        connection = connect_method(*args, **kwargs)
        self.get_connection_attributes(connection)
        return _Connection(connection, self)


def trace_connect(
    driver: ModuleType,
    system: str,
    tracer_provider: Any,
    meter_provider: Any,
    connection_attributes: dict[str, str] | None = None,
) -> None:
    """Wrap ``driver.connect`` once per process: connections opened after it are traced."""
    if driver.__name__ in _traced:
        return
    _traced.add(driver.__name__)
    module: Any = driver  # typed upstream as the connect function's owner
    dbapi.trace_integration(
        module,
        "connect",
        system,
        connection_attributes=connection_attributes,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_parameters=False,  # parameter values are data, often personal
        db_api_integration_factory=_Integration,
    )


def untrace_connect(driver: ModuleType) -> None:
    """Undo ``trace_connect``."""
    if driver.__name__ in _traced:
        _traced.discard(driver.__name__)
        module: Any = driver
        dbapi.unwrap_connect(module, "connect")
